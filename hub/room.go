package hub

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
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
	// formats counts the members per Format, so that an event is encoded
	// only in the formats someone here reads. Atomic, so that it may be
	// read without the lock.
	formats []atomic.Int32
	// people counts each person's connections, so that several tabs of one
	// person join and leave once.
	people map[int64]*person
	// last is the Seq of the newest message shown to members.
	last int64
	// inbox holds the message events posted and not yet taken by the
	// dispatcher, which runs while dispatching is set; inDone is closed
	// once they are shown, and spareInbox is the slice the dispatcher's
	// last batch used. inMu guards the four.
	inMu        sync.Mutex
	inbox       []*outbound
	inDone      chan struct{}
	spareInbox  []*outbound
	dispatching bool
	// ready is deliver's scratch: the events it shows, in order.
	ready []*outbound
	// gathered are the message events shown since the last write to the
	// members, flushed was when that write went out, and flushDue is set
	// while the next is scheduled (see gather).
	gathered []*outbound
	flushed  time.Time
	flushDue bool
	// parked are the replies that wait for the gathered messages.
	parked []parkedReply
	// pending holds messages that arrived ahead of a predecessor, by Seq.
	pending map[int64]*outbound
	// filling is true while a gap fill is scheduled or running.
	filling bool
	// joined and left are the people who came and went since the last
	// presence update; someone who does both in between (a page reload)
	// is in neither.
	joined, left map[int64]chat.User
	// presenceDue is true while a presence update is scheduled.
	presenceDue bool
	// remote are the rosters of the other instances, by instance.
	remote map[string]*remoteRoster
	// heartbeat re-sends this instance's roster while the room is live.
	heartbeat *time.Timer
	// asked is set once this instance has asked the others for their
	// rosters of the room.
	asked bool
	// freed is set when the room left the hub's map; a join that finds
	// it freed looks the room up again.
	freed bool
	// pinger pings one slot of the members every PingPeriod/pingSlots;
	// joins counts the members that ever joined, to deal out slots, and
	// pingTick the pings, to choose the slot.
	pinger          *time.Timer
	joins, pingTick int
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
		formats: make([]atomic.Int32, len(h.encoders)),
		people:  make(map[int64]*person),
		pending: make(map[int64]*outbound),
		joined:  make(map[int64]chat.User),
		left:    make(map[int64]chat.User),
		remote:  make(map[string]*remoteRoster),
		last:    last,
	}
}

// add puts c in the room and schedules a presence update, which gives c
// the current online list and, when this is the person's first
// connection, tells everyone they joined. It reports false when the room
// was freed meanwhile.
func (r *room) add(c *Client) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return false
	}
	c.room = r
	c.slot = r.joins % pingSlots
	r.joins++
	r.members[c] = struct{}{}
	r.formats[c.format].Add(1)
	if r.pinger == nil {
		r.pinger = time.AfterFunc(r.hub.cfg.PingPeriod/pingSlots, r.ping)
	}
	u := c.member.User
	p := r.people[u.ID]
	if p == nil {
		p = &person{user: u}
		r.people[u.ID] = p
	}
	p.conns++
	if p.conns == 1 {
		if _, back := r.left[u.ID]; back {
			delete(r.left, u.ID)
		} else {
			r.joined[u.ID] = u
		}
	}
	r.schedulePresence()
	return true
}

// remove takes c out of the room, noting the person's departure when it
// was their last connection, and reports whether the room is empty.
func (r *room) remove(c *Client) (empty bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.members[c]; !ok {
		return len(r.members) == 0
	}
	delete(r.members, c)
	r.formats[c.format].Add(-1)
	u := c.member.User
	if p := r.people[u.ID]; p != nil {
		p.conns--
		if p.conns == 0 {
			delete(r.people, u.ID)
			if _, new := r.joined[u.ID]; new {
				delete(r.joined, u.ID)
			} else {
				r.left[u.ID] = p.user
			}
			r.schedulePresence()
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
	if r.heartbeat != nil {
		r.heartbeat.Stop()
	}
	r.pinger.Stop()
	// The last roster: nobody here any more, so that the other instances
	// do not wait RosterTTL to stop counting the people who were.
	r.publishRoster(nil, slices.Collect(maps.Values(r.left)), false)
	return true
}

// fanout queues fs to every member without blocking, encoded once for
// each format present, after the messages gathered before them. r.mu is
// held.
func (r *room) fanout(fs ...*outbound) {
	if len(r.gathered) > 0 && fs[0].seq == 0 {
		r.flushLocked()
	}
	for _, f := range fs {
		r.encode(f)
	}
	// Every queue holds the same pointers: 8 bytes a slot.
	for c := range r.members {
		c.enqueue(fs...)
	}
}

// encode makes f's encodings for the formats present in the room, before
// f is shared with the members: once per event, which in a busy room
// holds all the messages of one write interval (see gather).
func (r *room) encode(f *outbound) {
	for format := range r.formats {
		if r.formats[format].Load() > 0 {
			r.hub.encodeFor(f, Format(format))
		}
	}
}

// memberList returns who the room's connections belong to, one entry per
// person, session and room.
func (r *room) memberList() []Member {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[Member]bool, len(r.members))
	list := make([]Member, 0, len(r.members))
	for c := range r.members {
		if !seen[c.member] {
			seen[c.member] = true
			list = append(list, c.member)
		}
	}
	return list
}

// evict closes the matching members' connections with 1008 (Policy
// Violation), which htmx does not reconnect after, sending note first.
// The connections get nothing of the room from now on: their queues are
// dropped.
func (r *room) evict(note *notes, match func(Member) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.members {
		if match(c.member) {
			c.evict(note.in(c.format))
		}
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
