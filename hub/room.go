package hub

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

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

// pingSlots is how many groups a room's members are pinged in, one after
// the other, so that a big room's pings are spread over PingPeriod
// rather than all sent at once.
const pingSlots = 16

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

// rename updates u's name in the room's online list, if u is here.
func (r *room) rename(u chat.User) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.people[u.ID]; p != nil && p.user.Name != u.Name {
		p.user.Name = u.Name
		r.schedulePresence()
	}
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

// online lists the people in the room, ordered by name. r.mu is held.
func (r *room) online() []chat.User {
	users := make([]chat.User, 0, len(r.people))
	for _, p := range r.people {
		users = append(users, p.user)
	}
	sortUsers(users)
	return users
}

// sortUsers orders users by name, then ID.
func sortUsers(users []chat.User) {
	slices.SortFunc(users, func(a, b chat.User) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

// schedulePresence arranges one presence update after PresenceWait.
// Batching joins and leaves keeps a crowd arriving at once (a server
// restart brings everyone back within seconds) from costing one
// broadcast of the whole list per person. r.mu is held.
func (r *room) schedulePresence() {
	if r.presenceDue {
		return
	}
	r.presenceDue = true
	time.AfterFunc(r.hub.cfg.PresenceWait, r.sendPresence)
}

// sendPresence broadcasts who is online and who came and went since the
// last update, rendered once for everyone, and tells the other instances.
// Someone who came here but is already connected through another
// instance is not announced again, nor is someone who left here but is
// still there.
func (r *room) sendPresence() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.presenceDue = false
	if r.freed {
		return
	}
	joined := slices.Collect(maps.Values(r.joined))
	left := slices.Collect(maps.Values(r.left))
	clear(r.joined)
	clear(r.left)
	// The first roster of a room new here asks the others for theirs.
	r.publishRoster(joined, left, !r.asked)
	r.asked = true
	r.showPresence(r.notElsewhere(joined, ""), r.notElsewhere(left, ""))
}

// showPresence renders the online list, with notices for joined and left,
// and sends it to every member. r.mu is held.
func (r *room) showPresence(joined, left []chat.User) {
	online := r.everyone()
	p := chat.Presence{
		Room:   r.id,
		Joined: joined,
		Left:   left,
		Online: online[:min(len(online), chat.MaxOnlineShown)],
		Total:  len(online),
	}
	sortUsers(p.Joined)
	sortUsers(p.Left)
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
		f, err := r.hub.frame(r.hub.render.Messages(r.id, []chat.Message{m}))
		if err != nil {
			r.hub.log.Error("render message", "room", r.id, "seq", m.Seq, "err", err)
			f = outbound{}
		}
		f.seq = m.Seq
		r.deliver(f)
	}
	return upto == 0 && len(msgs) == limit
}

// fanout queues f to every member without blocking. r.mu is held.
func (r *room) fanout(f outbound) {
	// Every queue holds the same pointer: 8 bytes a slot.
	shared := &f
	for c := range r.members {
		c.enqueue(shared)
	}
}

// ping pings the members of the next slot, so that each member is
// pinged once every PingPeriod, and drops those that sent nothing, not
// even a pong, for PongWait: a peer that vanished without closing its
// socket (a laptop lid shut, a phone out of range) stops counting as
// online.
func (r *room) ping() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return
	}
	slot := r.pingTick % pingSlots
	r.pingTick++
	now := time.Now()
	for c := range r.members {
		switch {
		case c.slot != slot:
		case c.silentFor(now) > r.hub.cfg.PongWait:
			r.hub.log.Debug("silent connection dropped", "room", r.id, "user", c.member.User.ID)
			c.close(websocket.CloseAbnormalClosure, "")
		default:
			c.ping()
		}
	}
	r.pinger.Reset(r.hub.cfg.PingPeriod / pingSlots)
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
func (r *room) evict(note []byte, match func(Member) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.members {
		if match(c.member) {
			c.evict(note)
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
