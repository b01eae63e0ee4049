package stomp

import (
	"time"

	"hxchat/hub"
)

// Transport carries one STOMP session's frames to and from its peer: a
// WebSocket upgraded by the hub (/ws/stomp) or, later, a SockJS session
// (/stomp-chat). The session does everything else itself, heart-beats
// included, so that a transport is only a pipe.
type Transport interface {
	// Read hands every message received to handle, in order, until
	// handle returns false or the transport fails or closes, then
	// returns the error that ended it (nil when handle stopped it).
	Read(handle func(data []byte) bool) error
	// Send writes each frame as one message of the transport. It is
	// safe for concurrent use, and keeps nothing of frames once it
	// returns: their memory is used again.
	Send(frames [][]byte) error
	// Ping probes the peer below STOMP (a WebSocket ping); a transport
	// without such a thing does nothing.
	Ping() error
	// LastHeard is when the peer last sent anything, pongs included; a
	// transport that keeps itself alive returns time.Now().
	LastHeard() time.Time
	// Close closes the transport with a WebSocket close code and text.
	// Only the first call does anything.
	Close(code int, text string)
}

// partsSender is a Transport that can send frames given in parts, each
// frame the concatenation of per consecutive parts, without their being
// copied together first: a hub.Socket.
type partsSender interface {
	SendParts(parts [][]byte, per int) error
}

// socket is a Transport over a hub.Socket.
type socket struct{ s *hub.Socket }

func (t socket) Read(handle func([]byte) bool) error { return t.s.ReadLoop(handle) }
func (t socket) Send(frames [][]byte) error          { return t.s.Send(frames) }
func (t socket) SendParts(parts [][]byte, per int) error {
	return t.s.SendParts(parts, per)
}
func (t socket) Ping() error                 { return t.s.Ping() }
func (t socket) LastHeard() time.Time        { return t.s.LastHeard() }
func (t socket) Close(code int, text string) { t.s.Close(code, text) }
