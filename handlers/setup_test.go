package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

func TestFirstStartLeadsToSetup(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{accounts: true})
	b := s.newBrowser(t)

	for _, path := range []string{"/", "/chat/rooms", "/login", roomPath(s.general.ID), "/admin", "/account"} {
		r := b.MustGet(t, path)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/setup" {
			t.Errorf("GET %s before setup: got %d to %q, want 303 to /setup", path, r.status, r.header.Get("Location"))
		}
	}

	r := b.MustGet(t, "/setup")
	if r.status != http.StatusOK {
		t.Fatalf("GET /setup: got %d, want 200", r.status)
	}
	if got := mainText(t, r); !strings.Contains(got, "setup link") || !strings.Contains(got, "log") {
		t.Errorf("/setup without a token says %q, want where the setup link is: the server's log", got)
	}
	if in := first(r.doc(t), and(tag(atom.Input), hasAttr("name", "password"))); in != nil {
		t.Errorf("/setup without a token shows an account form, want none")
	}

	// A wrong link shows no form: it is a link that does not work.
	if r := b.MustGet(t, "/setup?token=wrong"); r.status != http.StatusNotFound ||
		first(r.doc(t), and(tag(atom.Input), hasAttr("name", "password"))) != nil {
		t.Errorf("GET /setup?token=wrong: got %d, want 404 without an account form", r.status)
	}
	valid, err := s.svc.SetupToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"wrong", ""} {
		path := "/setup?token=" + tok
		csrf := b.MustFormCSRF(t, "/setup?token="+valid)
		r := b.MustPost(t, path, url.Values{"_csrf": {csrf}, "name": {"Mallory"}, "email": {"m@example.com"}, "password": {password}})
		if r.status != http.StatusNotFound || setCookie(r, sessionCookie) != nil {
			t.Errorf("POST %s: got %d, session cookie %v; want 404 and no session", path, r.status, setCookie(r, sessionCookie))
		}
		if pending, err := s.svc.NeedsSetup(t.Context()); err != nil || !pending {
			t.Errorf("after POST %s: NeedsSetup %v, %v; want still pending", path, pending, err)
		}
	}

	tok, err := s.svc.SetupToken(t.Context())
	if err != nil {
		t.Fatalf("SetupToken: %v", err)
	}
	path := "/setup?token=" + tok
	csrf := b.MustFormCSRF(t, path)
	r = b.MustPost(t, path, url.Values{"_csrf": {csrf}, "name": {"Ada"}, "email": {emailOf("Ada")}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Fatalf("setup: got %d to %q, want 303 to /admin", r.status, r.header.Get("Location"))
	}
	c := setCookie(r, sessionCookie)
	if c == nil {
		t.Fatalf("setup: Set-Cookie %q, want %s", r.header.Values("Set-Cookie"), sessionCookie)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Domain != "" {
		t.Errorf("session cookie: HttpOnly %v, SameSite %v, Path %q, Secure %v, Domain %q; want HttpOnly, Lax, /, not Secure over HTTP, no Domain",
			c.HttpOnly, c.SameSite, c.Path, c.Secure, c.Domain)
	}
	if c := setCookie(r, secureSessionCookie); c != nil {
		t.Errorf("setup over HTTP set %s, want only %s", secureSessionCookie, sessionCookie)
	}
	ada := s.MustAccount(t, "Ada")
	if !ada.Admin || ada.Email != emailOf("Ada") {
		t.Errorf("first account: got %+v, want an administrator with email %s", ada, emailOf("Ada"))
	}
	if r := b.MustGet(t, "/admin"); r.status != http.StatusOK {
		t.Errorf("/admin for the first account: got %d, want 200", r.status)
	}

	// The rooms the server made are open rooms that the new account sees.
	doc := b.MustGet(t, "/chat/rooms").doc(t)
	for _, room := range []chat.Room{s.general, s.random} {
		if room.Kind != chat.RoomOpen {
			t.Errorf("room %q: kind %q, want open", room.Name, room.Kind)
		}
		if a := first(doc, and(tag(atom.A), hasAttr("href", roomPath(room.ID)))); textOf(a) != room.Name {
			t.Errorf("room list: link to %q: got %q", room.Name, textOf(a))
		}
	}

	anon := s.newBrowser(t)
	for _, p := range []string{"/setup", path} {
		r := anon.MustGet(t, p)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
			t.Errorf("GET %s after setup: got %d to %q, want 303 to /login", p, r.status, r.header.Get("Location"))
		}
	}
	csrf = anon.MustFormCSRF(t, "/login")
	r = anon.MustPost(t, path, url.Values{"_csrf": {csrf}, "name": {"Eve"}, "email": {emailOf("Eve")}, "password": {password}})
	if r.status < 400 || setCookie(r, sessionCookie) != nil {
		t.Errorf("setup again with the used link: got %d, want refused without a session", r.status)
	}
	if accounts, err := s.store.Accounts(t.Context(), 0, 10); err != nil || len(accounts) != 1 {
		t.Errorf("accounts after a second setup: got %d (%v), want 1", len(accounts), err)
	}
}

func TestSessionCookieOverHTTPS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		trusted []string
		secure  bool
	}{
		{"trusted proxy", []string{"127.0.0.0/8"}, true},
		{"untrusted client", nil, false},
		{"other proxy", []string{"10.0.0.0/8"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := MustStart(t, options{accounts: true, trusted: tc.trusted})
			s.MustSetup(t)
			b := s.newBrowser(t)
			// The form's token cookie is __Host- over HTTPS too; the
			// test's cookie jar keeps Secure cookies for https addresses,
			// so this one is sent by hand.
			page := b.MustGet(t, "/login", "X-Forwarded-Proto", "https")
			csrf := attr(first(page.doc(t), and(tag(atom.Input), hasAttr("name", "_csrf"))), "value")
			header := []string{"X-Forwarded-Proto", "https"}
			csrfName := "hxchat_csrf"
			if tc.secure {
				csrfName = "__Host-hxchat_csrf"
			}
			cc := setCookie(page, csrfName)
			if cc == nil || cc.Secure != tc.secure || !cc.HttpOnly || cc.Path != "/" {
				t.Fatalf("Set-Cookie %q: want %s, Secure %v, HttpOnly, Path /", page.header.Values("Set-Cookie"), csrfName, tc.secure)
			}
			if tc.secure {
				header = append(header, "Cookie", cc.Name+"="+cc.Value)
			}
			form := url.Values{"_csrf": {csrf}, "email": {emailOf("Ada")}, "password": {password}}
			r := b.MustPost(t, "/login", form, header...)
			if r.status != http.StatusSeeOther {
				t.Fatalf("sign in: got %d, want 303", r.status)
			}
			name, other := sessionCookie, secureSessionCookie
			if tc.secure {
				name, other = other, name
			}
			c := setCookie(r, name)
			if c == nil {
				t.Fatalf("Set-Cookie %q: want %s", r.header.Values("Set-Cookie"), name)
			}
			if setCookie(r, other) != nil {
				t.Errorf("Set-Cookie %q: want no %s", r.header.Values("Set-Cookie"), other)
			}
			if c.Secure != tc.secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("%s: Secure %v, HttpOnly %v, Path %q, Domain %q, SameSite %v; want Secure %v, HttpOnly, /, no Domain, Lax",
					name, c.Secure, c.HttpOnly, c.Path, c.Domain, c.SameSite, tc.secure)
			}
			// The cookie set signs in the next request the same way.
			account := s.newBrowser(t).MustGet(t, "/account", "X-Forwarded-Proto", "https", "Cookie", name+"="+c.Value)
			if account.status != http.StatusOK {
				t.Errorf("/account with %s: got %d, want 200", name, account.status)
			}
		})
	}
}

// TestPlainCookieOverHTTPS checks that over HTTPS only the __Host- cookie
// signs in: a cookie without the prefix may have been set by another
// subdomain or by a plain-HTTP answer someone forged, which is what the
// prefix exists to rule out.
func TestPlainCookieOverHTTPS(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{accounts: true, trusted: []string{"127.0.0.0/8"}})
	s.MustSetup(t)
	// Bob's session, made over plain HTTP: its cookie has no prefix.
	tok := s.MustJoin(t, "Bob").session()
	b := s.newBrowser(t)
	for _, tc := range []struct {
		cookie string
		want   int
	}{
		{sessionCookie + "=" + tok, http.StatusSeeOther},
		{secureSessionCookie + "=" + tok, http.StatusOK},
	} {
		r := b.MustGet(t, "/account", "X-Forwarded-Proto", "https", "Cookie", tc.cookie)
		if r.status != tc.want {
			t.Errorf("/account over HTTPS with %s: got %d, want %d", strings.SplitN(tc.cookie, "=", 2)[0], r.status, tc.want)
		}
	}
	// Over plain HTTP the cookie without the prefix is the one to use.
	if r := b.MustGet(t, "/account", "Cookie", sessionCookie+"="+tok); r.status != http.StatusOK {
		t.Errorf("/account over HTTP with %s: got %d, want 200", sessionCookie, r.status)
	}
}
