package stomp_test

import (
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"testing"

	gostomp "github.com/go-stomp/stomp/v3"
	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/stomp"
)

// wsConn is a websocket as the byte stream go-stomp's client reads and
// writes: each Write one message (go-stomp writes a frame in several, so
// the server reassembles them), each message read handed on in order.
// A tap decodes what the client reads, so that the test sees every frame
// the server sent, those go-stomp drops included.
type wsConn struct {
	ws  *websocket.Conn
	buf []byte

	mu     sync.Mutex
	tap    *stomp.Decoder
	frames []*stomp.Frame
}

func (c *wsConn) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return 0, io.EOF
		}
		c.buf = data
		c.mu.Lock()
		c.tap.Feed(data)
		for {
			f, err := c.tap.Next()
			if f == nil || err != nil {
				break
			}
			c.frames = append(c.frames, f)
		}
		c.mu.Unlock()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.ws.WriteMessage(websocket.TextMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error { return c.ws.Close() }

// messagesFor counts the MESSAGE frames the server sent to subscription
// id so far.
func (c *wsConn) messagesFor(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.frames {
		if f.Command == stomp.MESSAGE && header(f, "subscription") == id {
			n++
		}
	}
	return n
}

// nextChat returns the next chat message of sub, acknowledging
// (settle) every message it passes, joins and leaves included.
func nextChat(t *testing.T, sub *gostomp.Subscription, settle func(*gostomp.Message) error) stomp.MessageBody {
	t.Helper()
	for {
		m, ok := <-sub.C
		if !ok {
			t.Fatal("subscription closed")
		}
		if m.Err != nil {
			t.Fatalf("subscription: %v", m.Err)
		}
		if settle != nil {
			if err := settle(m); err != nil {
				t.Fatalf("ACK or NACK: %v", err)
			}
		}
		var b stomp.MessageBody
		if err := json.Unmarshal(m.Body, &b); err != nil {
			t.Fatalf("body %q: %v", m.Body, err)
		}
		if m.ContentType != stomp.ContentType {
			t.Errorf("content-type %q, want %q", m.ContentType, stomp.ContentType)
		}
		if b.Type == stomp.TypeChat {
			return b
		}
	}
}

func TestGoStompClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	// A window of three unacknowledged messages: the six read below pass
	// only if ACK and NACK settle them.
	s := mustStart(t, options{accounts: true, cfg: stomp.Config{MaxPending: 3}})
	ada, _ := s.mustAccount(t, "Ada")
	_, secret := s.mustToken(t, ada)
	other := chat.User{ID: 1000, Name: "elsewhere"}
	s.mustPost(t, s.general.ID, other, 6)

	ws, _, err := websocket.DefaultDialer.DialContext(t.Context(), s.wsURL(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	nc := &wsConn{ws: ws, tap: stomp.NewDecoder(stomp.V12, stomp.Limits{})}
	conn, err := gostomp.Connect(nc, gostomp.ConnOpt.Login(ada.Email, secret), gostomp.ConnOpt.Host("localhost"))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer conn.MustDisconnect()
	if conn.Version() != gostomp.V12 || conn.Server() != "hxchat/1" {
		t.Errorf("version %v, server %q", conn.Version(), conn.Server())
	}

	sub1, err := conn.Subscribe(stomp.TopicDestination(s.general.ID), gostomp.AckClientIndividual,
		gostomp.SubscribeOpt.Header("after-seq", "0"))
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	n := 0
	settle := func(m *gostomp.Message) error {
		n++
		if n%2 == 0 {
			return conn.Nack(m)
		}
		return conn.Ack(m)
	}
	for want := int64(1); want <= 6; want++ {
		if b := nextChat(t, sub1, settle); b.Seq != want || b.Writer != "elsewhere" {
			t.Fatalf("got %+v, want seq %d", b, want)
		}
	}

	// A SEND with a receipt returns once the message is stored.
	body := `{"chatRoomId":"` + strconv.FormatInt(s.general.ID, 10) + `","message":"from go-stomp"}`
	if err := conn.Send(stomp.PublishMessage, "application/json", []byte(body), gostomp.SendOpt.Receipt); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if b := nextChat(t, sub1, settle); b.Seq != 7 || b.Writer != "Ada" || b.Message != "from go-stomp" {
		t.Errorf("got %+v, want Ada's message, seq 7", b)
	}

	sub2, err := conn.Subscribe(stomp.RoomDestination(s.general.ID), gostomp.AckAuto)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	// Unsubscribe waits for its RECEIPT: from then on sub1 gets nothing.
	if err := sub1.Unsubscribe(); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	sent := nc.messagesFor(sub1.Id())
	s.mustPost(t, s.general.ID, other, 1)
	if b := nextChat(t, sub2, nil); b.Seq != 8 {
		t.Errorf("sub2 got %+v, want seq 8", b)
	}
	if err := conn.Disconnect(); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if got := nc.messagesFor(sub1.Id()); got != sent {
		t.Errorf("%d messages for sub1 after UNSUBSCRIBE", got-sent)
	}
}
