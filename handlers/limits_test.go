package handlers_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/handlers"
)

func TestSendLimitIsThePersons(t *testing.T) {
	t.Parallel()
	// Two tabs of one person share one limit: a burst of 3 for both.
	s := MustStart(t, options{limits: chat.Limits{Rate: 0.001, Burst: 3}})
	b := s.newBrowser(t)
	one := b.MustOpen(t, s.general.ID)
	two := b.MustOpen(t, s.general.ID)
	one.MustPost(t, "first")
	one.MustPost(t, "second")
	for seen := 0; seen < 2; {
		seen += len(two.MustNextMessages(t))
	}
	two.MustPost(t, "third")
	two.MustSend(t, "a fourth, from the other tab")
	if got, want := two.MustNextAlert(t), "You are sending too fast. Wait a moment and send again."; got != want {
		t.Errorf("alert: got %q, want %q", got, want)
	}
}

func TestConnectionCap(t *testing.T) {
	t.Parallel()
	limits := generous
	limits.Connections = 2
	s := MustStart(t, options{limits: limits})
	// Every test browser comes from 127.0.0.1: in open mode the cap is the
	// client address's, whoever holds the cookie.
	first := s.newBrowser(t).MustOpen(t, s.general.ID)
	s.newBrowser(t).MustOpen(t, s.random.ID)

	third := s.newBrowser(t)
	third.MustGet(t, roomPath(s.general.ID))
	conn := third.MustDial(t, s.general.ID, http.Header{"Origin": {s.srv.URL}})
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("third connection: read: %v, want the refusal", err)
	}
	if a := byID(parseFrame(t, string(data)), "send-error"); !strings.Contains(textOf(a), "You have 2 chat pages open") {
		t.Errorf("third connection: got %q, want the alert saying the cap", data)
	}
	_, _, err = conn.ReadMessage()
	if ce := (*websocket.CloseError)(nil); !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("third connection: got %v, want close 1008, which htmx does not reconnect after", err)
	}

	// A connection that ends gives its slot back.
	first.MustClose(t)
	deadline := time.Now().Add(wait)
	for {
		c, _, err := third.dialer().DialContext(t.Context(), third.wsURL(s.general.ID), http.Header{"Origin": {s.srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, data, err := c.ReadMessage()
		c.Close()
		if err == nil && !strings.Contains(string(data), "send-error") {
			break // a live connection: its first frame is the page's, not a refusal
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot free after a connection closed: last frame %q, %v", data, err)
		}
	}
}

func TestAddressWithoutPageGivesNoIdentity(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	for _, path := range []string{"/x1", "/chat/nothing", "/static/nothing.css"} {
		r := b.MustGet(t, path)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", path, r.status)
		}
		for _, c := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "hxchat_id=") {
				t.Errorf("GET %s: set the identity cookie, want no new person for an address with no page", path)
			}
		}
	}
}

func TestNewPeopleLimitedPerAddress(t *testing.T) {
	t.Parallel()
	limits := generous
	limits.NewPeoplePerHour = 2
	s := MustStart(t, options{limits: limits})
	// The room list makes nobody; a room's page, whose socket needs an
	// identity, does.
	for i := range 3 {
		if r := s.newBrowser(t).MustGet(t, "/chat/rooms"); r.status != http.StatusOK {
			t.Fatalf("list visitor %d: got %d, want 200", i, r.status)
		}
	}
	for i := range 2 {
		if r := s.newBrowser(t).MustGet(t, roomPath(s.general.ID)); r.status != http.StatusOK {
			t.Fatalf("visitor %d: got %d, want 200", i, r.status)
		}
	}
	r := s.newBrowser(t).MustGet(t, roomPath(s.general.ID))
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many new visitors") {
		t.Errorf("a third new visitor within the hour: got %d, want 429 saying why", r.status)
	}
}

func TestRoomCreationLimited(t *testing.T) {
	t.Parallel()
	limits := generous
	limits.RoomsPerHour = 1
	s := MustStart(t, options{limits: limits})
	b := s.newBrowser(t)
	csrf := b.MustCSRF(t)
	if r := b.MustPost(t, "/chat/rooms", url.Values{"_csrf": {csrf}, "name": {"One"}}); r.status != http.StatusSeeOther {
		t.Fatalf("first room: got %d, want 303", r.status)
	}
	r := b.MustPost(t, "/chat/rooms", url.Values{"_csrf": {csrf}, "name": {"Two"}}, "HX-Request", "true")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("second room within the hour: got %d, want 429", r.status)
	}
	doc := r.doc(t)
	if got := textOf(byID(doc, "room-name-error")); !strings.Contains(got, "You can create 1 rooms an hour") {
		t.Errorf("second room: alert %q, want the limit in words", got)
	}
	if got := attr(byID(doc, "room-name"), "value"); got != "Two" {
		t.Errorf("second room: field %q, want the typed name kept", got)
	}
}

func TestBodyOverLimitRefusedBeforeParsing(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	csrf := b.MustCSRF(t)
	big := url.Values{"_csrf": {csrf}, "name": {strings.Repeat("x", 100<<10)}}
	if r := b.MustPost(t, "/chat/rooms", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 100 KiB form: got %d, want 413", r.status)
	}
}

func TestCSRFTokenNotTakenFromAddress(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	csrf := b.MustCSRF(t)
	r := b.MustPost(t, "/chat/rooms?_csrf="+url.QueryEscape(csrf), url.Values{"name": {"Sneaky"}})
	if r.status != http.StatusForbidden {
		t.Errorf("token in the address: got %d, want 403", r.status)
	}
	for _, room := range mustRooms(t, s) {
		if room.Name == "Sneaky" {
			t.Error("a room was created with the token in the address")
		}
	}
}

func TestMetricsOnlyFromThisMachine(t *testing.T) {
	t.Parallel()
	e := echo.New()
	var web handlers.Handler
	web.ServeMetrics(e, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics")) }))
	tests := []struct {
		remote, forwarded string
		want              int
	}{
		{"127.0.0.1:4321", "", http.StatusOK},
		{"[::1]:4321", "", http.StatusOK},
		{"127.0.0.1:4321", "203.0.113.9", http.StatusNotFound},
		{"203.0.113.9:4321", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = tt.remote
		if tt.forwarded != "" {
			req.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("/metrics from %s (forwarded for %q): got %d, want %d", tt.remote, tt.forwarded, rec.Code, tt.want)
		}
	}
}
