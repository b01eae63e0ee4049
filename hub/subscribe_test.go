package hub_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/hub"
)

// textEncoder is a second format: a line of text per message and per
// person who came or went. It counts its message encodings.
type textEncoder struct{ messages atomic.Int64 }

func (t *textEncoder) Messages(room int64, msgs []chat.Message) ([][]byte, error) {
	t.messages.Add(1)
	frames := make([][]byte, len(msgs))
	for i, m := range msgs {
		frames[i] = fmt.Appendf(nil, "msg %d %s", m.Seq, m.Body)
	}
	return frames, nil
}

func (t *textEncoder) Log(room int64, page chat.Page) ([][]byte, error) {
	return t.Messages(room, page.Messages)
}

func (t *textEncoder) Presence(p chat.Presence) ([][]byte, error) {
	var frames [][]byte
	for _, u := range p.Joined {
		frames = append(frames, []byte("joined "+u.Name))
	}
	for _, u := range p.Left {
		frames = append(frames, []byte("left "+u.Name))
	}
	return frames, nil
}

func (t *textEncoder) Ended(reason chat.Reason) ([][]byte, error) {
	return [][]byte{[]byte("ended " + string(reason))}, nil
}

// textWire is a subscriber of the text format on a hub Socket.
type textWire struct{ *hub.Socket }

func (textWire) Format() hub.Format { return 1 }

func (w textWire) Close(code int, text string, note [][]byte) {
	_ = w.Send(note)
	w.Socket.Close(code, text)
}

// subscribe serves /sub: a websocket subscribed to the room in the text
// format, after the query's "after" (none: live only). The peer sends
// "leave" to unsubscribe and "echo X" to get X back on the same socket.
func (e *env) subscribe(w http.ResponseWriter, r *http.Request, m hub.Member) {
	sock, err := e.hub.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	after := int64(-1)
	if a := r.URL.Query().Get("after"); a != "" {
		after, _ = strconv.ParseInt(a, 10, 64)
	}
	c, err := e.hub.Subscribe(textWire{sock}, m, after)
	if err != nil {
		sock.Close(hub.CloseInternal, err.Error())
		return
	}
	var once sync.Once
	err = sock.ReadLoop(func(data []byte) bool {
		switch s := string(data); {
		case s == "leave":
			once.Do(c.Leave)
			_ = sock.Send([][]byte{[]byte("left the room")})
		case strings.HasPrefix(s, "echo "):
			_ = sock.Send([][]byte{[]byte(strings.TrimPrefix(s, "echo "))})
		}
		return true
	})
	sock.Close(hub.CloseCode(err), "")
	once.Do(c.Leave)
}

// sub connects a text subscriber of user uid to room; after < 0
// subscribes live only.
func (e *env) sub(tb testing.TB, room, uid int64, name string, after int64) *client {
	tb.Helper()
	url := fmt.Sprintf("ws%s/sub?room=%d&user=%d&name=%s", strings.TrimPrefix(e.srv.URL, "http"), room, uid, name)
	if after >= 0 {
		url += fmt.Sprintf("&after=%d", after)
	}
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &client{tb: tb, conn: conn}
}

// textSeqs reads text frames until n messages arrived and returns their
// Seqs in order.
func (c *client) textSeqs(n int) []int64 {
	c.tb.Helper()
	var got []int64
	for len(got) < n {
		f, err := c.next()
		if err != nil {
			c.tb.Fatalf("waiting for %d messages, got %v: %v", n, got, err)
		}
		if rest, ok := strings.CutPrefix(f, "msg "); ok {
			seq, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			got = append(got, seq)
		}
	}
	return got
}

func seqRange(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestSubscriberGetsEveryMessageAfterItsSeqThenLiveOnes(t *testing.T) {
	e := newEnv(t, hub.Config{PageSize: 20})
	room := e.room(t, "r")
	var last chat.Message
	for i := range 75 {
		last = e.post(t, room, fmt.Sprint("old ", i))
	}
	s := e.sub(t, room, 1, "ann", 10)
	if got, want := s.textSeqs(65), seqRange(11, last.Seq); !slices.Equal(got, want) {
		t.Fatalf("catch-up got %v, want %v", got, want)
	}
	// A live message, and one delivered twice (the store read and the
	// broker may both bring one), each arrive once.
	live := e.post(t, room, "live")
	deliver(e.hub, last)
	deliver(e.hub, live)
	deliver(e.hub, live)
	marker := e.post(t, room, "marker")
	deliver(e.hub, marker)
	if got, want := s.textSeqs(2), []int64{live.Seq, marker.Seq}; !slices.Equal(got, want) {
		t.Fatalf("live got %v, want %v", got, want)
	}
}

func TestSubscriberClaimingMoreThanTheStoreHoldsGetsWhatComesNext(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	e.post(t, room, "one")
	s := e.sub(t, room, 1, "ann", 1000)
	s.waitFor("joined ann")
	m := e.post(t, room, "two")
	deliver(e.hub, m)
	if got := s.textSeqs(1); !slices.Equal(got, []int64{m.Seq}) {
		t.Fatalf("got %v, want [%d]", got, m.Seq)
	}
}

func TestMixedRoomEncodesEachEventOncePerFormat(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	page := e.join(t, room, 1, "ann")
	subs := []*client{e.sub(t, room, 2, "bob", -1), e.sub(t, room, 3, "cy", -1), e.sub(t, room, 4, "dee", -1)}
	for _, s := range subs {
		s.waitFor("joined dee")
	}
	before := e.text.messages.Load()
	m := e.post(t, room, "to everyone")
	deliver(e.hub, m)
	page.waitFor(msgID(m))
	for _, s := range subs {
		if got := s.waitFor("msg "); got != fmt.Sprintf("msg %d to everyone", m.Seq) {
			t.Errorf("subscriber got %q", got)
		}
	}
	if n := e.text.messages.Load() - before; n != 1 {
		t.Errorf("the text format encoded the message %d times for 3 subscribers, want 1", n)
	}
}

func TestLeaveStopsDeliveryAndKeepsTheConnection(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	page := e.join(t, room, 1, "ann")
	s := e.sub(t, room, 2, "bob", -1)
	page.waitFor("bob joined")
	s.send("leave")
	s.waitFor("left the room")
	page.waitFor("bob left")
	m := e.post(t, room, "after leaving")
	deliver(e.hub, m)
	page.waitFor(msgID(m))
	// The socket still works, and the message never reached it.
	s.send("echo still here")
	if got := s.waitFor("still here", "after leaving"); got != "still here" {
		t.Errorf("got %q", got)
	}
}

func TestRemovedSubscriberIsToldInItsFormatAndClosed(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	s := e.sub(t, room, 2, "bob", -1)
	s.waitFor("joined bob")
	e.hub.Deliver(chat.Event{Kind: chat.EventRemoved, Room: room, User: 2})
	s.waitFor("ended removed")
	_, err := s.next()
	if !websocket.IsCloseError(err, hub.ClosePolicy) {
		t.Fatalf("got %v, want a close with %d", err, hub.ClosePolicy)
	}
}

func TestShutdownClosesSubscribers(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	s := e.sub(t, room, 2, "bob", -1)
	s.waitFor("joined bob")
	done := make(chan error, 1)
	go func() { done <- e.hub.Shutdown(t.Context()) }()
	for {
		if _, err := s.next(); err != nil {
			if !websocket.IsCloseError(err, hub.CloseRestart) {
				t.Fatalf("got %v, want a close with %d", err, hub.CloseRestart)
			}
			break
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return once its subscriber closed")
	}
	if _, err := e.hub.Subscribe(nil, hub.Member{Room: room}, -1); err != hub.ErrShuttingDown {
		t.Errorf("Subscribe after Shutdown: got %v, want ErrShuttingDown", err)
	}
}

func TestSocketFramesMessagesOfEverySize(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	s := e.sub(t, room, 1, "ann", -1)
	s.waitFor("joined ann")
	// The lengths around each change of a frame header's length field.
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		want := strings.Repeat("x", n)
		s.send("echo " + want)
		_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, got, err := s.conn.ReadMessage()
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if string(got) != want {
			t.Fatalf("%d bytes: got %d bytes back", n, len(got))
		}
	}
}
