package stomp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/stomp"
)

func TestConnectNegotiates(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	tests := []struct {
		name         string
		subprotocols []string
		headers      []string
		command      string
		wantProtocol string
		wantVersion  string
		wantBeat     string
	}{
		{"1.2 offered first", stomp.Subprotocols, []string{"accept-version", "1.0,1.1,1.2", "heart-beat", "0,0"}, stomp.CONNECT, "v12.stomp", "1.2", "10000,10000"},
		{"only 1.1 offered", []string{"v11.stomp"}, []string{"accept-version", "1.1"}, stomp.CONNECT, "v11.stomp", "1.1", "10000,10000"},
		{"no subprotocol", nil, []string{"accept-version", "1.2,1.1"}, stomp.STOMP, "", "1.2", "10000,10000"},
		{"no accept-version is 1.0", []string{"v10.stomp"}, nil, stomp.CONNECT, "v10.stomp", "1.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial(t, nil, tt.subprotocols...)
			if got := c.ws.Subprotocol(); got != tt.wantProtocol {
				t.Errorf("subprotocol: got %q, want %q", got, tt.wantProtocol)
			}
			c.send(frame(tt.command, "", append(tt.headers, "host", "localhost")...))
			f := c.expect(stomp.CONNECTED)
			want := map[string]string{"version": tt.wantVersion, "server": "hxchat/1", "heart-beat": tt.wantBeat}
			for k, v := range want {
				if got, _ := f.Get(k); got != v {
					t.Errorf("CONNECTED %s: got %q, want %q", k, got, v)
				}
			}
			if name, _ := f.Get("user-name"); !strings.HasPrefix(name, "member") {
				t.Errorf("CONNECTED user-name %q, want a memberN name", name)
			}
		})
	}
}

func TestNoCommonVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	c := s.dial(t, nil)
	c.send(frame(stomp.CONNECT, "", "accept-version", "2.0,3.1", "host", "localhost"))
	f, code := c.failed("no common version")
	if v, _ := f.Get("version"); v != stomp.SupportedVersions {
		t.Errorf("ERROR version: got %q, want %q", v, stomp.SupportedVersions)
	}
	if code != 1002 {
		t.Errorf("close code: got %d, want 1002", code)
	}
}

func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{cfg: stomp.Config{Limits: stomp.Limits{MaxFrame: 4096, MaxBody: 1024}}})
	tests := []struct {
		name    string
		connect bool
		input   string
		want    string
		receipt string
		code    int
	}{
		{"frame before CONNECT", false, "SUBSCRIBE\nid:0\ndestination:/topic/room.1\nreceipt:r1\n\n\x00", "before CONNECT", "r1", 1002},
		{"unknown command", true, "PUBLISH\ndestination:/x\n\n\x00", "unknown command", "", 1002},
		{"malformed header", true, "SEND\ndestination /x\n\n\x00", "without a colon", "", 1002},
		{"undefined escape", true, "SEND\nreceipt:r2\ndestination:/a\\tb\n\n\x00", "undefined escape", "r2", 1002},
		{"body over the limit", true, "SEND\ndestination:/app/chat.message\n\n" + strings.Repeat("x", 2000) + "\x00", "body limit", "", websocket.CloseMessageTooBig},
		{"content-length over the limit", true, "SEND\ndestination:/app/chat.message\ncontent-length:99999\n\n\x00", "body limit", "", websocket.CloseMessageTooBig},
		{"frame over the limit", true, "SEND\n" + strings.Repeat("x-h:"+strings.Repeat("y", 1000)+"\n", 5) + "\n\x00", "frame limit", "", websocket.CloseMessageTooBig},
		{"unknown destination", true, "SUBSCRIBE\nid:0\ndestination:/queue/elsewhere\nreceipt:r3\n\n\x00", "unknown destination", "r3", 1002},
		{"unknown send destination", true, "SEND\ndestination:/queue/elsewhere\n\n{}\x00", "unknown destination", "", 1002},
		{"subscription without id", true, "SUBSCRIBE\ndestination:/user/queue/errors\n\n\x00", "without an id", "", 1002},
		{"duplicate subscription id", true, "SUBSCRIBE\nid:a\ndestination:/user/queue/errors\n\n\x00SUBSCRIBE\nid:a\ndestination:/user/queue/errors\n\n\x00", "in use already", "", 1002},
		{"second CONNECT", true, "CONNECT\naccept-version:1.2\n\n\x00", "already connected", "", 1002},
		{"unknown ack mode", true, "SUBSCRIBE\nid:a\nack:sometimes\ndestination:/user/queue/errors\n\n\x00", "unknown ack mode", "", 1002},
		{"ACK of no message", true, "ACK\nid:77\n\n\x00", "no message carried", "", 1002},
		{"bad after-seq", true, "SUBSCRIBE\nid:a\nafter-seq:-3\ndestination:/topic/room.1\n\n\x00", "after-seq", "", 1002},
		{"a server's frame", true, "MESSAGE\ndestination:/x\n\n\x00", "does not send MESSAGE", "", 1002},
		{"UNSUBSCRIBE of nothing", true, "UNSUBSCRIBE\nid:zz\n\n\x00", "no subscription", "", 1002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial(t, nil)
			if tt.connect {
				c.connect()
			}
			c.raw(tt.input)
			f, code := c.failed(tt.want)
			if got, _ := f.Get("receipt-id"); got != tt.receipt {
				t.Errorf("ERROR receipt-id: got %q, want %q", got, tt.receipt)
			}
			if code != tt.code {
				t.Errorf("close code: got %d, want %d", code, tt.code)
			}
		})
	}
}

func TestFramesSplitAndJoined(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	c := s.dial(t, nil)
	// A CONNECT in three pieces, the last one carrying a heart-beat EOL
	// and the start of the next frame.
	connect := "CONNECT\naccept-version:1.2\nhost:localhost\n\n\x00"
	c.raw(connect[:5])
	c.raw(connect[5:21])
	c.raw(connect[21:] + "\nSUBSCRIBE\nid:e\ndestination:/user/queue/errors\nrec")
	c.raw("eipt:s1\n\n\x00SEND\ndestination:/app/chat.message\nreceipt:s2\n\n{\"chatRoomId\":1,\x00")
	c.expect(stomp.CONNECTED)
	c.dec.SetVersion(stomp.V12)
	if r := c.expect(stomp.RECEIPT); header(r, "receipt-id") != "s1" {
		t.Errorf("first receipt-id %q, want s1", header(r, "receipt-id"))
	}
	// The SEND's body is not JSON: told on the errors queue, with no
	// RECEIPT, and the session goes on.
	if b := body[stomp.ErrorBody](t, c.expect(stomp.MESSAGE)); b.Reason != "unreadable" || b.Receipt != "s2" {
		t.Errorf("error body %+v, want reason unreadable for receipt s2", b)
	}
	if c.messages != 3 {
		t.Errorf("read %d WebSocket messages for 3 frames, want one each", c.messages)
	}
	c.send(frame(stomp.SEND, "", "destination", stomp.PublishJoin, "receipt", "s3"))
	if r := c.expect(stomp.RECEIPT); header(r, "receipt-id") != "s3" {
		t.Errorf("receipt-id %q, want s3: the refused SEND gets none", header(r, "receipt-id"))
	}
}

// header returns f's header key.
func header(f *stomp.Frame, key string) string {
	v, _ := f.Get(key)
	return v
}

func TestHeartBeats(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	const every = 100 * time.Millisecond
	s := mustStart(t, options{cfg: stomp.Config{HeartBeat: every, Tick: 10 * time.Millisecond}})

	t.Run("the server beats", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect("heart-beat", "0,100")
		for range 3 {
			_ = c.ws.SetReadDeadline(time.Now().Add(wait))
			_, data, err := c.ws.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if string(data) != "\n" {
				t.Fatalf("got %q, want a heart-beat", data)
			}
		}
	})
	t.Run("a silent client is closed", func(t *testing.T) {
		c := s.dial(t, nil)
		// Before the CONNECT, the last thing the server hears.
		began := time.Now()
		c.connect("heart-beat", "100,0")
		_, code := c.failed("no heart-beat")
		if code != websocket.CloseAbnormalClosure {
			t.Errorf("close code %d, want none (1006)", code)
		}
		if took := time.Since(began); took < every*5/2 {
			t.Errorf("closed after %v, before 2.5 intervals of %v", took, every)
		}
	})
	t.Run("a beating client stays", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect("heart-beat", "100,0")
		// Beats ten times as often as agreed, for six intervals: the
		// pace of a client, not a wait for the server.
		beat := time.NewTicker(every / 10)
		defer beat.Stop()
		for began := time.Now(); time.Since(began) < 6*every; <-beat.C {
			c.raw("\n")
		}
		c.receipt(frame(stomp.SEND, "", "destination", stomp.PublishJoin))
	})
}

func TestConnectWait(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{cfg: stomp.Config{ConnectWait: 30 * time.Millisecond, Tick: 10 * time.Millisecond}})
	c := s.dial(t, nil)
	if _, code := c.failed("no CONNECT"); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
}

func TestDisconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	c := s.dial(t, nil)
	c.connect()
	c.receipt(frame(stomp.SUBSCRIBE, "", "id", "0", "destination", stomp.TopicDestination(s.general.ID)))
	before := c.receipt(frame(stomp.DISCONNECT, ""))
	for _, f := range before {
		if f.Command != stomp.MESSAGE {
			t.Errorf("before the RECEIPT: %s %v", f.Command, f.Headers)
		}
	}
	// Presence notices may still be on their way; the close comes after.
	for {
		f, err := c.read()
		if err != nil {
			if e, ok := err.(errClosedBy); !ok || e.code != websocket.CloseNormalClosure {
				t.Errorf("after DISCONNECT: %v, want a close with 1000", err)
			}
			break
		}
		if f.Command != stomp.MESSAGE {
			t.Fatalf("after DISCONNECT's receipt: %s", f.Command)
		}
	}
}

func TestShutdownClosesIdleSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	c := s.dial(t, nil)
	c.connect()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.stomp.Shutdown(ctx) }()
	if _, code := c.failed("server restarting"); code != websocket.CloseServiceRestart {
		t.Errorf("close code %d, want 1012", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if n := s.stomp.Connections(); n != 0 {
		t.Errorf("%d sessions after Shutdown, want 0", n)
	}
	// Refused before the upgrade once shut down.
	if _, resp, err := s.tryDial(t, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown: %v, %v; want 503", err, resp)
	}
}
