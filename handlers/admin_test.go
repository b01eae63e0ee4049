package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// linkExpired is what a used, replaced or expired link shows.
const linkExpired = "This link has been used, replaced or has expired. Ask an administrator for a new one."

// auditEntry is one row of the audit log on /admin.
type auditEntry struct{ who, what, subject string }

// auditLog returns the rows of the audit log on an /admin page, newest
// first.
func auditLog(t *testing.T, doc *html.Node) []auditEntry {
	t.Helper()
	section := first(doc, and(tag(atom.Section), hasAttr("aria-labelledby", "audit-heading")))
	if section == nil {
		t.Fatalf("/admin: no audit log section")
	}
	var out []auditEntry
	for _, tr := range all(first(section, tag(atom.Tbody)), tag(atom.Tr)) {
		cells := all(tr, tag(atom.Td))
		if len(cells) != 4 {
			t.Fatalf("audit log row with %d cells, want 4", len(cells))
		}
		out = append(out, auditEntry{textOf(cells[1]), textOf(cells[2]), textOf(cells[3])})
	}
	return out
}

// adminPath strips the server's origin from a link /admin shows.
func (s *stack) adminPath(t *testing.T, link string) string {
	t.Helper()
	path, ok := strings.CutPrefix(link, s.srv.URL)
	if !ok || !strings.HasPrefix(path, "/") {
		t.Fatalf("link %q: want one on this server, %s", link, s.srv.URL)
	}
	return path
}

func TestAdminInvitation(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	invite := func() string {
		t.Helper()
		return s.adminPath(t, attr(byID(ada.MustGet(t, "/admin").doc(t), "invite-url"), "value"))
	}
	old := invite()
	if !strings.HasPrefix(old, "/join/") {
		t.Fatalf("invitation link: got %q, want /join/CODE", old)
	}
	eli := s.newBrowser(t)
	csrf := eli.MustFormCSRF(t, old)
	r := eli.MustPost(t, old, url.Values{"_csrf": {csrf}, "name": {"Eli"}, "email": {emailOf("Eli")}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/chat/rooms" {
		t.Fatalf("join with the link shown: got %d to %q, want 303 to /chat/rooms", r.status, r.header.Get("Location"))
	}
	s.MustAccount(t, "Eli")

	r = ada.MustPost(t, "/admin/invitation", url.Values{"_csrf": {ada.MustFormCSRF(t, "/admin")}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Errorf("reset invitation link: got %d to %q, want 303 to /admin", r.status, r.header.Get("Location"))
	}
	fay := s.newBrowser(t)
	if r := fay.MustGet(t, old); r.status != http.StatusNotFound || !strings.Contains(mainText(t, r), linkExpired) {
		t.Errorf("the old link: got %d %q, want 404 saying %q", r.status, mainText(t, r), linkExpired)
	}
	r = fay.MustPost(t, old, url.Values{"_csrf": {fay.MustFormCSRF(t, "/login")}, "name": {"Fay"}, "email": {emailOf("Fay")}, "password": {password}})
	if r.status != http.StatusNotFound || setCookie(r, sessionCookie) != nil {
		t.Errorf("join with the old link: got %d, want 404 without a session", r.status)
	}
	if _, err := s.store.AccountByName(t.Context(), "Fay"); err == nil {
		t.Errorf("the old link made an account")
	}
	fresh := invite()
	if fresh == old {
		t.Fatalf("invitation link after the reset: still %q", old)
	}
	if r := fay.MustGet(t, fresh); r.status != http.StatusOK {
		t.Errorf("the new link: got %d, want 200", r.status)
	}
	if got, want := auditLog(t, ada.MustGet(t, "/admin").doc(t)), []auditEntry{{"Ada", "Reset the invitation link", ""}}; !slices.Equal(got, want) {
		t.Errorf("audit log: got %+v, want %+v", got, want)
	}
}

func TestAdminResetLink(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	bob := s.MustJoin(t, "Bob")
	other := s.MustSignIn(t, "Bob")
	live := bob.MustOpen(t, s.general.ID)

	r := ada.MustPost(t, fmt.Sprintf("/admin/people/%d/reset", bob.me.ID), url.Values{"_csrf": {ada.MustFormCSRF(t, "/admin")}})
	if r.status != http.StatusOK {
		t.Fatalf("reset link: got %d, want 200", r.status)
	}
	note := first(r.doc(t), and(tag(atom.Div), hasAttr("role", "status")))
	if !strings.Contains(textOf(note), "Bob") {
		t.Errorf("reset link note %q: want it to name Bob", textOf(note))
	}
	link := s.adminPath(t, textOf(first(note, tag(atom.Code))))
	if !strings.HasPrefix(link, "/reset/") {
		t.Fatalf("reset link: got %q, want /reset/TOKEN", link)
	}
	if strings.Contains(ada.MustGet(t, "/admin").body, link) {
		t.Errorf("/admin shows the reset link again")
	}

	b := s.newBrowser(t)
	page := b.MustGet(t, link)
	if page.status != http.StatusOK || attr(labelled(page.doc(t), "New password"), "type") != "password" {
		t.Fatalf("reset page: got %d, want 200 with a field labelled %q", page.status, "New password")
	}
	csrf := attr(first(page.doc(t), hasAttr("name", "_csrf")), "value")
	const fresh = "bob's new password"
	r = b.MustPost(t, link, url.Values{"_csrf": {csrf}, "password": {fresh}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/chat/rooms" || setCookie(r, sessionCookie) == nil {
		t.Fatalf("set a new password: got %d to %q, want 303 to /chat/rooms with a session", r.status, r.header.Get("Location"))
	}
	b.me = bob.me
	live.MustEnd(t, signedOut)
	bob.MustSignedOut(t)
	other.MustSignedOut(t)
	if got, want := s.MustSessionIDs(t, bob.me.ID), []string{b.sessionID(t)}; !slices.Equal(got, want) {
		t.Errorf("Bob's sessions: got %q, want only the new one", got)
	}
	if r := b.MustGet(t, "/account"); r.status != http.StatusOK {
		t.Errorf("the new session: got %d, want 200", r.status)
	}

	// The link works once.
	again := s.newBrowser(t)
	r = again.MustPost(t, link, url.Values{"_csrf": {again.MustFormCSRF(t, "/login")}, "password": {"someone else's password"}})
	if r.status != http.StatusNotFound || !strings.Contains(mainText(t, r), linkExpired) || setCookie(r, sessionCookie) != nil {
		t.Errorf("the link used again: got %d %q, want 404 saying %q", r.status, mainText(t, r), linkExpired)
	}
	if r := s.newBrowser(t).signIn(t, emailOf("Bob"), password, ""); r.status != http.StatusUnprocessableEntity {
		t.Errorf("sign in with the old password: got %d, want 422", r.status)
	}
	if r := s.newBrowser(t).signIn(t, emailOf("Bob"), fresh, ""); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: got %d, want 303", r.status)
	}
	want := []auditEntry{{"Ada", "Made a password-reset link", fmt.Sprintf("Bob (#%d)", bob.me.ID)}}
	if got := auditLog(t, ada.MustGet(t, "/admin").doc(t)); !slices.Equal(got, want) {
		t.Errorf("audit log: got %+v, want %+v", got, want)
	}
}

func TestAdminRooms(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	bob := s.MustJoin(t, "Bob")
	id := s.general.ID
	s.MustPostDirect(t, id, 1)
	csrf := ada.MustFormCSRF(t, "/admin")

	r := ada.MustPost(t, fmt.Sprintf("/admin/rooms/%d/rename", id), url.Values{"_csrf": {csrf}, "name": {"Lobby"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Errorf("rename: got %d to %q, want 303 to /admin", r.status, r.header.Get("Location"))
	}
	if room, err := s.store.Room(t.Context(), id); err != nil || room.Name != "Lobby" {
		t.Errorf("the room after renaming: got %q (%v), want Lobby", room.Name, err)
	}
	if got := textOf(first(bob.MustGet(t, roomPath(id)).doc(t), tag(atom.H1))); got != "Lobby" {
		t.Errorf("room heading: got %q, want Lobby", got)
	}

	live := bob.MustOpen(t, id)
	r = ada.MustPost(t, fmt.Sprintf("/admin/rooms/%d/archive", id), url.Values{"_csrf": {csrf}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Errorf("archive: got %d to %q, want 303 to /admin", r.status, r.header.Get("Location"))
	}
	const archived = "This room is archived: you can read it, not write in it."
	live.MustEnd(t, archived)
	if room, err := s.store.Room(t.Context(), id); err != nil || !room.Archived {
		t.Errorf("the room after archiving: archived %v (%v), want true", room.Archived, err)
	}
	page := bob.MustGet(t, roomPath(id))
	doc := page.doc(t)
	if page.status != http.StatusOK || len(messagesIn(doc)) != 1 {
		t.Errorf("archived room page: got %d with %d messages, want 200 with its message", page.status, len(messagesIn(doc)))
	}
	if byID(doc, "send") != nil || button(doc, "Send") != nil || labelled(doc, "Message") != nil {
		t.Errorf("archived room page has a message form")
	}
	if !strings.Contains(mainText(t, page), archived) {
		t.Errorf("archived room page does not say it is archived")
	}
	bob.MustRefusedSocket(t, id, archived)

	want := []auditEntry{
		{"Ada", "Archived a room", fmt.Sprintf("Lobby (room #%d)", id)},
		{"Ada", "Renamed a room", fmt.Sprintf("General (room #%d) to Lobby", id)},
	}
	if got := auditLog(t, ada.MustGet(t, "/admin").doc(t)); !slices.Equal(got, want) {
		t.Errorf("audit log: got %+v, want %+v", got, want)
	}
}

func TestAdminRenameRefused(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	id := s.general.ID
	for _, typed := range []string{"random", ""} {
		r := ada.MustPost(t, fmt.Sprintf("/admin/rooms/%d/rename", id), url.Values{"_csrf": {ada.MustFormCSRF(t, "/admin")}, "name": {typed}})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("rename to %q: got %d, want 422", typed, r.status)
		}
		doc := r.doc(t)
		field := byID(doc, fmt.Sprintf("room-%d-name", id))
		if attr(field, "aria-invalid") != "true" || textOf(byID(doc, attr(field, "aria-describedby"))) == "" {
			t.Errorf("rename to %q: the field is not marked invalid with its error", typed)
		}
		// What was typed stays in the field, to be corrected.
		if got := attr(field, "value"); got != typed && typed != "" {
			t.Errorf("rename to %q: the field holds %q, want what was typed", typed, got)
		}
		if room, err := s.store.Room(t.Context(), id); err != nil || room.Name != s.general.Name {
			t.Errorf("rename to %q: the room is named %q (%v), want %q", typed, room.Name, err, s.general.Name)
		}
	}
}

func TestAdminRoles(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	bob := s.MustJoin(t, "Bob")
	act := func(id int64, what string, want int) {
		t.Helper()
		r := ada.MustPost(t, fmt.Sprintf("/admin/people/%d/%s", id, what), url.Values{"_csrf": {ada.MustFormCSRF(t, "/admin")}})
		if r.status != want {
			t.Errorf("%s #%d: got %d, want %d", what, id, r.status, want)
		}
	}

	act(bob.me.ID, "admin", http.StatusSeeOther)
	if r := bob.MustGet(t, "/admin"); r.status != http.StatusOK {
		t.Errorf("/admin for a new administrator: got %d, want 200", r.status)
	}
	act(bob.me.ID, "member", http.StatusSeeOther)
	if r := bob.MustGet(t, "/admin"); r.status != http.StatusNotFound {
		t.Errorf("/admin once no longer an administrator: got %d, want 404", r.status)
	}

	// One administrator is always left: Ada can neither deactivate
	// herself nor take her own role back.
	act(ada.me.ID, "deactivate", http.StatusForbidden)
	act(ada.me.ID, "member", http.StatusForbidden)
	if a := s.MustAccount(t, "Ada"); !a.Admin || a.Deactivated {
		t.Errorf("Ada after acting on herself: admin %v, deactivated %v; want admin, active", a.Admin, a.Deactivated)
	}

	act(bob.me.ID, "deactivate", http.StatusSeeOther)
	bob.MustSignedOut(t)
	act(bob.me.ID, "reactivate", http.StatusSeeOther)
	if r := s.newBrowser(t).signIn(t, emailOf("Bob"), password, ""); r.status != http.StatusSeeOther {
		t.Errorf("sign in once reactivated: got %d, want 303", r.status)
	}
	act(999, "deactivate", http.StatusNotFound)

	subject := fmt.Sprintf("Bob (#%d)", bob.me.ID)
	want := []auditEntry{
		{"Ada", "Reactivated an account", subject},
		{"Ada", "Deactivated an account", subject},
		{"Ada", "Removed an administrator", subject},
		{"Ada", "Made an administrator", subject},
	}
	if got := auditLog(t, ada.MustGet(t, "/admin").doc(t)); !slices.Equal(got, want) {
		t.Errorf("audit log: got %+v, want %+v", got, want)
	}
}
