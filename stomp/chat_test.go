package stomp_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/stomp"
)

func TestMessagesBothWays(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	room := strconv.FormatInt(s.general.ID, 10)

	ana := s.dial(t, nil)
	anaName := header(ana.connect(), "user-name")
	ana.receipt(frame(stomp.SUBSCRIBE, "", "id", "sub-0", "destination", stomp.RoomDestination(s.general.ID)))
	bob := s.dial(t, nil)
	bobName := header(bob.connect(), "user-name")
	bob.receipt(frame(stomp.SUBSCRIBE, "", "id", "t", "destination", stomp.TopicDestination(s.general.ID)))

	// Ana sees Bob arrive.
	for {
		f := ana.expect(stomp.MESSAGE)
		if b := body[stomp.MessageBody](t, f); b.Type == stomp.TypeJoin && b.Writer == bobName {
			if b.Message != bobName+" joined." || b.ChatRoomID != room {
				t.Errorf("join body %+v", b)
			}
			break
		}
	}

	// A writer in the body is ignored; the room ID may be a number.
	bob.receipt(frame(stomp.SEND, `{"chatRoomId": `+room+`, "writer": "Mallory", "message": "Hello, Ana"}`,
		"destination", stomp.AppMessage, "content-type", "application/json"))
	f, b := ana.nextChat()
	want := map[string]string{
		"subscription": "sub-0",
		"destination":  stomp.RoomDestination(s.general.ID),
		"message-id":   room + "-1",
		"content-type": stomp.ContentType,
		"ack":          "",
	}
	for k, v := range want {
		if got := header(f, k); got != v {
			t.Errorf("MESSAGE %s: got %q, want %q", k, got, v)
		}
	}
	if b.Writer != bobName || b.Message != "Hello, Ana" || b.Seq != 1 || b.ChatRoomID != room || b.ID == "" {
		t.Errorf("chat body %+v, want Bob's message, seq 1", b)
	}
	if _, err := time.Parse(time.RFC3339, b.SentAt); err != nil {
		t.Errorf("sentAt %q: %v", b.SentAt, err)
	}
	// And back, to the tutorial's destination with a string room ID.
	ana.receipt(frame(stomp.SEND, `{"chatRoomId":"`+room+`","type":"CHAT","writer":"x","message":"Hi Bob"}`,
		"destination", stomp.PublishMessage))
	if _, b := bob.nextChat(); b.Seq != 1 {
		t.Errorf("Bob's own message: %+v, want seq 1", b)
	}
	f, b = bob.nextChat()
	if header(f, "subscription") != "t" || header(f, "destination") != stomp.TopicDestination(s.general.ID) {
		t.Errorf("MESSAGE headers %v", f.Headers)
	}
	if b.Writer != anaName || b.Message != "Hi Bob" || b.Seq != 2 {
		t.Errorf("chat body %+v, want Ana's message, seq 2", b)
	}
	// Both are stored, in that order, by their authors.
	stored, err := s.store.After(t.Context(), s.general.ID, 0, 10)
	if err != nil || len(stored) != 2 || stored[0].Author.Name != bobName || stored[1].Author.Name != anaName {
		t.Errorf("stored %+v, %v", stored, err)
	}
}

func TestRefusedSends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{limits: chat.Limits{Rate: 0.001, Burst: 2, Connections: 100, NewPeoplePerHour: 1000}})
	room := strconv.FormatInt(s.general.ID, 10)
	c := s.dial(t, nil)
	c.connect()
	c.receipt(frame(stomp.SUBSCRIBE, "", "id", "errors", "destination", stomp.ErrorsQueue))
	tests := []struct {
		name, body, reason, room string
	}{
		{"empty", `{"chatRoomId":"` + room + `","message":"   "}`, "empty", room},
		{"too long", `{"chatRoomId":"` + room + `","message":"` + strings.Repeat("é", chat.MaxBody+1) + `"}`, "too_long", room},
		{"not JSON", `chatRoomId=1&message=hi`, "unreadable", ""},
		{"no such room", `{"chatRoomId":"999","message":"hi"}`, "no_room", "999"},
		{"no room named", `{"message":"hi"}`, "no_room", ""},
		{"a room ID that is not one", `{"chatRoomId":"1; drop","message":"hi"}`, "no_room", `"1; drop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := c.refused(frame(stomp.SEND, tt.body, "destination", stomp.AppMessage))
			if len(before) != 1 {
				t.Fatalf("got %d frames before the RECEIPT, want one MESSAGE", len(before))
			}
			f := before[0]
			if header(f, "subscription") != "errors" || header(f, "destination") != stomp.ErrorsQueue {
				t.Errorf("MESSAGE headers %v", f.Headers)
			}
			b := body[stomp.ErrorBody](t, f)
			if b.Type != "ERROR" || b.Reason != tt.reason || b.ChatRoomID != tt.room || b.Message == "" || b.Receipt == "" {
				t.Errorf("error body %+v, want reason %q for room %q", b, tt.reason, tt.room)
			}
		})
	}
	t.Run("too fast", func(t *testing.T) {
		send := func() []*stomp.Frame {
			return c.receipt(frame(stomp.SEND, `{"chatRoomId":`+room+`,"message":"hi"}`, "destination", stomp.AppMessage))
		}
		for range 2 { // the burst
			if before := send(); len(before) != 0 {
				t.Fatalf("within the burst: %d frames before the RECEIPT", len(before))
			}
		}
		before := c.refused(frame(stomp.SEND, `{"chatRoomId":`+room+`,"message":"hi"}`, "destination", stomp.AppMessage))
		if len(before) != 1 || body[stomp.ErrorBody](t, before[0]).Reason != "too_fast" {
			t.Fatalf("over the rate: %v, want one too_fast", before)
		}
	})
	// Without a subscription to the errors queue, a refusal is not told,
	// and the session goes on all the same.
	c.receipt(frame(stomp.UNSUBSCRIBE, "", "id", "errors"))
	if before := c.refused(frame(stomp.SEND, `{}`, "destination", stomp.AppMessage)); len(before) != 0 {
		t.Errorf("unsubscribed from the errors queue: got %d frames", len(before))
	}
}

func TestArchivedRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{accounts: true})
	admin, _ := s.mustAccount(t, "Ada")
	_, secret := s.mustToken(t, admin)
	if err := s.svc.SetArchived(t.Context(), admin, s.general.ID, true); err != nil {
		t.Fatalf("SetArchived: %v", err)
	}
	c := s.dial(t, nil)
	c.connect("login", admin.Email, "passcode", secret)
	c.receipt(frame(stomp.SUBSCRIBE, "", "id", "e", "destination", stomp.ErrorsQueue))
	before := c.refused(frame(stomp.SEND, `{"chatRoomId":`+strconv.FormatInt(s.general.ID, 10)+`,"message":"hi"}`, "destination", stomp.AppMessage))
	if len(before) != 1 || body[stomp.ErrorBody](t, before[0]).Reason != "archived" {
		t.Errorf("SEND to an archived room: %v, want one archived", before)
	}
	c.send(frame(stomp.SUBSCRIBE, "", "id", "r", "destination", stomp.TopicDestination(s.general.ID)))
	if _, code := c.failed("archived"); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
}

func TestAfterSeq(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	author := chat.User{ID: 1000, Name: "elsewhere"}
	s.mustPost(t, s.general.ID, author, 5)
	for _, after := range []int64{0, 2, 5} {
		t.Run("after "+strconv.FormatInt(after, 10), func(t *testing.T) {
			last, err := s.svc.LastSeq(t.Context(), s.general.ID)
			if err != nil {
				t.Fatalf("LastSeq: %v", err)
			}
			c := s.dial(t, nil)
			c.connect()
			c.send(frame(stomp.SUBSCRIBE, "", "id", "s", "after-seq", strconv.FormatInt(after, 10),
				"destination", stomp.TopicDestination(s.general.ID)))
			var got, want []int64
			for seq := after + 1; seq <= last; seq++ {
				want = append(want, seq)
				_, b := c.nextChat()
				got = append(got, b.Seq)
			}
			// Then the live ones, each once.
			live := s.mustPost(t, s.general.ID, author, 1)
			want = append(want, live.Seq)
			_, b := c.nextChat()
			got = append(got, b.Seq)
			if !equal(got, want) {
				t.Errorf("got seqs %v, want %v", got, want)
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClientAck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	// A window of five: three messages and the subscriber's own JOIN
	// notice, which needs acknowledging too, fit.
	s := mustStart(t, options{cfg: stomp.Config{MaxPending: 5, AckWait: 100 * time.Millisecond}})
	author := chat.User{ID: 1000, Name: "elsewhere"}
	s.mustPost(t, s.general.ID, author, 3)

	t.Run("cumulative ACK frees the window", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect()
		c.send(frame(stomp.SUBSCRIBE, "", "id", "s", "ack", "client", "after-seq", "0", "destination", stomp.TopicDestination(s.general.ID)))
		var last *stomp.Frame
		for range 3 {
			last, _ = c.nextChat()
			if header(last, "ack") == "" {
				t.Fatalf("MESSAGE without ack header: %v", last.Headers)
			}
		}
		// One ACK of the third settles it and everything before it.
		c.receipt(frame(stomp.ACK, "", "id", header(last, "ack")))
		s.mustPost(t, s.general.ID, author, 3)
		for range 3 {
			last, _ = c.nextChat()
		}
		c.receipt(frame(stomp.NACK, "", "id", header(last, "ack")))
		// An ack id settled already is no error.
		c.receipt(frame(stomp.ACK, "", "id", header(last, "ack")))
	})
	t.Run("a full window is a slow consumer", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect()
		c.send(frame(stomp.SUBSCRIBE, "", "id", "s", "ack", "client-individual", "after-seq", "0", "destination", stomp.TopicDestination(s.general.ID)))
		// Six stored, a window of five, no ACK: the sixth waits for
		// AckWait, then the session ends.
		for {
			f := c.next()
			if f.Command == stomp.MESSAGE {
				continue
			}
			if f.Command != stomp.ERROR || !strings.Contains(header(f, "message"), "slow consumer") {
				t.Fatalf("got %s %v, want ERROR slow consumer", f.Command, f.Headers)
			}
			break
		}
		if code := c.closed(); code != websocket.CloseTryAgainLater {
			t.Errorf("close code %d, want 1013", code)
		}
	})
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	c := s.dial(t, nil)
	c.connect()
	c.receipt(frame(stomp.SUBSCRIBE, "", "id", "a", "destination", stomp.TopicDestination(s.general.ID)))
	c.receipt(frame(stomp.SUBSCRIBE, "", "id", "b", "destination", stomp.RoomDestination(s.general.ID)))
	c.receipt(frame(stomp.UNSUBSCRIBE, "", "id", "a"))
	// Once its receipt came, subscription a sends nothing more: the
	// message posted after it reaches b alone.
	s.mustPost(t, s.general.ID, chat.User{ID: 1000, Name: "elsewhere"}, 1)
	f, _ := c.nextChat()
	if header(f, "subscription") != "b" {
		t.Fatalf("message for subscription %q, want b", header(f, "subscription"))
	}
	for _, f := range c.receipt(frame(stomp.DISCONNECT, "")) {
		if header(f, "subscription") == "a" {
			t.Errorf("subscription a got %q after UNSUBSCRIBE", f.Body)
		}
	}
}

func TestTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	room := strconv.FormatInt(s.general.ID, 10)
	c := s.dial(t, nil)
	c.connect()
	send := func(tx, text string) {
		c.receipt(frame(stomp.SEND, `{"chatRoomId":`+room+`,"message":"`+text+`"}`, "destination", stomp.AppMessage, "transaction", tx))
	}
	stored := func() int {
		msgs, err := s.store.After(t.Context(), s.general.ID, 0, 100)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		return len(msgs)
	}
	c.receipt(frame(stomp.BEGIN, "", "transaction", "t1"))
	c.receipt(frame(stomp.BEGIN, "", "transaction", "t2"))
	send("t1", "one")
	send("t1", "two")
	send("t2", "dropped")
	if n := stored(); n != 0 {
		t.Fatalf("before COMMIT: %d stored, want 0", n)
	}
	c.receipt(frame(stomp.COMMIT, "", "transaction", "t1"))
	c.receipt(frame(stomp.ABORT, "", "transaction", "t2"))
	if n := stored(); n != 2 {
		t.Errorf("after COMMIT and ABORT: %d stored, want 2", n)
	}
	c.send(frame(stomp.COMMIT, "", "transaction", "t2"))
	c.failed("no open transaction")
}

func TestSubscriptionHeadersEscaped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{})
	room := strconv.FormatInt(s.general.ID, 10)
	// The same id, escaped as each version says on the way in and out.
	for _, v := range []struct{ version, id string }{{"1.2", "a:b\\c\nd"}, {"1.1", "a:b\\c\nd"}, {"1.0", "a:b"}} {
		t.Run(v.version, func(t *testing.T) {
			c := s.dial(t, nil)
			c.connect("accept-version", v.version)
			c.receipt(frame(stomp.SUBSCRIBE, "", "id", v.id, "destination", stomp.ErrorsQueue))
			before := c.refused(frame(stomp.SEND, `{"chatRoomId":`+room+`,"message":""}`, "destination", stomp.AppMessage))
			if len(before) != 1 || header(before[0], "subscription") != v.id {
				t.Fatalf("got %v, want one MESSAGE for subscription %q", before, v.id)
			}
			c.receipt(frame(stomp.UNSUBSCRIBE, "", "id", v.id))
		})
	}
}
