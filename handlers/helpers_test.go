package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"hxchat/broker/local"
	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/hub"
	"hxchat/store/sqlite"
	"hxchat/views"
)

// wait bounds every wait for something the server sends or does. It is
// far above what any step takes, even under -race; it only turns a hang
// into a failure.
const wait = 10 * time.Second

// now is the clock of every test stack.
var now = time.Date(2025, time.March, 14, 15, 9, 26, 0, time.UTC)

// secret signs the identity cookies of every test stack.
var secret = []byte("0123456789abcdef0123456789abcdef")

// generous are limits no test reaches unless it means to.
var generous = chat.Limits{Rate: 1000, Burst: 1000, Connections: 1000, NewPeoplePerHour: 100000, RoomsPerHour: 1000, RenamesPerMinute: 1000}

// options changes what MustStart builds.
type options struct {
	// limits are the send limits (zero: generous).
	limits chat.Limits
	// origins are the handlers' AllowedOrigins.
	origins []string
	// dev serves the component gallery.
	dev bool
	// accounts runs accounts mode (the default of hxchat) instead of open
	// mode, with a cheap password hasher.
	accounts bool
	// trusted are the handlers' TrustedProxies.
	trusted []string
	// ping is the hub's PingPeriod (zero: its default).
	ping time.Duration
}

// stack is the whole application on a temporary SQLite file, served by
// an httptest server: store, hub, local broker, service and handlers,
// wired as main wires them.
type stack struct {
	srv   *httptest.Server
	store *sqlite.Store
	svc   *chat.Service
	hub   *hub.Hub
	// general and random are the rooms every stack starts with.
	general, random chat.Room
	// direct numbers the tokens of MustPostDirect.
	direct atomic.Int64
	// routes are the routes the handlers registered.
	routes []*echo.Route
}

// MustStart builds and serves a stack that is shut down when t ends.
func MustStart(t *testing.T, opt options) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(newLogWriter(t), &slog.HandlerOptions{Level: slog.LevelDebug}))

	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hxchat.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("store.Close: %v", err)
		}
	})

	// The handlers check the Origin before the upgrade (AllowedOrigins
	// included), so the upgrader must not refuse what they allowed.
	h := hub.New(log, store, hub.Config{CheckOrigin: func(*http.Request) bool { return true }, PingPeriod: opt.ping}, hub.OneFrame(views.Fragments{}), hub.OneFrame(views.Fragments{}), handlers.SSEEncoder(views.Fragments{}))
	broker := local.New(h)
	limits := opt.limits
	if limits == (chat.Limits{}) {
		limits = generous
	}
	mode := chat.OpenMode()
	if opt.accounts {
		// The default argon2id setting takes tens of milliseconds a hash.
		mode = chat.WithHasher(chat.Hasher{Memory: 64, Time: 1, Threads: 1})
	}
	svc := chat.NewService(log, store, broker, func() time.Time { return now }, limits, mode)

	var tokens atomic.Int64
	web, err := handlers.New(log, svc, h, handlers.Config{
		Secret:         secret,
		AllowedOrigins: opt.origins,
		Token:          func() string { return "tok" + strconv.FormatInt(tokens.Add(1), 10) },
		Ready:          []handlers.Check{{Name: "store", Ping: store.Ping}, {Name: "broker", Ping: broker.Ping}},
		Dev:            opt.dev,
		Open:           !opt.accounts,
		TrustedProxies: opt.trusted,
		// Format 1 stands in for STOMP, which these tests do not serve.
		SSEFormat: 2,
	})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	web.Register(e)

	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	// Hijacked connections outlive srv.Close: close the sockets first and
	// wait for their goroutines, so nothing runs after the test.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("hub.Shutdown: %v", err)
		}
	})

	s := &stack{srv: srv, store: store, svc: svc, hub: h, routes: e.Routes()}
	s.general = MustCreateRoom(t, svc, "General")
	s.random = MustCreateRoom(t, svc, "Random")
	return s
}

// MustCreateRoom creates a room through the service: an open room, in
// either mode.
func MustCreateRoom(t *testing.T, svc *chat.Service, name string) chat.Room {
	t.Helper()
	r, err := svc.CreateRoom(t.Context(), "", name)
	if err != nil {
		t.Fatalf("CreateRoom(%q): %v", name, err)
	}
	return r
}

// MustPostDirect stores n messages in room through the service, as
// another instance would, and returns the Seq of the last.
func (s *stack) MustPostDirect(t *testing.T, room int64, n int) int64 {
	t.Helper()
	author := chat.User{ID: 1000, Name: "elsewhere"}
	var last int64
	for range n {
		token := fmt.Sprintf("direct%d", s.direct.Add(1))
		m, dup, err := s.svc.Post(t.Context(), chat.Post{Room: room, Author: author, Body: "message " + token, Token: token})
		if err != nil || dup {
			t.Fatalf("Post: got duplicate %v, err %v", dup, err)
		}
		last = m.Seq
	}
	return last
}

// MustStored returns every message stored in room, oldest first.
func (s *stack) MustStored(t *testing.T, room int64) []chat.Message {
	t.Helper()
	msgs, err := s.store.After(t.Context(), room, 0, 10_000)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	return msgs
}

// waitConnections waits until the hub holds n websocket connections,
// which means it has finished with every one closed before: the counter
// drops only after the connection left its room. Nothing the server
// sends marks that moment, so this polls, up to wait.
func (s *stack) waitConnections(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		got := s.hub.Stats().Connections
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub connections: got %d, want %d", got, n)
		}
		<-tick.C
	}
}

// url is the address of path on the stack.
func (s *stack) url(path string) string { return s.srv.URL + path }

// logWriter sends the app's log to the test log until the test ends.
type logWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func newLogWriter(t *testing.T) *logWriter {
	w := &logWriter{t: t}
	// Registered first, so it runs last, after the sockets have closed.
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return w
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// browser is one person: a cookie jar and an HTTP client that does not
// follow redirects, so tests see them.
type browser struct {
	s    *stack
	jar  http.CookieJar
	http *http.Client
	// me is the account the browser signed in as, in accounts mode.
	me chat.Account
}

// newBrowser returns a browser with no cookies yet.
func (s *stack) newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookiejar.New: %v", err)
	}
	return &browser{s: s, jar: jar, http: &http.Client{
		Jar:           jar,
		Timeout:       wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   string
}

// doc parses the body as an HTML document.
func (r response) doc(t *testing.T) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	return n
}

// MustDo sends req and reads the whole answer.
func (b *browser) MustDo(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// MustGet fetches path; header pairs are added to the request.
func (b *browser) MustGet(t *testing.T, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.s.url(path), nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.MustDo(t, req)
}

// MustPost posts form to path; header pairs are added to the request.
func (b *browser) MustPost(t *testing.T, path string, form url.Values, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.s.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.MustDo(t, req)
}

// MustCSRF loads the room list and returns the CSRF token of its forms,
// as a browser would submit it.
func (b *browser) MustCSRF(t *testing.T) string {
	t.Helper()
	r := b.MustGet(t, "/chat/rooms")
	in := first(r.doc(t), and(tag(atom.Input), hasAttr("name", "_csrf")))
	if in == nil {
		t.Fatalf("rooms page: no _csrf field")
	}
	v := attr(in, "value")
	if v == "" {
		t.Fatalf("rooms page: empty _csrf field")
	}
	return v
}
