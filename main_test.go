package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wait bounds every wait on the app; it only turns a hang into a failure.
const wait = 15 * time.Second

// syncBuffer is a log shared by the app's goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// envOf is a getenv reading only m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// app is one run of the program.
type app struct {
	base   string // http://127.0.0.1:port
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

// MustRun starts run with args and env and waits until it listens. The
// app stops when t ends, if the test has not stopped it.
func MustRun(t *testing.T, args []string, env map[string]string) *app {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncBuffer{}
	addrc := make(chan string, 1)
	a := &app{cancel: cancel, errc: make(chan error, 1)}
	go func() { a.errc <- run(ctx, args, envOf(env), log, func(addr string) { addrc <- addr }) }()
	t.Cleanup(func() {
		if err := a.stop(t); err != nil {
			t.Errorf("run: %v", err)
		}
		if t.Failed() {
			t.Logf("app log:\n%s", log)
		}
	})
	select {
	case addr := <-addrc:
		a.base = "http://" + addr
	case err := <-a.errc:
		a.once.Do(func() { a.err = err })
		t.Fatalf("run returned before listening: %v\n%s", err, log)
	case <-time.After(wait):
		t.Fatalf("run did not start within %v\n%s", wait, log)
	}
	return a
}

// stop cancels run's context and returns what run returned.
func (a *app) stop(t *testing.T) error {
	t.Helper()
	a.once.Do(func() {
		a.cancel()
		select {
		case a.err = <-a.errc:
		case <-time.After(wait):
			a.err = errors.New("run did not return after cancel")
		}
	})
	return a.err
}

// browser is a cookie jar and an HTTP client that shows redirects.
type browser struct {
	jar  *cookiejar.Jar
	http *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{jar: jar, http: &http.Client{
		Jar:           jar,
		Timeout:       wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// MustGet fetches url and returns the status and body.
func (b *browser) MustGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := b.http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

var (
	roomLinkRE    = regexp.MustCompile(`<a href="(/chat/rooms/\d+)"[^>]*>\s*([^<]*?)\s*</a>`)
	tokenRE       = regexp.MustCompile(`name="token" value="([^"]+)"`)
	resumeAfterRE = regexp.MustCompile(`id="resume-after" hx-swap-oob="true" name="after" value="(\d+)"`)
	meRE          = regexp.MustCompile(`id="me">([^<]+)<`)
)

// MustRooms returns the rooms page's links, name to path.
func (b *browser) MustRooms(t *testing.T, a *app) map[string]string {
	t.Helper()
	status, body := b.MustGet(t, a.base+"/chat/rooms")
	if status != http.StatusOK {
		t.Fatalf("rooms page: status %d", status)
	}
	rooms := map[string]string{}
	for _, m := range roomLinkRE.FindAllStringSubmatch(body, -1) {
		rooms[m[2]] = m[1]
	}
	return rooms
}

// find returns the first group of re in s, or fails t.
func find(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s", re)
	}
	return m[1]
}

// MustOpenSocket loads the page at path, opens its websocket with the
// page's cookies and Origin, resumes, and waits for the first presence
// frame. It returns the socket and the page's form token and name.
func (b *browser) MustOpenSocket(t *testing.T, a *app, path, origin string) (conn *websocket.Conn, token, name string) {
	t.Helper()
	status, page := b.MustGet(t, a.base+path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, status)
	}
	token, name = find(t, tokenRE, page), find(t, meRE, page)
	after := find(t, resumeAfterRE, page)
	room := strings.TrimPrefix(path, "/chat/rooms/")
	d := websocket.Dialer{Jar: b.jar, HandshakeTimeout: wait}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(a.base, "http")+"/ws/chat?room="+room, http.Header{"Origin": {origin}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	mustWriteJSON(t, conn, map[string]any{"after": after, "HEADERS": map[string]string{"HX-Request": "true", "HX-Trigger": "resume"}})
	mustReadUntil(t, conn, `<ul id="online"`)
	return conn, token, name
}

func mustWriteJSON(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(wait))
	if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// mustReadUntil reads frames until one holds want, and returns it.
func mustReadUntil(t *testing.T, conn *websocket.Conn, want string) string {
	t.Helper()
	for {
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if strings.Contains(string(data), want) {
			return string(data)
		}
	}
}

func TestRunServesAndRestarts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hxchat.db")
	a := MustRun(t, []string{"-open", "-addr", "127.0.0.1:0", "-db", db}, nil)
	b := newBrowser(t)

	for path, want := range map[string][]string{
		"/healthz": {"ok"},
		"/readyz":  {"store: ok", "broker: ok"},
		"/metrics": {"hxchat_connections", "hxchat_deliveries_total", "go_goroutines"},
	} {
		status, body := b.MustGet(t, a.base+path)
		if status != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, status)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: want %q in %q", path, w, body)
			}
		}
	}

	rooms := b.MustRooms(t, a)
	for _, name := range []string{"General", "Random", "Help"} {
		if rooms[name] == "" {
			t.Errorf("rooms page: no link to %q in %v", name, rooms)
		}
	}
	if len(rooms) != 3 {
		t.Errorf("rooms page: %d rooms %v, want the 3 starter rooms", len(rooms), rooms)
	}

	conn, token, name := b.MustOpenSocket(t, a, rooms["General"], a.base)
	if _, body := b.MustGet(t, a.base+"/metrics"); !strings.Contains(body, "\nhxchat_connections 1\n") {
		t.Errorf("metrics with one socket open: want hxchat_connections 1 in\n%s", body)
	}
	mustWriteJSON(t, conn, map[string]any{"body": "persist me", "token": token, "HEADERS": map[string]string{"HX-Request": "true", "HX-Trigger": "send"}})
	msg := mustReadUntil(t, conn, "persist me")
	if !strings.Contains(msg, `hx-swap-oob="beforeend:#messages"`) || !strings.Contains(msg, ">"+name+"<") {
		t.Errorf("broadcast: got %q, want the message by %s appended to #messages", msg, name)
	}
	// The fresh form may share the broadcast's frame: frames queued
	// together go out together.
	if !strings.Contains(msg, `<form id="send"`) {
		mustReadUntil(t, conn, `<form id="send"`)
	}

	if err := a.stop(t); err != nil {
		t.Errorf("run after cancel: got %v, want nil", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	var err error
	for err == nil {
		_, _, err = conn.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
		t.Errorf("socket at shutdown: got %v, want close 1012", err)
	}

	// A second start on the same file, configured through the environment
	// this time, keeps the rooms, the messages and the cookie key.
	again := MustRun(t, nil, map[string]string{"HXCHAT_OPEN": "true", "HXCHAT_ADDR": "127.0.0.1:0", "HXCHAT_DB": db, "HXCHAT_LOG_LEVEL": "warn"})
	if got := b.MustRooms(t, again); len(got) != 3 || got["General"] != rooms["General"] {
		t.Errorf("rooms after restart: got %v, want %v", got, rooms)
	}
	_, page := b.MustGet(t, again.base+rooms["General"])
	if n := strings.Count(page, "persist me"); n != 1 {
		t.Errorf("page after restart: %q shown %d times, want once", "persist me", n)
	}
	if got := find(t, meRE, page); got != name {
		t.Errorf("identity after restart: got %q, want %q (same cookie key)", got, name)
	}
}

// TestRunAllowedOrigins: a page served from an origin listed in -origins
// may open the websocket.
func TestRunAllowedOrigins(t *testing.T) {
	const other = "https://chat.example.com"
	db := filepath.Join(t.TempDir(), "hxchat.db")
	a := MustRun(t, []string{"-open", "-addr", "127.0.0.1:0", "-db", db, "-origins", "https://a.example, " + other}, nil)
	b := newBrowser(t)
	general := b.MustRooms(t, a)["General"]
	b.MustGet(t, a.base+general)
	url := "ws" + strings.TrimPrefix(a.base, "http") + "/ws/chat?room=" + strings.TrimPrefix(general, "/chat/rooms/")
	for origin, want := range map[string]int{
		other:                  http.StatusSwitchingProtocols,
		a.base:                 http.StatusSwitchingProtocols,
		"https://evil.example": http.StatusForbidden,
	} {
		d := websocket.Dialer{Jar: b.jar, HandshakeTimeout: wait}
		conn, resp, err := d.Dial(url, http.Header{"Origin": {origin}})
		if conn != nil {
			conn.Close()
		}
		if resp == nil || resp.StatusCode != want {
			t.Errorf("Origin %s: got %v (%v), want %d", origin, resp, err, want)
		}
	}
}

func TestRunHelp(t *testing.T) {
	var out syncBuffer
	err := run(t.Context(), []string{"-h"}, envOf(nil), &out, func(string) { t.Error("-h started the server") })
	if err != nil {
		t.Fatalf("run -h: got %v, want nil", err)
	}
	help := out.String()
	documented := map[string]string{}
	for _, o := range options {
		documented[o.flag] = o.env
		// flag prints "  -addr value\n    \tusage (env HXCHAT_ADDR, ...)".
		re := regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(o.flag) + `\b.*\n\s+.*\benv ` + o.env + `\b`)
		if !re.MatchString(help) {
			t.Errorf("-h: want -%s with %s in\n%s", o.flag, o.env, help)
		}
	}
	// The settings the design promises, each with its variable.
	for flag, env := range map[string]string{
		"addr":    "HXCHAT_ADDR",
		"db":      "HXCHAT_DB",
		"redis":   "HXCHAT_REDIS_URL",
		"origins": "HXCHAT_ALLOWED_ORIGINS",
		"secret":  "HXCHAT_SECRET",
	} {
		if got := documented[flag]; got != env {
			t.Errorf("flag -%s: variable %q, want %q", flag, got, env)
		}
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	base := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "hxchat.db")}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		// want is in the error: it names what is wrong.
		want string
	}{
		{name: "rate zero", args: []string{"-msg-rate=0"}, want: "msg-rate"},
		{name: "rate not a number", args: []string{"-msg-rate", "fast"}, want: "msg-rate"},
		{name: "burst negative", args: []string{"-msg-burst=-1"}, want: "msg-burst"},
		{name: "short secret", args: []string{"-secret", "short"}, want: "secret"},
		{name: "log level", args: []string{"-log-level", "loud"}, want: "log-level"},
		{name: "dev not a boolean", args: []string{"-dev=maybe"}, want: "dev"},
		{name: "dev env not a boolean", env: map[string]string{"HXCHAT_DEV": "maybe"}, want: "HXCHAT_DEV"},
		{name: "unknown flag", args: []string{"-nope"}, want: "nope"},
		{name: "extra argument", args: []string{"serve"}, want: "serve"},
		{name: "bad env", env: map[string]string{"HXCHAT_MSG_BURST": "many"}, want: "HXCHAT_MSG_BURST"},
		{name: "short env secret", env: map[string]string{"HXCHAT_SECRET": "short"}, want: "HXCHAT_SECRET"},
		{name: "no such directory", args: []string{"-db", filepath.Join(dir, "missing", "hxchat.db")}, want: "missing"},
		{name: "address", args: []string{"-addr", "127.0.0.1:99999"}, want: "99999"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), wait)
			defer cancel()
			var out syncBuffer
			err := run(ctx, append(slices.Clone(base), tc.args...), envOf(tc.env), &out, func(addr string) {
				t.Errorf("started on %s, want a refusal", addr)
				cancel()
			})
			if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: got %v, want an error naming %q\n%s", err, tc.want, out.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused start created %s: %v", filepath.Join(dir, "missing"), err)
	}
}
