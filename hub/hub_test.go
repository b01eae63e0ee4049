package hub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/store/sqlite"
	"hxchat/views"
)

// env is a hub served over a real HTTP server, with a real store.
type env struct {
	hub   *hub.Hub
	store *sqlite.Store
	srv   *httptest.Server
	// left receives the member of every connection whose Serve returned.
	left chan hub.Member
	// detached, set before the first dial, makes the server use Attach,
	// whose handler returns at once, and leaves left unused.
	detached bool
	// text is the hub's second format, read by subscribers (see
	// subscribe_test.go).
	text *textEncoder
}

// newEnv starts a hub with cfg. Clients name their room and user in the
// query string; a text frame "resume N" resumes after N, and "echo X"
// gets X back.
func newEnv(tb testing.TB, cfg hub.Config) *env {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "hub.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return newEnvOn(tb, cfg, st)
}

// newEnvOn is newEnv on an existing store, for several instances.
func newEnvOn(tb testing.TB, cfg hub.Config, st *sqlite.Store) *env {
	tb.Helper()
	return newEnvReading(tb, cfg, st, st)
}

// newEnvReading is newEnvOn with the hub reading history through src.
func newEnvReading(tb testing.TB, cfg hub.Config, st *sqlite.Store, src hub.Source) *env {
	tb.Helper()
	if cfg.PresenceWait == 0 {
		cfg.PresenceWait = time.Millisecond
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	text := &textEncoder{}
	e := &env{store: st, text: text, hub: hub.New(log, src, cfg, hub.OneFrame(views.Fragments{}), text), left: make(chan hub.Member, 1024)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		room, _ := strconv.ParseInt(q.Get("room"), 10, 64)
		uid, _ := strconv.ParseInt(q.Get("user"), 10, 64)
		m := hub.Member{Room: room, User: chat.User{ID: uid, Name: q.Get("name")}, Session: q.Get("session")}
		switch r.URL.Path {
		case "/sub":
			e.subscribe(w, r, m)
			return
		case "/stream":
			e.stream(w, r, m)
			return
		}
		recv := func(c *hub.Client, data []byte) {
			if after, ok := strings.CutPrefix(string(data), "resume "); ok {
				n, _ := strconv.ParseInt(after, 10, 64)
				c.Resume(n)
			}
			if echo, ok := strings.CutPrefix(string(data), "echo "); ok {
				c.Reply([]byte(echo))
			}
		}
		if e.detached {
			_, _ = e.hub.Attach(w, r, m, recv)
			return
		}
		_ = e.hub.Serve(w, r, m, recv)
		e.left <- m
	}))
	tb.Cleanup(e.srv.Close)
	return e
}

// client is a test websocket connection.
type client struct {
	tb   testing.TB
	conn *websocket.Conn
}

// dial connects user uid (named name) to room and resumes after 0
// unless resume is false.
func (e *env) dial(tb testing.TB, room, uid int64, name string, resume bool) *client {
	tb.Helper()
	url := fmt.Sprintf("ws%s?room=%d&user=%d&name=%s", strings.TrimPrefix(e.srv.URL, "http"), room, uid, name)
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	c := &client{tb: tb, conn: conn}
	if resume {
		c.send("resume 0")
	}
	return c
}

// join connects like dial and waits until the room announces the person,
// so that the connection is registered.
func (e *env) join(tb testing.TB, room, uid int64, name string) *client {
	tb.Helper()
	c := e.dial(tb, room, uid, name, true)
	c.waitFor(name + " joined")
	return c
}

func (c *client) send(s string) {
	c.tb.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.tb.Fatalf("send: %v", err)
	}
}

// next returns the next frame, failing after a deadline.
func (c *client) next() (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.conn.ReadMessage()
	return string(data), err
}

// waitFor reads frames until one contains want, failing when a frame
// contains any of forbidden first.
func (c *client) waitFor(want string, forbidden ...string) string {
	c.tb.Helper()
	for {
		f, err := c.next()
		if err != nil {
			c.tb.Fatalf("waiting for %q: %v", want, err)
		}
		for _, bad := range forbidden {
			if strings.Contains(f, bad) {
				c.tb.Fatalf("got %q before %q", f, want)
			}
		}
		if strings.Contains(f, want) {
			return f
		}
	}
}

var seqRE = regexp.MustCompile(`data-seq="(\d+)"`)

// seqs reads frames until n messages have arrived and returns their Seqs
// in order, with all the text read. A frame may hold several messages.
func (c *client) seqs(n int) ([]int64, string) {
	c.tb.Helper()
	var got []int64
	var text strings.Builder
	for len(got) < n {
		f, err := c.next()
		if err != nil {
			c.tb.Fatalf("waiting for %d messages, got %v: %v", n, got, err)
		}
		text.WriteString(f)
		for _, m := range seqRE.FindAllStringSubmatch(f, -1) {
			seq, _ := strconv.ParseInt(m[1], 10, 64)
			got = append(got, seq)
		}
	}
	return got, text.String()
}

// wantSeqs checks that the next messages c receives are want, in order.
func (c *client) wantSeqs(want ...chat.Message) string {
	c.tb.Helper()
	got, text := c.seqs(len(want))
	var ws []int64
	for _, m := range want {
		ws = append(ws, m.Seq)
	}
	if !slices.Equal(got, ws) {
		c.tb.Fatalf("got messages %v, want %v", got, ws)
	}
	return text
}

// post stores a message in room and returns it, without publishing.
func (e *env) post(tb testing.TB, room int64, body string) chat.Message {
	tb.Helper()
	m, _, err := e.store.AddMessage(context.Background(), chat.Message{
		Room: room, Author: chat.User{ID: 1, Name: "ann"}, Body: body,
		Token: fmt.Sprintf("t%d", time.Now().UnixNano()), CreatedAt: time.Now(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// room creates a room in the store.
func (e *env) room(tb testing.TB, name string) int64 {
	tb.Helper()
	r, err := e.store.CreateRoom(context.Background(), name, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return r.ID
}

func deliver(h *hub.Hub, m chat.Message) {
	h.Deliver(chat.Event{Kind: chat.EventMessage, Room: m.Room, Message: &m})
}

func msgID(m chat.Message) string { return fmt.Sprintf(`id="m%d"`, m.Seq) }

func TestFanOutReachesEveryMemberOfTheRoomOnly(t *testing.T) {
	e := newEnv(t, hub.Config{})
	general, other := e.room(t, "general"), e.room(t, "other")
	members := []*client{
		e.join(t, general, 1, "ann"),
		e.join(t, general, 2, "bob"),
		e.join(t, general, 3, "cy"),
	}
	outsider := e.join(t, other, 4, "dee")

	m := e.post(t, general, "hello room")
	deliver(e.hub, m)
	for i, c := range members {
		if f := c.waitFor(msgID(m)); !strings.Contains(f, "hello room") {
			t.Errorf("member %d got %q, want the message body", i, f)
		}
	}
	// The outsider's next frame must be its own room's message, not the
	// general one.
	marker := e.post(t, other, "marker")
	deliver(e.hub, marker)
	if f := outsider.waitFor("marker", "hello room"); !strings.Contains(f, msgID(marker)) {
		t.Errorf("outsider got %q, want %s", f, msgID(marker))
	}
}

func TestMessagesShowInSeqOrderWhateverTheDeliveryOrder(t *testing.T) {
	e := newEnv(t, hub.Config{GapWait: time.Hour})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	m1, m2, m3 := e.post(t, room, "one"), e.post(t, room, "two"), e.post(t, room, "three")
	deliver(e.hub, m3)
	deliver(e.hub, m2)
	deliver(e.hub, m2) // a duplicate is dropped
	deliver(e.hub, m1)
	c.wantSeqs(m1, m2, m3)
	m4 := e.post(t, room, "four")
	deliver(e.hub, m4)
	c.wantSeqs(m4)
}

func TestGapIsFilledFromTheStore(t *testing.T) {
	e := newEnv(t, hub.Config{GapWait: time.Millisecond})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	m1, m2, m3 := e.post(t, room, "one"), e.post(t, room, "two"), e.post(t, room, "three")
	deliver(e.hub, m3) // the broker lost m1 and m2
	c.wantSeqs(m1, m2, m3)
}

func TestSlowConsumerIsEvictedWithoutDelayingOthers(t *testing.T) {
	const queue, events = 8, 40
	e := newEnv(t, hub.Config{QueueSize: queue, ResumeWait: time.Hour})
	room := e.room(t, "r")
	fast := e.join(t, room, 1, "fast")
	// slow never resumes, so no writer ever drains its queue.
	slow := e.dial(t, room, 2, "slow", false)
	fast.waitFor("slow joined")

	// Deliver in lockstep with the fast member, so only the slow one's
	// queue grows; the fast one gets every message in order, and the
	// notice that the slow one left somewhere among them.
	sawLeft := false
	for range events {
		m := e.post(t, room, "spam")
		deliver(e.hub, m)
		if text := fast.wantSeqs(m); strings.Contains(text, "slow left") {
			sawLeft = true
		}
	}
	var err error
	for err == nil {
		_, err = slow.next()
	}
	if !websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
		t.Fatalf("slow consumer got %v, want close 1013", err)
	}
	if got := e.hub.Stats().Evictions; got != 1 {
		t.Errorf("evictions = %d, want 1", got)
	}
	if !sawLeft {
		fast.waitFor("slow left")
	}
}

func TestJoinAndLeaveAreCountedPerPerson(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	watcher := e.join(t, room, 1, "watcher")
	tab1 := e.join(t, room, 2, "ann")
	watcher.waitFor("ann joined")
	tab2 := e.dial(t, room, 2, "ann", true)
	// The second tab gets the list but announces nothing.
	if f := tab2.waitFor(`id="online"`); strings.Contains(f, "joined") {
		t.Errorf("second tab got %q, want no notice", f)
	}
	if got := e.hub.Online(room); len(got) != 2 {
		t.Errorf("online = %v, want watcher and ann once each", got)
	}

	tab1.conn.Close()
	<-e.left
	// Still there through tab2: closing tab2 must be what says "left".
	marker := e.post(t, room, "after first tab")
	deliver(e.hub, marker)
	watcher.waitFor(msgID(marker), "ann left")
	tab2.conn.Close()
	<-e.left
	if f := watcher.waitFor("ann left"); !strings.Contains(f, `id="online"`) || strings.Contains(f, ">ann<") {
		t.Errorf("got %q, want an online list without ann", f)
	}
}

func TestEmptyRoomIsFreed(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	a := e.join(t, room, 1, "ann")
	b := e.join(t, room, 2, "bob")
	a.waitFor("bob joined")
	if got := e.hub.Stats().Rooms; got != 1 {
		t.Fatalf("rooms = %d, want 1", got)
	}
	a.conn.Close()
	b.conn.Close()
	<-e.left
	<-e.left
	if got := e.hub.Stats().Rooms; got != 0 {
		t.Errorf("rooms = %d after everyone left, want 0", got)
	}
	if got := e.hub.Online(room); len(got) != 0 {
		t.Errorf("online = %v, want nobody", got)
	}
	// The room comes back on the next join.
	e.join(t, room, 3, "cy")
}

func TestShutdownClosesWithServiceRestart(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	var err error
	for err == nil {
		_, err = c.next()
	}
	if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
		t.Errorf("got %v, want close 1012", err)
	}
}

// BenchmarkBroadcast measures one message fanned out to n subscribers of
// one room over real loopback websockets, until every subscriber has read
// it: rendering, framing, queueing, writing and the subscribers' reads.
// ns/delivery is the cost per subscriber. At most window messages are in
// flight, as a reader that falls further behind would be evicted.
func BenchmarkBroadcast(b *testing.B) {
	const window = 256
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			// No presence updates: the benchmark is about messages. Writes
			// are not paced: it measures what fan-out costs, and a paced
			// writer would leave the clock running while it waits.
			e := newEnv(b, hub.Config{QueueSize: 4 * window, PresenceWait: time.Hour, WriteInterval: time.Nanosecond})
			room := e.room(b, "bench")
			// Every client catches up on a first stored message, which proves
			// it has joined before the clock starts.
			first := e.post(b, room, "first")
			clients := make([]*client, n)
			for i := range clients {
				clients[i] = e.dial(b, room, int64(i+1), fmt.Sprintf("u%d", i), true)
			}
			for _, c := range clients {
				c.waitFor(msgID(first))
			}
			m := chat.Message{Room: room, Author: chat.User{ID: 1, Name: "u0"}, Body: strings.Repeat("x", 200), CreatedAt: time.Now()}

			// Each reader reports every window messages it has read.
			progress := make(chan int, n)
			errs := make(chan error, n)
			for _, c := range clients {
				go func(c *client) {
					for seen := 0; seen < b.N; {
						_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
						_, data, err := c.conn.ReadMessage()
						if err != nil {
							errs <- err
							return
						}
						// Several messages may share a frame.
						for range strings.Count(string(data), "data-seq=") {
							seen++
							if seen%window == 0 || seen == b.N {
								progress <- seen
							}
						}
					}
				}(c)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				m.Seq = int64(i + 2)
				deliver(e.hub, m)
				if sent := i + 1; sent%window == 0 || sent == b.N {
					for range n {
						select {
						case <-progress:
						case err := <-errs:
							b.Fatalf("subscriber: %v", err)
						}
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
	}
}

func TestResyncShowsWhatTheBrokerLost(t *testing.T) {
	e := newEnv(t, hub.Config{GapWait: time.Hour})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	var lost []chat.Message
	for i := range 3 {
		lost = append(lost, e.post(t, room, fmt.Sprintf("lost %d", i)))
	}
	e.hub.Resync()
	c.wantSeqs(lost...)
}

func TestRenameShowsInTheOnlineList(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "r")
	watcher := e.join(t, room, 1, "watcher")
	e.join(t, room, 2, "ann")
	watcher.waitFor("ann joined")
	e.hub.Rename(chat.User{ID: 2, Name: "Ann Lee"})
	if f := watcher.waitFor("Ann Lee"); !strings.Contains(f, `id="online"`) || strings.Contains(f, "joined") {
		t.Errorf("got %q, want the online list with the new name and no notice", f)
	}
	if got := e.hub.Online(room); len(got) != 2 || got[0].Name != "Ann Lee" {
		t.Errorf("online = %v, want Ann Lee and watcher", got)
	}
}

// BenchmarkIdleConnection holds b.N idle connections, each caught up on
// the room's one message, and reports what one costs the server in
// goroutines and goroutine stack once its writer has gone idle. (The
// clients, in the same process, run no goroutines.) Run it with a fixed
// count, such as -benchtime 2000x: every connection is two open files.
func BenchmarkIdleConnection(b *testing.B) {
	e := newEnv(b, hub.Config{PresenceWait: time.Hour, WriteInterval: time.Millisecond})
	e.detached = true
	room := e.room(b, "idle")
	first := e.post(b, room, "first")
	runtime.GC()
	g0, s0 := runtime.NumGoroutine(), stackBytes()
	clients := make([]*client, b.N)
	for i := range clients {
		clients[i] = e.dial(b, room, int64(i+1), fmt.Sprintf("u%d", i), true)
		clients[i].waitFor(msgID(first))
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

// stackBytes is the memory held by goroutine stacks.
func stackBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// maskedFrame is a client's frame with a zero mask, which leaves the
// payload as it is.
func maskedFrame(opcode byte, payload string) []byte {
	return append([]byte{0x80 | opcode, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}

func TestFramesArrivingTogetherAreAllHandled(t *testing.T) {
	// No pings: a pong would make the socket readable and hide a frame
	// left waiting in the buffer.
	e := newEnv(t, hub.Config{PongWait: time.Hour})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	// A pong and two messages in one write land in the server's read
	// buffer together: none may wait for the socket to be readable
	// again.
	var b []byte
	b = append(b, maskedFrame(websocket.PongMessage, "")...)
	b = append(b, maskedFrame(websocket.TextMessage, "echo first")...)
	b = append(b, maskedFrame(websocket.TextMessage, "echo second")...)
	if _, err := c.conn.NetConn().Write(b); err != nil {
		t.Fatal(err)
	}
	// The replies may share a frame.
	var got strings.Builder
	for !strings.Contains(got.String(), "second") {
		f, err := c.next()
		if err != nil {
			t.Fatalf("got %q, waiting for both replies: %v", got.String(), err)
		}
		got.WriteString(f)
	}
	if !strings.Contains(got.String(), "first") {
		t.Errorf("got %q, want the first reply before the second", got.String())
	}
}

func TestSilentConnectionIsDropped(t *testing.T) {
	// The one that answers has ten pings in every PongWait to answer,
	// so that a loaded machine does not drop it too.
	e := newEnv(t, hub.Config{PongWait: 2 * time.Second, PingPeriod: 200 * time.Millisecond})
	room := e.room(t, "r")
	alive := e.join(t, room, 1, "ann")
	// alive reads all along, and so answers every ping with a pong.
	frames := make(chan string, 1024)
	go func() {
		defer close(frames)
		for {
			_, data, err := alive.conn.ReadMessage()
			if err != nil {
				return
			}
			frames <- string(data)
		}
	}()
	// silent never reads after joining, so it answers no ping.
	e.join(t, room, 2, "bob")
	select {
	case m := <-e.left:
		if m.User.ID != 2 {
			t.Fatalf("user %d dropped, want the silent one (2)", m.User.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the silent connection was not dropped")
	}
	// More than PongWait has passed: the one that answered pings is still
	// served.
	m := e.post(t, room, "still here")
	deliver(e.hub, m)
	for f := range frames {
		if strings.Contains(f, msgID(m)) {
			return
		}
	}
	t.Fatal("the connection that answered pings was closed")
}

func TestConcurrentPostersAreShownOnceInOrder(t *testing.T) {
	const posters, each = 8, 25
	e := newEnv(t, hub.Config{GapWait: 20 * time.Millisecond})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	msgs := make([]chat.Message, posters*each)
	for i := range msgs {
		msgs[i] = e.post(t, room, fmt.Sprint("m", i))
	}
	// Poster p delivers messages p, p+posters, ...: they arrive
	// interleaved, some ahead of their predecessors, some twice.
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			for i := p; i < len(msgs); i += posters {
				deliver(e.hub, msgs[i])
				if i%3 == 0 {
					deliver(e.hub, msgs[i])
				}
			}
		})
	}
	wg.Wait()
	c.wantSeqs(msgs...)
}

func TestReplyIsNotHeldForTheWriteInterval(t *testing.T) {
	e := newEnv(t, hub.Config{WriteInterval: time.Hour})
	room := e.room(t, "r")
	c := e.join(t, room, 1, "ann")
	// The writer has written (the presence update) and waits out its
	// interval, an hour; a message for the room waits with it, but the
	// answer to what the page sent does not, and takes the message along.
	m := e.post(t, room, "queued")
	deliver(e.hub, m)
	c.send("echo the answer")
	if got := c.waitFor("the answer"); !strings.Contains(got, "the answer") {
		t.Fatalf("got %q", got)
	}
}
