package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/views"
)

func TestParsePageCompatibilityMode(t *testing.T) {
	room := func(tr views.Transport) views.RoomPage {
		return views.RoomPage{
			Layout:    views.Layout{Title: "General", Me: chat.User{ID: 3, Name: "member3"}, CSRF: "c&1"},
			Room:      chat.Room{ID: 7, Name: "General"},
			Page:      chat.Page{Messages: []chat.Message{msg(41, "x"), msg(42, "y")}},
			Send:      views.SendForm{Room: 7, Token: "abc_-1", CSRF: "c&1", Transport: tr},
			Transport: tr,
		}
	}
	p, err := parsePage(render(t, views.Room(room(views.TransportSSE))))
	if err != nil {
		t.Fatal(err)
	}
	want := page{token: "abc_-1", after: 42, csrf: "c&1", post: "/chat/rooms/7/messages", stream: "/sse/chat?room=7", closeEvent: views.StreamEnd}
	if p != want {
		t.Errorf("compatibility mode: got %+v, want %+v", p, want)
	}
	p, err = parsePage(render(t, views.Room(room(views.TransportWS))))
	if err != nil {
		t.Fatal(err)
	}
	if p.stream != "" || p.post != "" || p.token != "abc_-1" || p.after != 42 {
		t.Errorf("websocket page: got %+v, want no stream and no hx-post", p)
	}
	var s sseClient
	if err := s.fromPage(mustURL(t, "http://127.0.0.1:1"), p); err == nil {
		t.Error("an SSE client took a websocket page")
	}
}

// TestSSEClientReconnects runs an SSE client against a server that ends
// its streams: it must reconnect with the last event ID after the
// reconnection time the server set, open a new EventSource without one
// after an answer that is not an event stream, take what every stream
// shows once and in order, and stop for good at the page's close event.
func TestSSEClientReconnects(t *testing.T) {
	enc := handlers.SSEEncoder(views.Fragments{})
	r := testRun(1, 4)
	events := func(msgs ...int) string {
		var cm []chat.Message
		for _, i := range msgs {
			cm = append(cm, chat.Message{Room: 1, Seq: int64(i + 1), Author: chat.User{ID: 3, Name: "m3"}, Body: r.body(&r.msgs[i])})
		}
		ev, err := enc.Messages(1, cm)
		if err != nil {
			t.Fatal(err)
		}
		return string(ev[0])
	}
	logOf := func(msgs ...int) string {
		var page chat.Page
		for _, i := range msgs {
			page.Messages = append(page.Messages, chat.Message{Room: 1, Seq: int64(i + 1), Author: chat.User{ID: 3, Name: "m3"}, Body: r.body(&r.msgs[i])})
		}
		ev, err := enc.Log(1, page)
		if err != nil {
			t.Fatal(err)
		}
		return string(ev[0])
	}
	ended, err := enc.Ended(chat.Removed)
	if err != nil {
		t.Fatal(err)
	}
	streams := []struct {
		status int
		lastID string // the Last-Event-ID expected
		body   string
	}{
		// Seq 1 and 2, then a presence update, a keep-alive, and an
		// event the connection breaks off.
		{200, "", "retry: 1\n\n" + events(0, 1) + "data: <ul id=\"online\" hx-swap-oob=\"true\"></ul>\n\n: keep-alive\n\nid: 3\ndata: <div"},
		// Reconnected with 2; the server is going down.
		{http.StatusServiceUnavailable, "2", ""},
		// A new EventSource: the log again, Seq 1..3, and then 4.
		{200, "", "retry: 1\n\n" + logOf(0, 1, 2) + events(3)},
		// Reconnected with 4: the person was removed.
		{200, "4", "retry: 1\n\n" + string(ended[0]) + "event: end\ndata: end\n\n"},
	}
	var (
		mu   sync.Mutex
		n    int
		errs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		fail := func(format string, args ...any) {
			mu.Lock()
			errs = append(errs, fmt.Sprintf("request %d: ", i)+fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		if i >= len(streams) {
			fail("one too many")
			http.Error(w, "no more", http.StatusGone)
			return
		}
		st := streams[i]
		if got := req.Header.Get("Last-Event-ID"); got != st.lastID {
			fail("Last-Event-ID %q, want %q", got, st.lastID)
		}
		if got := req.Header.Get("Accept"); got != "text/event-stream" {
			fail("Accept %q", got)
		}
		if ck, err := req.Cookie("hxchat_id"); err != nil || ck.Value != "p1" {
			fail("no identity cookie: %v", err)
		}
		if req.URL.Path != "/sse/chat" || req.URL.Query().Get("room") != "1" {
			fail("asked for %s", req.URL)
		}
		if st.status != http.StatusOK {
			http.Error(w, "restarting", st.status)
			return
		}
		// As the hub does: the body ends with the connection.
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			fail("hijack: %v", err)
			return
		}
		defer conn.Close()
		writeStream(rw, st.body)
	}))
	defer srv.Close()

	base := mustURL(t, srv.URL)
	r.opt = &options{MaxRetries: 3}
	r.connect = newLatency()
	r.src = newSources(base, 1)
	r.sc = presets["short"]
	c := r.clients[0]
	c.kind, c.base, c.who, c.sse = kindSSE, base, newPerson(http.DefaultTransport), &sseClient{}
	c.who.jar.SetCookies(base, []*http.Cookie{{Name: "hxchat_id", Value: "p1"}})
	if err := c.sse.fromPage(base, page{stream: "/sse/chat?room=1", post: "/chat/rooms/1/messages", csrf: "c", closeEvent: views.StreamEnd}); err != nil {
		t.Fatal(err)
	}

	c.live(t.Context()) // returns at the close event

	mu.Lock()
	defer mu.Unlock()
	for _, e := range errs {
		t.Error(e)
	}
	if n != len(streams) {
		t.Errorf("%d requests, want %d", n, len(streams))
	}
	c.amu.Lock()
	defer c.amu.Unlock()
	if c.last != 4 || r.count.duplicates.Load() != 0 || r.count.reorders.Load() != 0 || r.count.deliveries.Load() != 4 {
		t.Errorf("holds Seq %d after %d deliveries, %d duplicates, %d reordered; want 4, 4, 0, 0\n%s",
			c.last, r.count.deliveries.Load(), r.count.duplicates.Load(), r.count.reorders.Load(), strings.Join(c.trail, "\n"))
	}
	if got := r.count.reconnects.Load(); got != 2 {
		t.Errorf("reconnects: got %d, want 2", got)
	}
	if got := r.count.dialFailures.Load(); got != 1 {
		t.Errorf("failed connections: got %d, want 1", got)
	}
	if got := r.count.streamEnds.Load(); got != 2 {
		t.Errorf("streams ended: got %d, want 2", got)
	}
	samples := r.errs.samples()
	if len(samples) != 1 || !strings.Contains(samples[0], "ended for good") || !strings.Contains(samples[0], views.ErrorText(chat.Fail(chat.Removed))) {
		t.Errorf("errors: got %q, want one saying the stream ended for good, with the alert", samples)
	}
}

// writeStream answers a hijacked request with an event stream holding
// body.
func writeStream(rw *bufio.ReadWriter, body string) {
	rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n")
	rw.WriteString(body)
	rw.Flush()
}
