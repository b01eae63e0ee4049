package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/stomp"
	"hxchat/views"
)

// TestParseChatBody reads bodies as the server's own Encoder writes them
// and checks the in-place reader against encoding/json.
func TestParseChatBody(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	enc := stomp.NewEncoder()
	var bodies [][]byte
	for _, text := range []string{"lt-ab12cd34-7-150000-xxxx", `a "quoted" <b> & \ back`, "ünïcode ✓", " "} {
		tails, err := enc.Messages(5, []chat.Message{{Room: 5, Seq: 42, ID: 9, Author: chat.User{ID: 3, Name: "Ana"}, Body: text, CreatedAt: at}})
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, tailBody(t, tails[0]))
	}
	tails, err := enc.Presence(chat.Presence{Room: 5, Joined: []chat.User{{ID: 4, Name: "Bo"}}})
	if err != nil {
		t.Fatal(err)
	}
	bodies = append(bodies, tailBody(t, tails[0]),
		[]byte(` { "seq" : 7 , "type" : "CHAT", "extra": {"a": [1, 2]}, "chatRoomId": "5", "message": "x" } `),
		[]byte(`{}`))
	for _, b := range bodies {
		var want struct {
			Type, ChatRoomID, WriterID, Message string
			Seq                                 int64
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		for _, head := range []string{headsOf(5).body, headsOf(6).body} {
			var got chatBody
			if err := parseChatBody(b, head, &got); err != nil {
				t.Errorf("%s: %v", b, err)
				continue
			}
			if string(got.typ) != want.Type || string(got.room) != want.ChatRoomID || string(got.author) != want.WriterID ||
				string(got.message) != want.Message || got.seq != want.Seq {
				t.Errorf("%s: got type %q room %q author %q message %q seq %d, want %+v", b, got.typ, got.room, got.author, got.message, got.seq, want)
			}
		}
	}
	for _, bad := range []string{``, `[]`, `{"type":"CHAT"`, `{"type" "CHAT"}`, `{"seq":"x"}`, `{"seq":4x}`, `{"message":"unterminated}`,
		// As the server lays a body out, but for what follows.
		`{"type":"CHAT","chatRoomId":"5","writer":"Ana","writerId":"3","message":"x","id":"9","seq":42,"sentAt":"t"`,
		`{"type":"CHAT","chatRoomId":"5","writer":"Ana","writerId":"3","message":"x","id":"9","seq":42,"sentAt":"t"}}`,
		`{"type":"CHAT","chatRoomId":"5","writer":"Ana","writerId":"3","message":"x","id":"9","seq":42,"sentAt":"t"x"}`,
		`{"type":"CHAT","chatRoomId":"5","writer":"Ana","writerId":"3","message":"x"y","id":"9","seq":42,"sentAt":"t"}`,
		`{"type":"CHAT","chatRoomId":"5","writer":"Ana","writerId":"3","message":"x","id":"9","seq":4.2,"sentAt":"t"}`,
	} {
		var got chatBody
		if err := parseChatBody([]byte(bad), headsOf(5).body, &got); err == nil {
			t.Errorf("%q: read as %+v, want an error", bad, got)
		}
	}
}

// tailBody returns the body of a MESSAGE tail the server's Encoder made,
// completed as a subscription completes it, through the codec.
func tailBody(t *testing.T, tail []byte) []byte {
	t.Helper()
	d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	d.Feed(append([]byte("MESSAGE\nsubscription:room\ndestination:/subscribe/chat/room/5\n"), tail...))
	f, err := d.Next()
	if err != nil || f == nil {
		t.Fatalf("tail %q: frame %v, error %v", tail, f, err)
	}
	return f.Body
}

func BenchmarkParseChatBody(b *testing.B) {
	tails, err := stomp.NewEncoder().Messages(5, []chat.Message{{Room: 5, Seq: 123456, ID: 99, Author: chat.User{ID: 3, Name: "member3"}, Body: "lt-ab12cd34-1234-5678901-", CreatedAt: time.Now()}})
	if err != nil {
		b.Fatal(err)
	}
	body := tails[0][bytes.Index(tails[0], []byte("\n\n"))+2 : len(tails[0])-1]
	b.Run("as-encoded", func(b *testing.B) {
		head := headsOf(5).body
		var cb chatBody
		for b.Loop() {
			if err := parseChatBody(body, head, &cb); err != nil || cb.seq != 123456 {
				b.Fatal(cb, err)
			}
		}
	})
	b.Run("scanned", func(b *testing.B) {
		for b.Loop() {
			if cb, err := scanChatBody(body, true); err != nil || cb.seq != 123456 {
				b.Fatal(cb, err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := slowChatBody(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestTransportOf(t *testing.T) {
	for _, tt := range []struct {
		transport    string
		conns, rooms int
		want         string // 'h' for htmx, 's' for STOMP, 'e' for SSE, connection by connection
	}{
		{transportHTMX, 4, 2, "hhhh"},
		{transportSTOMP, 4, 2, "ssss"},
		{transportSSE, 4, 2, "eeee"},
		{transportMixed, 7, 1, "hsehseh"},
		// Room i%3: each has an htmx member first, then a STOMP one,
		// then an SSE one.
		{transportMixed, 12, 3, "hhhssseeehhh"},
	} {
		var got strings.Builder
		for i := range tt.conns {
			got.WriteByte("hse"[transportOf(tt.transport, i, tt.rooms)])
		}
		if got.String() != tt.want {
			t.Errorf("%s, %d conns in %d rooms: got %s, want %s", tt.transport, tt.conns, tt.rooms, got.String(), tt.want)
		}
	}
}

func TestTransportOptions(t *testing.T) {
	o, err := parseOptions([]string{"-preset", "short,bigroom", "-transport", "mixed"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Presets[0].Transport != transportMixed || o.Presets[1].Transport != transportMixed || o.STOMPAuth != authPasscode {
		t.Errorf("got transports %q, %q and -stomp-auth %q", o.Presets[0].Transport, o.Presets[1].Transport, o.STOMPAuth)
	}
	o, err = parseOptions([]string{"-preset", "short"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Presets[0].Transport != transportHTMX {
		t.Errorf("default transport: got %q, want htmx", o.Presets[0].Transport)
	}
	o, err = parseOptions([]string{"-preset", "short", "-transport", "sse"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Presets[0].Transport != transportSSE {
		t.Errorf("-transport sse: got %q", o.Presets[0].Transport)
	}
	for _, args := range [][]string{{"-transport", "sockjs"}, {"-transport", ""}, {"-stomp-auth", "cookie"}} {
		if _, err := parseOptions(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q was accepted", args)
		}
	}
	for _, tt := range []struct {
		r    result
		want string
	}{
		{result{Name: "bigroom", Transport: transportHTMX}, "bigroom"},
		{result{Name: "bigroom", Transport: transportMixed}, "bigroom (mixed)"},
		{result{Name: "short", Transport: transportSSE}, "short (sse)"},
		{result{Name: "bigroom", Transport: transportSTOMP, Accounts: true}, "bigroom (accounts, stomp)"},
		{result{Name: "accounts", Transport: transportSTOMP, Accounts: true}, "accounts (stomp)"},
	} {
		if got := tt.r.label(); got != tt.want {
			t.Errorf("label of %+v: got %q, want %q", tt.r, got, tt.want)
		}
	}
}

// TestNewTokenSecret reads the secret off the page /account/tokens
// renders just after a token is made.
func TestNewTokenSecret(t *testing.T) {
	const secret = "hxc_Ab-9_zz"
	page := render(t, views.Tokens(views.TokensPage{Email: "p1@load.invalid", Created: chat.Token{ID: 1, Name: "load"}, Secret: secret}))
	m := newTokenSecret.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no secret found in:\n%s", page)
	}
	if got := string(m[1]); got != secret {
		t.Errorf("got %q, want %q", got, secret)
	}
	if newTokenSecret.Match(render(t, views.Tokens(views.TokensPage{Email: "p1@load.invalid"}))) {
		t.Error("a secret found on the page without a new token")
	}
}

// BenchmarkReadMessage reads a MESSAGE frame as the server sends a
// bigroom subscriber, in place and through the project's decoder.
func BenchmarkReadMessage(b *testing.B) {
	tails, err := stomp.NewEncoder().Messages(5, []chat.Message{{Room: 5, Seq: 123456, ID: 99, Author: chat.User{ID: 3, Name: "member3"}, Body: "lt-ab12cd34-1234-5678901-", CreatedAt: time.Now()}})
	if err != nil {
		b.Fatal(err)
	}
	frame := append([]byte("MESSAGE\nsubscription:"+subRoom+"\ndestination:"+stomp.RoomDestination(5)+"\n"), tails[0]...)
	for _, tt := range []struct{ name, sent string }{{"as-sent", headsOf(5).frame}, {"header-by-header", headsOf(6).frame}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if sub, _, _, ok := readMessage(frame, tt.sent); !ok || string(sub) != subRoom {
					b.Fatal("not read")
				}
			}
		})
	}
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
		for b.Loop() {
			d.Feed(frame)
			if f, err := d.Next(); err != nil || f == nil {
				b.Fatal(f, err)
			}
		}
	})
}
