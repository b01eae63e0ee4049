package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html/atom"

	"hxchat/chat"
	"hxchat/store/storetest"
)

func roomPath(id int64) string { return "/chat/rooms/" + strconv.FormatInt(id, 10) }

func TestRoomsPage(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)

	r := b.MustGet(t, "/chat/rooms")
	if r.status != http.StatusOK {
		t.Fatalf("status: got %d, want 200", r.status)
	}
	doc := r.doc(t)
	main := first(doc, tag(atom.Main))
	if main == nil {
		t.Fatalf("no <main>")
	}
	if got := textOf(first(main, tag(atom.H1))); got != "Rooms" {
		t.Errorf("heading: got %q, want %q", got, "Rooms")
	}
	for _, room := range []chat.Room{s.general, s.random} {
		a := first(main, and(tag(atom.A), hasAttr("href", roomPath(room.ID))))
		if got := textOf(a); got != room.Name {
			t.Errorf("link to %s: got text %q, want %q", roomPath(room.ID), got, room.Name)
		}
	}
	for label, field := range map[string]string{"Room name": "room-name", "Display name": "display-name"} {
		l := first(doc, and(tag(atom.Label), hasAttr("for", field)))
		if got := textOf(l); got != label {
			t.Errorf("label for #%s: got %q, want %q", field, got, label)
		}
		if byID(doc, field) == nil {
			t.Errorf("no field #%s for label %q", field, label)
		}
	}
	// Looking at the list makes nobody; opening a room does.
	if me := byID(doc, "me"); me != nil {
		t.Errorf("a first look at the list named the viewer %q, want no identity yet", textOf(me))
	}
	b.MustGet(t, roomPath(s.general.ID))
	if got := textOf(byID(b.MustGet(t, "/chat/rooms").doc(t), "me")); !strings.HasPrefix(got, "member") {
		t.Errorf("display name after opening a room: got %q, want member + a number", got)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy: got %q, want script-src 'self'", csp)
	}
}

func TestRoomPage(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)

	r := b.MustGet(t, roomPath(s.general.ID))
	if r.status != http.StatusOK {
		t.Fatalf("status: got %d, want 200", r.status)
	}
	doc := r.doc(t)
	if got := textOf(first(doc, tag(atom.H1))); got != "General" {
		t.Errorf("heading: got %q, want %q", got, "General")
	}
	if log := first(doc, hasAttr("role", "log")); log == nil || byID(log, "messages") == nil || attr(log, "aria-live") != "polite" {
		t.Errorf("message log: got %v, want a polite role=log region holding #messages", log)
	}
	send := byID(doc, "send")
	label := first(send, tag(atom.Label))
	if got := textOf(label); got != "Message" {
		t.Errorf("send form label: got %q, want %q", got, "Message")
	}
	if field := byID(doc, attr(label, "for")); field == nil || attr(field, "name") != "body" {
		t.Errorf("label %q names %v, want the body field", textOf(label), field)
	}
	if got := textOf(first(send, tag(atom.Button))); got != "Send" {
		t.Errorf("send button: got %q, want %q", got, "Send")
	}
	if got := attr(first(send, hasAttr("name", "token")), "value"); got == "" {
		t.Errorf("send form token: empty")
	}
	if got, want := attr(first(doc, hasAttr("hx-ext", "ws")), "ws-connect"), "/ws/chat?room="+strconv.FormatInt(s.general.ID, 10); got != want {
		t.Errorf("ws-connect: got %q, want %q", got, want)
	}
	if byID(doc, "online") == nil {
		t.Errorf("no online list")
	}

	cookies := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		cookies[c.Name] = c
	}
	for _, name := range []string{"hxchat_id", "hxchat_csrf"} {
		c := cookies[name]
		if c == nil || c.Value == "" || !c.HttpOnly {
			t.Errorf("cookie %s: got %v, want a value, HttpOnly", name, c)
		}
	}

	// A second page of the same browser is the same person with a new
	// form token.
	again := b.MustGet(t, roomPath(s.general.ID)).doc(t)
	if got, want := textOf(byID(again, "me")), textOf(byID(doc, "me")); got != want {
		t.Errorf("name on reload: got %q, want %q", got, want)
	}
	if a, b := attr(first(byID(doc, "send"), hasAttr("name", "token")), "value"), attr(first(byID(again, "send"), hasAttr("name", "token")), "value"); a == b {
		t.Errorf("form token on reload: got %q both times, want a new one", a)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	for _, path := range []string{
		"/chat/rooms/999",
		"/chat/rooms/0",
		"/chat/rooms/-1",
		"/chat/rooms/abc",
		"/chat/rooms/999/messages?before=5",
		"/no/such/page",
	} {
		t.Run(path, func(t *testing.T) {
			r := b.MustGet(t, path)
			if r.status != http.StatusNotFound {
				t.Errorf("status: got %d, want 404", r.status)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type: got %q, want text/html", ct)
			}
			doc := r.doc(t)
			if got := textOf(first(doc, tag(atom.H1))); got != "Not found" {
				t.Errorf("heading: got %q, want %q", got, "Not found")
			}
			if a := first(first(doc, tag(atom.Main)), and(tag(atom.A), hasAttr("href", "/chat/rooms"))); a == nil {
				t.Errorf("no link back to the rooms")
			}
		})
	}
}

func TestRootRedirects(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	r := s.newBrowser(t).MustGet(t, "/")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/chat/rooms" {
		t.Errorf("GET /: got %d to %q, want 303 to /chat/rooms", r.status, r.header.Get("Location"))
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	for path, want := range map[string][]string{
		"/healthz": {"ok"},
		"/readyz":  {"store: ok", "broker: ok"},
	} {
		r := b.MustGet(t, path)
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, r.status)
		}
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				t.Errorf("%s: body %q, want %q", path, r.body, w)
			}
		}
	}
}

func TestCreateRoom(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})

	t.Run("created", func(t *testing.T) {
		b := s.newBrowser(t)
		r := b.MustPost(t, "/chat/rooms", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {"  Lounge  "}})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/chat/rooms/") {
			t.Fatalf("POST: got %d to %q, want 303 to the room", r.status, loc)
		}
		page := b.MustGet(t, loc)
		if got := textOf(first(page.doc(t), tag(atom.H1))); page.status != http.StatusOK || got != "Lounge" {
			t.Errorf("new room page: got %d %q, want 200 %q", page.status, got, "Lounge")
		}
		list := b.MustGet(t, "/chat/rooms").doc(t)
		if a := first(list, and(tag(atom.A), hasAttr("href", loc))); textOf(a) != "Lounge" {
			t.Errorf("room list: link to %s is %q, want %q", loc, textOf(a), "Lounge")
		}
	})

	t.Run("created with htmx", func(t *testing.T) {
		b := s.newBrowser(t)
		r := b.MustPost(t, "/chat/rooms", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {"Kitchen"}}, "HX-Request", "true")
		if r.status != http.StatusNoContent || !strings.HasPrefix(r.header.Get("HX-Redirect"), "/chat/rooms/") {
			t.Errorf("POST: got %d HX-Redirect %q, want 204 to the room", r.status, r.header.Get("HX-Redirect"))
		}
	})

	refused := []struct {
		name, typed, want string
	}{
		{"empty", "", "Room name can't be empty."},
		{"blank", "   ", "Room name can't be empty."},
		{"taken", "General", `A room named "General" already exists.`},
		{"taken in another case", "gEnErAl", `A room named "gEnErAl" already exists.`},
		{"too long", strings.Repeat("r", chat.MaxRoomName+1), "Room name can be at most 80 characters; this one has 81."},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			b := s.newBrowser(t)
			before := len(mustRooms(t, s))
			for _, hx := range []bool{false, true} {
				header := []string{}
				if hx {
					header = []string{"HX-Request", "true"}
				}
				r := b.MustPost(t, "/chat/rooms", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {tc.typed}}, header...)
				if r.status != http.StatusUnprocessableEntity {
					t.Errorf("htmx %v: status %d, want 422", hx, r.status)
				}
				doc := r.doc(t)
				if got := first(doc, tag(atom.H1)) != nil; got == hx {
					t.Errorf("htmx %v: whole page %v, want %v", hx, got, !hx)
				}
				form := byID(doc, "room-form")
				alert := byID(form, "room-name-error")
				if got := textOf(alert); got != tc.want || attr(alert, "role") != "alert" {
					t.Errorf("htmx %v: alert %q role %q, want %q role alert", hx, got, attr(alert, "role"), tc.want)
				}
				field := byID(form, "room-name")
				if got := attr(field, "value"); got != tc.typed {
					t.Errorf("htmx %v: field keeps %q, want %q", hx, got, tc.typed)
				}
				if attr(field, "aria-invalid") != "true" || attr(field, "aria-describedby") != "room-name-error" {
					t.Errorf("htmx %v: field not marked invalid: %v", hx, field.Attr)
				}
			}
			if got := len(mustRooms(t, s)); got != before {
				t.Errorf("rooms: got %d, want %d (nothing created)", got, before)
			}
		})
	}
}

func mustRooms(t *testing.T, s *stack) []chat.Room {
	t.Helper()
	rooms, err := s.svc.RoomsFor(t.Context(), 0, "", 0, 1000)
	if err != nil {
		t.Fatalf("Rooms: %v", err)
	}
	return rooms
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	cases := []struct {
		name   string
		csrf   func(valid string) []string // the _csrf values posted
		header []string
	}{
		{name: "no token", csrf: func(string) []string { return nil }},
		{name: "empty token", csrf: func(string) []string { return []string{""} }},
		{name: "wrong token", csrf: func(v string) []string { return []string{v + "x"} }},
		{name: "cross-site", csrf: func(v string) []string { return []string{v} }, header: []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"}},
	}
	for _, path := range []string{"/chat/rooms", "/me/name"} {
		for _, tc := range cases {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				b := s.newBrowser(t)
				valid := b.MustCSRF(t)
				name := "forged" + strings.ReplaceAll(tc.name, " ", "")
				form := url.Values{"name": {name}}
				if v := tc.csrf(valid); v != nil {
					form["_csrf"] = v
				}
				r := b.MustPost(t, path, form, tc.header...)
				if r.status != http.StatusForbidden {
					t.Errorf("status: got %d, want 403", r.status)
				}
				for _, room := range mustRooms(t, s) {
					if room.Name == name {
						t.Errorf("room %q was created", name)
					}
				}
				if got := textOf(byID(b.MustGet(t, "/chat/rooms").doc(t), "me")); got == name {
					t.Errorf("display name changed to %q", got)
				}
			})
		}
	}
}

func TestRename(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})

	t.Run("plain form", func(t *testing.T) {
		b := s.newBrowser(t)
		csrf := b.MustCSRF(t)
		back := s.url(roomPath(s.general.ID))
		r := b.MustPost(t, "/me/name", url.Values{"_csrf": {csrf}, "name": {" Ada "}}, "Referer", back)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != roomPath(s.general.ID) {
			t.Fatalf("POST: got %d to %q, want 303 to %q", r.status, r.header.Get("Location"), roomPath(s.general.ID))
		}
		doc := b.MustGet(t, roomPath(s.general.ID)).doc(t)
		if got := textOf(byID(doc, "me")); got != "Ada" {
			t.Errorf("header name: got %q, want %q", got, "Ada")
		}
		if got := attr(byID(doc, "display-name"), "value"); got != "Ada" {
			t.Errorf("name field: got %q, want %q", got, "Ada")
		}
	})

	// A plain form goes back to the page it came from, when that page is
	// one of ours; never to another site.
	for i, tc := range []struct{ referer, want string }{
		{s.url("/chat/rooms/2?x=1"), "/chat/rooms/2?x=1"},
		{"", "/chat/rooms"},
		{"http://evil.example/chat/rooms/1", "/chat/rooms"},
		{"//evil.example/chat/rooms/1", "/chat/rooms"},
	} {
		t.Run("back to "+tc.referer, func(t *testing.T) {
			b := s.newBrowser(t)
			// Names are unique: each browser takes its own.
			r := b.MustPost(t, "/me/name", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {"Back " + strconv.Itoa(i)}}, "Referer", tc.referer)
			if got := r.header.Get("Location"); r.status != http.StatusSeeOther || got != tc.want {
				t.Errorf("redirect: got %d to %q, want 303 to %q", r.status, got, tc.want)
			}
		})
	}

	t.Run("htmx", func(t *testing.T) {
		b := s.newBrowser(t)
		name := strings.Repeat("é", chat.MaxDisplayName)
		r := b.MustPost(t, "/me/name", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {name}}, "HX-Request", "true")
		if r.status != http.StatusOK {
			t.Fatalf("status: got %d, want 200", r.status)
		}
		frag := parseFrame(t, r.body)
		if got := attr(byID(frag, "display-name"), "value"); got != name {
			t.Errorf("name field: got %q, want %q", got, name)
		}
		if st := first(frag, hasAttr("role", "status")); st == nil {
			t.Errorf("no saved status in %q", r.body)
		}
		me := byID(frag, "me")
		if textOf(me) != name || attr(me, "hx-swap-oob") != "true" {
			t.Errorf("header name: got %q oob %q, want %q oob true", textOf(me), attr(me, "hx-swap-oob"), name)
		}
		if got := textOf(byID(b.MustGet(t, "/chat/rooms").doc(t), "me")); got != name {
			t.Errorf("name after reload: got %q, want %q", got, name)
		}
	})

	refused := []struct {
		name, typed, want string
	}{
		{"empty", "", "Display name can't be empty."},
		{"blank", " \t ", "Display name can't be empty."},
		{"too long", strings.Repeat("n", chat.MaxDisplayName+1), "Display name can be at most 40 characters; this one has 41."},
		{"control character", "a\x07b", "Display name can't contain control characters."},
		{"right-to-left override", "Ana\u202eLima", "Display name can't contain U+202E, an invisible or unassigned character."},
		{"a numbered name kept for a new person", "MEMBER999999",
			`Someone is already called "MEMBER999999" (or a name that looks the same). Pick another.`},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			b := s.newBrowser(t)
			csrf := b.MustCSRF(t)
			b.MustGet(t, roomPath(s.general.ID))
			was := textOf(byID(b.MustGet(t, "/chat/rooms").doc(t), "me"))
			r := b.MustPost(t, "/me/name", url.Values{"_csrf": {csrf}, "name": {tc.typed}}, "HX-Request", "true")
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("status: got %d, want 422", r.status)
			}
			frag := parseFrame(t, r.body)
			alert := byID(frag, "display-name-error")
			if got := textOf(alert); got != tc.want || attr(alert, "role") != "alert" {
				t.Errorf("alert: got %q role %q, want %q role alert", got, attr(alert, "role"), tc.want)
			}
			if got := attr(byID(frag, "display-name"), "value"); got != tc.typed {
				t.Errorf("field keeps %q, want %q", got, tc.typed)
			}
			if got := textOf(byID(b.MustGet(t, "/chat/rooms").doc(t), "me")); got != was {
				t.Errorf("name after refusal: got %q, want %q", got, was)
			}
		})
	}
}

// TestRenameReachesOpenSocket checks the promise the name form makes
// ("New messages show this name"): a page renames over htmx, without a
// reload, so its open socket must post under the new name.
func TestRenameReachesOpenSocket(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	r := a.b.MustPost(t, "/me/name", url.Values{"_csrf": {a.b.MustCSRF(t)}, "name": {"Grace"}}, "HX-Request", "true")
	if r.status != http.StatusOK {
		t.Fatalf("rename: status %d, want 200", r.status)
	}
	a.MustSend(t, "after rename")
	got := a.MustNextMessages(t)
	if len(got) != 1 || got[0].Author != "Grace" {
		t.Errorf("message after rename: got %+v, want one by %q", got, "Grace")
	}
}

func TestOlderPaging(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	const total = 120
	s.MustPostDirect(t, s.general.ID, total)
	b := s.newBrowser(t)

	doc := b.MustGet(t, roomPath(s.general.ID)).doc(t)
	var seen []int64
	seen = append(seen, seqsOf(messagesIn(byID(doc, "messages")))...)
	if got, want := seqsOf(messagesIn(byID(doc, "messages"))), storetest.SeqRange(total-49, total); !slices.Equal(got, want) {
		t.Errorf("room page: got seqs %v, want %v", got, want)
	}
	next := attr(first(byID(doc, "older"), tag(atom.Button)), "hx-get")
	for pages := 0; next != ""; pages++ {
		if pages > total {
			t.Fatalf("Load older does not end: %q", next)
		}
		r := b.MustGet(t, next, "HX-Request", "true")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", next, r.status)
		}
		frag := parseFrame(t, r.body)
		page := seqsOf(messagesIn(frag))
		if !slices.IsSorted(page) || len(page) == 0 {
			t.Errorf("GET %s: seqs %v, want ascending, not empty", next, page)
		}
		seen = append(page, seen...)
		next = attr(first(byID(frag, "older"), tag(atom.Button)), "hx-get")
		if next != "" && topIDs(frag)[0] != "older" {
			t.Errorf("GET %s: the next control must come first, got %q", next, topIDs(frag))
		}
	}
	if want := storetest.SeqRange(1, total); !slices.Equal(seen, want) {
		t.Errorf("all pages: got %v, want 1..%d once each", seen, total)
	}

	for _, q := range []string{"", "?before=0", "?before=-3", "?before=abc"} {
		if r := b.MustGet(t, roomPath(s.general.ID)+"/messages"+q); r.status != http.StatusUnprocessableEntity {
			t.Errorf("GET messages%s: status %d, want 422", q, r.status)
		}
	}
}
