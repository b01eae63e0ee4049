package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// An SSE client (-transport sse, or a third of each room with
// -transport mixed) is a room page in compatibility mode, as a browser
// whose websockets do not get through shows it: it loads
// /chat/rooms/{id}?transport=sse, opens the page's event stream
// (sse-connect) as an EventSource does, and swaps each event's
// fragments in, as htmx's SSE extension does; it sends by posting the
// page's form (hx-post) with the form's _csrf and token and the header
// HX-Request, and takes the fresh form in the answer for the
// acknowledgement, an alert (422, 429) for a refusal. Every message an
// event shows goes through the same checks as an htmx client's frames,
// and each event that shows messages must carry, as its id, the newest
// Seq it shows.
//
// It reconnects as Chromium and htmx-ext-sse 2.2.4 do: a stream that
// ends, or a connection that fails, is reopened after the reconnection
// time the server set (retry:) with the last event ID as Last-Event-ID,
// and the server sends every message after it; an answer that is not an
// event stream (a 503 from a server shutting down) makes the EventSource
// give up, and the extension opens a new one, without a last event ID,
// after 0.5 s doubling up to 64 s, and gets the log re-rendered, as the
// first stream of a page does. The event named by the page's sse-close
// closes the stream for good.

// sseHandshakeWait bounds the wait for an event stream's answer.
const sseHandshakeWait = 15 * time.Second

// maxSSEBuffer bounds an SSE client's read buffer, which it keeps for
// its life: a reader always behind, as -preset bigroom's are, spends the
// same CPU with 16 KiB as with 64 KiB (BenchmarkReadEvents, 3 runs on the
// 2-vCPU machine at load 11: 537-608 cpu-ns an event at 16 KiB, 560-632
// at 64 KiB, 750-813 at 4 KiB, with 0.035, 0.009 and 0.14 reads an
// event), so a thousand streams take 16 MB, not 64.
const maxSSEBuffer = 16 << 10

// hookedConn runs before ahead of every read from the socket. A reader
// through a buffer (the event stream's bufio.Reader) reads the socket
// only when the buffer holds no more of the stream, so before runs
// exactly when the client has handled every event that arrived so far
// and would otherwise wait: the moment to hand what it gathered to the
// run's shared records in one go.
type hookedConn struct {
	net.Conn
	before func()
}

func (h *hookedConn) Read(p []byte) (int, error) {
	h.before()
	return h.Conn.Read(p)
}

// sseClient is what an SSE client holds besides a client's.
type sseClient struct {
	// stream is the event stream's address (the page's sse-connect);
	// closeEvent the event after which the page closes it for good
	// (sse-close; empty: none).
	stream     *url.URL
	closeEvent string
	// post is where the send form posts (hx-post) and csrf its
	// anti-forgery token; the sender's once the page is loaded.
	post, csrf string
	// posts sends the form: a client of the run's post transport with the
	// person's cookies.
	posts *http.Client
	// postFrag is the sender's scratch for reading answers.
	postFrag fragment
	// rd reads the streams, on the reader's goroutine; alert is the text
	// of the last alert a stream showed (why the server ends it).
	rd    *eventReader
	alert string
}

// fromPage takes the compatibility mode's stream, form address and
// anti-forgery token from the room page p.
func (s *sseClient) fromPage(base *url.URL, p page) error {
	if p.stream == "" || p.post == "" || p.csrf == "" {
		return fmt.Errorf("room page not in compatibility mode: sse-connect %q, send form hx-post %q, _csrf %q", p.stream, p.post, p.csrf)
	}
	ref, err := url.Parse(p.stream)
	if err != nil {
		return fmt.Errorf("sse-connect %q: %w", p.stream, err)
	}
	s.stream, s.closeEvent = base.ResolveReference(ref), p.closeEvent
	s.post, s.csrf = p.post, p.csrf
	return nil
}

// streamOutcome is how one connection of an event stream ended.
type streamOutcome int

const (
	// streamEnded: the stream opened and later ended (the server closed
	// it, or the connection broke); the EventSource reconnects.
	streamEnded streamOutcome = iota
	// streamUnreachable: no answer came (the dial or the request
	// failed); the EventSource tries again.
	streamUnreachable
	// streamRefused: the answer was not an event stream; the
	// EventSource gives up and htmx opens a new one.
	streamRefused
	// streamClosed: the close event came; the page stops for good.
	streamClosed
)

// liveSSE keeps the client's event stream open until ctx ends,
// reconnecting as a browser's EventSource and htmx's SSE extension do.
func (c *client) liveSSE(ctx context.Context) {
	defer c.finish()
	s := c.sse
	s.rd = newEventReader(min(readBufferSize(c.r.sc), maxSSEBuffer))
	// backoff is htmx-ext-sse's retryCount; fails counts the attempts
	// in a row that opened no stream.
	backoff, fails := 0, 0
	for attempt := 0; ; attempt++ {
		began := time.Now()
		outcome, why := c.streamSSE(ctx, began)
		if ctx.Err() != nil {
			return
		}
		wait := s.rd.retry
		switch outcome {
		case streamEnded:
			fails, backoff = 0, 0
			c.r.count.streamEnds.Add(1)
		case streamClosed:
			c.r.count.gaveUp.Add(1)
			c.r.errs.add("conn %d (room %q): the event stream ended for good (event %q) after the alert %q", c.id, c.room.name, s.closeEvent, s.alert)
			return
		case streamRefused:
			backoff = max(min(backoff*2, 128), 1)
			wait = time.Duration(backoff) * 500 * time.Millisecond
			s.rd.forget()
		}
		if outcome != streamEnded {
			c.r.count.dialFailures.Add(1)
			if fails++; fails > c.r.opt.MaxRetries {
				c.r.count.gaveUp.Add(1)
				c.r.errs.add("conn %d (room %q): gave up after %d failed connections of its event stream: %s", c.id, c.room.name, fails, why)
				return
			}
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// streamSSE connects the event stream once and reads it until it ends;
// why says what went wrong when it did not open.
func (c *client) streamSSE(ctx context.Context, began time.Time) (outcome streamOutcome, why string) {
	s := c.sse
	rcvbuf := 0
	if c.slow {
		rcvbuf = c.r.sc.SlowRcvBuf
	}
	conn, err := c.r.src.dialer(rcvbuf)(ctx, "tcp", c.base.Host)
	if err != nil {
		return streamUnreachable, err.Error()
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	lastID := string(s.rd.lastID)
	_ = conn.SetDeadline(time.Now().Add(sseHandshakeWait))
	if _, err := conn.Write(c.streamRequest(lastID)); err != nil {
		return streamUnreachable, err.Error()
	}
	s.rd.reset(&hookedConn{Conn: conn, before: func() {
		c.flushPending()
		s.rd.release()
		if c.slow {
			c.pause(ctx)
		}
	}})
	resp, err := http.ReadResponse(s.rd.br, &http.Request{Method: http.MethodGet, URL: s.stream})
	if err != nil {
		return streamUnreachable, "reading the answer: " + err.Error()
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		return streamRefused, fmt.Sprintf("GET %s: %s, %q", s.stream.RequestURI(), resp.Status, resp.Header.Get("Content-Type"))
	}
	if resp.ContentLength >= 0 || len(resp.TransferEncoding) > 0 {
		// The hub's streams end with the connection; a reader of the
		// bare socket would take the framing for events.
		c.r.errs.add("conn %d: an event stream framed by %v, length %d, where the server's end with the connection", c.id, resp.TransferEncoding, resp.ContentLength)
		return streamRefused, "a framed event stream"
	}
	if cs := resp.Cookies(); len(cs) > 0 {
		c.who.jar.SetCookies(s.stream, cs)
	}
	_ = conn.SetDeadline(time.Time{})

	if c.opens.Add(1) == 1 {
		c.r.connect.record(c.id, time.Since(began))
	} else {
		c.r.count.reconnects.Add(1)
	}
	l := &link{conn: conn, down: make(chan struct{})}
	defer close(l.down)
	if !c.opening(l) {
		return streamEnded, ""
	}
	defer func() {
		c.mu.Lock()
		c.cur = nil
		c.up = make(chan struct{})
		c.mu.Unlock()
	}()
	c.amu.Lock()
	c.trace("stream open #%d, Last-Event-ID %q", c.opens.Load(), lastID)
	c.amu.Unlock()

	closed, err := c.readEvents(ctx)
	c.amu.Lock()
	c.trace("stream ended (%v), holding Seq %d, last event ID %q", err, c.last, s.rd.lastID)
	c.amu.Unlock()
	if closed {
		return streamClosed, ""
	}
	return streamEnded, ""
}

// streamRequest is an EventSource's request, with the page's cookies
// and, on a reconnection, the last event ID.
func (c *client) streamRequest(lastID string) []byte {
	s := c.sse
	b := make([]byte, 0, 512)
	b = append(b, "GET "...)
	b = append(b, s.stream.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, s.stream.Host...)
	b = append(b, "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n"...)
	if lastID != "" && !strings.ContainsAny(lastID, "\r\n") {
		b = append(b, "Last-Event-ID: "...)
		b = append(b, lastID...)
		b = append(b, "\r\n"...)
	}
	if cs := c.who.jar.Cookies(s.stream); len(cs) > 0 {
		b = append(b, "Cookie: "...)
		for i, ck := range cs {
			if i > 0 {
				b = append(b, "; "...)
			}
			b = append(b, ck.Name...)
			b = append(b, '=')
			b = append(b, ck.Value...)
		}
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// readEvents handles the stream's events until it ends (with the read's
// error) or the close event comes (closed).
func (c *client) readEvents(ctx context.Context) (closed bool, err error) {
	s := c.sse
	defer c.flushPending()
	for {
		ev, err := s.rd.next()
		if err != nil {
			return false, err
		}
		switch {
		case len(ev.typ) == 0 || string(ev.typ) == "message":
			c.event(ctx, ev)
		case s.closeEvent != "" && string(ev.typ) == s.closeEvent:
			return true, nil
		}
	}
}

// event handles one "message" event: its fragments, as htmx swaps them.
// Messages appended to the log are gathered in c.pend and accepted by
// flushPending, before the next read from the socket; a replaced log is
// handled at once.
func (c *client) event(ctx context.Context, ev event) {
	f := &c.frag
	if err := parseFragment(ev.data, f); err != nil {
		c.r.errs.add("conn %d (room %q): unreadable event: %v", c.id, c.room.name, err)
		return
	}
	if f.refusal != "" {
		c.sse.alert = f.refusal
	}
	if len(f.items) == 0 {
		return
	}
	newest := f.items[len(f.items)-1].seq
	if id, digits := leadingInt(ev.id); !ev.hasID {
		c.r.errs.add("conn %d (room %q): an event showing Seq %d..%d has no id", c.id, c.room.name, f.items[0].seq, newest)
	} else if digits == 0 || digits != len(ev.id) || id != newest {
		c.r.errs.add("conn %d (room %q): an event showing Seq %d..%d has id %q, want the newest Seq it shows", c.id, c.room.name, f.items[0].seq, newest, ev.id)
	}
	if f.replaced {
		c.flushPending()
		c.r.count.frames.Add(1)
		c.r.count.frameBytes.Add(int64(len(ev.data)))
		c.amu.Lock()
		c.replaceLog(ctx, f, c.r.now())
		c.amu.Unlock()
		return
	}
	if len(c.pend) == 0 {
		c.pendAt = c.r.now()
	}
	c.pend = append(c.pend, f.items...)
	c.pendFrames++
	c.pendBytes += int64(len(ev.data))
}

// errNoForm is a 200 answer to a send that holds no fresh form.
var errNoForm = errors.New("no fresh send form")

// postSSE sends text, m's body, with the send form as htmx posts it,
// and returns the answer; ok is false when none came (the server could
// not be reached, failed, or took longer than -reply-timeout), and the
// form is to be sent again as it is, which why says.
func (c *client) postSSE(ctx context.Context, m *message, text string) (rep reply, ok bool, why error) {
	s := c.sse
	form := url.Values{"_csrf": {s.csrf}, "token": {c.token}, "body": {text}}
	rctx, cancel := context.WithTimeout(ctx, c.r.opt.ReplyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.base.String()+s.post, strings.NewReader(form.Encode()))
	if err != nil {
		return reply{}, false, err
	}
	h := req.Header
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("Origin", c.base.String())
	h.Set("HX-Request", "true")
	h.Set("HX-Trigger", "send")
	h.Set("HX-Target", "send")
	h.Set("HX-Current-URL", c.base.String()+roomPath(c.room.id)+"?transport=sse")
	c.r.count.sent.Add(1)
	resp, err := s.posts.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxPage))
		resp.Body.Close()
	}
	switch {
	case ctx.Err() != nil:
		return reply{}, false, nil
	case rctx.Err() != nil:
		c.r.count.replyTimeouts.Add(1)
		c.r.errs.add("message %d: no answer within %v; sent again", m.idx, c.r.opt.ReplyTimeout)
		return reply{}, false, err
	case err != nil || resp.StatusCode >= 500:
		// The server is out of reach, or restarting: htmx reports it and
		// leaves the text in the form, which the person sends again a
		// moment later.
		if err == nil {
			err = fmt.Errorf("POST %s: %s", s.post, resp.Status)
		}
		sleep(ctx, retryWait)
		return reply{}, false, err
	}
	f := &s.postFrag
	perr := parseFragment(body, f)
	switch resp.StatusCode {
	case http.StatusOK:
		if perr == nil && f.token == "" {
			perr = errNoForm
		}
		if perr != nil {
			return reply{refusal: fmt.Sprintf("POST %s: %s: %v", s.post, resp.Status, perr)}, true, nil
		}
		if csrf, err := stringAfter(body, csrfValue); err == nil {
			s.csrf = html.UnescapeString(csrf)
		}
		return reply{token: f.token}, true, nil
	case http.StatusUnprocessableEntity, http.StatusTooManyRequests:
		if perr == nil && f.refusal != "" {
			return reply{refusal: f.refusal}, true, nil
		}
	}
	return reply{refusal: fmt.Sprintf("POST %s: %s: %q", s.post, resp.Status, body[:min(len(body), 200)])}, true, nil
}

// sseSenders gives each SSE sender its client for posting: one
// transport for all, keeping a connection for each sender, as a browser
// keeps one to the server beside its stream (the page loads' transport
// keeps fewer).
func (r *run) sseSenders() {
	var n int
	for _, c := range r.senders {
		if c.kind == kindSSE {
			n++
		}
	}
	if n == 0 {
		return
	}
	r.postTr = &http.Transport{
		DialContext:         r.src.dialer(0),
		MaxIdleConns:        n,
		MaxIdleConnsPerHost: n,
		IdleConnTimeout:     30 * time.Second,
	}
	for _, c := range r.senders {
		if c.kind == kindSSE {
			c.sse.posts = &http.Client{
				Transport:     r.postTr,
				Jar:           c.who.jar,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
		}
	}
}
