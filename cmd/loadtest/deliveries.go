package main

import (
	"context"
	"fmt"
	"time"
)

// handle processes one frame from the server.
func (c *client) handle(ctx context.Context, b []byte) {
	// One clock reading for the frame: its messages arrived together, and
	// a reading per message was 6% of BenchmarkHandleFrame.
	now := c.r.now()
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
		c.replaceLog(ctx, f, now)
	} else {
		c.accept(f.items, false, now)
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
func (c *client) replaceLog(ctx context.Context, f *fragment, now time.Duration) {
	c.r.count.replacedLogs.Add(1)
	if len(f.items) == 0 {
		c.trace("log replaced: empty")
		return
	}
	oldest := f.items[0].seq
	lack := c.lowestMissing(oldest)
	c.trace("log replaced: Seq %d..%d (load older from %d), lowest missing %d", oldest, f.items[len(f.items)-1].seq, f.olderBefore, lack)
	c.accept(f.items, true, now)
	if f.olderBefore == 0 || lack == 0 {
		return
	}
	c.fills.Add(1)
	c.r.fills.Add(1)
	go func() {
		defer c.r.fills.Done()
		defer c.fills.Add(-1)
		older, err := c.who.loadOlder(ctx, c.base, c.room.id, oldest, lack-1)
		if err != nil && ctx.Err() == nil {
			c.r.errs.add("conn %d (room %q): load older: %v", c.id, c.room.name, err)
		}
		c.r.count.olderPages.Add(1)
		c.amu.Lock()
		defer c.amu.Unlock()
		c.trace("load older: %d messages from %d", len(older), lack)
		c.accept(older, true, c.r.now())
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

// accept takes messages shown to the client together, at now (one
// frame, or one "Load older" fill): each must show what every other
// connection saw under its Seq (the same text by the same author),
// arrive once, and arrive after every lower
// Seq. replaced is true for the messages of a replaced log or of "Load
// older". What the client shares with the others (the room's record,
// the histogram, the counters) it updates once for all of them: at a
// thousand readers on two cores, a shared lock or counter touched per
// message moves its cache line between the cores each time. c.amu is
// held.
func (c *client) accept(items []item, replaced bool, now time.Duration) {
	ss := c.shown[:0]
	for _, it := range items {
		msg, sched, _ := c.r.parseBody(it.body)
		ss = append(ss, shown{seq: it.seq, msg: msg, sched: sched, ident: identity(msg, it.author, it.body)})
	}
	c.room.note(ss)
	lats := c.lats[:0]
	last := c.last
	for i, it := range items {
		s := &ss[i]
		if s.first != s.ident {
			c.r.count.mismatches.Add(1)
			c.r.errs.add("room %q Seq %d: conn %d was shown %q by author %d, another connection something else", c.room.name, it.seq, c.id, it.body, it.author)
		}
		if s.msg >= 0 && c.r.msgs[s.msg].room != c.room {
			c.r.count.mismatches.Add(1)
			c.r.errs.add("conn %d (room %q): got message %d of room %q", c.id, c.room.name, s.msg, c.r.msgs[s.msg].room.name)
		}
		if !c.take(it.seq, replaced) || s.msg < 0 {
			continue
		}
		lats = append(lats, now-s.sched)
		if c.r.msgs[s.msg].marker {
			c.markerAt.Store(int64(now))
		}
	}
	if c.last != last {
		c.lastSeen.Store(c.last)
	}
	if len(lats) > 0 {
		if c.slow {
			c.r.slowLat.recordAll(c.id, lats)
		} else {
			c.r.lat.recordAll(c.id, lats)
			if c.r.sc.Transport == transportMixed {
				k := c.kind
				c.r.byTransport[k].recordAll(c.id, lats)
				c.r.tdeliveries[k].Add(int64(len(lats)))
			}
		}
		c.r.count.deliveries.Add(int64(len(lats)))
		c.r.count.lastDelivery.Store(int64(now))
	}
	c.shown, c.lats = ss[:0], lats[:0]
}

// take notes that the client received seq and reports whether it is
// new: not below the page's, and not received before. c.amu is held.
func (c *client) take(seq int64, replaced bool) bool {
	if seq <= c.start {
		return false
	}
	i := seq - c.start - 1
	if c.seen.has(i) {
		if !replaced {
			c.r.count.duplicates.Add(1)
			c.r.errs.add("conn %d (room %q): Seq %d delivered again", c.id, c.room.name, seq)
			c.trace("duplicate Seq %d", seq)
		}
		return false
	}
	switch {
	case seq < c.last && replaced:
		c.r.count.healed.Add(1)
	case seq < c.last:
		c.r.count.reorders.Add(1)
		c.r.errs.add("conn %d (room %q): Seq %d arrived after %d", c.id, c.room.name, seq, c.last)
		c.trace("Seq %d after %d", seq, c.last)
	case seq > c.last+1 && !replaced:
		c.r.count.liveGaps.Add(1)
		c.trace("gap: Seq %d after %d", seq, c.last)
	}
	c.seen.set(i)
	c.last = max(c.last, seq)
	return true
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
