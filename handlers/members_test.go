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

func TestNonMembers(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	bob, cy := s.MustJoin(t, "Bob"), s.MustJoin(t, "Cy")
	room := bob.MustCreateRoom(t, "Secret plans", chat.RoomPrivate)
	s.MustPostDirect(t, room.ID, 3)
	members := roomPath(room.ID) + "/members"
	remove := fmt.Sprintf("%s/%d/remove", members, bob.me.ID)

	hidden := func(t *testing.T, what string, r response) {
		t.Helper()
		if r.status != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", what, r.status)
		}
		if strings.Contains(r.body, room.Name) {
			t.Errorf("%s: the 404 page names the room", what)
		}
	}
	hidden(t, "room page", cy.MustGet(t, roomPath(room.ID)))
	hidden(t, "Load older", cy.MustGet(t, roomPath(room.ID)+"/messages?before=3", "HX-Request", "true"))
	hidden(t, "members page", cy.MustGet(t, members))
	cy.MustNoSocket(t, room.ID, http.StatusNotFound)
	csrf := cy.MustCSRF(t)
	hidden(t, "add a member", cy.MustPost(t, members, url.Values{"_csrf": {csrf}, "name": {"Cy"}}))
	hidden(t, "remove a member", cy.MustPost(t, remove, url.Values{"_csrf": {csrf}}))
	if got, want := s.MustMemberIDs(t, room.ID), []int64{bob.me.ID}; !slices.Equal(got, want) {
		t.Errorf("members after Cy's tries: got %v, want %v", got, want)
	}
	if strings.Contains(cy.MustGet(t, "/chat/rooms").body, room.Name) {
		t.Errorf("Cy's room list shows the private room")
	}

	bob.MustAddMember(t, room.ID, "Cy")
	page := cy.MustGet(t, roomPath(room.ID))
	if got := textOf(first(page.doc(t), tag(atom.H1))); page.status != http.StatusOK || got != room.Name {
		t.Errorf("room page once added: got %d with heading %q, want 200 and %q", page.status, got, room.Name)
	}
	if r := cy.MustGet(t, roomPath(room.ID)+"/messages?before=3", "HX-Request", "true"); r.status != http.StatusOK || len(messagesIn(r.doc(t))) != 2 {
		t.Errorf("Load older once added: got %d with %d messages, want 200 and 2", r.status, len(messagesIn(r.doc(t))))
	}
	r := cy.MustGet(t, members)
	if r.status != http.StatusOK {
		t.Errorf("members page once added: got %d, want 200", r.status)
	}
	list := first(r.doc(t), and(tag(atom.Ul), hasAttr("aria-label", "Members")))
	var names []string
	for _, b := range all(list, tag(atom.Bdi)) {
		names = append(names, textOf(b))
	}
	if want := []string{"Bob", "Cy"}; !slices.Equal(names, want) {
		t.Errorf("members listed: got %q, want %q", names, want)
	}
	// A member who did not make the room may not manage it.
	if button(r.doc(t), "Add") != nil || button(r.doc(t), "Remove") != nil {
		t.Errorf("Cy's members page offers to add or remove people")
	}
	if r := cy.MustPost(t, remove, url.Values{"_csrf": {csrf}}); r.status != http.StatusForbidden {
		t.Errorf("Cy removes Bob: got %d, want 403", r.status)
	}
	if got, want := s.MustMemberIDs(t, room.ID), []int64{bob.me.ID, cy.me.ID}; !slices.Equal(got, want) {
		t.Errorf("members: got %v, want %v", got, want)
	}
	if !strings.Contains(cy.MustGet(t, "/chat/rooms").body, room.Name) {
		t.Errorf("Cy's room list does not show the room Cy was added to")
	}
	cy.MustOpen(t, room.ID)
}

func TestAdminPagesHidden(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	was := m.s.MustState(t)
	csrf := m.cy.MustCSRF(t)
	for _, r := range m.routes() {
		if !strings.HasPrefix(r.pattern, "/admin") {
			continue
		}
		t.Run(r.method+" "+r.pattern, func(t *testing.T) {
			resp := r.request(t, m.cy, csrf)
			if resp.status != http.StatusNotFound {
				t.Errorf("as a member: got %d, want 404", resp.status)
			}
			m.s.MustUnchanged(t, was)
		})
	}
	if r := m.cy.MustGet(t, "/chat/rooms"); strings.Contains(r.body, `href="/admin"`) {
		t.Errorf("a member's pages link to /admin")
	}
	if r := m.ada.MustGet(t, "/chat/rooms"); !strings.Contains(r.body, `href="/admin"`) {
		t.Errorf("an administrator's pages do not link to /admin")
	}
}

func TestDirectMessages(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	bob, cy, dee := s.MustJoin(t, "Bob"), s.MustJoin(t, "Cy"), s.MustJoin(t, "Dee")

	people := bob.MustGet(t, "/people").doc(t)
	to := fmt.Sprintf("/people/%d/message", cy.me.ID)
	form := first(people, and(tag(atom.Form), hasAttr("action", to)))
	if got := textOf(first(form, tag(atom.Button))); got != "Message Cy" {
		t.Errorf("/people: button posting to %s: got %q, want %q", to, got, "Message Cy")
	}

	open := func(b *browser, other *browser) string {
		t.Helper()
		r := b.MustPost(t, fmt.Sprintf("/people/%d/message", other.me.ID), url.Values{"_csrf": {b.MustCSRF(t)}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/chat/rooms/") {
			t.Fatalf("%s messages %s: got %d to %q, want 303 to a room", b.me.Name, other.me.Name, r.status, r.header.Get("Location"))
		}
		return r.header.Get("Location")
	}
	conversation := open(bob, cy)
	if again := open(bob, cy); again != conversation {
		t.Errorf("Bob messages Cy again: got %s, want the same room %s", again, conversation)
	}
	if back := open(cy, bob); back != conversation {
		t.Errorf("Cy messages Bob: got %s, want the same room %s", back, conversation)
	}
	direct, err := s.store.DirectRooms(t.Context(), bob.me.ID, 10)
	if err != nil || len(direct) != 1 || roomPath(direct[0].ID) != conversation {
		t.Fatalf("Bob's direct rooms: got %+v (%v), want the one at %s", direct, err, conversation)
	}
	if page := bob.MustGet(t, conversation); page.status != http.StatusOK || !strings.Contains(mainText(t, page), "Cy") {
		t.Errorf("Bob's view of the conversation: got %d, want 200 naming Cy", page.status)
	}
	if r := dee.MustGet(t, conversation); r.status != http.StatusNotFound {
		t.Errorf("Dee opens Bob and Cy's conversation: got %d, want 404", r.status)
	}
	dee.MustNoSocket(t, direct[0].ID, http.StatusNotFound)
	cy.MustOpen(t, direct[0].ID)
}

// TestDirectRoomTitle checks that a direct conversation's page is titled
// as it is headed, by the other people in it: a direct room has no name
// of its own, and a tab titled only "hxchat" does not say which
// conversation it holds.
func TestDirectRoomTitle(t *testing.T) {
	t.Parallel()
	s, _ := accountStack(t)
	bob, cy := s.MustJoin(t, "Bob"), s.MustJoin(t, "Cy")
	r := bob.MustPost(t, fmt.Sprintf("/people/%d/message", cy.me.ID), url.Values{"_csrf": {bob.MustCSRF(t)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("message Cy: got %d, want 303", r.status)
	}
	for _, v := range []struct {
		b    *browser
		want string
	}{{bob, "Cy"}, {cy, "Bob"}} {
		doc := v.b.MustGet(t, r.header.Get("Location")).doc(t)
		if got := textOf(first(doc, tag(atom.H1))); got != v.want {
			t.Errorf("%s's heading: got %q, want %q", v.b.me.Name, got, v.want)
		}
		if got, want := textOf(first(doc, tag(atom.Title))), v.want+" · hxchat"; got != want {
			t.Errorf("%s's title: got %q, want %q", v.b.me.Name, got, want)
		}
	}
}
