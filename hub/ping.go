package hub

import "time"

// pingSlots is how many groups a room's members are pinged in, one after
// the other, so that a big room's pings are spread over PingPeriod
// rather than all sent at once.
const pingSlots = 16

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
			c.close(CloseAbnormal, "")
		default:
			c.ping()
		}
	}
	r.pinger.Reset(r.hub.cfg.PingPeriod / pingSlots)
}
