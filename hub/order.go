package hub

import (
	"context"
	"time"

	"hxchat/chat"
)

// post shows the message event f to the members in Seq order and
// returns once f is queued to each of them (or waits for a predecessor):
// a sender's own page gets its message before the reply to the send.
//
// The posters of a busy room (a group commit releases dozens at once)
// would otherwise queue on the room's lock, each for a fan-out of its
// own, and one that lost its CPU while it held the lock would hold up
// all the others. Instead each adds its event to the inbox, under a lock
// held for an append; the first finds no dispatcher and becomes it,
// taking the whole inbox at a time, ordering it and queueing it to each
// member under one lock of the member's, while the others wait for their
// batch to be done. A dispatcher that finds more after its own batch
// hands the rest to a goroutine, so that no sender waits for others'
// messages.
func (r *room) post(f *outbound) {
	r.inMu.Lock()
	r.inbox = append(r.inbox, f)
	if r.dispatching {
		if r.inDone == nil {
			r.inDone = make(chan struct{})
		}
		done := r.inDone
		r.inMu.Unlock()
		<-done
		return
	}
	r.dispatching = true
	r.inMu.Unlock()
	if r.dispatchBatch() {
		go r.dispatch()
	}
}

// dispatch shows what the inbox holds, batch after batch, until it is
// empty.
func (r *room) dispatch() {
	for r.dispatchBatch() {
	}
}

// dispatchBatch shows the inbox's events and reports whether more came
// meanwhile; when none did, the room has no dispatcher any more.
func (r *room) dispatchBatch() (more bool) {
	r.inMu.Lock()
	batch, done := r.inbox, r.inDone
	r.inbox, r.spareInbox, r.inDone = r.spareInbox, nil, nil
	r.inMu.Unlock()

	r.deliver(batch...)
	if done != nil {
		close(done)
	}
	clear(batch)

	r.inMu.Lock()
	defer r.inMu.Unlock()
	r.spareInbox = batch[:0]
	if len(r.inbox) == 0 {
		r.dispatching = false
		return false
	}
	return true
}

// deliver shows the message events fs to the members in Seq order: an
// event waits when a predecessor is missing, and is dropped when shown
// already.
func (r *room) deliver(fs ...*outbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ready := r.ready[:0]
	for _, f := range fs {
		switch {
		case f.seq <= r.last:
			continue
		case f.seq > r.last+1:
			r.pending[f.seq] = f
			if !r.filling {
				r.filling = true
				time.AfterFunc(r.hub.cfg.GapWait, r.fillGap)
			}
			continue
		}
		r.last = f.seq
		ready = append(ready, f)
		for {
			next, ok := r.pending[r.last+1]
			if !ok {
				break
			}
			delete(r.pending, next.seq)
			r.last = next.seq
			ready = append(ready, next)
		}
	}
	if len(ready) > 0 {
		r.gather(ready)
	}
	clear(ready)
	r.ready = ready[:0]
}

// gather adds the message events fs, next in Seq order, to the room's
// next write: the messages shown within one WriteInterval go out as one
// event, encoded once per format and queued once to each member, instead
// of one of each per message. The first message after a quiet interval
// goes out at once. r.mu is held.
//
// In a room of 1,000 members receiving 1,000 messages a second, each
// member's queue then takes 25 events a second instead of 1,000, every
// page receives one websocket message per interval framed once for all,
// and the fragment's wrapper and resume marker come once per interval
// instead of once per message (BenchmarkMessagesFragment).
func (r *room) gather(fs []*outbound) {
	r.gathered = append(r.gathered, fs...)
	if r.flushDue {
		return
	}
	if wait := r.hub.cfg.WriteInterval - time.Since(r.flushed); wait > 0 {
		r.flushDue = true
		time.AfterFunc(wait, r.flush)
		return
	}
	r.flushLocked()
}

// flush sends what gather gathered.
func (r *room) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushDue = false
	r.flushLocked()
}

// flushLocked sends the gathered messages to every member as one event.
// r.mu is held.
func (r *room) flushLocked() {
	fs := r.gathered
	if len(fs) == 0 {
		return
	}
	r.flushed = time.Now()
	f := fs[0]
	if len(fs) > 1 {
		msgs := make([]chat.Message, 0, len(fs))
		for _, g := range fs {
			msgs = append(msgs, g.msgs...)
		}
		f = r.hub.messagesEvent(r.id, msgs)
	}
	clear(fs)
	r.gathered = fs[:0]
	r.fanout(f)
	for _, p := range r.parked {
		p.c.sendReply(p.f)
	}
	clear(r.parked)
	r.parked = r.parked[:0]
}

// parkedReply is a reply waiting for the room's next write.
type parkedReply struct {
	c *Client
	f *outbound
}

// park holds the reply f to c until the messages gathered so far went
// out, and reports whether it did: with none gathered the reply goes out
// at once.
func (r *room) park(c *Client, f *outbound) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.gathered) == 0 {
		return false
	}
	r.parked = append(r.parked, parkedReply{c, f})
	return true
}

// fillGap reads from the store the messages that the broker has not
// delivered and that pending messages wait for.
func (r *room) fillGap() {
	r.mu.Lock()
	var upto int64
	for seq := range r.pending {
		upto = max(upto, seq)
	}
	r.mu.Unlock()
	if upto > 0 {
		r.readAfter(upto)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) > 0 {
		// Still waiting (the store was unreachable): try again.
		time.AfterFunc(r.hub.cfg.GapWait, r.fillGap)
		return
	}
	r.filling = false
}

// catchUp shows every stored message newer than the last one shown, page
// by page.
func (r *room) catchUp() {
	for r.readAfter(0) {
	}
}

// readAfter reads from the store the messages after the last one shown,
// up to Seq upto (0: a page), shows them in order and reports whether a
// full page came back, so that there may be more.
func (r *room) readAfter(upto int64) (more bool) {
	r.mu.Lock()
	after := r.last
	r.mu.Unlock()
	limit := r.hub.cfg.PageSize
	if upto > after {
		limit = int(upto - after)
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.hub.cfg.WriteWait)
	msgs, err := r.hub.src.After(ctx, r.id, after, limit)
	cancel()
	if err != nil {
		r.hub.log.Warn("read missed messages", "room", r.id, "after", after, "err", err)
		return false
	}
	for _, m := range msgs {
		r.deliver(r.hub.messageEvent(r.id, m))
	}
	return upto == 0 && len(msgs) == limit
}
