package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
)

// Helpers for tests of several instances: instances sharing one
// PostgreSQL schema and one Redis channel, and people whose websocket
// clients behave as htmx's extension does.

// multiWait bounds every wait on an instance or a person; it only turns a
// hang into a failure.
const multiWait = 20 * time.Second

// multiLog is a log written by an instance's goroutines and read by the
// test.
type multiLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *multiLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *multiLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// node is one running hxchat instance.
type node struct {
	name string
	// base is http://127.0.0.1:port.
	base string
	log  *multiLog
	// kill ends a process instance at once (SIGKILL); nil for one that
	// runs inside the test process.
	kill func()
}

// startNode runs an instance inside the test process with args, until t
// ends.
func startNode(t *testing.T, name string, args []string) *node {
	t.Helper()
	n := &node{name: name, log: &multiLog{}}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, args, func(string) string { return "" }, n.log, func(addr string) { addrc <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("%s: run: %v", name, err)
			}
		case <-time.After(multiWait):
			t.Errorf("%s: run did not return after cancel", name)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, n.log)
		}
	})
	select {
	case addr := <-addrc:
		n.base = "http://" + addr
	case err := <-errc:
		t.Fatalf("%s: run returned before listening: %v\n%s", name, err, n.log)
	case <-time.After(multiWait):
		t.Fatalf("%s: did not start within %v\n%s", name, multiWait, n.log)
	}
	return n
}

// instanceArgsEnv carries a child instance's arguments, as JSON, from
// startProcessNode to TestHelperInstance.
const instanceArgsEnv = "HXCHAT_TEST_INSTANCE_ARGS"

// TestHelperInstance is not a test: it is the body of the instances that
// startProcessNode runs as processes of their own, so that a test can
// kill one as a crash would. Run without instanceArgsEnv, it returns at
// once.
func TestHelperInstance(t *testing.T) {
	raw := os.Getenv(instanceArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), args, func(string) string { return "" }, os.Stderr, func(addr string) {
		fmt.Printf("listening on %s\n", addr)
	})
	t.Fatalf("run returned: %v", err)
}

// startProcessNode runs an instance as a process of its own (this test
// binary, running TestHelperInstance), which kill ends with SIGKILL: its
// sockets and its database and Redis connections break as in a crash.
func startProcessNode(t *testing.T, name string, args []string) *node {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, log: &multiLog{}}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperInstance$", "-test.count=1")
	cmd.Env = append(os.Environ(), instanceArgsEnv+"="+string(raw))
	cmd.Stderr = n.log
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", name, err)
	}
	exited := make(chan struct{})
	addrc := make(chan string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addrc <- addr
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}()
	var once sync.Once
	n.kill = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, n.log)
		}
	})
	select {
	case addr := <-addrc:
		n.base = "http://" + addr
	case <-exited:
		t.Fatalf("%s: exited before listening:\n%s", name, n.log)
	case <-time.After(multiWait):
		t.Fatalf("%s: did not start within %v\n%s", name, multiWait, n.log)
	}
	return n
}

// nodeArgs are the arguments of an instance of the cluster at db and
// redis with prefix: posts are not rate-limited, since people in tests
// type fast.
func nodeArgs(db, redis, prefix string) []string {
	return []string{
		"-addr", "127.0.0.1:0", "-db", db, "-redis", redis, "-redis-prefix", prefix,
		"-msg-rate", "10000", "-msg-burst", "10000", "-log-level", "info",
	}
}

// readyz returns the status and body of n's /readyz.
func readyz(t *testing.T, n *node) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: multiWait}
	resp, err := c.Get(n.base + "/readyz")
	if err != nil {
		t.Fatalf("%s: GET /readyz: %v", n.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitReady polls n's /readyz until it answers 200. Readiness has no event
// to wait on; the poll is bounded by multiWait.
func waitReady(t *testing.T, n *node) {
	t.Helper()
	deadline := time.Now().Add(multiWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		status, body := readyz(t, n)
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /readyz still %d after %v:\n%s", n.name, status, multiWait, body)
		}
		<-tick.C
	}
}

// roomID returns the ID of the room named name in the database at db.
func roomID(t *testing.T, db, name string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var id int64
	if err := conn.QueryRow(t.Context(), `SELECT id FROM rooms WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatalf("room %q: %v", name, err)
	}
	return strconv.FormatInt(id, 10)
}

// stored returns how many times each body is stored in room, and the
// room's last Seq.
func stored(t *testing.T, db, room string) (map[string]int, int64) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT body, count(*) FROM messages WHERE room_id = $1 GROUP BY body`, room)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]int{}
	var body string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&body, &n}, func() error { bodies[body] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	var last int64
	if err := conn.QueryRow(t.Context(), `SELECT last_seq FROM rooms WHERE id = $1`, room).Scan(&last); err != nil {
		t.Fatal(err)
	}
	return bodies, last
}

// What a person's client reads in the frames it receives.
var (
	// messageRE is one message of the log: its element id and its Seq.
	messageRE = regexp.MustCompile(`<li id="m(\d+)" data-seq="(\d+)"`)
	// sendFormRE is the fresh form of a successful send, with its token.
	sendFormRE = regexp.MustCompile(`(?s)<form id="send".*?name="token" value="([^"]+)"`)
	// alertRE is the alert under the form, when it says something.
	alertRE = regexp.MustCompile(`<p id="send-error" role="alert"[^>]*>([^<]+)</p>`)
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
