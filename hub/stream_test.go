package hub_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// streamWire is a subscriber of the text format on a hub Stream: each
// frame a line, the close a line saying its code.
type streamWire struct{ *hub.Stream }

func (streamWire) Format() hub.Format      { return 1 }
func (streamWire) Ping() error             { return nil }
func (streamWire) LastHeard() time.Time    { return time.Now() }
func (w streamWire) Send(f [][]byte) error { return w.Stream.Send(lines(f)) }
func (w streamWire) Close(code int, _ string, note [][]byte) {
	w.Stream.Close(append(lines(note)[0], "closed "+strconv.Itoa(code)+"\n"...))
}

// lines joins frames into one, each ended by a newline.
func lines(frames [][]byte) [][]byte {
	var b []byte
	for _, f := range frames {
		b = append(append(b, f...), '\n')
	}
	return [][]byte{b}
}

// stream serves /stream: the room's text frames, one a line, from
// ?after= or, without it, the log.
func (e *env) stream(w http.ResponseWriter, r *http.Request, m hub.Member) {
	w.Header().Set("Content-Type", "text/plain")
	s, err := e.hub.OpenStream(w, r)
	if err != nil {
		return
	}
	var c *hub.Client
	if a := r.URL.Query().Get("after"); a != "" {
		after, _ := strconv.ParseInt(a, 10, 64)
		c, err = e.hub.Subscribe(streamWire{s}, m, after)
	} else {
		c, err = e.hub.SubscribeLog(streamWire{s}, m)
	}
	if err != nil {
		s.Close(nil)
		return
	}
	go func() {
		s.Wait()
		c.Leave()
		s.Close(nil)
		e.left <- m
	}()
}

// streamClient is a raw HTTP/1.1 client of /stream: no transport
// goroutines of its own, so that an idle one costs the server alone.
type streamClient struct {
	tb   testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// openStream requests room's stream for user uid, from after (< 0: the
// log), and reads the response head.
func (e *env) openStream(tb testing.TB, room, uid int64, name string, after int64) *streamClient {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	path := fmt.Sprintf("/stream?room=%d&user=%d&name=%s", room, uid, name)
	if after >= 0 {
		path += fmt.Sprintf("&after=%d", after)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: hub\r\n\r\n", path)
	c := &streamClient{tb: tb, conn: conn, r: bufio.NewReaderSize(conn, 1024)}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain" || !resp.Close {
		tb.Fatalf("response: %d %v, want 200 text/plain closing", resp.StatusCode, resp.Header)
	}
	return c
}

// line returns the next line, failing after a deadline.
func (c *streamClient) line() string {
	c.tb.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.tb.Fatalf("read line: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// waitFor reads lines until one equals want.
func (c *streamClient) waitFor(want string) {
	c.tb.Helper()
	for {
		if c.line() == want {
			return
		}
	}
}

func TestStreamDeliversFromTheLogThenLive(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	e.post(t, room, "one")
	e.post(t, room, "two")
	s := e.openStream(t, room, 1, "ann", -1)
	// No after: the log, then live.
	if got := s.line(); got != "msg 1 one" {
		t.Fatalf("first line: got %q, want the log's first message", got)
	}
	if got := s.line(); got != "msg 2 two" {
		t.Fatalf("second line: got %q, want the log's second message", got)
	}
	s.waitFor("joined ann")
	deliver(e.hub, e.post(t, room, "three"))
	if got := s.line(); got != "msg 3 three" {
		t.Fatalf("live: got %q, want msg 3", got)
	}
}

func TestStreamResumesAfter(t *testing.T) {
	e := newEnv(t, hub.Config{PageSize: 2})
	room := e.room(t, "r")
	for i := range 5 {
		e.post(t, room, "m"+strconv.Itoa(i+1))
	}
	s := e.openStream(t, room, 1, "ann", 2)
	// Every message after 2, each once, though a page holds two.
	for i := 3; i <= 5; i++ {
		if got, want := s.line(), fmt.Sprintf("msg %d m%d", i, i); got != want {
			t.Fatalf("catch-up: got %q, want %q", got, want)
		}
	}
}

func TestStreamPeerGoingLeavesTheRoom(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	s := e.openStream(t, room, 1, "ann", 0)
	s.waitFor("joined ann")
	other := e.join(t, room, 2, "bob")
	s.conn.Close()
	select {
	case m := <-e.left:
		if m.User.Name != "ann" {
			t.Errorf("left: got %s, want ann", m.User.Name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream's member never left after its peer closed")
	}
	other.waitFor("ann left")
}

func TestStreamClosedByTheHubSaysWhy(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	s := e.openStream(t, room, 1, "ann", 0)
	s.waitFor("joined ann")
	e.hub.Deliver(chat.Event{Kind: chat.EventRemoved, Room: room, User: 1})
	s.waitFor("ended " + string(chat.Removed))
	if got := s.line(); got != "closed "+strconv.Itoa(hub.ClosePolicy) {
		t.Errorf("after the note: got %q, want the close", got)
	}
	// The body ends with the connection.
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := s.r.ReadByte(); err == nil {
		t.Errorf("after the close: read %q, want the end of the body", b)
	}
}

// BenchmarkIdleStream reports what an idle event stream costs the
// server, to set beside BenchmarkIdleConnection's websocket.
func BenchmarkIdleStream(b *testing.B) {
	e := newEnv(b, hub.Config{PresenceWait: time.Hour, WriteInterval: time.Millisecond})
	room := e.room(b, "idle")
	e.post(b, room, "first")
	runtime.GC()
	g0, s0 := runtime.NumGoroutine(), stackBytes()
	streams := make([]*streamClient, b.N)
	for i := range streams {
		streams[i] = e.openStream(b, room, int64(i+1), fmt.Sprintf("u%d", i), 0)
		streams[i].waitFor("msg 1 first")
	}
	b.StopTimer()
	// Writers end a WriteInterval after their last write.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine()-g0 > b.N && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	runtime.GC()
	g, s := runtime.NumGoroutine()-g0, stackBytes()-s0
	b.ReportMetric(float64(g)/float64(b.N), "goroutines/conn")
	b.ReportMetric(float64(s)/float64(b.N), "stack-B/conn")
}
