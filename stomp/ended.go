package stomp

import (
	"slices"
	"sync/atomic"

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
		note := errorFrame(c.version, endedText[chat.SignedOut], "", Header{"reason", string(chat.SignedOut)})
		// Not on the broker's receiving path: a write may take WriteWait.
		go c.close(hub.ClosePolicy, endedText[chat.SignedOut], [][]byte{note})
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

// Resync tells the hub that events may have been lost. A STOMP
// connection without subscriptions that missed its session's end learns
// it at its next SUBSCRIBE or SEND, which check the session again.
func (s *Sink) Resync() { s.hub.Resync() }
