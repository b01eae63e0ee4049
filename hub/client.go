package hub

import (
	"context"
	"errors"
	"sync"
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

// Client is one websocket connection of one member to one room. It has
// exactly two goroutines: the read loop, which runs in the HTTP handler,
// and the write loop, the only writer of the connection.
type Client struct {
	hub    *Hub
	conn   *websocket.Conn
	member Member
	// room is set when the client joined.
	room *room

	// send is the bounded queue of frames for the write loop. Senders
	// never block on it: a full queue evicts the client.
	send chan *outbound
	// resume carries the Seq of the newest message the page holds, sent
	// by the page when its socket opens.
	resume chan int64
	// batch is the write loop's reusable slice for writeQueued.
	batch []*outbound

	// ctx ends when the connection closes; Receivers use it for the work
	// they do on the client's behalf.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	// done is closed when the connection must end; closeCode and
	// closeText say how the write loop closes it.
	done      chan struct{}
	closeCode int
	closeText string
}

func newClient(h *Hub, ws *websocket.Conn, m Member) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{
		hub:    h,
		conn:   ws,
		member: m,
		send:   make(chan *outbound, h.cfg.QueueSize),
		resume: make(chan int64, 1),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
}

// Member returns who the connection belongs to.
func (c *Client) Member() Member { return c.member }

// Context returns a context that ends when the connection closes.
func (c *Client) Context() context.Context { return c.ctx }

// Reply sends data, rendered HTML, to this client only. It never blocks.
func (c *Client) Reply(data []byte) {
	// One recipient: framed when written, not prepared for many.
	c.enqueue(&outbound{data: data})
}

// Resume tells the client which message the page holds last, so that it
// sends what the page missed before going live. Only the first call of a
// connection counts at once; a later one re-renders the whole log.
func (c *Client) Resume(after int64) {
	select {
	case c.resume <- after:
	default:
	}
}

// enqueue queues f without blocking and evicts the client when its queue
// is full.
func (c *Client) enqueue(f *outbound) {
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.send <- f:
		c.hub.stats.deliveries.Add(1)
	default:
		c.hub.stats.evictions.Add(1)
		c.hub.log.Info("slow consumer evicted", "room", c.member.Room, "user", c.member.User.ID, "queued", len(c.send))
		c.close(websocket.CloseTryAgainLater, "too slow; reconnect")
	}
}

// close asks the write loop to close the connection with code; the first
// call wins.
func (c *Client) close(code int, text string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.done)
		c.cancel()
	})
}

// readLoop hands every received frame to recv until the connection fails
// or closes.
func (c *Client) readLoop(recv Receiver) {
	cfg := c.hub.cfg
	c.conn.SetReadLimit(cfg.MaxFrame)
	_ = c.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	})
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			code := websocket.CloseNormalClosure
			if errors.Is(err, websocket.ErrReadLimit) {
				code = websocket.CloseMessageTooBig
			}
			if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived) {
				c.hub.log.Debug("read", "room", c.member.Room, "err", err)
			}
			c.close(code, "")
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
		recv(c, data)
	}
}

// writeLoop is the connection's only writer. It first waits for the page
// to say what it holds (or for ResumeWait), sends what the page missed,
// then the queued frames, skipping messages the page already has.
func (c *Client) writeLoop() {
	cfg := c.hub.cfg
	ping := time.NewTicker(cfg.PingPeriod)
	defer ping.Stop()
	defer c.conn.Close()

	wait := time.NewTimer(cfg.ResumeWait)
	defer wait.Stop()
	live := false
	// shown is the Seq of the newest message the page holds.
	var shown int64

	for {
		var queue chan *outbound
		if live {
			queue = c.send
		}
		select {
		case after := <-c.resume:
			var err error
			if shown, err = c.catchUp(after, shown, live); err != nil {
				c.hub.log.Warn("catch up", "room", c.member.Room, "err", err)
				c.close(websocket.CloseInternalServerErr, "try again")
				continue
			}
			live = true
		case <-wait.C:
			live = true
		case f := <-queue:
			var err error
			if shown, err = c.writeQueued(f, shown); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-ping.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-c.done:
			if c.closeCode != websocket.CloseAbnormalClosure {
				msg := websocket.FormatCloseMessage(c.closeCode, c.closeText)
				_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(cfg.WriteWait))
			}
			return
		}
	}
}

// maxBatch bounds how many queued frames go out in one websocket frame.
const maxBatch = 64

// writeQueued sends f and whatever else is queued behind it, skipping
// messages the page already holds (Seq <= shown), and returns the Seq of
// the newest message the page now holds. One frame alone goes out as it
// was framed for everyone; several are joined into one websocket frame,
// which htmx swaps element by element, so a busy room costs one write
// per batch instead of one per message.
func (c *Client) writeQueued(f *outbound, shown int64) (int64, error) {
	batch := c.batch[:0]
	for {
		if f.seq == 0 || f.seq > shown {
			batch = append(batch, f)
			shown = max(shown, f.seq)
		}
		if len(batch) == maxBatch || len(c.send) == 0 {
			break
		}
		f = <-c.send
	}
	c.batch = batch[:0]
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
	switch len(batch) {
	case 0:
		return shown, nil
	case 1:
		if batch[0].pm == nil {
			return shown, c.conn.WriteMessage(websocket.TextMessage, batch[0].data)
		}
		return shown, c.conn.WritePreparedMessage(batch[0].pm)
	}
	w, err := c.conn.NextWriter(websocket.TextMessage)
	if err != nil {
		return shown, err
	}
	for _, f := range batch {
		if _, err := w.Write(f.data); err != nil {
			return shown, err
		}
	}
	return shown, w.Close()
}

// catchUp sends the page what it missed since after and returns the Seq
// of the newest message the page now holds. A gap larger than a page, a
// page that claims more than the store holds, or a resume after the
// connection already went live gets the whole log re-rendered instead.
func (c *Client) catchUp(after, shown int64, live bool) (int64, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.hub.cfg.WriteWait)
	defer cancel()
	src, room, size := c.hub.src, c.member.Room, c.hub.cfg.PageSize

	if !live && after >= 0 {
		msgs, err := src.After(ctx, room, after, size+1)
		if err != nil {
			return shown, err
		}
		switch {
		case len(msgs) > 0 && len(msgs) <= size:
			data, err := c.hub.render.Messages(room, msgs)
			if err != nil {
				return shown, err
			}
			return msgs[len(msgs)-1].Seq, c.writeData(data)
		case len(msgs) == 0:
			last, err := src.LastSeq(ctx, room)
			if err != nil {
				return shown, err
			}
			if after <= last {
				return after, nil
			}
		}
	}
	page, err := src.Before(ctx, room, 0, size)
	if err != nil {
		return shown, err
	}
	data, err := c.hub.render.Log(room, page)
	if err != nil {
		return shown, err
	}
	return max(page.Newest(), shown), c.writeData(data)
}

// writeData frames data for this connection alone and sends it.
func (c *Client) writeData(data []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
	return c.conn.WriteMessage(websocket.TextMessage, data)
}
