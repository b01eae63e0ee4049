package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// People for tests of several instances: someone with a room's page open,
// whose websocket client behaves as htmx's extension does.

// What a person's client reads in the frames it receives.
var (
	// messageRE is one message of the log: its element id and its Seq.
	messageRE = regexp.MustCompile(`<li id="m(\d+)" data-seq="(\d+)"`)
	// sendFormRE is the fresh form of a successful send, with its token.
	sendFormRE = regexp.MustCompile(`(?s)<form id="send".*?name="token" value="([^"]+)"`)
	// alertRE is the alert under the form, when it says something.
	alertRE = regexp.MustCompile(`<p id="send-error" hx-swap-oob="true" role="alert"[^>]*>([^<]+)</p>`)
)

// errSocketClosed is a send whose socket closed before the reply came.
var errSocketClosed = errors.New("socket closed before the reply")

// person is someone with a room's page open: a cookie jar, the page's
// form token, one websocket at a time, and every message the page shows,
// in the order it showed them.
type person struct {
	name string
	room string
	jar  *cookiejar.Jar
	// token is the send form's current token.
	token string

	mu sync.Mutex
	// seen are the Seqs the page showed, in order.
	seen []int64
	// odd are frames the page should never get.
	odd []string
	// changed is closed, and replaced, whenever seen grows or the socket
	// closes.
	changed chan struct{}
	conn    *websocket.Conn
	// conns are every socket opened, closed when the test ends.
	conns []*websocket.Conn
	// closed is closed when conn's reader ends.
	closed chan struct{}
	// replies carries the answers to sends: "ok" or the alert.
	replies chan string
}

// newPerson opens the room's page on n: cookies, the form token, and the
// messages the page shows.
func newPerson(t *testing.T, name, room string, n *node) *person {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &person{name: name, room: room, jar: jar, changed: make(chan struct{})}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	c := &http.Client{Jar: jar, Timeout: multiWait}
	resp, err := c.Get(n.base + "/chat/rooms/" + room)
	if err != nil {
		t.Fatalf("%s: GET the room page: %v", name, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET the room page: status %d", name, resp.StatusCode)
	}
	m := sendFormRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("%s: no send form with a token on the room page", name)
	}
	p.token = string(m[1])
	p.showMessages(page)
	return p
}

// connect opens the page's websocket on n, resumes after the newest
// message the page shows, as htmx does on every open, and returns once the
// socket is live (the first presence update comes only then). It may run
// on any goroutine.
func (p *person) connect(n *node) error {
	d := websocket.Dialer{Jar: p.jar, HandshakeTimeout: multiWait}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(n.base, "http")+"/ws/chat?room="+p.room, http.Header{"Origin": {n.base}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return fmt.Errorf("%s: dial %s: %w (status %d)", p.name, n.name, err, status)
	}
	live := make(chan struct{})
	p.mu.Lock()
	p.conn, p.closed, p.replies = conn, make(chan struct{}), make(chan string, 16)
	p.conns = append(p.conns, conn)
	closed, replies := p.closed, p.replies
	after := p.last()
	p.mu.Unlock()
	go p.read(conn, live, closed, replies)
	p.write(conn, map[string]any{"after": strconv.FormatInt(after, 10), "HEADERS": map[string]string{"HX-Trigger": "resume"}})
	select {
	case <-live:
		return nil
	case <-closed:
		return fmt.Errorf("%s: socket to %s closed before it went live", p.name, n.name)
	case <-time.After(multiWait):
		return fmt.Errorf("%s: socket to %s not live within %v", p.name, n.name, multiWait)
	}
}

// mustConnect connects p to n or fails t; only on the test's goroutine.
func (p *person) mustConnect(t *testing.T, n *node) {
	t.Helper()
	if err := p.connect(n); err != nil {
		t.Fatal(err)
	}
}

// read handles the frames of one socket until it closes.
func (p *person) read(conn *websocket.Conn, live, closed chan struct{}, replies chan string) {
	defer func() {
		p.mu.Lock()
		close(closed)
		p.notify()
		p.mu.Unlock()
	}()
	wentLive := false
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		frame := string(data)
		if strings.Contains(frame, `<ol id="messages"`) {
			// The whole log re-rendered: only for a page that missed more
			// than a page of messages, which these tests never do.
			p.mu.Lock()
			p.odd = append(p.odd, "log replaced: "+frame)
			p.mu.Unlock()
		}
		p.showMessages(data)
		if m := sendFormRE.FindStringSubmatch(frame); m != nil {
			p.mu.Lock()
			p.token = m[1]
			p.mu.Unlock()
			p.reply(replies, "ok")
		} else if m := alertRE.FindStringSubmatch(frame); m != nil {
			p.reply(replies, m[1])
		}
		if !wentLive && strings.Contains(frame, `<ul id="online"`) {
			wentLive = true
			close(live)
		}
	}
}

// reply hands the answer to a send to the sender, never blocking the
// reader: an answer no one waits for is odd.
func (p *person) reply(replies chan string, r string) {
	select {
	case replies <- r:
	default:
		p.mu.Lock()
		p.odd = append(p.odd, "unexpected reply: "+r)
		p.mu.Unlock()
	}
}

// showMessages records the messages of a page or fragment, in order.
func (p *person) showMessages(html []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range messageRE.FindAllSubmatch(html, -1) {
		seq, _ := strconv.ParseInt(string(m[2]), 10, 64)
		if string(m[1]) != string(m[2]) {
			p.odd = append(p.odd, fmt.Sprintf("message id m%s with data-seq %s", m[1], m[2]))
		}
		p.seen = append(p.seen, seq)
	}
	p.notify()
}

// notify wakes waiters. p.mu is held.
func (p *person) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// last is the newest Seq the page shows. p.mu is held.
func (p *person) last() int64 {
	if len(p.seen) == 0 {
		return 0
	}
	return p.seen[len(p.seen)-1]
}

// write sends v as a JSON text frame; a failure shows as the socket
// closing.
func (p *person) write(conn *websocket.Conn, v any) {
	data, _ := json.Marshal(v)
	_ = conn.SetWriteDeadline(time.Now().Add(multiWait))
	if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
		conn.Close()
	}
}

// send posts body with the form's token and waits for the reply: nil for
// a fresh form, an error with the alert's text for a refusal, and
// errSocketClosed when the socket closed first (the form, and its token,
// stay as they were, so a resend cannot post twice).
func (p *person) send(body string) error {
	p.mu.Lock()
	conn, closed, replies, token := p.conn, p.closed, p.replies, p.token
	p.mu.Unlock()
	p.write(conn, map[string]any{"body": body, "token": token, "HEADERS": map[string]string{"HX-Trigger": "send"}})
	select {
	case r := <-replies:
		if r == "ok" {
			return nil
		}
		return errors.New(r)
	case <-closed:
		return errSocketClosed
	case <-time.After(multiWait):
		return fmt.Errorf("%s: no reply to %q within %v", p.name, body, multiWait)
	}
}

// sockets returns how many sockets p has opened.
func (p *person) sockets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// waitSeen waits until the page shows Seq upto, reconnecting to the node
// reconnect returns whenever the socket closes, as htmx does.
func (p *person) waitSeen(t *testing.T, upto int64, reconnect func() *node) {
	t.Helper()
	deadline := time.NewTimer(multiWait)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		done := slices.Contains(p.seen, upto)
		changed, closed := p.changed, p.closed
		p.mu.Unlock()
		if done {
			return
		}
		select {
		case <-closed:
			if reconnect == nil {
				t.Fatalf("%s: socket closed while waiting for message %d", p.name, upto)
			}
			p.mustConnect(t, reconnect())
		case <-changed:
		case <-deadline.C:
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("%s: waited %v for message %d; the page shows %v", p.name, multiWait, upto, p.seen)
		}
	}
}

// check fails t unless the page showed exactly 1..n, in order, once each.
func (p *person) check(t *testing.T, n int64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(p.seen, want) {
		t.Errorf("%s: the page showed %v, want 1..%d once each, in order", p.name, p.seen, n)
	}
	for _, o := range p.odd {
		t.Errorf("%s: %s", p.name, o)
	}
}
