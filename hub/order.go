package hub

import (
	"context"
	"time"
)

// deliver shows the message event f to the members in Seq order: f waits
// when a predecessor is missing, and is dropped when already shown.
func (r *room) deliver(f *outbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case f.seq <= r.last:
		return
	case f.seq > r.last+1:
		r.pending[f.seq] = f
		if !r.filling {
			r.filling = true
			time.AfterFunc(r.hub.cfg.GapWait, r.fillGap)
		}
		return
	}
	r.show(f)
	for {
		next, ok := r.pending[r.last+1]
		if !ok {
			break
		}
		delete(r.pending, next.seq)
		r.show(next)
	}
}

// show sends the next message in order to every member. r.mu is held.
func (r *room) show(f *outbound) {
	r.last = f.seq
	r.fanout(f)
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
		f := r.hub.messageEvent(r.id, m)
		r.encode(f)
		r.deliver(f)
	}
	return upto == 0 && len(msgs) == limit
}
