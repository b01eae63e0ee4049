package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hxchat/chat"
)

// route is one route of accounts mode with the values a request to it
// fills in.
type route struct {
	method string
	// pattern is the route as registered; path the address requested.
	pattern, path string
	// form is what a POST sends besides the anti-forgery token.
	form url.Values
}

// socket reports whether the route is the websocket.
func (r route) socket() bool { return r.pattern == "/ws/chat" }

// matrix is the world the route matrix runs in: Ada (an administrator),
// Bob with a live session and one he signed out of, and an access token,
// Cy, Dee (whom Ada deactivated), Bob's private room with messages, and
// an archived room.
type matrix struct {
	s                  *stack
	ada, bob, cy, dee  *browser
	private, archived  chat.Room
	revoked, bobLiveID string
	bobToken           chat.Token
}

func newMatrix(t *testing.T) *matrix {
	t.Helper()
	s, ada := accountStack(t)
	m := &matrix{s: s, ada: ada, bob: s.MustJoin(t, "Bob"), cy: s.MustJoin(t, "Cy"), dee: s.MustJoin(t, "Dee")}
	m.private = m.bob.MustCreateRoom(t, "Secret plans", chat.RoomPrivate)
	s.MustPostDirect(t, m.private.ID, 3)
	m.archived = s.random
	if err := s.svc.SetArchived(t.Context(), ada.me, m.archived.ID, true); err != nil {
		t.Fatalf("SetArchived: %v", err)
	}
	if err := s.svc.SetDeactivated(t.Context(), ada.me, m.dee.me.ID, true); err != nil {
		t.Fatalf("SetDeactivated: %v", err)
	}
	gone := s.MustSignIn(t, "Bob")
	m.revoked = gone.session()
	if r := gone.MustPost(t, "/logout", url.Values{"_csrf": {gone.MustCSRF(t)}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign out: got %d, want 303", r.status)
	}
	m.bobLiveID = m.bob.sessionID(t)
	var err error
	if m.bobToken, _, err = s.svc.CreateToken(t.Context(), m.bob.me, "Bob's bot"); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return m
}

// routes returns every route of accounts mode that needs a session, as
// requests about the matrix's people and rooms.
func (m *matrix) routes() []route {
	room := strconv.FormatInt(m.private.ID, 10)
	bob, cy, dee := m.bob.me.ID, m.cy.me.ID, m.dee.me.ID
	person := func(id int64, what string) string { return fmt.Sprintf("/admin/people/%d/%s", id, what) }
	return []route{
		{"GET", "/", "/", nil},
		{"POST", "/logout", "/logout", nil},
		{"GET", "/chat/rooms", "/chat/rooms", nil},
		{"POST", "/chat/rooms", "/chat/rooms", url.Values{"name": {"Sneaky"}, "kind": {"private"}}},
		{"GET", "/chat/rooms/:id", "/chat/rooms/" + room, nil},
		{"GET", "/chat/rooms/:id/messages", "/chat/rooms/" + room + "/messages?before=3", nil},
		{"POST", "/chat/rooms/:id/messages", "/chat/rooms/" + room + "/messages", url.Values{"body": {"Sneaky"}, "token": {"sneaky"}}},
		{"GET", "/sse/chat", "/sse/chat?room=" + room, nil},
		{"GET", "/chat/rooms/:id/members", "/chat/rooms/" + room + "/members", nil},
		{"POST", "/chat/rooms/:id/members", "/chat/rooms/" + room + "/members", url.Values{"name": {"Cy"}}},
		{"POST", "/chat/rooms/:id/members/:user/remove", fmt.Sprintf("/chat/rooms/%s/members/%d/remove", room, bob), nil},
		{"POST", "/me/name", "/me/name", url.Values{"name": {"Sneaky"}}},
		{"GET", "/people", "/people", nil},
		{"POST", "/people/:id/message", fmt.Sprintf("/people/%d/message", cy), nil},
		{"GET", "/account", "/account", nil},
		{"POST", "/account/password", "/account/password", url.Values{"current": {password}, "password": {"a brand new password"}}},
		{"POST", "/account/sessions/end", "/account/sessions/end", nil},
		{"POST", "/account/sessions/:id/end", "/account/sessions/" + m.bobLiveID + "/end", nil},
		{"GET", "/account/tokens", "/account/tokens", nil},
		{"POST", "/account/tokens", "/account/tokens", url.Values{"name": {"Sneaky bot"}}},
		{"POST", "/account/tokens/:id/revoke", fmt.Sprintf("/account/tokens/%d/revoke", m.bobToken.ID), nil},
		{"GET", "/admin", "/admin", nil},
		{"POST", "/admin/invitation", "/admin/invitation", nil},
		{"POST", "/admin/people/:id/deactivate", person(bob, "deactivate"), nil},
		{"POST", "/admin/people/:id/reactivate", person(dee, "reactivate"), nil},
		{"POST", "/admin/people/:id/admin", person(bob, "admin"), nil},
		{"POST", "/admin/people/:id/member", person(m.ada.me.ID, "member"), nil},
		{"POST", "/admin/people/:id/reset", person(bob, "reset"), nil},
		{"POST", "/admin/rooms/:id/rename", "/admin/rooms/" + room + "/rename", url.Values{"name": {"Renamed"}}},
		{"POST", "/admin/rooms/:id/archive", "/admin/rooms/" + room + "/archive", nil},
		{"POST", "/admin/rooms/:id/restore", fmt.Sprintf("/admin/rooms/%d/restore", m.archived.ID), nil},
		{"GET", "/ws/chat", "/ws/chat?room=" + room, nil},
	}
}

// request sends r from b, with the anti-forgery token csrf for a POST;
// header pairs are added.
func (r route) request(t *testing.T, b *browser, csrf string, header ...string) response {
	t.Helper()
	if r.method == http.MethodGet {
		return b.MustGet(t, r.path, header...)
	}
	form := url.Values{"_csrf": {csrf}}
	for k, v := range r.form {
		form[k] = v
	}
	return b.MustPost(t, r.path, form, header...)
}

func TestSignedOutRequests(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	s := m.s
	was := s.MustState(t)
	forged := chat.Digest("not a session anyone was given")

	for _, c := range []struct {
		name  string
		token string
	}{
		{"no cookie", ""},
		{"forged cookie", forged},
		{"revoked cookie", m.revoked},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A browser that reached the sign-in page, so that its forms
			// pass the anti-forgery check and reach the session check.
			b := s.newBrowser(t)
			csrf := b.MustFormCSRF(t, "/login")
			send := func(t *testing.T, r route, header ...string) response {
				t.Helper()
				if c.token != "" {
					b.setSession(c.token)
				}
				resp := r.request(t, b, csrf, header...)
				if c.token != "" {
					if k := setCookie(resp, sessionCookie); k == nil || k.MaxAge >= 0 {
						t.Errorf("%s %s: session cookie %v, want the dead one deleted", r.method, r.path, k)
					}
				}
				return resp
			}
			for _, r := range m.routes() {
				t.Run(r.method+" "+r.pattern, func(t *testing.T) {
					switch {
					case r.socket():
						if c.token == "" {
							b.MustNoSocket(t, m.private.ID, http.StatusUnauthorized)
							break
						}
						// A page whose session ended is told so, and closed
						// with a code htmx does not reconnect after.
						b.setSession(c.token)
						b.MustRefusedSocket(t, m.private.ID, "You are signed out. Sign in again.")
					case r.method == http.MethodGet:
						resp := send(t, r)
						want := "/login?next=" + url.QueryEscape(r.path)
						if resp.status != http.StatusSeeOther || resp.header.Get("Location") != want {
							t.Errorf("page: got %d to %q, want 303 to %q", resp.status, resp.header.Get("Location"), want)
						}
						if strings.Contains(resp.body, m.private.Name) {
							t.Errorf("page: the answer names the private room")
						}
						mustLoginAgain(t, send(t, r, "HX-Request", "true"))
					default:
						resp := send(t, r)
						if resp.status != http.StatusUnauthorized || resp.header.Get("Location") != "" {
							t.Errorf("form: got %d to %q, want 401", resp.status, resp.header.Get("Location"))
						}
						mustLoginAgain(t, send(t, r, "HX-Request", "true"))
						s.MustUnchanged(t, was)
					}
				})
			}
			// A page changes nothing either.
			s.MustUnchanged(t, was)
		})
	}
	// Bob's live session was never ended by a request of his dead one.
	if r := m.bob.MustGet(t, "/account"); r.status != http.StatusOK {
		t.Errorf("Bob's live session: got %d, want 200", r.status)
	}
}

// mustLoginAgain checks the answer to an htmx request without a session:
// 401, and htmx told to go to /login.
func mustLoginAgain(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusUnauthorized || r.header.Get("HX-Redirect") != "/login" {
		t.Errorf("htmx: got %d with HX-Redirect %q, want 401 with /login", r.status, r.header.Get("HX-Redirect"))
	}
}

// unguarded are the routes of accounts mode that need no session.
var unguarded = []string{
	"GET /setup", "POST /setup", "GET /login", "POST /login", "GET /join/:code", "POST /join/:code",
	"GET /reset/:token", "POST /reset/:token", "GET /healthz", "GET /readyz",
}

// TestMatrixCoversEveryRoute checks that the route matrix above holds
// every route registered in accounts mode, and nothing that is not one.
func TestMatrixCoversEveryRoute(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	var tested, registered []string
	for _, r := range m.routes() {
		tested = append(tested, r.method+" "+r.pattern)
	}
	for _, r := range m.s.routes {
		key := r.Method + " " + r.Path
		if (r.Method != http.MethodGet && r.Method != http.MethodPost) || strings.HasPrefix(r.Path, "/static") || slices.Contains(unguarded, key) {
			continue
		}
		registered = append(registered, key)
		if !slices.Contains(tested, key) {
			t.Errorf("route %s is not in the matrix", key)
		}
	}
	for _, key := range tested {
		if !slices.Contains(registered, key) {
			t.Errorf("route %s of the matrix is not registered in accounts mode", key)
		}
	}
}
