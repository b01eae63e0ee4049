package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/broker/redis/redistest"
	"hxchat/store/postgres/pgtest"
)

var (
	setupLinkRE = regexp.MustCompile(`msg="setup link[^"]*" .*url="?([^"\s]+)`)
	csrfRE      = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
)

// accountArgs are nodeArgs in accounts mode, the default.
func accountArgs(db, redis, prefix string) []string {
	return slices.DeleteFunc(nodeArgs(db, redis, prefix), func(a string) bool { return a == "-open" })
}

// MustPostForm loads the page at page for its form token, then posts
// values to action, as a browser submits a form, and returns the status
// and the Location it was sent to.
func (b *browser) MustPostForm(t *testing.T, page, action string, values url.Values) (int, string) {
	t.Helper()
	_, body := b.MustGet(t, page)
	values.Set("_csrf", find(t, csrfRE, body))
	resp, err := b.http.PostForm(action, values)
	if err != nil {
		t.Fatalf("POST %s: %v", action, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestSignOutClosesSocketsOnEveryInstance: a person's page is open on
// instance B; they sign out everywhere on instance A. The page on B is
// told and its socket closed (1008, which htmx does not reopen), through
// Redis, and its old cookie opens nothing any more.
func TestSignOutClosesSocketsOnEveryInstance(t *testing.T) {
	long(t)
	redisURL := redistest.URL(t)
	db, prefix := pgtest.Schema(t), redistest.Prefix(t)
	a := startNode(t, "a", accountArgs(db, redisURL, prefix))
	b := startNode(t, "b", accountArgs(db, redisURL, prefix))

	// The first start logs the setup link before it reports listening;
	// the first account signs in with it.
	link := find(t, setupLinkRE, a.log.String())
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("setup link in the log: %q: %v", link, err)
	}
	setup := a.base + "/setup?" + u.RawQuery
	laptop := newBrowser(t)
	if status, _ := laptop.MustPostForm(t, setup, setup, url.Values{
		"name": {"Ada"}, "email": {"ada@example.com"}, "password": {"correct horse battery"},
	}); status != http.StatusSeeOther {
		t.Fatalf("setup: status %d, want 303", status)
	}

	// The laptop's page of General is open on instance B.
	room := "/chat/rooms/" + roomID(t, db, "General")
	app := &app{base: b.base}
	conn, _, _ := laptop.MustOpenSocket(t, app, room, b.base)

	// A phone signs in on instance A and signs out everywhere.
	phone := newBrowser(t)
	if status, to := phone.MustPostForm(t, a.base+"/login", a.base+"/login", url.Values{
		"email": {"ada@example.com"}, "password": {"correct horse battery"},
	}); status != http.StatusSeeOther || to != "/chat/rooms" {
		t.Fatalf("sign in: status %d to %q, want 303 to /chat/rooms", status, to)
	}
	began := time.Now()
	if status, to := phone.MustPostForm(t, a.base+"/account", a.base+"/account/sessions/end", url.Values{}); status != http.StatusSeeOther || !strings.HasPrefix(to, "/login") {
		t.Fatalf("sign out everywhere: status %d to %q, want 303 to /login", status, to)
	}

	// B tells the page and closes the socket.
	var told bool
	for {
		_ = conn.SetReadDeadline(time.Now().Add(multiWait))
		_, data, err := conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Errorf("socket on B: got %v, want close 1008", err)
			}
			break
		}
		told = told || strings.Contains(string(data), "signed out")
	}
	t.Logf("the socket on B closed %v after signing out on A", time.Since(began).Round(time.Millisecond))
	if !told {
		t.Error("the page on B was not told it is signed out")
	}

	// The laptop's cookie now opens nothing, on either instance.
	for _, n := range []*node{a, b} {
		if status, _ := laptop.MustGet(t, n.base+room); status != http.StatusSeeOther {
			t.Errorf("%s: the room with a revoked session: status %d, want 303 to /login", n.name, status)
		}
	}
}
