package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// client is one browser tab on one room: its page, its websocket
// (reopened the way htmx's extension reopens it) and what it received.
type client struct {
	id   int
	r    *run
	room *room
	who  *person
	// base is the server the client's page and socket use.
	base *url.URL
	// slow clients stop reading between pauseFrom and pauseUntil
	// (offsets from the run's epoch, in nanoseconds).
	slow                  bool
	pauseFrom, pauseUntil atomic.Int64

	// amu guards what the client received: start is the Seq its page
	// showed (-1 until loaded), last the newest Seq received, seen the
	// Seqs received after start, trail its last events; shown and lats
	// are accept's scratch. The reader holds it while it handles a frame,
	// a "Load older" fill while it adds what it fetched.
	amu   sync.Mutex
	start int64
	last  int64
	seen  seqSet
	trail []string
	shown []shown
	lats  []time.Duration
	// buf and frag are the reader's.
	buf  []byte
	frag fragment
	// fills counts "Load older" fills in flight.
	fills atomic.Int32

	// lastSeen mirrors last for the run's progress checks.
	lastSeen atomic.Int64
	// ended is set when the client stopped for good.
	ended atomic.Bool
	// opened is closed at the first open (or when the client ends before
	// one); opens counts opens, lastOpen is the newest (epoch offset).
	opened     chan struct{}
	openedOnce sync.Once
	opens      atomic.Int64
	lastOpen   atomic.Int64
	// markerAt is when the client received a marker message (epoch
	// offset; reconnect runs).
	markerAt atomic.Int64

	mu sync.Mutex
	// cur is the open socket, nil while disconnected; up is closed when
	// one opens; closed is set when the run closes the client.
	cur    *link
	up     chan struct{}
	closed bool

	// Sender side: token is the send form's current token (owned by the
	// sender goroutine once it runs), replies the server's answers to
	// sends, outbox the messages to post in order.
	token   string
	replies chan reply
	outbox  chan *message

	// kind is what the client speaks: an htmx page's websocket, STOMP on
	// /ws/stomp (stomp.go) or, in compatibility mode, an event stream
	// (sse.go), which sse holds.
	kind int
	sse  *sseClient
	// secret is a STOMP client's personal access token in accounts mode;
	// stompIn reads a STOMP client's socket, reopened or not, sent is
	// how the server lays out its room's messages, and chat the body of
	// the last one read.
	secret  string
	stompIn *wsReader
	sent    sentHeads
	chat    chatBody
	// The STOMP and SSE readers': pend are the room's messages read since
	// the last flushPending, the first at pendAt, in pendFrames messages
	// (STOMP) or events (SSE) of pendBytes; pendText holds the texts of a
	// STOMP client's pend; stompErr is the message of the last ERROR
	// frame.
	pend                  []item
	pendText              []byte
	pendAt                time.Duration
	pendFrames, pendBytes int64
	stompErr              string
}

// Transports a client speaks (client.kind), in the order -transport
// mixed deals them to the members of a room; they index the report's
// split by transport.
const (
	kindHTMX = iota
	kindSTOMP
	kindSSE
	kinds
)

// kindNames name the transports in the report.
var kindNames = [kinds]string{kindHTMX: "htmx", kindSTOMP: "stomp", kindSSE: "sse"}

// link is one open websocket, or an event stream's connection.
type link struct {
	// ws is the websocket; conn, for an event stream, its connection.
	ws   *websocket.Conn
	conn net.Conn
	// wmu serialises writers: the resume, the sends and the final close.
	wmu sync.Mutex
	// down is closed once the socket is finished; every reply it carried
	// has been handed over by then.
	down chan struct{}
}

// writeWait bounds each write.
const writeWait = 10 * time.Second

// write sends one text frame.
func (l *link) write(data []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	_ = l.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return l.ws.WriteMessage(websocket.TextMessage, data)
}

// reply is the server's answer to a send: a fresh form's token, or the
// text of a refusal; a STOMP client's name the receipt of the SEND they
// answer, an acknowledgement having no refusal.
type reply struct {
	token, refusal, receipt string
}

func newClient(r *run, id int, rm *room, who *person) *client {
	return &client{
		id: id, r: r, room: rm, who: who, base: r.base, start: -1,
		opened:  make(chan struct{}),
		up:      make(chan struct{}),
		replies: make(chan reply, 8),
	}
}

// load opens the client's room page (in compatibility mode for an SSE
// client): its send token and the Seq the resume form will send.
func (c *client) load(ctx context.Context) error {
	query := ""
	if c.kind == kindSSE {
		query = "transport=" + transportSSE
	}
	p, err := c.who.loadRoom(ctx, c.base, c.room.id, query)
	if err != nil {
		return err
	}
	if c.kind == kindSSE {
		if err := c.sse.fromPage(c.base, p); err != nil {
			return err
		}
	}
	c.amu.Lock()
	defer c.amu.Unlock()
	c.token, c.start, c.last = p.token, p.after, p.after
	c.lastSeen.Store(p.after)
	return nil
}

// reconnectable reports whether htmx-ext-ws 2.0.4 reopens a socket
// closed with code (1006 also stands for a dial that failed).
func reconnectable(code int) bool {
	switch code {
	case websocket.CloseAbnormalClosure, websocket.CloseInternalServerErr,
		websocket.CloseServiceRestart, websocket.CloseTryAgainLater:
		return true
	}
	return false
}

// backoff is htmx-ext-ws's "full-jitter" delay: a random wait up to
// 1s x 2^retries, retries capped at 6.
func backoff(retries int) time.Duration {
	return time.Duration(rand.Float64() * float64(time.Second<<min(retries, 6)))
}

// live keeps the client's socket open until ctx ends: dial, resume,
// read; after a close that htmx reopens, wait its backoff and dial
// again. An SSE client keeps its event stream open instead.
func (c *client) live(ctx context.Context) {
	if c.kind == kindSSE {
		c.liveSSE(ctx)
		return
	}
	defer c.finish()
	retries, fails := 0, 0
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if !sleep(ctx, backoff(retries)) {
				return
			}
			retries++
		}
		began := time.Now()
		ws, err := c.dial(ctx)
		if ctx.Err() != nil {
			if ws != nil {
				ws.Close()
			}
			return
		}
		if err != nil {
			// A browser sees a failed dial as a close with 1006.
			c.r.count.dialFailures.Add(1)
			if fails++; fails > c.r.opt.MaxRetries {
				c.r.count.gaveUp.Add(1)
				c.r.errs.add("conn %d (room %q): gave up after %d failed dials: %v", c.id, c.room.name, fails, err)
				return
			}
			continue
		}
		fails, retries = 0, 0
		if c.opens.Add(1) == 1 {
			c.r.connect.record(c.id, time.Since(began))
		} else {
			c.r.count.reconnects.Add(1)
		}
		c.amu.Lock()
		c.trace("open #%d, resume after %d", c.opens.Load(), c.last)
		c.amu.Unlock()
		code := c.serve(ctx, ws)
		if ctx.Err() != nil {
			return
		}
		c.amu.Lock()
		c.trace("closed with %d, holding Seq %d", code, c.last)
		c.amu.Unlock()
		switch code {
		case websocket.CloseTryAgainLater:
			c.r.count.evictions.Add(1)
		case websocket.CloseServiceRestart:
			c.r.count.restarts.Add(1)
		case websocket.CloseAbnormalClosure:
		default:
			c.r.count.otherCloses.Add(1)
		}
		if !reconnectable(code) {
			c.r.count.gaveUp.Add(1)
			if c.kind == kindSTOMP {
				c.r.errs.add("conn %d (room %q): STOMP socket closed with %d after ERROR %q; the tool reopens only what htmx would", c.id, c.room.name, code, c.stompErr)
			} else {
				c.r.errs.add("conn %d (room %q): closed with %d, which htmx does not reopen", c.id, c.room.name, code)
			}
			return
		}
	}
}

// finish marks the client ended.
func (c *client) finish() {
	c.ended.Store(true)
	c.openedOnce.Do(func() { close(c.opened) })
}

// dial opens the websocket with the page's cookies and Origin.
func (c *client) dial(ctx context.Context) (*websocket.Conn, error) {
	if c.kind == kindSTOMP {
		return c.dialSTOMP(ctx)
	}
	rcvbuf := 0
	if c.slow {
		rcvbuf = c.r.sc.SlowRcvBuf
	}
	d := websocket.Dialer{
		NetDialContext:   c.r.src.dialer(rcvbuf),
		HandshakeTimeout: 15 * time.Second,
		Jar:              c.who.jar,
		ReadBufferSize:   readBufferSize(c.r.sc),
		// The tool writes a few frames a second at most: a pool
		// shares the write buffers instead of keeping one per
		// connection (38 MB at -preset idle's 19,000).
		WriteBufferSize: 2048,
		WriteBufferPool: &c.r.writeBufs,
	}
	h := http.Header{"Origin": {c.base.String()}}
	ws, resp, err := d.DialContext(ctx, "ws://"+c.base.Host+"/ws/chat?room="+strconv.FormatInt(c.room.id, 10), h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	return ws, err
}

// Read buffers: gorilla keeps one per connection for the connection's
// life. A reader that falls behind finds several frames waiting, and one
// read system call, which costs microseconds on the test machine, takes
// at most a buffer: on an idle machine BenchmarkReadFrames reads a busy
// room's frames (13 KB) in 2.0 reads a frame at 4 KiB, 0.75 at 16 KiB,
// 0.22 at 64 KiB and 0.09 at 256 KiB, and spends the least CPU at 64 KiB.
const (
	// minReadBuffer is gorilla's default.
	minReadBuffer = 4 << 10
	maxReadBuffer = 64 << 10
	// readBuffers bounds all of a run's read buffers together: 64 KiB for
	// each of -preset idle's 19,000 connections would be 1.2 GB.
	readBuffers = 256 << 20
	// readAhead is how much of a connection's traffic its buffer should
	// hold: about what piles up while its reader waits for its turn on
	// two cores shared with a thousand other readers and the server.
	readAhead = 100 * time.Millisecond
	// fragmentSize is about what a message takes in a frame besides its
	// body (BenchmarkHandleFrame's frames: 537 bytes a message, 27 of
	// them the body).
	fragmentSize = 510
)

// readBufferSize is the read buffer for sc's connections: room for
// readAhead of the traffic each receives, between minReadBuffer and
// maxReadBuffer, in powers of two, and within readBuffers in all. Slow
// clients get the same: while paused they do not read at all, so what
// holds their backlog is the kernel's buffer (-slow-rcvbuf), not this.
func readBufferSize(sc scenario) int {
	perConn := sc.Rate / float64(max(sc.Rooms, 1)) * float64(fragmentSize+sc.BodySize) * readAhead.Seconds()
	size := minReadBuffer
	for size < maxReadBuffer && float64(size) < perConn && (2*size)*max(sc.Conns, 1) <= readBuffers {
		size *= 2
	}
	return size
}

// serve runs one open socket: the resume form first, as htmx sends it on
// open, then reading until it closes; it returns the close code.
func (c *client) serve(ctx context.Context, ws *websocket.Conn) int {
	if c.kind == kindSTOMP {
		return c.serveSTOMP(ctx, ws)
	}
	l := &link{ws: ws, down: make(chan struct{})}
	defer close(l.down)
	defer ws.Close()
	ws.SetReadLimit(maxPage)
	c.amu.Lock()
	after := c.last
	c.amu.Unlock()
	if err := l.write(resumeFrame(c.base, c.room.id, after)); err != nil {
		return websocket.CloseAbnormalClosure
	}
	if !c.opening(l) {
		return websocket.CloseGoingAway
	}

	code := c.read(ctx, ws)

	c.mu.Lock()
	c.cur = nil
	c.up = make(chan struct{})
	c.mu.Unlock()
	return code
}

// opening makes l the client's open socket, which its senders then
// write through, and notes the open; it reports false when the run has
// closed the client meanwhile.
func (c *client) opening(l *link) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.cur = l
	close(c.up)
	c.mu.Unlock()
	c.lastOpen.Store(int64(c.r.now()))
	c.openedOnce.Do(func() { close(c.opened) })
	return true
}

// read handles frames until the socket fails or closes.
func (c *client) read(ctx context.Context, ws *websocket.Conn) int {
	for {
		if c.slow {
			c.pause(ctx)
		}
		_, rd, err := ws.NextReader()
		if err == nil {
			c.buf, err = readAll(c.buf[:0], rd)
		}
		if err != nil {
			return closeCode(err)
		}
		c.handle(ctx, c.buf)
	}
}

// pause stops a slow client from reading during its pause.
func (c *client) pause(ctx context.Context) {
	now := c.r.now()
	from, until := time.Duration(c.pauseFrom.Load()), time.Duration(c.pauseUntil.Load())
	if until > 0 && now >= from && now < until {
		sleep(ctx, until-now)
	}
}

// readAll appends everything from rd to buf.
func readAll(buf []byte, rd io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// close ends the client's socket as a page that navigates away does
// (1001; an event stream's connection just closes); the client's
// goroutine then stops, since ctx has ended.
func (c *client) close() {
	c.mu.Lock()
	c.closed = true
	l := c.cur
	c.mu.Unlock()
	if l == nil {
		return
	}
	if l.ws == nil {
		l.conn.Close()
		return
	}
	l.wmu.Lock()
	_ = l.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(time.Second))
	l.wmu.Unlock()
	l.ws.Close()
}

// sleep waits d or until ctx ends, and reports whether ctx is still on.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
