package main

import (
	"context"
	"fmt"
)

// handle processes one frame from the server.
func (c *client) handle(ctx context.Context, b []byte) {
	f := &c.frag
	if err := parseFragment(b, f); err != nil {
		c.r.errs.add("conn %d (room %q): unreadable frame: %v", c.id, c.room.name, err)
		return
	}
	if len(f.items) > 0 {
		c.r.count.frames.Add(1)
		c.r.count.frameBytes.Add(int64(len(b)))
	}
	c.amu.Lock()
	if f.replaced {
		c.replaceLog(ctx, f)
	} else {
		for _, it := range f.items {
			c.accept(it, false)
		}
	}
	c.amu.Unlock()
	if f.token != "" {
		c.answer(reply{token: f.token})
	}
	if f.refusal != "" {
		c.answer(reply{refusal: f.refusal})
	}
}

// answer hands the server's answer to a send to the sender.
func (c *client) answer(rep reply) {
	select {
	case c.replies <- rep:
	default:
		c.r.errs.add("conn %d: an answer to a send nobody waits for: %+v", c.id, rep)
	}
}

// replaceLog handles a frame that replaces the whole log: the page
// missed more than a page of messages, or its resume came after the
// socket had gone live. It takes the page, and, as a person would click
// "Load older" down to the oldest message they lack, fetches those
// pages; meanwhile the socket keeps being read, as a browser's is (a
// reader stuck in HTTP would miss the server's pings and be dropped).
// Messages the page had already are not duplicates: the log was
// replaced, not appended to; and a hole the replaced log fills is
// healed, not a loss. c.amu is held.
func (c *client) replaceLog(ctx context.Context, f *fragment) {
	c.r.count.replacedLogs.Add(1)
	if len(f.items) == 0 {
		c.trace("log replaced: empty")
		return
	}
	oldest := f.items[0].seq
	lack := c.lowestMissing(oldest)
	c.trace("log replaced: Seq %d..%d (load older from %d), lowest missing %d", oldest, f.items[len(f.items)-1].seq, f.olderBefore, lack)
	for _, it := range f.items {
		c.accept(it, true)
	}
	if f.olderBefore == 0 || lack == 0 {
		return
	}
	c.fills.Add(1)
	c.r.fills.Add(1)
	go func() {
		defer c.r.fills.Done()
		defer c.fills.Add(-1)
		older, err := c.who.loadOlder(ctx, c.r.base, c.room.id, oldest, lack-1)
		if err != nil && ctx.Err() == nil {
			c.r.errs.add("conn %d (room %q): load older: %v", c.id, c.room.name, err)
		}
		c.r.count.olderPages.Add(1)
		c.amu.Lock()
		defer c.amu.Unlock()
		c.trace("load older: %d messages from %d", len(older), lack)
		for _, it := range older {
			c.accept(it, true)
		}
	}()
}

// lowestMissing returns the lowest Seq after the page's first one and
// below before that the client lacks, or 0. c.amu is held.
func (c *client) lowestMissing(before int64) int64 {
	for seq := c.start + 1; seq < before; seq++ {
		if !c.seen.has(seq - c.start - 1) {
			return seq
		}
	}
	return 0
}

// accept takes one message shown to the client: it must show what every
// other connection saw under that Seq, arrive once, and arrive after
// every lower Seq. replaced is true for a message of a replaced log or
// of "Load older". c.amu is held.
func (c *client) accept(it item, replaced bool) {
	msg, sched, ours := c.r.parseBody(it.body)
	ident := identity(msg, it.body)
	if first := c.room.note(it.seq, ident); first != ident {
		c.r.count.mismatches.Add(1)
		c.r.errs.add("room %q Seq %d: conn %d was shown %q, another connection something else", c.room.name, it.seq, c.id, it.body)
	}
	if ours && c.r.msgs[msg].room != c.room {
		c.r.count.mismatches.Add(1)
		c.r.errs.add("conn %d (room %q): got message %d of room %q", c.id, c.room.name, msg, c.r.msgs[msg].room.name)
	}
	if it.seq <= c.start {
		return
	}
	i := it.seq - c.start - 1
	if c.seen.has(i) {
		if !replaced {
			c.r.count.duplicates.Add(1)
			c.r.errs.add("conn %d (room %q): Seq %d delivered again", c.id, c.room.name, it.seq)
			c.trace("duplicate Seq %d", it.seq)
		}
		return
	}
	switch {
	case it.seq < c.last && replaced:
		c.r.count.healed.Add(1)
	case it.seq < c.last:
		c.r.count.reorders.Add(1)
		c.r.errs.add("conn %d (room %q): Seq %d arrived after %d", c.id, c.room.name, it.seq, c.last)
		c.trace("Seq %d after %d", it.seq, c.last)
	case it.seq > c.last+1 && !replaced:
		c.r.count.liveGaps.Add(1)
		c.trace("gap: Seq %d after %d", it.seq, c.last)
	}
	c.seen.set(i)
	if it.seq > c.last {
		c.last = it.seq
		c.lastSeen.Store(it.seq)
	}
	if ours {
		now := c.r.now()
		if c.slow {
			c.r.slowLat.record(c.id, now-sched)
		} else {
			c.r.lat.record(c.id, now-sched)
		}
		if c.r.msgs[msg].marker {
			c.markerAt.Store(int64(now))
		}
		c.r.count.deliveries.Add(1)
		c.r.count.lastDelivery.Store(int64(now))
	}
}

// traceLen is how many events a client keeps for the report.
const traceLen = 24

// trace notes an event in the client's trail, which the report prints
// for a connection that lost messages. c.amu is held.
func (c *client) trace(format string, args ...any) {
	e := fmt.Sprintf("%8.3fs ", c.r.now().Seconds()) + fmt.Sprintf(format, args...)
	if len(c.trail) == traceLen {
		copy(c.trail, c.trail[1:])
		c.trail = c.trail[:traceLen-1]
	}
	c.trail = append(c.trail, e)
}
