package hub

import (
	"context"
	"time"
)

// write is the writer: it does what is due, in order of urgency, until
// nothing is, then ends. The room paces its messages, one event per
// WriteInterval holding all of them (see room.gather), so the writer
// writes what is queued as soon as it comes; after a write it stays for
// the rest of the interval, in which a busy room's next event comes.
func (c *Client) write() {
	cfg := c.hub.cfg
	// nap is the writer's timer for the rest of an interval, made at its
	// first nap and dropped with the writer.
	var nap *time.Timer
	defer func() {
		if nap != nil {
			nap.Stop()
		}
	}()
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
				c.close(CloseInternal, "try again")
			}
		case c.pingDue:
			c.pingDue = false
			c.mu.Unlock()
			if err := c.wire.Ping(); err != nil {
				c.close(CloseAbnormal, "")
			}
		case c.live && len(c.queue) > 0:
			batch := c.queue
			c.queue, c.spare, c.queued = c.spare, nil, 0
			c.urgent = false
			c.mu.Unlock()
			began := time.Now()
			if err := c.writeQueued(batch); err != nil {
				c.close(CloseAbnormal, "")
			}
			clear(batch)
			c.spare = batch[:0]
			// Stay for the rest of the interval: in a busy room more is
			// queued by then, and the same goroutine, its stack grown,
			// writes it instead of a new one.
			c.nap(time.Until(began.Add(cfg.WriteInterval)), &nap)
		default:
			// Idle: give the queue's memory back with the goroutine.
			c.writing, c.spare, c.frames, c.wake = false, nil, nil, nil
			if len(c.queue) == 0 {
				c.queue = nil
			}
			c.mu.Unlock()
			return
		}
	}
}

// nap waits out d, the rest of the writer's interval, unless something
// is queued meanwhile, which goes out at once: the room's next event, or
// the answer to what the peer sent (the fresh form after a post), which
// the person and their next send wait for.
func (c *Client) nap(d time.Duration, t **time.Timer) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	if c.urgent {
		c.mu.Unlock()
		return
	}
	if c.wake == nil {
		c.wake = make(chan struct{}, 1)
	}
	wake := c.wake
	c.mu.Unlock()
	if *t == nil {
		*t = time.NewTimer(d)
	} else {
		(*t).Reset(d)
	}
	select {
	case <-(*t).C:
	case <-wake:
		(*t).Stop()
	}
}

// finish closes the wire, unless the client is only leaving, and, for a
// subscription, takes the client out of its room.
func (c *Client) finish() {
	if !c.leaving {
		c.wire.Close(c.closeCode, c.closeText, c.closeNote)
	}
	if c.subscribed {
		c.hub.leave(c)
		c.hub.clients.Done()
		c.hub.stats.connections.Add(-1)
	}
	close(c.finished)
}

// writeQueued sends batch, skipping the messages the peer already holds
// (Seq <= shown), in one Send. A batch of one event the peer holds none
// of, the usual one in a busy room (the room gathers each interval's
// messages into one event), goes out as the bytes every page shares,
// framed once.
func (c *Client) writeQueued(batch []*outbound) error {
	frames := c.frames[:0]
	defer func() {
		clear(frames)
		c.frames = frames[:0]
	}()
	whole := 0
	var last *outbound
	for _, f := range batch {
		switch {
		case f.seq == 0 || f.first > c.shown:
			frames = append(frames, f.enc[c.format].frames...)
			whole++
			last = f
		case f.seq > c.shown:
			// The peer holds the first of these already (it caught up
			// meanwhile): the rest, encoded for it alone.
			rest, err := c.hub.encoders[c.format].Messages(c.member.Room, f.after(c.shown))
			if err != nil {
				return err
			}
			frames = append(frames, rest...)
		}
		c.shown = max(c.shown, f.seq)
	}
	if len(frames) == 0 {
		return nil
	}
	if whole == 1 && len(batch) == 1 && last.enc[c.format].framed != nil {
		if fw, ok := c.wire.(framedWire); ok {
			return fw.sendFramed(last.enc[c.format].framed)
		}
	}
	return c.wire.Send(frames)
}

// catchUp sends the peer what it missed since after and moves shown to
// the newest message it now holds. For a page, a gap larger than a page,
// a page that claims more than the store holds, or a late resume (after
// the connection went live) gets the whole log re-rendered instead.
func (c *Client) catchUp(after int64, late bool) error {
	// Not derived from c.ctx: a child context leaves a map in its parent
	// for as long as the parent lives, hundreds of bytes per connection.
	// A client that closes meanwhile has its reads finish or time out.
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.WriteWait)
	defer cancel()
	if c.complete {
		return c.catchUpAll(ctx, after)
	}
	src, room, size := c.hub.src, c.member.Room, c.hub.cfg.PageSize
	enc := c.hub.encoders[c.format]

	if !late && after >= 0 {
		msgs, err := src.After(ctx, room, after, size+1)
		if err != nil {
			return err
		}
		switch {
		case len(msgs) > 0 && len(msgs) <= size:
			frames, err := enc.Messages(room, msgs)
			if err != nil {
				return err
			}
			c.shown = msgs[len(msgs)-1].Seq
			return c.wire.Send(frames)
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
	frames, err := enc.Log(room, page)
	if err != nil {
		return err
	}
	c.shown = max(page.Newest(), c.shown)
	return c.wire.Send(frames)
}

// catchUpAll sends every stored message after the one the peer holds,
// in order, a page at a time. A peer that claims a message the store
// does not hold yet is sent what comes after the newest one stored.
func (c *Client) catchUpAll(ctx context.Context, after int64) error {
	src, room, size := c.hub.src, c.member.Room, c.hub.cfg.PageSize
	enc := c.hub.encoders[c.format]
	last, err := src.LastSeq(ctx, room)
	if err != nil {
		return err
	}
	after = min(after, last)
	for after < last {
		msgs, err := src.After(ctx, room, after, size)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			break
		}
		frames, err := enc.Messages(room, msgs)
		if err != nil {
			return err
		}
		if err := c.wire.Send(frames); err != nil {
			return err
		}
		after = msgs[len(msgs)-1].Seq
	}
	c.shown = max(c.shown, after)
	return nil
}
