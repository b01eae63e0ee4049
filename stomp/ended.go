package stomp

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// Deliver closes at once the connections of sessions that ended (a
// sign-out, a revoked token, a deactivated account), with an ERROR frame
// saying so and 1008, as the hub closes its subscribers: the hub holds
// only the connections that subscribed to a room, and an ended session
// must not keep one that did not. It ignores every other event.
func (s *Server) Deliver(ev chat.Event) {
	if ev.Kind != chat.EventSignedOut || ev.Ended == nil {
		return
	}
	e := ev.Ended
	var ended []*conn
	s.mu.Lock()
	for c := range s.conns {
		// account and session are set before connected, and never again.
		if c.connected.Load() && c.account.ID == e.User && slices.Contains(e.Sessions, c.session) {
			ended = append(ended, c)
		}
	}
	s.mu.Unlock()
	for _, c := range ended {
		// Not on the broker's receiving path: a write may take WriteWait.
		go c.signedOut()
	}
}

// signedOut closes the connection of a session that ended, with an ERROR
// frame saying so and 1008.
func (c *conn) signedOut() {
	note := errorFrame(c.version, endedText[chat.SignedOut], "", Header{"reason", string(chat.SignedOut)})
	c.close(hub.ClosePolicy, endedText[chat.SignedOut], [][]byte{note})
}

// recheck asks the service whether each connection's session still
// holds, and closes those that ended: after a broker outage, whose lost
// events may have been the ones that ended them. (The hub rechecks the
// subscriptions on its own; this covers the connections it does not
// hold.) One question per person and session, however many connections.
func (s *Server) recheck() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type key struct {
		user    int64
		session string
	}
	s.mu.Lock()
	conns := make(map[key][]*conn)
	for c := range s.conns {
		if c.connected.Load() {
			k := key{c.account.ID, c.session}
			conns[k] = append(conns[k], c)
		}
	}
	s.mu.Unlock()
	for k, cs := range conns {
		reason, err := s.svc.RecheckSession(ctx, k.user, k.session)
		if err != nil {
			s.log.Warn("stomp: recheck", "user", k.user, "err", err)
			return
		}
		if reason == "" {
			continue
		}
		for _, c := range cs {
			go c.signedOut()
		}
	}
}

// Sink hands the events a broker delivers to the hub and to a Server.
// The broker is made before the server, which needs the service, which
// needs the broker: Attach gives the Sink its server once there is one.
// Until then there is no STOMP connection an event could concern.
type Sink struct {
	hub chat.Sink
	srv atomic.Pointer[Server]
}

// The broker delivers to a Sink.
var _ chat.Sink = (*Sink)(nil)

// NewSink returns a Sink delivering to h (the hub) and, once attached,
// to a Server.
func NewSink(h chat.Sink) *Sink { return &Sink{hub: h} }

// Attach makes s deliver to srv too.
func (s *Sink) Attach(srv *Server) { s.srv.Store(srv) }

// Deliver hands ev to the hub, then to the server.
func (s *Sink) Deliver(ev chat.Event) {
	s.hub.Deliver(ev)
	if srv := s.srv.Load(); srv != nil {
		srv.Deliver(ev)
	}
}

// Resync tells the hub and the server that events may have been lost:
// the hub reads the messages it missed and rechecks its subscribers, the
// server rechecks the sessions of its connections.
func (s *Sink) Resync() {
	s.hub.Resync()
	if srv := s.srv.Load(); srv != nil {
		go srv.recheck()
	}
}
