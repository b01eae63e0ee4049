package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

// password is the password of every test account: long enough for the
// password rule.
const password = "correct horse battery staple"

// endWithin is how soon a live socket must close once its session ended,
// its person was deactivated or removed, or its room archived.
const endWithin = time.Second

// Session cookie names, over plain HTTP and over HTTPS.
const (
	sessionCookie       = "hxchat_session"
	secureSessionCookie = "__Host-hxchat_session"
)

// emailOf is the email of the test account called name.
func emailOf(name string) string { return strings.ToLower(name) + "@example.com" }

// accountStack starts a stack in accounts mode and sets it up with its
// first account, Ada, an administrator.
func accountStack(t *testing.T) (*stack, *browser) {
	t.Helper()
	s := MustStart(t, options{accounts: true})
	return s, s.MustSetup(t)
}

// MustSetup creates the first account, Ada, through /setup as a browser
// would: it opens the setup link from the log, then sends the form.
func (s *stack) MustSetup(t *testing.T) *browser {
	t.Helper()
	tok, err := s.svc.SetupToken(t.Context())
	if err != nil {
		t.Fatalf("SetupToken: %v", err)
	}
	b := s.newBrowser(t)
	path := "/setup?token=" + url.QueryEscape(tok)
	csrf := b.MustFormCSRF(t, path)
	r := b.MustPost(t, path, url.Values{"_csrf": {csrf}, "name": {"Ada"}, "email": {emailOf("Ada")}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Fatalf("setup: got %d to %q, want 303 to /admin; body %s", r.status, r.header.Get("Location"), r.body)
	}
	b.me = s.MustAccount(t, "Ada")
	return b
}

// MustJoin creates the account name through the invitation link and
// returns the browser signed in with it.
func (s *stack) MustJoin(t *testing.T, name string) *browser {
	t.Helper()
	code, err := s.svc.Invitation(t.Context())
	if err != nil {
		t.Fatalf("Invitation: %v", err)
	}
	b := s.newBrowser(t)
	path := "/join/" + code
	csrf := b.MustFormCSRF(t, path)
	r := b.MustPost(t, path, url.Values{"_csrf": {csrf}, "name": {name}, "email": {emailOf(name)}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/chat/rooms" {
		t.Fatalf("join as %s: got %d to %q, want 303 to /chat/rooms; body %s", name, r.status, r.header.Get("Location"), r.body)
	}
	b.me = s.MustAccount(t, name)
	return b
}

// MustSignIn signs name in from a new browser: another session.
func (s *stack) MustSignIn(t *testing.T, name string) *browser {
	t.Helper()
	b := s.newBrowser(t)
	r := b.signIn(t, emailOf(name), password, "")
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: got %d, want 303; body %s", name, r.status, r.body)
	}
	b.me = s.MustAccount(t, name)
	return b
}

// signIn sends the sign-in form as /login shows it.
func (b *browser) signIn(t *testing.T, email, pw, next string) response {
	t.Helper()
	csrf := b.MustFormCSRF(t, "/login")
	form := url.Values{"_csrf": {csrf}, "email": {email}, "password": {pw}}
	if next != "" {
		form.Set("next", next)
	}
	return b.MustPost(t, "/login", form)
}

// MustAccount returns the account called name from the store.
func (s *stack) MustAccount(t *testing.T, name string) chat.Account {
	t.Helper()
	a, err := s.store.AccountByName(t.Context(), name)
	if err != nil {
		t.Fatalf("AccountByName(%q): %v", name, err)
	}
	return a
}

// MustFormCSRF loads path and returns the anti-forgery token of its
// first form that carries one.
func (b *browser) MustFormCSRF(t *testing.T, path string) string {
	t.Helper()
	r := b.MustGet(t, path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200", path, r.status)
	}
	v := attr(first(r.doc(t), and(tag(atom.Input), hasAttr("name", "_csrf"))), "value")
	if v == "" {
		t.Fatalf("GET %s: no _csrf field", path)
	}
	return v
}

// session returns the session token the browser holds, or "".
func (b *browser) session() string {
	u, _ := url.Parse(b.s.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// sessionID returns the ID (the digest) of the browser's session.
func (b *browser) sessionID(t *testing.T) string {
	t.Helper()
	tok := b.session()
	if tok == "" {
		t.Fatalf("%s's browser holds no session", b.me.Name)
	}
	return chat.Digest(tok)
}

// setSession puts a session cookie holding tok in the browser, as a
// browser that kept (or was given) it would send it.
func (b *browser) setSession(tok string) {
	u, _ := url.Parse(b.s.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: tok, Path: "/"}})
}

// setCookie returns the cookie named name that r sets, or nil.
func setCookie(r response, name string) *http.Cookie {
	for _, line := range r.header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == name {
			return c
		}
	}
	return nil
}

// MustSessionIDs returns the IDs of the sessions of account id, sorted.
func (s *stack) MustSessionIDs(t *testing.T, id int64) []string {
	t.Helper()
	sessions, err := s.store.Sessions(t.Context(), id)
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	var ids []string
	for _, x := range sessions {
		ids = append(ids, x.ID)
	}
	slices.Sort(ids)
	return ids
}

// MustSignedOut checks that the browser's session no longer works: a page
// sends it to /login.
func (b *browser) MustSignedOut(t *testing.T) {
	t.Helper()
	r := b.MustGet(t, "/chat/rooms")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("%s's old session: got %d to %q, want 303 to /login", b.me.Name, r.status, r.header.Get("Location"))
	}
}

// MustCreateRoom creates a room of kind through the room list's form
// and returns it.
func (b *browser) MustCreateRoom(t *testing.T, name string, kind chat.RoomKind) chat.Room {
	t.Helper()
	r := b.MustPost(t, "/chat/rooms", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {name}, "kind": {string(kind)}})
	id, ok := strings.CutPrefix(r.header.Get("Location"), "/chat/rooms/")
	if r.status != http.StatusSeeOther || !ok {
		t.Fatalf("create room %q: got %d to %q, want 303 to the room", name, r.status, r.header.Get("Location"))
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("create room %q: location %q: %v", name, r.header.Get("Location"), err)
	}
	room, err := b.s.store.Room(t.Context(), n)
	if err != nil {
		t.Fatalf("Room(%d): %v", n, err)
	}
	if room.Kind != kind || room.Name != name {
		t.Fatalf("created room: got %q of kind %q, want %q of kind %q", room.Name, room.Kind, name, kind)
	}
	return room
}

// MustAddMember adds the person called name to room through its members
// page.
func (b *browser) MustAddMember(t *testing.T, room int64, name string) {
	t.Helper()
	path := roomPath(room) + "/members"
	r := b.MustPost(t, path, url.Values{"_csrf": {b.MustCSRF(t)}, "name": {name}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("add %s to room %d: got %d to %q, want 303 to %s", name, room, r.status, r.header.Get("Location"), path)
	}
}

// MustMemberIDs returns the IDs of the people added to room, sorted.
func (s *stack) MustMemberIDs(t *testing.T, room int64) []int64 {
	t.Helper()
	people, err := s.store.Members(t.Context(), room)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	var ids []int64
	for _, u := range people {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	return ids
}

// MustNoSocket dials room's websocket and checks that the server answers
// the handshake with status, without upgrading.
func (b *browser) MustNoSocket(t *testing.T, room int64, status int) {
	t.Helper()
	conn, resp, err := b.dialer().DialContext(t.Context(), b.wsURL(room), http.Header{"Origin": {b.s.srv.URL}})
	if err == nil {
		conn.Close()
		t.Fatalf("socket to room %d: upgraded, want %d before any upgrade", room, status)
	}
	if resp == nil || resp.StatusCode != status {
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		t.Errorf("socket to room %d: got %d (%v), want %d", room, got, err, status)
	}
}

// MustRefusedSocket dials room's websocket and checks that the server
// upgrades it only to say want, then closes it with 1008, which htmx does
// not reconnect after: the page shows why instead of retrying forever.
func (b *browser) MustRefusedSocket(t *testing.T, room int64, want string) {
	t.Helper()
	conn, resp, err := b.dialer().DialContext(t.Context(), b.wsURL(room), http.Header{"Origin": {b.s.srv.URL}})
	if err != nil {
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		t.Errorf("socket to room %d: got %d (%v), want an upgrade that says %q and closes", room, got, err, want)
		return
	}
	defer conn.Close()
	// The alert alone: the connection joined no room.
	if frames := (&client{b: b, room: room, conn: conn}).MustEnd(t, want); len(frames) != 1 {
		t.Errorf("refused socket: got frames %q, want the alert alone", frames)
	}
}

// MustEnd reads what the server still sends, up to endWithin from now,
// and checks that it is the alert want and a close with 1008: no message,
// and nothing at all after the alert, since nothing of the room reaches
// an ended connection. An online list sent before the end (another page
// opening) may come first. It returns every frame read.
func (c *client) MustEnd(t *testing.T, want string) []string {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(endWithin))
	var alerts, frames []string
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Errorf("socket end: got %v, want a close with 1008 within %v", err, endWithin)
			}
			break
		}
		frames = append(frames, string(data))
		root := parseFrame(t, string(data))
		if len(alerts) > 0 {
			t.Errorf("a frame after the alert: %q", data)
		}
		if a := byID(root, "send-error"); a != nil {
			alerts = append(alerts, textOf(a))
		}
		if msgs := messagesIn(root); len(msgs) > 0 {
			t.Errorf("an ending socket got messages %+v", msgs)
		}
	}
	if !slices.Equal(alerts, []string{want}) {
		t.Errorf("alerts before the close: got %q, want %q", alerts, want)
	}
	return frames
}

// mainText returns the text of a page's <main>.
func mainText(t *testing.T, r response) string {
	t.Helper()
	return textOf(first(r.doc(t), tag(atom.Main)))
}

// labelled returns the form control the label with text labels in doc,
// or nil.
func labelled(doc *html.Node, text string) *html.Node {
	for _, l := range all(doc, tag(atom.Label)) {
		if textOf(l) == text {
			return byID(doc, attr(l, "for"))
		}
	}
	return nil
}

// button returns the button of doc whose text is text, or nil.
func button(doc *html.Node, text string) *html.Node {
	for _, b := range all(doc, tag(atom.Button)) {
		if textOf(b) == text {
			return b
		}
	}
	return nil
}
