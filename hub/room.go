package hub

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"hxchat/chat"
)

// room is one chat room's live connections on this instance. Its lock
// guards only this room, so traffic in one room never waits on another.
type room struct {
	hub *Hub
	id  int64

	mu sync.Mutex
	// members are the connections in the room.
	members map[*Client]struct{}
	// people counts each person's connections, so that several tabs of one
	// person join and leave once.
	people map[int64]*person
	// last is the Seq of the newest message shown to members.
	last int64
	// pending holds messages that arrived ahead of a predecessor, by Seq.
	pending map[int64]outbound
	// filling is true while a gap fill is scheduled or running.
	filling bool
	// freed is set when the room left the hub's map; a join that finds
	// it freed looks the room up again.
	freed bool
}

// person is one member of the room and how many connections they have.
type person struct {
	user  chat.User
	conns int
}

func newRoom(h *Hub, id, last int64) *room {
	return &room{
		hub:     h,
		id:      id,
		members: make(map[*Client]struct{}),
		people:  make(map[int64]*person),
		pending: make(map[int64]outbound),
		last:    last,
	}
}

// add puts c in the room and announces the person when this is their
// first connection. It reports false when the room was freed meanwhile.
func (r *room) add(c *Client) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return false
	}
	c.room = r
	r.members[c] = struct{}{}
	u := c.member.User
	p := r.people[u.ID]
	if p == nil {
		p = &person{user: u}
		r.people[u.ID] = p
	}
	p.conns++
	if p.conns == 1 {
		r.broadcastPresence(chat.Presence{Room: r.id, Change: u, Joined: true})
	} else {
		// Another tab of someone already here: only this page needs the
		// current list.
		f, err := r.hub.frame(r.hub.render.Presence(chat.Presence{Room: r.id, Online: r.online()}))
		if err == nil {
			c.enqueue(f)
		}
	}
	return true
}

// remove takes c out of the room, announcing the person's departure when
// it was their last connection, and reports whether the room is empty.
func (r *room) remove(c *Client) (empty bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.members[c]; !ok {
		return len(r.members) == 0
	}
	delete(r.members, c)
	u := c.member.User
	if p := r.people[u.ID]; p != nil {
		p.conns--
		if p.conns == 0 {
			delete(r.people, u.ID)
			r.broadcastPresence(chat.Presence{Room: r.id, Change: p.user, Joined: false})
		}
	}
	return len(r.members) == 0
}

// freeIfEmpty marks an empty room freed; the caller removes it from the
// hub. It runs under the hub's lock so no join can slip in between.
func (r *room) freeIfEmpty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.members) > 0 || r.freed {
		return false
	}
	r.freed = true
	return true
}

// online lists the people in the room, ordered by name. r.mu is held.
func (r *room) online() []chat.User {
	users := make([]chat.User, 0, len(r.people))
	for _, p := range r.people {
		users = append(users, p.user)
	}
	slices.SortFunc(users, func(a, b chat.User) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return users
}

// broadcastPresence renders p with the current list and sends it to every
// member. r.mu is held, so presence changes reach everyone in one order.
func (r *room) broadcastPresence(p chat.Presence) {
	p.Online = r.online()
	f, err := r.hub.frame(r.hub.render.Presence(p))
	if err != nil {
		r.hub.log.Error("render presence", "room", r.id, "err", err)
		return
	}
	r.fanout(f)
}

// deliver shows the message frame f to the members in Seq order: f waits
// when a predecessor is missing, and is dropped when already shown.
func (r *room) deliver(f outbound) {
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
func (r *room) show(f outbound) {
	r.last = f.seq
	if f.pm != nil {
		r.fanout(f)
	}
}

// fillGap reads from the store the messages that the broker has not
// delivered and that pending messages wait for.
func (r *room) fillGap() {
	r.mu.Lock()
	after := r.last
	var upto int64
	for seq := range r.pending {
		upto = max(upto, seq)
	}
	r.mu.Unlock()

	if upto > after {
		ctx, cancel := context.WithTimeout(context.Background(), r.hub.cfg.WriteWait)
		msgs, err := r.hub.src.After(ctx, r.id, after, int(upto-after))
		cancel()
		if err != nil {
			r.hub.log.Warn("fill gap", "room", r.id, "after", after, "err", err)
		}
		for _, m := range msgs {
			f, err := r.hub.frame(r.hub.render.Messages(r.id, []chat.Message{m}))
			if err != nil {
				r.hub.log.Error("render message", "room", r.id, "seq", m.Seq, "err", err)
				f = outbound{}
			}
			f.seq = m.Seq
			r.deliver(f)
		}
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

// fanout queues f to every member without blocking. r.mu is held.
func (r *room) fanout(f outbound) {
	for c := range r.members {
		c.enqueue(f)
	}
}

// closeAll closes every member's connection with code.
func (r *room) closeAll(code int, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.members {
		c.close(code, text)
	}
}
