package hub

import (
	"context"
	"maps"
	"slices"
	"time"

	"hxchat/chat"
)

// Presence across instances. Each instance knows only its own
// connections, so each tells the others, through the broker, who is in a
// room there (a chat.Roster): whenever that changes, every RosterEvery
// while the room is live, and at once when another instance asks because
// it has just got its first member in the room. An instance shows the
// union of its own people and the rosters it holds; a roster not renewed
// within RosterTTL is dropped, so the people of an instance that died
// stop counting within RosterTTL. A person joins when their first
// connection anywhere opens and leaves when their last one anywhere
// closes: each instance announces a change only when no other roster
// holds that person.

// remoteRoster is another instance's roster of a room.
type remoteRoster struct {
	version int64
	people  map[int64]chat.User
	expires time.Time
}

// publishRoster sends this instance's roster of the room to the others,
// with who joined and left here since the last one. r.mu is held; the
// send itself happens outside the lock.
func (r *room) publishRoster(joined, left []chat.User, ask bool) {
	h := r.hub
	if h.cfg.Publish == nil {
		return
	}
	people := make([]chat.User, 0, len(r.people))
	for _, p := range r.people {
		people = append(people, p.user)
	}
	ev := chat.Event{Kind: chat.EventRoster, Room: r.id, Roster: &chat.Roster{
		Instance: h.cfg.Instance,
		Version:  h.rosterVersion.Add(1),
		People:   people,
		Joined:   joined,
		Left:     left,
		Ask:      ask,
	}}
	h.publish(ev)
	switch {
	case r.freed:
	case r.heartbeat == nil:
		r.heartbeat = time.AfterFunc(h.cfg.RosterEvery, r.beat)
	default:
		r.heartbeat.Reset(h.cfg.RosterEvery)
	}
}

// publish sends ev to the other instances after every roster queued
// before it, and returns at once. A room's rosters must arrive in the
// order they were made: another instance drops a roster older than one
// it holds, and with it the joins and leaves it announces (a join sent
// just before the answer to another instance's question was lost so,
// when the answer, sent on a goroutine of its own, overtook it). One
// goroutine sends the queue while it is not empty.
func (h *Hub) publish(ev chat.Event) {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	h.publishing.Add(1)
	h.pubQueue = append(h.pubQueue, ev)
	if !h.pubRunning {
		h.pubRunning = true
		go h.sendPublished()
	}
}

// sendPublished sends the queued rosters in order until none is left.
func (h *Hub) sendPublished() {
	for {
		h.pubMu.Lock()
		queue := h.pubQueue
		h.pubQueue = nil
		if len(queue) == 0 {
			h.pubRunning = false
			h.pubMu.Unlock()
			return
		}
		h.pubMu.Unlock()
		for _, ev := range queue {
			ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteWait)
			if err := h.cfg.Publish(ctx, ev); err != nil {
				h.log.Warn("publish roster", "room", ev.Room, "err", err)
			}
			cancel()
			h.publishing.Done()
		}
	}
}

// beat renews this instance's roster and drops the rosters of instances
// that have gone quiet, announcing the people who were only there.
func (r *room) beat() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return
	}
	now := r.hub.cfg.Now()
	var gone []chat.User
	for inst, rr := range r.remote {
		if now.Before(rr.expires) {
			continue
		}
		delete(r.remote, inst)
		gone = append(gone, slices.Collect(maps.Values(rr.people))...)
	}
	r.publishRoster(nil, nil, false)
	if len(gone) > 0 {
		r.showPresence(nil, r.notElsewhere(gone, ""))
	}
}

// receiveRoster takes in another instance's roster and shows what
// changed to the members here.
func (r *room) receiveRoster(ro *chat.Roster) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return
	}
	rr := r.remote[ro.Instance]
	if rr != nil && ro.Version <= rr.version {
		return
	}
	if rr == nil {
		rr = &remoteRoster{}
		r.remote[ro.Instance] = rr
	}
	rr.version = ro.Version
	rr.expires = r.hub.cfg.Now().Add(r.hub.cfg.RosterTTL)
	rr.people = make(map[int64]chat.User, len(ro.People))
	for _, u := range ro.People {
		rr.people[u.ID] = u
	}
	if ro.Ask {
		r.publishRoster(nil, nil, false)
	}
	r.showPresence(r.notElsewhere(ro.Joined, ro.Instance), r.notElsewhere(ro.Left, ro.Instance))
}

// notElsewhere returns the users of us who are neither connected here
// nor in any roster but the one of instance except. r.mu is held.
func (r *room) notElsewhere(us []chat.User, except string) []chat.User {
	var out []chat.User
	for _, u := range us {
		if _, here := r.people[u.ID]; here && except != "" {
			continue
		}
		found := false
		for inst, rr := range r.remote {
			if _, ok := rr.people[u.ID]; ok && inst != except {
				found = true
				break
			}
		}
		if !found {
			out = append(out, u)
		}
	}
	return out
}

// everyone lists the people connected here or in another instance's
// roster, ordered by name. r.mu is held.
func (r *room) everyone() []chat.User {
	if len(r.remote) == 0 {
		return r.online()
	}
	all := make(map[int64]chat.User, len(r.people))
	for _, rr := range r.remote {
		maps.Copy(all, rr.people)
	}
	for id, p := range r.people {
		all[id] = p.user
	}
	users := slices.Collect(maps.Values(all))
	sortUsers(users)
	return users
}
