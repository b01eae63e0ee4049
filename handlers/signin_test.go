package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

func TestLoginForm(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	r := s.newBrowser(t).MustGet(t, "/login")
	if r.status != http.StatusOK {
		t.Fatalf("GET /login: got %d, want 200", r.status)
	}
	doc := r.doc(t)
	for label, want := range map[string]string{"Email": "email", "Password": "password"} {
		in := labelled(doc, label)
		if got := attr(in, "name"); got != want {
			t.Errorf("field labelled %q: got name %q, want %q", label, got, want)
		}
	}
	if got := attr(labelled(doc, "Password"), "type"); got != "password" {
		t.Errorf("password field: type %q, want password", got)
	}
	if b := button(doc, "Sign in"); b == nil || attr(b, "type") != "submit" {
		t.Errorf("no submit button named %q", "Sign in")
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	b := s.newBrowser(t)
	const typed = "not-the-password-42"
	r := b.signIn(t, emailOf("Ada"), typed, "")
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong password: got %d, want 422", r.status)
	}
	doc := r.doc(t)
	if got, want := textOf(byID(doc, "login-error")), "That email and password do not match an active account."; got != want {
		t.Errorf("alert: got %q, want %q", got, want)
	}
	if got := attr(byID(doc, "login-error"), "role"); got != "alert" {
		t.Errorf("alert role: got %q, want alert", got)
	}
	if got := attr(labelled(doc, "Email"), "value"); got != emailOf("Ada") {
		t.Errorf("email field: got %q, want the typed %q", got, emailOf("Ada"))
	}
	if strings.Contains(r.body, typed) {
		t.Errorf("the page echoes the typed password")
	}
	if setCookie(r, sessionCookie) != nil {
		t.Errorf("a wrong password set a session cookie")
	}
	// An email with no account reads the same.
	r = b.signIn(t, "nobody@example.com", typed, "")
	if got := textOf(byID(r.doc(t), "login-error")); r.status != http.StatusUnprocessableEntity || got != "That email and password do not match an active account." {
		t.Errorf("unknown email: got %d %q, want 422 with the same alert", r.status, got)
	}
}

func TestSignInLimit(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	b := s.newBrowser(t)
	for i := range 5 {
		if r := b.signIn(t, emailOf("Ada"), "wrong password "+string(rune('a'+i)), ""); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong try %d: got %d, want 422", i+1, r.status)
		}
	}
	// The right password too: the limit answers before anything is checked.
	r := b.signIn(t, emailOf("Ada"), password, "")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("sixth try: got %d, want 429", r.status)
	}
	// Five tries spent, one more every three minutes, on a clock that
	// stands still.
	if got, want := r.header.Get("Retry-After"), "181"; got != want {
		t.Errorf("Retry-After: got %q, want %q", got, want)
	}
	if got, want := textOf(byID(r.doc(t), "login-error")), "Too many failed sign-ins. Try again in 3 minutes."; got != want {
		t.Errorf("alert: got %q, want %q", got, want)
	}
	if setCookie(r, sessionCookie) != nil {
		t.Errorf("a refused sign-in set a session cookie")
	}
}

func TestSignInNext(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	local := roomPath(s.random.ID) + "?transport=sse"
	for _, tc := range []struct{ next, want string }{
		{local, local},
		{"https://evil.example/", "/chat/rooms"},
		{"//evil.example", "/chat/rooms"},
		{`/\evil.example`, "/chat/rooms"},
		{"", "/chat/rooms"},
	} {
		t.Run(tc.next, func(t *testing.T) {
			b := s.newBrowser(t)
			page := b.MustGet(t, "/login?next="+url.QueryEscape(tc.next))
			hidden := first(page.doc(t), and(tag(atom.Input), hasAttr("name", "next")))
			if got := attr(hidden, "value"); got != tc.want {
				t.Errorf("the form's next: got %q, want %q", got, tc.want)
			}
			r := b.signIn(t, emailOf("Ada"), password, tc.next)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != tc.want {
				t.Errorf("sign in with next %q: got %d to %q, want 303 to %q", tc.next, r.status, r.header.Get("Location"), tc.want)
			}
		})
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	bob := s.MustJoin(t, "Bob")
	other := s.MustSignIn(t, "Bob")
	tok := bob.session()

	doc := bob.MustGet(t, "/chat/rooms").doc(t)
	form := first(doc, and(tag(atom.Form), hasAttr("action", "/logout")))
	if form == nil || button(form, "Sign out") == nil {
		t.Fatalf("room list: no form posting to /logout with a %q button", "Sign out")
	}
	csrf := attr(first(form, hasAttr("name", "_csrf")), "value")
	r := bob.MustPost(t, "/logout", url.Values{"_csrf": {csrf}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?signed_out=1" {
		t.Errorf("sign out: got %d to %q, want 303 to /login?signed_out=1", r.status, r.header.Get("Location"))
	}
	if c := setCookie(r, sessionCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("sign out: session cookie %v, want it deleted", c)
	}
	if got := s.MustSessionIDs(t, bob.me.ID); slices.Contains(got, chat.Digest(tok)) || len(got) != 1 {
		t.Errorf("Bob's sessions after signing out one: got %q, want only the other", got)
	}

	// The old cookie, kept and sent again, is a session that ended.
	replay := s.newBrowser(t)
	replay.setSession(tok)
	r = replay.MustGet(t, roomPath(s.general.ID))
	if want := "/login?next=" + url.QueryEscape(roomPath(s.general.ID)); r.status != http.StatusSeeOther || r.header.Get("Location") != want {
		t.Errorf("replayed cookie: got %d to %q, want 303 to %q", r.status, r.header.Get("Location"), want)
	}
	replay.setSession(tok)
	replay.MustRefusedSocket(t, s.general.ID, "You are signed out. Sign in again.")

	// The other session goes on.
	if r := other.MustGet(t, "/chat/rooms"); r.status != http.StatusOK {
		t.Errorf("Bob's other session: got %d, want 200", r.status)
	}
	if page := other.MustGet(t, "/login?signed_out=1"); page.status != http.StatusSeeOther {
		t.Errorf("/login with a live session: got %d, want 303 onwards", page.status)
	}
}

func TestChangePasswordRefused(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	bob := s.MustJoin(t, "Bob")
	other := s.MustSignIn(t, "Bob")
	sessions := s.MustSessionIDs(t, bob.me.ID)
	_, hash, err := s.store.Credentials(t.Context(), emailOf("Bob"))
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	for _, tc := range []struct {
		name, current, next string
		field, want         string
	}{
		{"wrong current password", "not my password", "a brand new password", "current-password-error", "That is not your current password."},
		{"short new password", password, "short", "new-password-error", "New password must be at least 10 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"_csrf": {bob.MustFormCSRF(t, "/account")}, "current": {tc.current}, "password": {tc.next}}
			r := bob.MustPost(t, "/account/password", form)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("got %d, want 422", r.status)
			}
			if got := textOf(byID(r.doc(t), tc.field)); got != tc.want {
				t.Errorf("#%s: got %q, want %q", tc.field, got, tc.want)
			}
			if strings.Contains(r.body, tc.current) || strings.Contains(r.body, tc.next) {
				t.Errorf("the page echoes a typed password")
			}
			if got := s.MustSessionIDs(t, bob.me.ID); !slices.Equal(got, sessions) {
				t.Errorf("sessions: got %q, want all kept %q", got, sessions)
			}
			if _, now, err := s.store.Credentials(t.Context(), emailOf("Bob")); err != nil || now != hash {
				t.Errorf("the stored password changed (%v)", err)
			}
		})
	}
	if r := other.MustGet(t, "/account"); r.status != http.StatusOK {
		t.Errorf("Bob's other session: got %d, want 200", r.status)
	}
}

func TestJoinRefused(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	code, err := s.svc.Invitation(t.Context())
	if err != nil {
		t.Fatalf("Invitation: %v", err)
	}
	path := "/join/" + code
	b := s.newBrowser(t)
	const weak = "tiny-pw"
	r := b.MustPost(t, path, url.Values{"_csrf": {b.MustFormCSRF(t, path)}, "name": {"Bob"}, "email": {emailOf("Bob")}, "password": {weak}})
	if r.status != http.StatusUnprocessableEntity || setCookie(r, sessionCookie) != nil {
		t.Fatalf("join with a weak password: got %d, want 422 without a session", r.status)
	}
	doc := r.doc(t)
	if got, want := attr(labelled(doc, "Name"), "value"), "Bob"; got != want {
		t.Errorf("name field: got %q, want %q", got, want)
	}
	if got, want := attr(labelled(doc, "Email"), "value"), emailOf("Bob"); got != want {
		t.Errorf("email field: got %q, want %q", got, want)
	}
	if got, want := textOf(byID(doc, "account-password-error")), "Password must be at least 10 characters."; got != want {
		t.Errorf("password error: got %q, want %q", got, want)
	}
	if strings.Contains(r.body, weak) {
		t.Errorf("the page echoes the typed password")
	}
	if _, err := s.store.AccountByName(t.Context(), "Bob"); err == nil {
		t.Errorf("a refused form made an account")
	}
	// An email taken already, in another case.
	s.MustJoin(t, "Cy")
	r = b.MustPost(t, path, url.Values{"_csrf": {b.MustFormCSRF(t, path)}, "name": {"Bob"}, "email": {"CY@example.com"}, "password": {password}})
	if got := textOf(byID(r.doc(t), "account-email-error")); r.status != http.StatusUnprocessableEntity || !strings.Contains(got, "There is an account for") {
		t.Errorf("join with a taken email: got %d %q, want 422 saying there is an account", r.status, got)
	}
}
