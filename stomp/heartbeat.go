package stomp

import (
	"strconv"
	"time"

	"hxchat/hub"
)

// heartBeatFrame is the one message a heart-beat is: an EOL.
var heartBeatFrame = [][]byte{[]byte(HeartBeat)}

// heart looks at every connection each Tick: it sends the heart-beats
// that are due, closes peers gone silent and connections that never sent
// CONNECT. One loop for the whole server rather than a timer per
// connection, so that an idle connection holds no timer and no goroutine
// of its own for its heart-beats.
func (s *Server) heart() {
	defer close(s.heartDone)
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.mu.Lock()
			for c := range s.conns {
				conns = append(conns, c)
			}
			s.mu.Unlock()
			for _, c := range conns {
				c.tick(now)
			}
			clear(conns)
			conns = conns[:0]
		}
	}
}

// tick does what is due on c at now. Anything that writes runs on a
// goroutine of its own, so that one peer that does not read holds up no
// other.
func (c *conn) tick(now time.Time) {
	if c.done.Load() || c.ending.Load() {
		return
	}
	cfg := &c.srv.cfg
	heard := time.Unix(0, c.lastHeard.Load())
	if !c.connected.Load() {
		if now.Sub(c.opened) > cfg.ConnectWait && c.ending.CompareAndSwap(false, true) {
			go c.fail(hub.ClosePolicy, "no CONNECT frame within "+cfg.ConnectWait.String(), "")
		}
		return
	}
	// Sent a tick early at worst, never late: the peer may count on it.
	if c.sendEvery > 0 && now.Sub(time.Unix(0, c.lastSent.Load())) >= c.sendEvery-cfg.Tick {
		go c.beat()
	}
	if c.hearEvery > 0 {
		if silent := now.Sub(heard); silent > c.hearEvery*5/2 && c.ending.CompareAndSwap(false, true) {
			go c.fail(hub.CloseAbnormal, "no heart-beat for "+strconv.FormatInt(silent.Milliseconds(), 10)+
				" ms; "+strconv.FormatInt(c.hearEvery.Milliseconds(), 10)+" ms were agreed", "")
		}
		return
	}
	// No heart-beats from the client: WebSocket pings tell whether it is
	// still there.
	if last := c.t.LastHeard(); last.After(heard) {
		heard = last
	}
	if now.Sub(heard) > cfg.PongWait && c.ending.CompareAndSwap(false, true) {
		go c.close(hub.CloseAbnormal, "", nil)
		return
	}
	if now.Sub(time.Unix(0, c.lastPing.Load())) >= cfg.PingPeriod {
		c.lastPing.Store(now.UnixNano())
		go func() {
			if err := c.t.Ping(); err != nil {
				c.close(hub.CloseAbnormal, "", nil)
			}
		}()
	}
}

// beat sends a heart-beat, unless a write is under way, which says as
// much.
func (c *conn) beat() {
	if !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	c.lastSent.Store(time.Now().UnixNano())
	if err := c.t.Send(heartBeatFrame); err != nil {
		go c.close(hub.CloseAbnormal, "", nil)
	}
}
