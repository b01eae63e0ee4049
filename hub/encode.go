package hub

import "hxchat/chat"

// outbound is one event on its way to a room's subscribers, with its
// encodings: each is made once, for the first subscriber of its format,
// and shared by every other (a queue slot is a pointer to it).
type outbound struct {
	// seq is the Seq of the message the event shows, or 0 for events
	// that carry no message (presence, replies to one subscriber).
	seq int64
	// enc holds the encoding per Format; only the formats present in the
	// room when it was fanned out are made.
	enc []encoded
	// encode makes the encoding for one format; nil for a reply, which is
	// encoded already for its one recipient.
	encode func(Encoder) ([][]byte, error)
	// what names the event in the log when an encoding fails.
	what string
}

// encoded is an event in one format.
type encoded struct {
	// made is set once the encoding was attempted; frames is nil when it
	// failed, and the event is skipped for that format.
	made   bool
	frames [][]byte
}

// event returns an event for the room's subscribers; encode is called
// once for each format present when it is fanned out.
func (h *Hub) event(seq int64, what string, encode func(Encoder) ([][]byte, error)) *outbound {
	return &outbound{seq: seq, what: what, enc: make([]encoded, len(h.encoders)), encode: encode}
}

// messageEvent returns the event showing m.
func (h *Hub) messageEvent(room int64, m chat.Message) *outbound {
	return h.event(m.Seq, "message", func(e Encoder) ([][]byte, error) {
		return e.Messages(room, []chat.Message{m})
	})
}

// encodeFor makes f's encoding in format, unless it is made already. Only
// one goroutine encodes an event at a time: the caller holds the room's
// lock, or the event is not yet shared.
func (h *Hub) encodeFor(f *outbound, format Format) {
	e := &f.enc[format]
	if e.made || f.encode == nil {
		return
	}
	e.made = true
	frames, err := f.encode(h.encoders[format])
	if err != nil {
		h.log.Error("encode "+f.what, "format", format, "seq", f.seq, "err", err)
		return
	}
	e.frames = frames
	h.stats.events.Add(1)
}

// reply returns an event for one subscriber reading format, encoded
// already.
func (h *Hub) reply(format Format, frames [][]byte) *outbound {
	f := &outbound{enc: make([]encoded, len(h.encoders))}
	f.enc[format] = encoded{made: true, frames: frames}
	return f
}
