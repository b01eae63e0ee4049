package hub

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"hxchat/chat"
)

// rename updates u's name in the room's online list, if u is here.
func (r *room) rename(u chat.User) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.people[u.ID]; p != nil && p.user.Name != u.Name {
		p.user.Name = u.Name
		r.schedulePresence()
	}
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
	r.fanout(r.hub.event(0, "presence", func(e Encoder) ([][]byte, error) { return e.Presence(p) }))
}
