package hub

import "hxchat/chat"

// outbound is one event on its way to a room's subscribers, with its
// encodings: each is made once, for the first subscriber of its format,
// and shared by every other (a queue slot is a pointer to it).
type outbound struct {
	// seq is the Seq of the newest message the event shows, or 0 for
	// events that carry no message (presence, replies to one subscriber);
	// first is the Seq of its oldest, and msgs are the messages, first to
	// seq, for a subscriber that holds some of them already.
	seq, first int64
	msgs       []chat.Message
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
	// framed is, for the pages' format, the event's one frame as a whole
	// websocket message, header included, made once for every page that
	// holds everything before it: they write these bytes as they are
	// (frames[0] is its payload).
	framed []byte
}

// event returns an event for the room's subscribers; encode is called
// once for each format present when it is fanned out.
func (h *Hub) event(seq int64, what string, encode func(Encoder) ([][]byte, error)) *outbound {
	return &outbound{seq: seq, what: what, enc: make([]encoded, len(h.encoders)), encode: encode}
}

// messageEvent returns the event showing m.
func (h *Hub) messageEvent(room int64, m chat.Message) *outbound {
	return h.messagesEvent(room, []chat.Message{m})
}

// messagesEvent returns one event showing msgs, consecutive messages in
// ascending Seq, encoded together: one fragment, one resume marker and,
// for pages, one websocket message for all of them.
func (h *Hub) messagesEvent(room int64, msgs []chat.Message) *outbound {
	f := h.event(msgs[len(msgs)-1].Seq, "messages", func(e Encoder) ([][]byte, error) {
		return e.Messages(room, msgs)
	})
	f.first, f.msgs = msgs[0].Seq, msgs
	return f
}

// weight is what f counts for in a subscriber's queue: its messages, or
// one.
func (f *outbound) weight() int {
	if f.seq == 0 {
		return 1
	}
	return int(f.seq - f.first + 1)
}

// after returns the messages of f newer than shown.
func (f *outbound) after(shown int64) []chat.Message {
	i := 0
	for i < len(f.msgs) && f.msgs[i].Seq <= shown {
		i++
	}
	return f.msgs[i:]
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
	if format == pageFormat && len(frames) == 1 {
		framed := appendTextHeader(make([]byte, 0, len(frames[0])+10), len(frames[0]))
		framed = append(framed, frames[0]...)
		e.framed, e.frames = framed, [][]byte{framed[len(framed)-len(frames[0]):]}
	}
	h.stats.events.Add(1)
}

// reply returns an event for one subscriber reading format, encoded
// already.
func (h *Hub) reply(format Format, frames [][]byte) *outbound {
	f := &outbound{enc: make([]encoded, len(h.encoders))}
	f.enc[format] = encoded{made: true, frames: frames}
	return f
}
