package hub

import (
	"bufio"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// outbound is one frame queued to a connection.
type outbound struct {
	// seq is the Seq of the message the frame shows, or 0 for frames that
	// carry no message (presence, replies to the sender).
	seq int64
	// data is the rendered HTML.
	data []byte
	// pm is data framed once for all recipients; nil for a frame to one
	// connection.
	pm *websocket.PreparedMessage
}

// Client is one websocket connection of one member to one room.
//
// An idle connection costs one goroutine, its read loop. The writer is a
// goroutine that runs only while there is something to write (queued
// frames, a catch-up, a ping or the close) and ends when there is none,
// so that thousands of quiet sockets hold no writer stacks, timers or
// queues. At most one writer runs at a time: writing says whether one
// does, and only the goroutine that sets it starts one.
type Client struct {
	hub    *Hub
	conn   *websocket.Conn
	member Member
	// room is set when the client joined.
	room *room
	// slot spreads the room's pings over PingPeriod.
	slot int
	// lastHeard is when the client last sent a frame or a pong, in Unix
	// nanoseconds.
	lastHeard atomic.Int64
	// br is the connection's read buffer and raw its socket, for
	// idleWait; raw is nil when the socket offers no raw access.
	br  *bufio.Reader
	raw syscall.RawConn

	// mu guards the fields up to finished.
	mu sync.Mutex
	// queue holds the frames waiting for the writer, at most QueueSize:
	// senders never block on it, and a full queue evicts the client.
	queue []*outbound
	// writing is true while a writer goroutine runs.
	writing bool
	// live is set once the page said which message it holds (or
	// ResumeWait passed): queued frames wait for it, so that what the
	// page missed goes out before them.
	live bool
	// resumeDue is set when the page sent a resume the writer has yet to
	// act on: resumeAfter is the Seq it holds, resumeLate says it came
	// after the connection went live.
	resumeDue   bool
	resumeLate  bool
	resumeAfter int64
	// resumeTimer makes the connection live after ResumeWait.
	resumeTimer *time.Timer
	// pingDue is set when the writer is to send a ping.
	pingDue bool
	// closing is set when the connection must end; closeCode and
	// closeText say how the writer closes it.
	closing   bool
	closeCode int
	closeText string
	// closeNote, when set, is sent just before the close frame.
	closeNote []byte

	// ctx ends when the connection closes; Receivers use it for the work
	// they do on the client's behalf. It is made on first use: most
	// connections never post, and it costs a couple of hundred bytes.
	ctx    context.Context
	cancel context.CancelFunc

	// finished is closed once the writer closed the connection.
	finished chan struct{}

	// The writer's own state, handed from one writer to the next through
	// mu. shown is the Seq of the newest message the page holds; spare is
	// the slice the previous batch used, swapped with queue.
	shown int64
	spare []*outbound
}

func newClient(h *Hub, ws *websocket.Conn, m Member) *Client {
	c := &Client{
		hub:      h,
		conn:     ws,
		member:   m,
		finished: make(chan struct{}),
	}
	// The upgrade was the first thing heard.
	c.heard()
	return c
}

// Member returns who the connection belongs to.
func (c *Client) Member() Member { return c.member }

// Context returns a context that ends when the connection closes.
func (c *Client) Context() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithCancel(context.Background())
		if c.closing {
			c.cancel()
		}
	}
	return c.ctx
}

// Reply sends data, rendered HTML, to this client only. It never blocks.
func (c *Client) Reply(data []byte) {
	// One recipient: framed when written, not prepared for many.
	c.enqueue(&outbound{data: data})
}

// Resume tells the client which message the page holds last, so that it
// sends what the page missed before going live. A resume after the
// connection went live (the page sent it late, or twice) gets the whole
// log re-rendered instead.
func (c *Client) Resume(after int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.resumeDue, c.resumeLate, c.resumeAfter = true, c.live, after
	c.goLiveLocked()
}

// waitForResume makes the connection live after ResumeWait if the page
// has not resumed by then.
func (c *Client) waitForResume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.resumeTimer = time.AfterFunc(c.hub.cfg.ResumeWait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.goLiveLocked()
	})
}

// goLiveLocked lets queued frames go out. c.mu is held.
func (c *Client) goLiveLocked() {
	c.live = true
	c.stopResumeTimerLocked()
	c.wakeLocked()
}

// stopResumeTimerLocked drops the ResumeWait timer, which is needed no
// more. c.mu is held.
func (c *Client) stopResumeTimerLocked() {
	if c.resumeTimer != nil {
		c.resumeTimer.Stop()
		c.resumeTimer = nil
	}
}

// ping asks the writer to send a ping.
func (c *Client) ping() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pingDue = true
	c.wakeLocked()
}

// enqueue queues f without blocking and evicts the client when its queue
// is full.
func (c *Client) enqueue(f *outbound) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	if len(c.queue) >= c.hub.cfg.QueueSize {
		c.hub.stats.evictions.Add(1)
		c.hub.log.Info("slow consumer evicted", "room", c.member.Room, "user", c.member.User.ID, "queued", len(c.queue))
		c.closeLocked(websocket.CloseTryAgainLater, "too slow; reconnect")
		return
	}
	c.queue = append(c.queue, f)
	c.hub.stats.deliveries.Add(1)
	c.wakeLocked()
}

// close asks the writer to close the connection with code; the first
// call wins.
func (c *Client) close(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, text)
}

// evict closes the connection with 1008, sending note first: whatever
// was queued is dropped, so nothing more of the room reaches it.
func (c *Client) evict(note []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closeNote = note
	c.closeLocked(websocket.ClosePolicyViolation, "ended")
}

// closeLocked is close with c.mu held.
func (c *Client) closeLocked(code int, text string) {
	if c.closing {
		return
	}
	c.closing, c.closeCode, c.closeText = true, code, text
	c.queue = nil
	c.stopResumeTimerLocked()
	if c.cancel != nil {
		c.cancel()
	}
	c.wakeLocked()
}

// wakeLocked starts a writer when there is work for one and none runs.
// c.mu is held.
func (c *Client) wakeLocked() {
	if c.writing {
		return
	}
	if c.closing || c.pingDue || c.resumeDue || (c.live && len(c.queue) > 0) {
		c.writing = true
		go c.write()
	}
}

// readLoop hands every received message to recv until the connection
// fails or closes, then calls done. It is the goroutine that lives as
// long as the connection, and it stays at the smallest stack Go gives a
// goroutine (2 KiB; BenchmarkIdleConnection): it only waits for the
// socket (idleWait) and drops pongs (skipPong), both shallow calls.
// Reading a message through gorilla/websocket goes about 1.2 KiB deep,
// enough to double a stack for good (a stack shrinks only when it uses
// under a quarter), so that and handling the message happen on a
// goroutine of their own, which takes its grown stack with it.
//
// It sets no read deadline either, for the same reason: moving one arms
// a runtime timer. The room's pinger instead drops a connection that
// has sent nothing, pongs included, for PongWait (see room.ping).
func (c *Client) readLoop(recv Receiver, done func()) {
	c.conn.SetReadLimit(c.hub.cfg.MaxFrame)
	c.conn.SetPongHandler(c.pong)
	for {
		c.idleWait()
		if c.skipPong() {
			continue
		}
		if !c.readOne(recv) {
			done()
			return
		}
	}
}

// readOne reads the next message and hands it to recv, on a goroutine of
// its own, and waits: messages are still handled one at a time, in
// order. It reports false once the connection failed or closed.
func (c *Client) readOne(recv Receiver) bool {
	ok := make(chan bool)
	go func() {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.readFailed(err)
			ok <- false
			return
		}
		c.heard()
		recv(c, data)
		ok <- true
	}()
	return <-ok
}

// skipPong drops a pong at the head of the read buffer, noting it as
// heard, and reports whether it did. Left to gorilla/websocket, a pong
// would be handled inside its wait for the next message, deep in the
// read loop's stack (see readLoop). A pong from a browser is one
// unfragmented frame: FIN and opcode 0xA, then the mask bit and a
// length of at most 125, the 4-byte mask and the payload. Anything else
// is left to gorilla/websocket.
func (c *Client) skipPong() bool {
	if c.br == nil {
		return false
	}
	h, err := c.br.Peek(2)
	if err != nil || h[0] != 0x8A || h[1]&0x80 == 0 || h[1]&0x7F > 125 {
		return false
	}
	n := 2 + 4 + int(h[1]&0x7F)
	if _, err := c.br.Peek(n); err != nil {
		return false
	}
	_, _ = c.br.Discard(n)
	c.heard()
	return true
}

// readFailed closes the connection after a failed read, with 1009 when
// the client sent a frame over MaxFrame.
func (c *Client) readFailed(err error) {
	code := websocket.CloseNormalClosure
	if errors.Is(err, websocket.ErrReadLimit) {
		code = websocket.CloseMessageTooBig
	}
	if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived) {
		c.hub.log.Debug("read", "room", c.member.Room, "err", err)
	}
	c.close(code, "")
}

// pong is the pong handler: a pong is something heard.
func (c *Client) pong(string) error {
	c.heard()
	return nil
}

// heard notes that the client sent something.
func (c *Client) heard() { c.lastHeard.Store(time.Now().UnixNano()) }

// silentFor reports how long the client has sent nothing.
func (c *Client) silentFor(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, c.lastHeard.Load()))
}

// write is the writer: it does what is due, in order of urgency, until
// nothing is, then ends. After a batch of queued frames it waits until
// WriteInterval has passed since that batch began before taking the
// next, so that a busy room sends each connection several messages per
// frame and system call instead of one each, while the first message
// after a quiet spell goes out at once.
func (c *Client) write() {
	cfg := c.hub.cfg
	for {
		c.mu.Lock()
		switch {
		case c.closing:
			c.mu.Unlock()
			c.finish()
			// writing stays set: no writer starts after this one.
			return
		case c.resumeDue:
			after, late := c.resumeAfter, c.resumeLate
			c.resumeDue = false
			c.mu.Unlock()
			if err := c.catchUp(after, late); err != nil {
				c.hub.log.Warn("catch up", "room", c.member.Room, "err", err)
				c.close(websocket.CloseInternalServerErr, "try again")
			}
		case c.pingDue:
			c.pingDue = false
			c.mu.Unlock()
			_ = c.conn.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
			}
		case c.live && len(c.queue) > 0:
			batch := c.queue
			c.queue, c.spare = c.spare, nil
			c.mu.Unlock()
			began := time.Now()
			if err := c.writeQueued(batch); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
			}
			clear(batch)
			c.spare = batch[:0]
			// Stay for the rest of the interval: in a busy room more is
			// queued by then, and the same goroutine, its stack grown,
			// writes it instead of a new one. A writer that ends has
			// waited out the interval, so the next one may write at once.
			time.Sleep(time.Until(began.Add(cfg.WriteInterval)))
		default:
			// Idle: give the queue's memory back with the goroutine.
			c.writing, c.spare = false, nil
			if len(c.queue) == 0 {
				c.queue = nil
			}
			c.mu.Unlock()
			return
		}
	}
}

// finish sends the close frame, unless the connection already failed,
// and closes the connection.
func (c *Client) finish() {
	if c.closeNote != nil {
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
		_ = c.conn.WriteMessage(websocket.TextMessage, c.closeNote)
	}
	if c.closeCode != websocket.CloseAbnormalClosure {
		msg := websocket.FormatCloseMessage(c.closeCode, c.closeText)
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.hub.cfg.WriteWait))
	}
	c.conn.Close()
	close(c.finished)
}

// writeQueued sends batch, skipping messages the page already holds (Seq
// <= shown). One frame alone goes out as it was framed for everyone;
// several are joined into one websocket frame, which htmx swaps element
// by element, so a busy room costs one write per batch instead of one
// per message.
func (c *Client) writeQueued(batch []*outbound) error {
	n := 0
	for _, f := range batch {
		if f.seq == 0 || f.seq > c.shown {
			batch[n] = f
			n++
			c.shown = max(c.shown, f.seq)
		}
	}
	batch = batch[:n]
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
	switch len(batch) {
	case 0:
		return nil
	case 1:
		if batch[0].pm == nil {
			return c.conn.WriteMessage(websocket.TextMessage, batch[0].data)
		}
		return c.conn.WritePreparedMessage(batch[0].pm)
	}
	w, err := c.conn.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	for _, f := range batch {
		if _, err := w.Write(f.data); err != nil {
			return err
		}
	}
	return w.Close()
}

// catchUp sends the page what it missed since after and moves shown to
// the newest message the page now holds. A gap larger than a page, a
// page that claims more than the store holds, or a late resume (after
// the connection went live) gets the whole log re-rendered instead.
func (c *Client) catchUp(after int64, late bool) error {
	// Not derived from c.ctx: a child context leaves a map in its parent
	// for as long as the parent lives, hundreds of bytes per connection.
	// A client that closes meanwhile has its reads finish or time out.
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.WriteWait)
	defer cancel()
	src, room, size := c.hub.src, c.member.Room, c.hub.cfg.PageSize

	if !late && after >= 0 {
		msgs, err := src.After(ctx, room, after, size+1)
		if err != nil {
			return err
		}
		switch {
		case len(msgs) > 0 && len(msgs) <= size:
			data, err := c.hub.render.Messages(room, msgs)
			if err != nil {
				return err
			}
			c.shown = msgs[len(msgs)-1].Seq
			return c.writeData(data)
		case len(msgs) == 0:
			last, err := src.LastSeq(ctx, room)
			if err != nil {
				return err
			}
			if after <= last {
				c.shown = after
				return nil
			}
		}
	}
	page, err := src.Before(ctx, room, 0, size)
	if err != nil {
		return err
	}
	data, err := c.hub.render.Log(room, page)
	if err != nil {
		return err
	}
	c.shown = max(page.Newest(), c.shown)
	return c.writeData(data)
}

// writeData frames data for this connection alone and sends it.
func (c *Client) writeData(data []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
	return c.conn.WriteMessage(websocket.TextMessage, data)
}
