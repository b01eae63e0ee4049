package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/stomp"
)

// readMessageAgrees reads b with readMessage and checks what it read
// against the project's decoder: the decoder must read b up to the same
// end as one MESSAGE frame of the same subscription and body. It
// reports whether readMessage read a frame.
func readMessageAgrees(t testing.TB, b []byte, sent string) bool {
	t.Helper()
	sub, body, n, ok := readMessage(b, sent)
	if !ok {
		return false
	}
	d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	d.Feed(b[:n])
	f, err := d.Next()
	if err != nil || f == nil {
		t.Fatalf("%q: read in place (subscription %q, body %q), but the decoder reads %v, %v", b, sub, body, f, err)
	}
	if got, _ := f.Get("subscription"); f.Command != stomp.MESSAGE || got != string(sub) || !bytes.Equal(f.Body, body) {
		t.Fatalf("%q: read in place with subscription %q and body %q, by the decoder as %s with %q and %q", b, sub, body, f.Command, got, f.Body)
	}
	if d.Pending() {
		t.Fatalf("%q: read in place as %d bytes, which leave the decoder inside a frame", b, n)
	}
	return true
}

func TestReadMessage(t *testing.T) {
	tails, err := stomp.NewEncoder().Messages(5, []chat.Message{{Room: 5, Seq: 42, ID: 9, Author: chat.User{ID: 3, Name: "Ana"}, Body: "hi", CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	tail := string(tails[0])
	sent := headsOf(5).frame
	asSent := "MESSAGE\nsubscription:room\ndestination:" + stomp.RoomDestination(5) + "\n" + tail
	tests := []struct {
		name  string
		frame string
		read  bool // whether it is read in place, not by the decoder
	}{
		{"as the server sends it", asSent, true},
		{"followed by another frame", asSent + asSent, true},
		{"followed by a heart-beat", asSent + "\n", true},
		{"on the errors queue", "MESSAGE\nsubscription:errors\ndestination:/user/queue/errors\ncontent-length:2\n\n{}\x00", true},
		{"headers in another order", "MESSAGE\ncontent-length:2\nmessage-id:1\nsubscription:room\n\nhi\x00", true},
		{"a repeated subscription", "MESSAGE\nsubscription:room\nsubscription:errors\ncontent-length:2\n\nhi\x00", true},
		{"a repeated content-length", "MESSAGE\nsubscription:room\ncontent-length:2\ncontent-length:5\n\nhi\x00", true},
		{"an empty body", "MESSAGE\nsubscription:room\ncontent-length:0\n\n\x00", true},
		{"a body holding NUL", "MESSAGE\nsubscription:room\ncontent-length:3\n\nh\x00i\x00", true},
		{"a colon in a value", "MESSAGE\nsubscription:ro:om\ncontent-length:2\n\nhi\x00", true},
		{"a message-id with a CR", strings.Replace(asSent, "message-id:5-42", "message-id:5-4\r2", 1), false},
		{"a message-id with an escape", strings.Replace(asSent, "message-id:5-42", "message-id:5\\c42", 1), false},
		{"CR LF line ends", strings.ReplaceAll(asSent[:strings.Index(asSent, "\n\n")+1], "\n", "\r\n") + "\r\n" + asSent[strings.Index(asSent, "\n\n")+2:], false},
		{"an escaped header", "MESSAGE\nsubscription:ro\\com\ncontent-length:2\n\nhi\x00", false},
		{"no content-length", "MESSAGE\nsubscription:room\n\nhi\x00", false},
		{"a content-length of letters", "MESSAGE\nsubscription:room\ncontent-length:2x\n\nhi\x00", false},
		{"no NUL after the body", "MESSAGE\nsubscription:room\ncontent-length:1\n\nhi\x00", false},
		{"cut short", asSent[:len(asSent)-1], false},
		{"cut in the headers", asSent[:30], false},
		{"a header without a colon", "MESSAGE\nsubscription\ncontent-length:2\n\nhi\x00", false},
		{"a header without a name", "MESSAGE\n:room\ncontent-length:2\n\nhi\x00", false},
		{"another command", "RECEIPT\nreceipt-id:m1.0\n\n\x00", false},
		{"a heart-beat first", "\n" + asSent, false},
		{"a body over the limit", "MESSAGE\nsubscription:room\ncontent-length:" + strconv.Itoa(stomp.DefaultMaxBody+1) + "\n\n" + strings.Repeat("x", stomp.DefaultMaxBody+1) + "\x00", false},
		{"a header line over the limit", "MESSAGE\nsubscription:room\nx:" + strings.Repeat("x", stomp.DefaultMaxHeaderLine) + "\ncontent-length:2\n\nhi\x00", false},
		{"a message-id over the limit", strings.Replace(asSent, "message-id:5-42", "message-id:"+strings.Repeat("4", stomp.DefaultMaxHeaderLine), 1), false},
		{"too many headers", "MESSAGE\nsubscription:room\n" + strings.Repeat("x:y\n", stomp.DefaultMaxHeaders) + "content-length:2\n\nhi\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range []string{sent, headsOf(6).frame} {
				if got := readMessageAgrees(t, []byte(tt.frame), s); got != tt.read {
					t.Errorf("read in place: got %v, want %v", got, tt.read)
				}
			}
		})
	}
	if _, i, _, ok := headAsSent([]byte(asSent), sent); !ok || asSent[i-2:i] != "\n\n" {
		t.Errorf("a frame as the server sends it is not read as laid out: %v, body at %d", ok, i)
	}
}

// FuzzReadMessage checks that whatever readMessage reads in place, the
// decoder reads alike.
func FuzzReadMessage(f *testing.F) {
	sent := headsOf(5).frame
	f.Add([]byte(sent + "5-42\ncontent-type:" + stomp.ContentType + "\ncontent-length:2\n\nhi\x00"))
	f.Add([]byte("MESSAGE\nsubscription:room\ncontent-length:2\n\nhi\x00MESSAGE\n"))
	f.Add([]byte("MESSAGE\nsubscription:r\\coom\ncontent-length:2\r\n\nhi\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readMessageAgrees(t, b, sent)
	})
}

// TestMessageSTOMPAuthor checks that a STOMP client takes a CHAT
// message's author from its writerId, and refuses one without.
func TestMessageSTOMPAuthor(t *testing.T) {
	r := testRun(1, 1)
	c := r.clients[0]
	c.sent = headsOf(c.room.id)
	tails, err := stomp.NewEncoder().Messages(c.room.id, []chat.Message{{Room: c.room.id, Seq: 1, ID: 1, Author: chat.User{ID: 42, Name: "Ana"}, Body: "lt-t-0-0-", CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	body := tails[0][bytes.Index(tails[0], []byte("\n\n"))+2 : len(tails[0])-1]
	c.messageSTOMP([]byte(subRoom), body, 300)
	if len(c.pend) != 1 || c.pend[0].author != 42 || c.pend[0].seq != 1 || string(c.pend[0].body) != "lt-t-0-0-" {
		t.Fatalf("got %+v, want Seq 1 by 42", c.pend)
	}
	c.messageSTOMP([]byte(subRoom), bytes.Replace(body, []byte(`"writerId":"42"`), []byte(`"writerId":"Ana"`), 1), 300)
	if len(c.pend) != 1 || r.errs.count() != 1 {
		t.Errorf("a writerId that is not a number: %d pending, %d errors %v", len(c.pend), r.errs.count(), r.errs.samples())
	}
}
