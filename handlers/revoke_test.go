package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

// signedOut is what a page whose session ended shows.
const signedOut = "You are signed out. Sign in again."

func TestRevocationClosesSockets(t *testing.T) {
	t.Parallel()

	t.Run("sign out everywhere", func(t *testing.T) {
		t.Parallel()
		s, _ := accountStack(t)
		bob := s.MustJoin(t, "Bob")
		live := bob.MustOpen(t, s.general.ID)
		other := s.MustSignIn(t, "Bob")
		r := other.MustPost(t, "/account/sessions/end", url.Values{"_csrf": {other.MustCSRF(t)}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?signed_out=1" {
			t.Errorf("sign out everywhere: got %d to %q, want 303 to /login?signed_out=1", r.status, r.header.Get("Location"))
		}
		live.MustEnd(t, signedOut)
		if got := s.MustSessionIDs(t, bob.me.ID); len(got) != 0 {
			t.Errorf("Bob's sessions: got %q, want none", got)
		}
		bob.MustSignedOut(t)
		other.MustSignedOut(t)
	})

	t.Run("deactivated", func(t *testing.T) {
		t.Parallel()
		s, ada := accountStack(t)
		bob := s.MustJoin(t, "Bob")
		live := bob.MustOpen(t, s.general.ID)
		path := fmt.Sprintf("/admin/people/%d/deactivate", bob.me.ID)
		r := ada.MustPost(t, path, url.Values{"_csrf": {ada.MustFormCSRF(t, "/admin")}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
			t.Errorf("deactivate: got %d to %q, want 303 to /admin", r.status, r.header.Get("Location"))
		}
		live.MustEnd(t, signedOut)
		if !s.MustAccount(t, "Bob").Deactivated {
			t.Errorf("Bob is not deactivated in the store")
		}
		bob.MustSignedOut(t)
		if r := s.newBrowser(t).signIn(t, emailOf("Bob"), password, ""); r.status != http.StatusUnprocessableEntity {
			t.Errorf("a deactivated account signs in: got %d, want 422", r.status)
		}
	})

	t.Run("removed from a private room", func(t *testing.T) {
		t.Parallel()
		s, ada := accountStack(t)
		bob := s.MustJoin(t, "Bob")
		room := ada.MustCreateRoom(t, "Board", chat.RoomPrivate)
		ada.MustAddMember(t, room.ID, "Bob")
		private := bob.MustOpen(t, room.ID)
		open := bob.MustOpen(t, s.general.ID)
		path := fmt.Sprintf("%s/members/%d/remove", roomPath(room.ID), bob.me.ID)
		r := ada.MustPost(t, path, url.Values{"_csrf": {ada.MustCSRF(t)}})
		if r.status != http.StatusSeeOther {
			t.Errorf("remove Bob: got %d, want 303", r.status)
		}
		private.MustEnd(t, "You are no longer in this room.")
		if got, want := s.MustMemberIDs(t, room.ID), []int64{ada.me.ID}; !slices.Equal(got, want) {
			t.Errorf("members: got %v, want %v", got, want)
		}
		if r := bob.MustGet(t, roomPath(room.ID)); r.status != http.StatusNotFound {
			t.Errorf("Bob's room page after removal: got %d, want 404", r.status)
		}
		// Bob is still signed in, and his socket to an open room lives.
		open.MustPost(t, "still here")
	})

	t.Run("password changed", func(t *testing.T) {
		t.Parallel()
		s, _ := accountStack(t)
		bob := s.MustJoin(t, "Bob")
		live := bob.MustOpen(t, s.general.ID)
		other := s.MustSignIn(t, "Bob")
		kept := other.MustOpen(t, s.general.ID)
		form := url.Values{"_csrf": {other.MustFormCSRF(t, "/account")}, "current": {password}, "password": {"a brand new password"}}
		r := other.MustPost(t, "/account/password", form)
		if r.status != http.StatusOK || !strings.Contains(mainText(t, r), "Password changed.") {
			t.Errorf("change password: got %d, want 200 saying it changed", r.status)
		}
		live.MustEnd(t, signedOut)
		bob.MustSignedOut(t)
		if got, want := s.MustSessionIDs(t, bob.me.ID), []string{other.sessionID(t)}; !slices.Equal(got, want) {
			t.Errorf("Bob's sessions: got %q, want only the one that changed the password", got)
		}
		// The session that changed it, and its socket, go on.
		kept.MustPost(t, "still here")
		if r := other.MustGet(t, "/account"); r.status != http.StatusOK {
			t.Errorf("the session that changed the password: got %d, want 200", r.status)
		}
	})
}

func TestAccountSessions(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	bob, cy := s.MustJoin(t, "Bob"), s.MustJoin(t, "Cy")
	other := s.MustSignIn(t, "Bob")

	page := bob.MustGet(t, "/account")
	if page.status != http.StatusOK {
		t.Fatalf("/account: got %d, want 200", page.status)
	}
	doc := page.doc(t)
	var ended []string
	for _, f := range all(doc, tag(atom.Form)) {
		id, ok := strings.CutPrefix(attr(f, "action"), "/account/sessions/")
		if id, ok = strings.CutSuffix(id, "/end"); !ok || id == "" {
			continue
		}
		if button(f, "Sign out") == nil {
			t.Errorf("the form ending session %s has no %q button", id, "Sign out")
		}
		ended = append(ended, id)
	}
	slices.Sort(ended)
	if want := s.MustSessionIDs(t, bob.me.ID); !slices.Equal(ended, want) || len(want) != 2 {
		t.Errorf("/account: forms end sessions %q, want one per session %q", ended, want)
	}
	if button(doc, "Sign out everywhere") == nil {
		t.Errorf("/account: no %q button", "Sign out everywhere")
	}
	if !strings.Contains(mainText(t, page), "This device") {
		t.Errorf("/account does not mark the session viewing it")
	}

	csrf := attr(first(doc, hasAttr("name", "_csrf")), "value")
	r := bob.MustPost(t, "/account/sessions/"+other.sessionID(t)+"/end", url.Values{"_csrf": {csrf}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
		t.Errorf("end the other session: got %d to %q, want 303 to /account", r.status, r.header.Get("Location"))
	}
	if got, want := s.MustSessionIDs(t, bob.me.ID), []string{bob.sessionID(t)}; !slices.Equal(got, want) {
		t.Errorf("Bob's sessions: got %q, want %q", got, want)
	}
	other.MustSignedOut(t)

	// Someone else's session is not Bob's to end.
	cyID := cy.sessionID(t)
	r = bob.MustPost(t, "/account/sessions/"+cyID+"/end", url.Values{"_csrf": {csrf}})
	if r.status >= 500 || strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("end Cy's session: got %d to %q, want Bob kept on his account", r.status, r.header.Get("Location"))
	}
	if got := s.MustSessionIDs(t, cy.me.ID); !slices.Equal(got, []string{cyID}) {
		t.Errorf("Cy's sessions after Bob's try: got %q, want %q", got, []string{cyID})
	}
	if r := cy.MustGet(t, "/account"); r.status != http.StatusOK {
		t.Errorf("Cy after Bob's try: got %d, want 200", r.status)
	}

	// Ending the session in use signs this browser out.
	r = bob.MustPost(t, "/account/sessions/"+bob.sessionID(t)+"/end", url.Values{"_csrf": {csrf}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?signed_out=1" {
		t.Errorf("end this session: got %d to %q, want 303 to /login?signed_out=1", r.status, r.header.Get("Location"))
	}
	if got := s.MustSessionIDs(t, bob.me.ID); len(got) != 0 {
		t.Errorf("Bob's sessions: got %q, want none", got)
	}
}
