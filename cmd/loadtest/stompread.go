package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"strconv"

	"github.com/gorilla/websocket"

	"hxchat/stomp"
)

// readSTOMP handles messages until the socket fails or closes. Each
// websocket message holds one frame (or a part of one, or several: the
// decoder takes any split). A whole MESSAGE frame, which nearly every
// message is, is read in place by readMessage; whatever else (a RECEIPT,
// an ERROR, a frame split over messages, an escape in a header) goes
// through the project's own decoder, which reads any frame, so that both
// read every frame alike.
func (c *client) readSTOMP(ctx context.Context, in *wsReader, dec *stomp.Decoder) int {
	defer c.flushPending()
	for {
		if c.slow {
			c.flushPending()
			c.pause(ctx)
		}
		msg, err := in.next()
		if err != nil {
			return closeCode(err)
		}
		rest := msg
		for len(rest) > 0 && !dec.Pending() {
			sub, body, n, ok := readMessage(rest, c.sent.frame)
			if !ok {
				break
			}
			c.messageSTOMP(sub, body, len(msg))
			rest = rest[n:]
		}
		if len(rest) == 0 {
			continue
		}
		dec.Feed(rest)
		for {
			f, err := dec.Next()
			if err != nil {
				c.r.errs.add("conn %d: unreadable STOMP frame from the server: %v", c.id, err)
				return websocket.CloseProtocolError
			}
			if f == nil {
				break
			}
			c.frameSTOMP(f, len(msg))
		}
	}
}

// messageLine is a MESSAGE frame's command line.
var messageLine = []byte(stomp.MESSAGE + "\n")

// readMessage reads the MESSAGE frame at the start of b in place, with
// the default limits of the decoder the client reads everything else
// with, and returns its subscription header, its body and its length;
// ok is false when b starts with no whole frame that the decoder would
// read the same way without unescaping: another command, a frame b ends
// inside, a CR or a backslash in its headers, no content-length, a limit
// crossed or no NUL after the body. Then the decoder reads it, and
// reports what is wrong with it. sent is what the server writes ahead of
// a message-id on the client's room subscription (sentHeads.frame).
//
// Every delivery goes through here, a million a second in -preset
// bigroom -transport stomp. BenchmarkReadMessage: 0.03 µs and no
// allocation a frame as the server lays it out, 0.07 µs header by
// header, against 0.5-0.6 µs and 8 allocations through the decoder,
// which makes a Frame, its headers' strings and a copy of the body.
func readMessage(b []byte, sent string) (sub, body []byte, n int, ok bool) {
	sub, i, length, ok := headAsSent(b, sent)
	if !ok {
		if sub, i, length, ok = head(b); !ok {
			return nil, nil, 0, false
		}
		// Escapes and CRs are looked for once, in all the headers.
		if h := b[len(messageLine):i]; bytes.IndexByte(h, '\\') >= 0 || bytes.IndexByte(h, '\r') >= 0 {
			return nil, nil, 0, false
		}
	}
	if length < 0 || length > stomp.DefaultMaxBody || i+length+1 > stomp.DefaultMaxFrame ||
		i+length >= len(b) || b[i+length] != 0 {
		return nil, nil, 0, false
	}
	return sub, b[i : i+length], i + length + 1, true
}

// A MESSAGE frame's command and headers as the server writes them (a
// subscription's headers, then the tail stomp.Encoder made), but for
// the values of subscription, destination, message-id and
// content-length.
const (
	sentSubscription = stomp.MESSAGE + "\nsubscription:"
	sentDestination  = "\ndestination:"
	sentMessageID    = "\nmessage-id:"
	sentLength       = "\ncontent-type:" + stomp.ContentType + "\ncontent-length:"
)

// sentHeads are what the server writes ahead of the first part that
// varies from message to message of a room's subscription: in the
// frame, the command and headers before message-id's value; in a CHAT
// body, everything before the writer's name.
type sentHeads struct {
	frame, body string
}

func headsOf(room int64) sentHeads {
	id := strconv.FormatInt(room, 10)
	return sentHeads{
		frame: sentSubscription + subRoom + sentDestination + stomp.RoomDestination(room) + sentMessageID,
		body:  `{"type":"CHAT","chatRoomId":"` + id + `","writer":"`,
	}
}

// headAsSent reads the command and headers at the start of b when they
// are those of a MESSAGE on the client's room subscription, laid out as
// the server writes them: sent, the message-id's value, then the
// content-type and the content-length. It returns the subscription,
// where the body starts and the content-length; ok is false for
// anything else.
func headAsSent(b []byte, sent string) (sub []byte, body, length int, ok bool) {
	i := len(sent)
	if i < len(sentSubscription)+len(subRoom) || len(b) < i || string(b[:i]) != sent {
		return nil, 0, 0, false
	}
	eol := bytes.IndexByte(b[i:], '\n')
	if eol < 0 || eol+len("message-id:") > stomp.DefaultMaxHeaderLine {
		return nil, 0, 0, false
	}
	for _, c := range b[i : i+eol] {
		if c == '\\' || c == '\r' {
			return nil, 0, 0, false
		}
	}
	i += eol
	if i+len(sentLength) > len(b) || string(b[i:i+len(sentLength)]) != sentLength {
		return nil, 0, 0, false
	}
	i += len(sentLength)
	v, digits := leadingInt(b[i:])
	i += digits
	if digits == 0 || i+2 > len(b) || b[i] != '\n' || b[i+1] != '\n' {
		return nil, 0, 0, false
	}
	from := len(sentSubscription)
	return b[from : from+len(subRoom)], i + 2, int(v), true
}

// head reads the command and headers at the start of b header by header,
// for headAsSent's result.
func head(b []byte) (sub []byte, body, length int, ok bool) {
	if len(b) < len(messageLine) || string(b[:len(messageLine)]) != string(messageLine) {
		return nil, 0, 0, false
	}
	i := len(messageLine)
	length, haveSub, headers := -1, false, 0
	for {
		eol := bytes.IndexByte(b[i:], '\n')
		if eol < 0 {
			return nil, 0, 0, false
		}
		line := b[i : i+eol]
		i += eol + 1
		if len(line) == 0 {
			return sub, i, length, true
		}
		if headers++; headers > stomp.DefaultMaxHeaders || len(line) > stomp.DefaultMaxHeaderLine {
			return nil, 0, 0, false
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, 0, 0, false
		}
		switch key, val := line[:colon], line[colon+1:]; string(key) {
		case "subscription":
			if !haveSub { // the first of repeated headers counts
				sub, haveSub = val, true
			}
		case stomp.HeaderContentLength:
			if length >= 0 {
				break
			}
			v, digits := leadingInt(val)
			if digits == 0 || digits != len(val) {
				return nil, 0, 0, false
			}
			length = int(v)
		}
	}
}

// frameSTOMP handles one frame from the decoder; size is the websocket
// message it came in, for the report's frame sizes. Answers to sends go
// to the sender at once.
func (c *client) frameSTOMP(f *stomp.Frame, size int) {
	switch f.Command {
	case stomp.MESSAGE:
		sub, _ := f.Get("subscription")
		c.messageSTOMP([]byte(sub), f.Body, size)
	case stomp.RECEIPT:
		id, _ := f.Get("receipt-id")
		c.answer(reply{receipt: id})
	case stomp.ERROR:
		c.stompErr, _ = f.Get("message")
		c.amu.Lock()
		c.trace("ERROR %q", c.stompErr)
		c.amu.Unlock()
	default:
		c.r.errs.add("conn %d: unexpected %s frame from the server", c.id, f.Command)
	}
}

// messageSTOMP handles a MESSAGE of subscription sub; size is the
// websocket message it came in. The room's messages are gathered in
// c.pend, their texts copied to c.pendText (body is the caller's
// buffer, which the next message overwrites), and accepted by
// flushPending.
func (c *client) messageSTOMP(sub, body []byte, size int) {
	switch string(sub) {
	case subErrors:
		c.refusedSTOMP(body)
		return
	case subRoom:
	default:
		c.r.errs.add("conn %d: MESSAGE for subscription %q, which it never made", c.id, sub)
		return
	}
	b := &c.chat
	if err := parseChatBody(body, c.sent.body, b); err != nil {
		c.r.errs.add("conn %d (room %q): unreadable MESSAGE body: %v: %q", c.id, c.room.name, err, body)
		return
	}
	if string(b.typ) != "CHAT" {
		return // JOIN and LEAVE notices
	}
	if id, n := leadingInt(b.room); n == 0 || n != len(b.room) || id != c.room.id {
		c.r.count.mismatches.Add(1)
		c.r.errs.add("conn %d (room %q): a MESSAGE of chatRoomId %q on its room's subscription", c.id, c.room.name, b.room)
		return
	}
	if b.seq <= 0 {
		c.r.errs.add("conn %d (room %q): a CHAT MESSAGE without a seq: %q", c.id, c.room.name, body)
		return
	}
	author, n := leadingInt(b.author)
	if n == 0 || n != len(b.author) {
		c.r.errs.add("conn %d (room %q): a CHAT MESSAGE whose writerId is not a number: %q", c.id, c.room.name, body)
		return
	}
	if len(c.pend) == 0 {
		c.pendAt = c.r.now()
	}
	from := len(c.pendText)
	c.pendText = append(c.pendText, c.comparable(b.message)...)
	c.pend = append(c.pend, item{seq: b.seq, author: author, body: c.pendText[from:len(c.pendText):len(c.pendText)]})
	c.pendFrames++
	c.pendBytes += int64(size)
}

// comparable returns a message text as an htmx client reads the same
// message: a fragment shows it HTML-escaped, so another poster's text
// (which the tool compares by a hash under its Seq across connections)
// is escaped alike. The run's own bodies need no escaping.
func (c *client) comparable(text []byte) []byte {
	if _, _, ours := c.r.parseBody(text); ours {
		return text
	}
	return []byte(html.EscapeString(string(text)))
}

// refusedSTOMP hands a refusal told on the errors queue to the sender;
// a refused SEND gets no RECEIPT.
func (c *client) refusedSTOMP(body []byte) {
	var e struct {
		Type, Reason, Message, Receipt string
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Reason == "" {
		c.r.errs.add("conn %d: unreadable MESSAGE on %s: %q", c.id, stomp.ErrorsQueue, body)
		return
	}
	c.answer(reply{receipt: e.Receipt, refusal: e.Reason + ": " + e.Message})
}

// flushPending accepts the messages a STOMP or SSE client gathered since
// the last time, together, as an htmx client accepts one frame's: a
// thousand readers touching the room's record, the histogram and the
// counters once per message would make the tool, not the server, the
// bottleneck. It runs on the reader's goroutine, before each read from
// the socket.
func (c *client) flushPending() {
	if len(c.pend) == 0 {
		return
	}
	c.r.count.frames.Add(c.pendFrames)
	c.r.count.frameBytes.Add(c.pendBytes)
	c.amu.Lock()
	c.accept(c.pend, false, c.pendAt)
	c.amu.Unlock()
	clear(c.pend) // let the bodies go
	c.pend, c.pendText, c.pendFrames, c.pendBytes = c.pend[:0], c.pendText[:0], 0, 0
}
