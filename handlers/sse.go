package handlers

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/views"
)

// stream serves /sse/chat?room=ID, compatibility mode's live updates:
// the room's fragments as server-sent events, which htmx's SSE extension
// swaps out of band, as the websocket extension does. Access is the
// websocket's: the session and membership at connect, then the hub's
// delivery to members only, and the closing of ended sessions and
// removed members.
//
// A browser that reconnects with Last-Event-ID, the Seq of the newest
// message it shows, gets every message after it, each once and in order;
// one that reconnects without (htmx's SSE extension opens a new
// EventSource after a failed one) gets the log re-rendered.
func (h *Handler) stream(c echo.Context) error {
	r, err := h.enterLive(c)
	if err != nil {
		return err
	}
	id := r.ID
	if r.Archived {
		return h.refuseStream(c, chat.Fail(chat.Archived))
	}
	release, err := h.svc.Connect(h.limitKey(c))
	if err != nil {
		return h.refuseStream(c, err)
	}
	s, err := h.openStream(c)
	if err != nil {
		release()
		return err
	}
	if err := s.Send([][]byte{retryField()}); err != nil {
		s.Close(nil)
		release()
		return nil
	}
	w := sseWire{Stream: s, format: h.cfg.SSEFormat}
	m := member(c, id)
	var cl *hub.Client
	if after, ok := lastEventID(c); ok {
		cl, err = h.hub.Subscribe(w, m, after)
	} else {
		cl, err = h.hub.SubscribeLog(w, m)
	}
	if err != nil {
		// The browser reconnects, to this instance once it is back or to
		// another.
		s.Close(nil)
		release()
		if !errors.Is(err, hub.ErrShuttingDown) {
			h.log.Error("subscribe event stream", "room", id, "err", err)
		}
		return nil
	}
	// The stream goes on after this handler returns, on a goroutine that
	// waits for the browser to go (see hub.Stream).
	go func() {
		s.Wait()
		cl.Leave()
		s.Close(nil)
		release()
	}()
	return nil
}

// refuseStream answers with a stream holding only the alert saying why
// the page gets no live updates, and the event that makes the page stop
// trying.
func (h *Handler) refuseStream(c echo.Context, why error) error {
	data, err := views.Bytes(c.Request().Context(), views.SendFailed(why))
	if err != nil {
		return err
	}
	s, err := h.openStream(c)
	if err != nil {
		return err
	}
	s.Close(append(appendEvent(nil, -1, data), streamEndEvent...))
	return nil
}

// openStream answers the request as an event stream and takes over its
// connection.
func (h *Handler) openStream(c echo.Context) (*hub.Stream, error) {
	header := c.Response().Header()
	header.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	// no-store, beyond the no-cache that streams need: the events carry
	// a room's messages.
	header.Set(echo.HeaderCacheControl, "no-cache, no-store")
	// Proxies that buffer responses (nginx) pass these events at once.
	header.Set("X-Accel-Buffering", "no")
	return h.hub.OpenStream(c.Response(), c.Request())
}

// isEventStream reports whether the request is a browser's EventSource,
// which asks for nothing but an event stream.
func isEventStream(c echo.Context) bool {
	return c.Request().Header.Get(echo.HeaderAccept) == "text/event-stream"
}

// lastEventID is the Seq of the newest message the reconnecting browser
// shows, from its Last-Event-ID header.
func lastEventID(c echo.Context) (int64, bool) {
	v := c.Request().Header.Get("Last-Event-ID")
	if v == "" {
		return 0, false
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	if err != nil || seq < 0 {
		return 0, false
	}
	return seq, true
}

// retryField sets how long the browser waits before it reconnects: 1 to
// 5 s, different for every stream, so that after a restart the pages of
// an instance do not all come back in the same instant.
func retryField() []byte {
	ms := 1000 + rand.IntN(4000)
	return []byte("retry: " + strconv.Itoa(ms) + "\n\n")
}

// keepAlive is a comment, which the browser ignores: it keeps a quiet
// stream's proxies from timing it out, and finds a peer that is gone.
var keepAlive = []byte(": keep-alive\n\n")

// streamEndEvent makes the page close its event stream for good (its
// sse-close attribute names it), after the alert saying why.
var streamEndEvent = []byte("event: " + views.StreamEnd + "\ndata: end\n\n")

// sseWire is an event stream as a hub subscriber's wire.
type sseWire struct {
	*hub.Stream
	format hub.Format
}

func (w sseWire) Format() hub.Format { return w.format }

// Ping writes a comment: a stream's peer sends nothing back, and a write
// to a peer that is gone fails within WriteWait once the connection's
// buffers are full, or when its TCP keep-alive gives up.
func (w sseWire) Ping() error { return w.Send([][]byte{keepAlive}) }

// LastHeard is now: a stream's peer never speaks, and a closed one ends
// Wait.
func (w sseWire) LastHeard() time.Time { return time.Now() }

// Close sends note, then, for a close the page must not reconnect after
// (a session ended, a member removed), the end event; any other close
// makes the browser reconnect and resume by Last-Event-ID.
func (w sseWire) Close(code int, _ string, note [][]byte) {
	var last []byte
	for _, f := range note {
		last = append(last, f...)
	}
	if code == hub.ClosePolicy {
		last = append(last, streamEndEvent...)
	}
	w.Stream.Close(last)
}

// SSEEncoder encodes the hub's events as server-sent events carrying the
// fragments r renders, the same a page's websocket receives. An event
// that shows messages has as its id the newest Seq it shows, which the
// browser sends back as Last-Event-ID when it reconnects.
func SSEEncoder(r hub.Renderer) hub.Encoder { return sseEncoder{r} }

type sseEncoder struct{ r hub.Renderer }

func (e sseEncoder) Messages(room int64, msgs []chat.Message) ([][]byte, error) {
	b, err := e.r.Messages(room, msgs)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	return [][]byte{appendEvent(nil, msgs[len(msgs)-1].Seq, b)}, nil
}

func (e sseEncoder) Log(room int64, page chat.Page) ([][]byte, error) {
	b, err := e.r.Log(room, page)
	if err != nil {
		return nil, err
	}
	return [][]byte{appendEvent(nil, page.Newest(), b)}, nil
}

func (e sseEncoder) Presence(p chat.Presence) ([][]byte, error) {
	b, err := e.r.Presence(p)
	if err != nil {
		return nil, err
	}
	return [][]byte{appendEvent(nil, -1, b)}, nil
}

func (e sseEncoder) Ended(reason chat.Reason) ([][]byte, error) {
	b, err := e.r.Ended(reason)
	if err != nil {
		return nil, err
	}
	return [][]byte{appendEvent(nil, -1, b)}, nil
}

// appendEvent appends a "message" event holding data, with id unless it
// is negative. Every line of data becomes a data field, CR LF and CR
// ending a line as LF does (the browser joins the fields with LF, as an
// HTML parser reads CR anyway).
func appendEvent(dst []byte, id int64, data []byte) []byte {
	if id >= 0 {
		dst = append(dst, "id: "...)
		dst = strconv.AppendInt(dst, id, 10)
		dst = append(dst, '\n')
	}
	for {
		i := bytes.IndexAny(data, "\r\n")
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}
