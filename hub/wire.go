package hub

import (
	"time"

	"hxchat/chat"
)

// Format is an encoding of events: the index, among the encoders given
// to New, of the one that makes it. Every subscriber names the format it
// reads through its Wire, and a room encodes each event once per format
// present in it.
type Format int

// Encoder encodes events in one format. Each method runs once per event
// for every subscriber of that format; each returned []byte is one frame,
// one message of the transport.
type Encoder interface {
	// Messages encodes msgs (ascending Seq) appended to the room's log.
	Messages(room int64, msgs []chat.Message) ([][]byte, error)
	// Log encodes page as the whole log, replacing what the peer shows.
	Log(room int64, page chat.Page) ([][]byte, error)
	// Presence encodes who is online and who came and went.
	Presence(p chat.Presence) ([][]byte, error)
	// Ended encodes what a connection is told as the server closes it for
	// reason: its person signed out, was removed, or the room archived.
	Ended(reason chat.Reason) ([][]byte, error)
}

// Renderer is an Encoder whose every encoding is one frame, such as the
// HTML fragments htmx swaps in.
type Renderer interface {
	// Messages renders msgs (ascending Seq) appended to the room's log.
	Messages(room int64, msgs []chat.Message) ([]byte, error)
	// Log renders page as the whole log, replacing what the page shows.
	Log(room int64, page chat.Page) ([]byte, error)
	// Presence renders who is online and, when something changed, the
	// notice saying so.
	Presence(p chat.Presence) ([]byte, error)
	// Ended renders what a connection shows as the server closes it.
	Ended(reason chat.Reason) ([]byte, error)
}

// OneFrame adapts r to an Encoder.
func OneFrame(r Renderer) Encoder { return oneFrame{r} }

type oneFrame struct{ r Renderer }

func one(b []byte, err error) ([][]byte, error) {
	if err != nil {
		return nil, err
	}
	return [][]byte{b}, nil
}

func (o oneFrame) Messages(room int64, msgs []chat.Message) ([][]byte, error) {
	return one(o.r.Messages(room, msgs))
}
func (o oneFrame) Log(room int64, page chat.Page) ([][]byte, error) { return one(o.r.Log(room, page)) }
func (o oneFrame) Presence(p chat.Presence) ([][]byte, error)       { return one(o.r.Presence(p)) }
func (o oneFrame) Ended(reason chat.Reason) ([][]byte, error)       { return one(o.r.Ended(reason)) }

// Wire is a subscriber's way to its peer; each transport implements it.
// The hub calls Send, Ping and Close from the subscriber's writer, one
// call at a time; subscribers that share a connection (the subscriptions
// of one STOMP session) each have a Wire of their own, and the transport
// serializes their writes.
type Wire interface {
	// Format is the encoding the wire sends.
	Format() Format
	// Send writes frames, encoded for Format, in order.
	Send(frames [][]byte) error
	// Ping probes the peer; a transport that keeps itself alive does
	// nothing.
	Ping() error
	// LastHeard is when the peer last sent anything: a room drops a
	// subscriber silent for longer than Config.PongWait.
	LastHeard() time.Time
	// Close ends the connection: note first (complete frames; nil for
	// none), then the close, with code (one of the Close constants) and
	// text.
	Close(code int, text string, note [][]byte)
}

// Why a subscriber ends, as websocket close codes; other transports map
// them to their own way of saying so.
const (
	// CloseNormal: the peer went away or unsubscribed.
	CloseNormal = 1000
	// CloseAbnormal: the connection failed; there is nobody to tell.
	CloseAbnormal = 1006
	// ClosePolicy: the person signed out or was removed, or the room was
	// archived; the note says which. htmx does not reconnect after it.
	ClosePolicy = 1008
	// CloseTooBig: the peer sent a frame over the limit.
	CloseTooBig = 1009
	// CloseInternal: the server failed (a catch-up read); try again.
	CloseInternal = 1011
	// CloseRestart: the server is shutting down; reconnect.
	CloseRestart = 1012
	// CloseTryLater: the subscriber read too slowly and was dropped;
	// reconnect and catch up.
	CloseTryLater = 1013
)
