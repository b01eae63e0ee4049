package main

import (
	"context"
	"encoding/json"
	"html"

	"github.com/gorilla/websocket"

	"hxchat/stomp"
)

// readSTOMP handles messages until the socket fails or closes. Each
// websocket message holds one frame (or a part of one, or several: the
// decoder takes any split).
func (c *client) readSTOMP(ctx context.Context, ws *websocket.Conn, dec *stomp.Decoder) int {
	defer c.flushPending()
	for {
		if c.slow {
			c.flushPending()
			c.pause(ctx)
		}
		_, rd, err := ws.NextReader()
		if err == nil {
			c.buf, err = readAll(c.buf[:0], rd)
		}
		if err != nil {
			return closeCode(err)
		}
		dec.Feed(c.buf)
		for {
			f, err := dec.Next()
			if err != nil {
				c.r.errs.add("conn %d: unreadable STOMP frame from the server: %v", c.id, err)
				return websocket.CloseProtocolError
			}
			if f == nil {
				break
			}
			c.frameSTOMP(f, len(c.buf))
		}
	}
}

// frameSTOMP handles one frame from the server; size is the websocket
// message it came in, for the report's frame sizes. The room's messages
// are gathered in c.pend and accepted by flushPending; answers to sends
// go to the sender at once.
func (c *client) frameSTOMP(f *stomp.Frame, size int) {
	switch f.Command {
	case stomp.MESSAGE:
		sub, _ := f.Get("subscription")
		switch sub {
		case subErrors:
			c.refusedSTOMP(f.Body)
			return
		case subRoom:
		default:
			c.r.errs.add("conn %d: MESSAGE for subscription %q, which it never made", c.id, sub)
			return
		}
		b, err := parseChatBody(f.Body)
		if err != nil {
			c.r.errs.add("conn %d (room %q): unreadable MESSAGE body: %v: %q", c.id, c.room.name, err, f.Body)
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
			c.r.errs.add("conn %d (room %q): a CHAT MESSAGE without a seq: %q", c.id, c.room.name, f.Body)
			return
		}
		if len(c.pend) == 0 {
			c.pendAt = c.r.now()
		}
		c.pend = append(c.pend, item{seq: b.seq, body: c.comparable(b.message)})
		c.pendFrames++
		c.pendBytes += int64(size)
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
	c.pend, c.pendFrames, c.pendBytes = c.pend[:0], 0, 0
}
