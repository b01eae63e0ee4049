package handlers_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

// client is a room page with its websocket open, as htmx's websocket
// extension drives it.
type client struct {
	b    *browser
	room int64
	conn *websocket.Conn
	// name is the display name the page showed.
	name string
	// token is the token of the send form the page holds now.
	token string
	// presence collects the presence frames that MustNextContent and
	// friends skipped, in order.
	presence []string
	// pending are the updates of the last frame read that MustNext has
	// not returned yet.
	pending []string
	// opened counts the fragments saying the socket opened.
	opened int
}

// dial opens room's page in a new browser and connects it.
func dial(t *testing.T, s *stack, room chat.Room) *client {
	t.Helper()
	return s.newBrowser(t).MustOpen(t, room.ID)
}

// MustOpen loads room's page, then connects its websocket, resumes after
// the newest message the page shows and waits until the connection is
// live (the first presence frame: this person joining, or, for a second
// tab, the online list).
func (b *browser) MustOpen(t *testing.T, room int64) *client {
	t.Helper()
	page := b.MustGet(t, "/chat/rooms/"+strconv.FormatInt(room, 10))
	if page.status != http.StatusOK {
		t.Fatalf("room page: status %d, want 200", page.status)
	}
	doc := page.doc(t)
	after, err := strconv.ParseInt(attr(byID(doc, "resume-after"), "value"), 10, 64)
	if err != nil {
		t.Fatalf("room page: resume-after: %v", err)
	}
	c := b.MustConnect(t, room, after)
	c.name = textOf(byID(doc, "me"))
	c.token = attr(first(byID(doc, "send"), hasAttr("name", "token")), "value")
	if c.name == "" || c.token == "" {
		t.Fatalf("room page: name %q, token %q: want both", c.name, c.token)
	}
	if caught := c.MustLive(t); len(caught) != 0 {
		t.Fatalf("fresh page got catch-up frames %q, want none", caught)
	}
	return c
}

// MustConnect dials room's websocket with the browser's cookies and the
// page's Origin, and sends the resume form with after. It does not wait
// for anything.
func (b *browser) MustConnect(t *testing.T, room, after int64) *client {
	t.Helper()
	conn := b.MustDial(t, room, http.Header{"Origin": {b.s.srv.URL}})
	c := &client{b: b, room: room, conn: conn}
	c.MustSendJSON(t, map[string]any{"after": strconv.FormatInt(after, 10), "HEADERS": headers("resume", c.pageURL())})
	return c
}

// MustDial opens room's websocket with header and the browser's cookies.
func (b *browser) MustDial(t *testing.T, room int64, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := b.dialer().DialContext(t.Context(), b.wsURL(room), header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial room %d: %v (status %d)", room, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func (b *browser) dialer() *websocket.Dialer {
	return &websocket.Dialer{Jar: b.jar, HandshakeTimeout: wait}
}

func (b *browser) wsURL(room int64) string {
	return "ws" + strings.TrimPrefix(b.s.srv.URL, "http") + "/ws/chat?room=" + strconv.FormatInt(room, 10)
}

func (c *client) pageURL() string { return c.b.s.url("/chat/rooms/" + strconv.FormatInt(c.room, 10)) }

// headers is the HEADERS object htmx's websocket extension adds.
func headers(trigger, page string) map[string]any {
	return map[string]any{
		"HX-Request": "true", "HX-Trigger": trigger, "HX-Trigger-Name": nil,
		"HX-Target": trigger, "HX-Current-URL": page,
	}
}

// MustLive reads frames up to and including the first presence frame
// and returns those before it: what the server sent to catch up.
func (c *client) MustLive(t *testing.T) []string {
	t.Helper()
	var caught []string
	for {
		f := c.MustNext(t)
		if kindOf(t, f) == kindPresence {
			return caught
		}
		caught = append(caught, f)
	}
}

// MustSendJSON sends v as a text frame.
func (c *client) MustSendJSON(t *testing.T, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal frame: %v", err)
	}
	c.MustSendRaw(t, string(data))
}

// MustSendRaw sends data as a text frame.
func (c *client) MustSendRaw(t *testing.T, data string) {
	t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(wait))
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// MustSend submits the send form with body and the form's token.
func (c *client) MustSend(t *testing.T, body string) { c.MustSendToken(t, body, c.token) }

// MustSendToken submits the send form with body and token.
func (c *client) MustSendToken(t *testing.T, body, token string) {
	t.Helper()
	c.MustSendJSON(t, map[string]any{"body": body, "token": token, "HEADERS": headers("send", c.pageURL())})
}

// MustNext returns the next update the page receives, failing after
// wait. The server may send several updates in one frame (what was queued
// together goes out together); htmx swaps each top-level element on its
// own, so the tests see one update at a time, as if each had its frame.
//
// The fragment saying the socket opened (views.Live) is counted in
// c.opened and skipped.
func (c *client) MustNext(t *testing.T) string {
	t.Helper()
	for {
		if len(c.pending) == 0 {
			c.pending = splitUpdates(t, c.mustNextFrame(t))
		}
		u := c.pending[0]
		c.pending = c.pending[1:]
		if kindOf(t, u) != kindLive {
			return u
		}
		c.opened++
	}
}

// splitUpdates cuts a frame into updates: a message with its resume
// marker, a log with its marker, a reply form with its alert, an online
// list with its notices, an alert.
func splitUpdates(t *testing.T, f string) []string {
	t.Helper()
	var out []string
	for _, e := range elements(parseFrame(t, f)) {
		var b strings.Builder
		if err := html.Render(&b, e); err != nil {
			t.Fatalf("render %q: %v", f, err)
		}
		var prev kind
		if len(out) > 0 {
			prev = kindOf(t, out[len(out)-1])
		}
		joins := attr(e, "id") == "resume-after" ||
			(attr(e, "id") == "send-error" && prev == kindSent && !strings.Contains(out[len(out)-1], `id="send-error"`)) ||
			(attr(e, "hx-swap-oob") == "beforeend:#messages" && first(e, hasClass("message")) == nil && prev == kindPresence)
		if joins && len(out) > 0 {
			out[len(out)-1] += b.String()
			continue
		}
		out = append(out, b.String())
	}
	return out
}

// mustNextFrame reads the next websocket frame, failing after wait.
func (c *client) mustNextFrame(t *testing.T) string {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	typ, data, err := c.conn.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("frame type: got %d, want text", typ)
	}
	return string(data)
}

// MustNextContent reads the next frame that is not a presence frame,
// keeping skipped presence frames in c.presence.
func (c *client) MustNextContent(t *testing.T) string {
	t.Helper()
	for {
		f := c.MustNext(t)
		if kindOf(t, f) != kindPresence {
			return f
		}
		c.presence = append(c.presence, f)
	}
}

// MustNextMessages reads the next content frame, checks that it appends
// messages and returns them.
func (c *client) MustNextMessages(t *testing.T) []shown {
	t.Helper()
	f := c.MustNextContent(t)
	if k := kindOf(t, f); k != kindMessages {
		t.Fatalf("frame: got %s %q, want appended messages", k, f)
	}
	return messagesIn(parseFrame(t, f))
}

// MustNextSent reads the next content frame, checks that it is the reply
// to a stored message (a fresh form with a new token and an empty alert)
// and makes the new token the page's.
func (c *client) MustNextSent(t *testing.T) {
	t.Helper()
	f := c.MustNextContent(t)
	root := parseFrame(t, f)
	if got, want := topIDs(root), []string{"send", "send-error"}; !slices.Equal(got, want) {
		t.Fatalf("reply to a send: top-level ids %q, want %q; frame %q", got, want, f)
	}
	token := attr(first(root, hasAttr("name", "token")), "value")
	if token == "" || token == c.token {
		t.Errorf("fresh form token: got %q, want a new one (old %q)", token, c.token)
	}
	if a := byID(root, "send-error"); attr(a, "role") != "alert" || textOf(a) != "" {
		t.Errorf("alert after a send: role %q text %q, want role alert, empty", attr(a, "role"), textOf(a))
	}
	if body := first(root, hasAttr("name", "body")); body == nil || attr(body, "value") != "" || textOf(body) != "" {
		t.Errorf("fresh form: want an empty body field, frame %q", f)
	}
	c.token = token
}

// MustNextAlert reads the next content frame, checks that it is only the
// alert (no form, so the typed text stays) and returns its text.
func (c *client) MustNextAlert(t *testing.T) string {
	t.Helper()
	f := c.MustNextContent(t)
	root := parseFrame(t, f)
	if got, want := topIDs(root), []string{"send-error"}; !slices.Equal(got, want) {
		t.Fatalf("refusal: top-level ids %q, want %q; frame %q", got, want, f)
	}
	a := byID(root, "send-error")
	if attr(a, "role") != "alert" {
		t.Errorf("refusal: role %q, want alert", attr(a, "role"))
	}
	return textOf(a)
}

// MustPost sends body, waits for its broadcast and the fresh form, and
// returns the message's Seq.
func (c *client) MustPost(t *testing.T, body string) int64 {
	t.Helper()
	c.MustSend(t, body)
	got := c.MustNextMessages(t)
	if len(got) != 1 || got[0].Body != body || got[0].Author != c.name {
		t.Fatalf("own message: got %+v, want one %q by %q", got, body, c.name)
	}
	c.MustNextSent(t)
	return got[0].Seq
}

// MustClose closes the socket as a browser leaving the page does.
func (c *client) MustClose(t *testing.T) {
	t.Helper()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "")
	_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(wait))
	if err := c.conn.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// notices returns the join/leave notices of the presence frames f.
func notices(t *testing.T, frames []string) []string {
	t.Helper()
	var out []string
	for _, f := range frames {
		root := parseFrame(t, f)
		for _, n := range all(root, hasClass("notice")) {
			out = append(out, textOf(n))
		}
	}
	return out
}

// Frame kinds, told by a frame's first top-level element.
type kind string

const (
	kindPresence kind = "presence" // <ul id="online">, maybe a notice
	kindMessages kind = "messages" // <div hx-swap-oob="beforeend:#messages"> with messages
	kindLog      kind = "log"      // <ol id="messages">: the whole log
	kindSent     kind = "sent"     // <form id="send">: reply to a stored message
	kindAlert    kind = "alert"    // <p id="send-error">: a refusal
	kindLive     kind = "live"     // <p id="live-hint" hidden>: the socket opened
)

// kindOf classifies frame f.
func kindOf(t *testing.T, f string) kind {
	t.Helper()
	top := elements(parseFrame(t, f))
	if len(top) == 0 {
		t.Fatalf("frame without elements: %q", f)
	}
	switch e := top[0]; {
	case attr(e, "id") == "online":
		return kindPresence
	case attr(e, "hx-swap-oob") == "beforeend:#messages" && first(e, hasClass("message")) != nil:
		return kindMessages
	case attr(e, "id") == "messages":
		return kindLog
	case attr(e, "id") == "send":
		return kindSent
	case attr(e, "id") == "send-error":
		return kindAlert
	case attr(e, "id") == "live-hint":
		return kindLive
	}
	t.Fatalf("unknown frame: %q", f)
	return ""
}

// shown is a message as a page shows it.
type shown struct {
	Seq    int64
	Author string
	Body   string
}

// messagesIn returns the messages under n, in document order.
func messagesIn(n *html.Node) []shown {
	var out []shown
	for _, li := range all(n, and(tag(atom.Li), hasClass("message"))) {
		seq, _ := strconv.ParseInt(attr(li, "data-seq"), 10, 64)
		out = append(out, shown{
			Seq:    seq,
			Author: textOf(first(li, tag(atom.Bdi))),
			Body:   rawText(first(li, tag(atom.P))),
		})
	}
	return out
}

// seqsOf returns the Seqs of msgs.
func seqsOf(msgs []shown) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

// resumeAfter returns the value of the resume marker under n.
func resumeAfter(t *testing.T, n *html.Node) int64 {
	t.Helper()
	in := byID(n, "resume-after")
	if in == nil {
		t.Fatalf("no resume-after input")
	}
	v, err := strconv.ParseInt(attr(in, "value"), 10, 64)
	if err != nil {
		t.Fatalf("resume-after: %v", err)
	}
	return v
}
