package hub

import (
	"context"
	"sync"
	"time"
)

// Client is one subscriber of one room: a page connected through Attach,
// or a subscription of another transport made with Subscribe. It owns a
// bounded queue of events and the writer that sends them through its
// Wire.
//
// An idle subscriber costs no goroutine of its own. The writer is a
// goroutine that runs only while there is something to write (queued
// events, a catch-up, a ping or the close) and ends when there is none,
// so that thousands of quiet subscribers hold no writer stacks, timers or
// queues. At most one writer runs at a time: writing says whether one
// does, and only the goroutine that sets it starts one.
type Client struct {
	hub    *Hub
	wire   Wire
	format Format
	member Member
	// room is set when the client joined.
	room *room
	// slot spreads the room's pings over PingPeriod.
	slot int
	// subscribed is set for a Client made by Subscribe: its writer takes
	// it out of its room as it ends, since no read loop of the hub's does.
	subscribed bool

	// mu guards the fields up to finished.
	mu sync.Mutex
	// queue holds the events waiting for the writer, and queued counts
	// the messages (or other events) they hold, at most QueueSize:
	// senders never block on it, and a full queue evicts the client.
	queue  []*outbound
	queued int
	// writing is true while a writer goroutine runs.
	writing bool
	// live is set once the peer said which message it holds (or
	// ResumeWait passed): queued events wait for it, so that what the
	// peer missed goes out before them.
	live bool
	// resumeDue is set when the peer asked for a catch-up the writer has
	// yet to do: resumeAfter is the Seq it holds, resumeLate says it came
	// after the connection went live.
	resumeDue   bool
	resumeLate  bool
	resumeAfter int64
	// complete makes a catch-up send every stored message after the one
	// the peer holds, page by page, where a page (htmx) gets its log
	// re-rendered when it missed more than a page.
	complete bool
	// resumeTimer makes the connection live after ResumeWait.
	resumeTimer *time.Timer
	// pingDue is set when the writer is to send a ping.
	pingDue bool
	// urgent is set when an event is queued, which the writer sends
	// without waiting out its interval; wake, while the writer naps,
	// tells it so.
	urgent bool
	wake   chan struct{}
	// closing is set when the client must end; closeCode and closeText
	// say how the writer closes its wire, unless leaving is set: the
	// client then only leaves its room (an unsubscribe).
	closing   bool
	leaving   bool
	closeCode int
	closeText string
	// closeNote, when set, is sent just before the close.
	closeNote [][]byte

	// ctx ends when the client ends; Receivers use it for the work they
	// do on the client's behalf. It is made on first use: most
	// connections never post, and it costs a couple of hundred bytes.
	ctx    context.Context
	cancel context.CancelFunc

	// finished is closed once the writer closed the wire (or, for a
	// subscription, left the room).
	finished chan struct{}

	// The writer's own state, handed from one writer to the next through
	// mu. shown is the Seq of the newest message the peer holds; spare is
	// the slice the previous batch used, swapped with queue, and frames
	// the one it gathered frames in.
	shown  int64
	spare  []*outbound
	frames [][]byte
}

func newClient(h *Hub, w Wire, m Member) *Client {
	return &Client{
		hub:      h,
		wire:     w,
		format:   w.Format(),
		member:   m,
		finished: make(chan struct{}),
	}
}

// Member returns who the client belongs to.
func (c *Client) Member() Member { return c.member }

// Done is closed once the client has ended: it left its room, and its
// wire was closed unless it left by Leave.
func (c *Client) Done() <-chan struct{} { return c.finished }

// Context returns a context that ends when the client ends.
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

// Reply sends data, one frame in the client's format, to this client
// only, without waiting out the writer's interval. It never blocks.
//
// A reply waits for the messages its room gathered for its next write,
// which go out before it: a sender's page shows its message before the
// fresh form that answers the send.
func (c *Client) Reply(data []byte) {
	f := c.hub.reply(c.format, [][]byte{data})
	if c.room != nil && c.room.park(c, f) {
		return
	}
	c.sendReply(f)
}

// sendReply queues the reply f and wakes the writer for it.
func (c *Client) sendReply(f *outbound) { c.enqueue(f) }

// Resume tells the client which message the peer holds last, so that it
// sends what the peer missed before going live. A page's resume after
// the connection went live (the page sent it late, or twice) gets the
// whole log re-rendered instead.
func (c *Client) Resume(after int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.resumeDue, c.resumeLate, c.resumeAfter = true, c.live, after
	c.goLiveLocked()
}

// Leave takes the client out of its room without closing its wire (an
// unsubscribe): once it returns, nothing more is sent through the wire.
func (c *Client) Leave() {
	c.mu.Lock()
	if !c.closing {
		c.leaving = true
		c.closeLocked(CloseNormal, "")
	}
	c.mu.Unlock()
	<-c.finished
}

// waitForResume makes the connection live after ResumeWait if the page
// has not resumed by then.
func (c *Client) waitForResume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.live {
		return
	}
	c.resumeTimer = time.AfterFunc(c.hub.cfg.ResumeWait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.goLiveLocked()
	})
}

// goLiveLocked lets queued events go out. c.mu is held.
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

// enqueue queues fs without blocking and evicts the client when its
// queue would hold more than QueueSize messages (or other events).
func (c *Client) enqueue(fs ...*outbound) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	n := 0
	for _, f := range fs {
		n += f.weight()
	}
	if c.queued+n > c.hub.cfg.QueueSize {
		c.hub.stats.evictions.Add(1)
		c.hub.log.Info("slow consumer evicted", "room", c.member.Room, "user", c.member.User.ID, "queued", c.queued)
		c.closeLocked(CloseTryLater, "too slow; reconnect")
		return
	}
	c.queue = append(c.queue, fs...)
	c.queued += n
	c.hub.stats.deliveries.Add(int64(n))
	// The room paces its messages (see room.gather), so what comes is
	// written at once, by a napping writer too.
	c.urgent = true
	if c.wake != nil {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	c.wakeLocked()
}

// close asks the writer to close the wire with code; the first call
// wins.
func (c *Client) close(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, text)
}

// evict closes the wire with ClosePolicy, sending note first: whatever
// was queued is dropped, so nothing more of the room reaches it.
func (c *Client) evict(note [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closeNote = note
	c.closeLocked(ClosePolicy, "ended")
}

// closeLocked is close with c.mu held.
func (c *Client) closeLocked(code int, text string) {
	if c.closing {
		return
	}
	c.closing, c.closeCode, c.closeText = true, code, text
	c.queue, c.queued = nil, 0
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

// silentFor reports how long the peer has sent nothing.
func (c *Client) silentFor(now time.Time) time.Duration {
	return now.Sub(c.wire.LastHeard())
}
