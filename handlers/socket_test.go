package handlers_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

func TestBroadcast(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	b := dial(t, s, s.general)
	other := dial(t, s, s.random)

	a.MustSend(t, "hello")
	fromA := a.MustNextContent(t)
	a.MustNextSent(t)
	fromB := b.MustNextContent(t)
	if fromA != fromB {
		t.Errorf("the fragment differs per recipient:\nsender   %q\nreceiver %q", fromA, fromB)
	}
	want := []shown{{Seq: 1, Author: a.name, Body: "hello"}}
	for who, f := range map[string]string{"sender": fromA, "receiver": fromB} {
		if k := kindOf(t, f); k != kindMessages {
			t.Errorf("%s: frame kind %s, want messages", who, k)
		}
		root := parseFrame(t, f)
		if got := messagesIn(root); !slices.Equal(got, want) {
			t.Errorf("%s: got %+v, want %+v", who, got, want)
		}
		if got := resumeAfter(t, root); got != 1 {
			t.Errorf("%s: resume-after %d, want 1", who, got)
		}
		if tm := first(root, tag(atom.Time)); attr(tm, "datetime") != "2025-03-14T15:09:26Z" || textOf(tm) != "15:09" {
			t.Errorf("%s: time %v %q, want the injected clock", who, tm, textOf(tm))
		}
	}

	// The other room heard nothing: its first frame since it went live is
	// its own marker.
	other.MustSend(t, "marker")
	f := other.MustNext(t)
	if got := messagesIn(parseFrame(t, f)); len(got) != 1 || got[0].Body != "marker" || got[0].Seq != 1 {
		t.Errorf("other room: first frame %q, want its marker, seq 1", f)
	}
	other.MustNextSent(t)
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	const payload = `<img src=x onerror=alert(1)><script>alert(2)</script>`
	escaped := html.EscapeString(payload)

	// noMarkup checks that the payload shows as text and never as markup.
	noMarkup := func(t *testing.T, where, raw string, n *nethtml.Node) {
		t.Helper()
		if strings.Contains(raw, payload) || strings.Contains(raw, "<img") {
			t.Errorf("%s: raw payload in %q", where, raw)
		}
		if !strings.Contains(raw, escaped) {
			t.Errorf("%s: want the escaped payload %q", where, escaped)
		}
		if img := first(n, tag(atom.Img)); img != nil {
			t.Errorf("%s: an <img> element: %v", where, img.Attr)
		}
		for _, sc := range all(n, tag(atom.Script)) {
			if attr(sc, "src") == "" {
				t.Errorf("%s: an inline <script>: %q", where, rawText(sc))
			}
		}
	}

	t.Run("message", func(t *testing.T) {
		s := MustStart(t, options{})
		a := dial(t, s, s.general)
		b := dial(t, s, s.general)
		a.MustSend(t, payload)
		f := b.MustNextContent(t)
		root := parseFrame(t, f)
		noMarkup(t, "fragment", f, root)
		if got := messagesIn(root); len(got) != 1 || got[0].Body != payload {
			t.Errorf("fragment shows %+v, want the payload as text", got)
		}

		page := b.b.MustGet(t, roomPath(s.general.ID))
		doc := page.doc(t)
		noMarkup(t, "page", page.body, doc)
		if got := messagesIn(doc); len(got) != 1 || got[0].Body != payload {
			t.Errorf("page shows %+v, want the payload as text", got)
		}
	})

	t.Run("names", func(t *testing.T) {
		const short = `<img src=x onerror=alert(1)>` // fits a display name
		s := MustStart(t, options{})
		room := MustCreateRoom(t, s.svc, short)
		b := s.newBrowser(t)
		if r := b.MustPost(t, "/me/name", url.Values{"_csrf": {b.MustCSRF(t)}, "name": {short}}, "HX-Request", "true"); r.status != http.StatusOK {
			t.Fatalf("rename: status %d", r.status)
		}
		for _, path := range []string{"/chat/rooms", roomPath(room.ID)} {
			r := b.MustGet(t, path)
			if strings.Contains(r.body, short) {
				t.Errorf("%s: raw %q in page", path, short)
			}
			if img := first(r.doc(t), tag(atom.Img)); img != nil {
				t.Errorf("%s: an <img> element: %v", path, img.Attr)
			}
		}
	})
}

func TestRefusedSends(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	b := dial(t, s, s.general)

	cases := []struct {
		name, body, token, want string
	}{
		{name: "empty", body: "", want: "Type a message before sending."},
		{name: "white space", body: " \n\t  ", want: "Type a message before sending."},
		{name: "one over", body: strings.Repeat("x", chat.MaxBody+1), want: "That message is 2001 characters long; the limit is 2000."},
		{name: "one over in runes", body: strings.Repeat("é", chat.MaxBody+1), want: "That message is 2001 characters long; the limit is 2000."},
		{name: "forged token", body: "hi", token: "not a token!", want: "This form has expired. Reload the page and send again."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := a.token
			if tc.token != "" {
				token = tc.token
			}
			a.MustSendToken(t, tc.body, token)
			if got := a.MustNextAlert(t); got != tc.want {
				t.Errorf("alert: got %q, want %q", got, tc.want)
			}
		})
	}

	// Nothing was broadcast: the next message either page sees is the
	// one sent now, with the form token the page still holds.
	long := strings.Repeat("é", chat.MaxBody)
	seq := a.MustPost(t, long)
	if got := b.MustNextMessages(t); len(got) != 1 || got[0].Seq != seq || got[0].Body != long || seq != 1 {
		t.Errorf("after the refusals: got %+v, want the 2,000-character message as seq 1", got)
	}
	if got := len(s.MustStored(t, s.general.ID)); got != 1 {
		t.Errorf("stored: got %d messages, want 1", got)
	}
}

func TestMalformedFrames(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	const want = "That message could not be read. Reload the page and send it again."
	for _, raw := range []string{
		`{not json`,
		``,
		`[]`,
		`"body"`,
		`42`,
		`null`,
		`{}`,
		`{"HEADERS":{"HX-Request":"true"}}`,
		`{"body":["a","b"],"token":"t1"}`,
		`{"body":"hi","token":7}`,
		`{"body":"hi"}`,
		`{"token":"t1"}`,
		`{"after":"-1"}`,
		`{"after":"one"}`,
		`{"after":3}`,
		`{"after":"1","body":"hi","token":"t1"}`,
	} {
		t.Run(raw, func(t *testing.T) {
			a.MustSendRaw(t, raw)
			if got := a.MustNextAlert(t); got != want {
				t.Errorf("alert: got %q, want %q", got, want)
			}
		})
	}
	// The socket still works.
	if seq := a.MustPost(t, "still here"); seq != 1 {
		t.Errorf("seq: got %d, want 1", seq)
	}
}

func TestSocketOrigin(t *testing.T) {
	t.Parallel()
	const trusted = "https://chat.example.com"
	s := MustStart(t, options{origins: []string{trusted + "/"}})
	cases := []struct {
		name   string
		origin string
		want   int
	}{
		{"same origin", s.srv.URL, http.StatusSwitchingProtocols},
		{"allowed origin", trusted, http.StatusSwitchingProtocols},
		{"no origin (not a browser)", "", http.StatusSwitchingProtocols},
		{"other origin", "http://evil.example", http.StatusForbidden},
		{"allowed host, other port", trusted + ":8443", http.StatusForbidden},
		{"opaque origin", "null", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := s.newBrowser(t)
			b.MustGet(t, roomPath(s.general.ID))
			header := http.Header{}
			if tc.origin != "" {
				header.Set("Origin", tc.origin)
			}
			conn, resp, err := b.dialer().DialContext(t.Context(), b.wsURL(s.general.ID), header)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("dial: no response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status: got %d (%v), want %d", resp.StatusCode, err, tc.want)
			}
		})
	}

	for _, q := range []string{"999", "0", "abc", ""} {
		t.Run("room "+q, func(t *testing.T) {
			b := s.newBrowser(t)
			conn, resp, err := b.dialer().DialContext(t.Context(), strings.TrimSuffix(b.wsURL(0), "0")+q, http.Header{"Origin": {s.srv.URL}})
			if conn != nil {
				conn.Close()
			}
			if resp == nil || resp.StatusCode != http.StatusNotFound {
				t.Errorf("dial room %q: got %v, %v, want 404", q, resp, err)
			}
		})
	}
}

// TestSecondTextFromSameForm checks that a person who sends again from
// the same form before the answer came back, with other text, loses
// nothing: that is a new message, not a resend.
func TestSecondTextFromSameForm(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	token := a.token
	a.MustSendToken(t, "first", token)
	a.MustSendToken(t, "second", token)
	var got []string
	for len(got) < 2 {
		for _, m := range a.MustNextMessages(t) {
			got = append(got, m.Body)
		}
		a.MustNextSent(t)
	}
	if want := []string{"first", "second"}; !slices.Equal(got, want) {
		t.Errorf("shown: got %q, want %q", got, want)
	}
	var bodies []string
	for _, m := range s.MustStored(t, s.general.ID) {
		bodies = append(bodies, m.Body)
	}
	if want := []string{"first", "second"}; !slices.Equal(bodies, want) {
		t.Errorf("stored: got %q, want %q", bodies, want)
	}
}

func TestDuplicateToken(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	b := dial(t, s, s.general)

	// htmx queues sends made while the socket is down and flushes them on
	// the next open: the same form may come several times.
	token := a.token
	for range 3 {
		a.MustSendToken(t, "once", token)
	}
	if got := a.MustNextMessages(t); len(got) != 1 || got[0].Body != "once" {
		t.Fatalf("sender: got %+v, want the message", got)
	}
	for range 3 {
		// The resends are answered like a send (the form is renewed), but
		// nothing is broadcast between the replies.
		a.MustNextSent(t)
	}
	if got := b.MustNextMessages(t); len(got) != 1 || got[0].Body != "once" {
		t.Fatalf("receiver: got %+v, want the message", got)
	}
	// The next message b sees is its own marker: no second copy.
	b.MustPost(t, "marker")
	if got := a.MustNextMessages(t); len(got) != 1 || got[0].Body != "marker" {
		t.Errorf("sender after the resends: got %+v, want the marker next", got)
	}

	var bodies []string
	for _, m := range s.MustStored(t, s.general.ID) {
		bodies = append(bodies, m.Body)
	}
	if want := []string{"once", "marker"}; !slices.Equal(bodies, want) {
		t.Errorf("stored: got %q, want %q", bodies, want)
	}
	page := s.newBrowser(t).MustGet(t, roomPath(s.general.ID)).doc(t)
	if got := messagesIn(page); len(got) != 2 || got[0].Body != "once" || got[1].Body != "marker" {
		t.Errorf("page: got %+v, want once and marker", got)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// A burst of 3 and then one message every 1,000 seconds: after three
	// messages the connection is over the limit for the rest of the test.
	// Resumes have a limit of their own and do not count.
	s := MustStart(t, options{limits: chat.Limits{Rate: 0.001, Burst: 3}})
	a := dial(t, s, s.general)
	b := dial(t, s, s.general)
	var want []string
	for i := range 3 {
		body := fmt.Sprintf("burst %d", i+1)
		a.MustPost(t, body)
		want = append(want, body)
	}
	a.MustSend(t, "one too many")
	if got, want := a.MustNextAlert(t), "You are sending too fast. Wait a moment and send again."; got != want {
		t.Errorf("alert: got %q, want %q", got, want)
	}
	var got []string
	for range 3 {
		for _, m := range b.MustNextMessages(t) {
			got = append(got, m.Body)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("room saw %q, want %q", got, want)
	}
	// The limit is per person, so b, someone else, may still send, and the
	// refused message was never broadcast: b's own marker comes next.
	b.MustPost(t, "marker")
	if n := len(s.MustStored(t, s.general.ID)); n != 4 {
		t.Errorf("stored: got %d, want 4", n)
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	watcher := dial(t, s, s.general)
	if got, want := notices(t, watcher.presence), []string(nil); !slices.Equal(got, want) {
		t.Fatalf("setup: %q", got)
	}

	person := s.newBrowser(t)
	tab1 := person.MustOpen(t, s.general.ID)
	f := watcher.MustNext(t)
	if got, want := notices(t, []string{f}), []string{tab1.name + " joined"}; !slices.Equal(got, want) {
		t.Errorf("first tab: notices %q, want %q", got, want)
	}
	if got := textOf(byID(parseFrame(t, f), "online")); !strings.Contains(got, tab1.name) || !strings.Contains(got, watcher.name) {
		t.Errorf("online after join: %q, want both people", got)
	}

	// A second tab of the same person: no notice for anyone; the tab
	// itself gets the list.
	tab2 := person.MustOpen(t, s.general.ID)
	if tab2.name != tab1.name {
		t.Fatalf("second tab is %q, want the same person %q", tab2.name, tab1.name)
	}

	tab1.MustClose(t)
	s.waitConnections(t, 2)
	watcher.MustPost(t, "marker")
	if got := notices(t, watcher.presence); len(got) != 0 {
		t.Errorf("after the second tab opened and the first closed: notices %q, want none", got)
	}
	if got := tab2.MustNextMessages(t); len(got) != 1 || got[0].Body != "marker" {
		t.Errorf("second tab: got %+v, want the marker", got)
	}
	if got := notices(t, tab2.presence); len(got) != 0 {
		t.Errorf("second tab: notices %q, want none", got)
	}

	tab2.MustClose(t)
	f = watcher.MustNext(t)
	if got, want := notices(t, []string{f}), []string{tab1.name + " left"}; !slices.Equal(got, want) {
		t.Errorf("last tab closed: notices %q, want %q", got, want)
	}
	if got := textOf(byID(parseFrame(t, f), "online")); strings.Contains(got, tab1.name) || !strings.Contains(got, watcher.name) {
		t.Errorf("online after leave: %q, want only %q", got, watcher.name)
	}
	s.waitConnections(t, 1)
	watcher.MustPost(t, "marker 2")
	if got := notices(t, watcher.presence); len(got) != 0 {
		t.Errorf("after the last tab left: more notices %q", got)
	}
}

func TestShutdownClosesWith1012(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	if err := s.hub.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	_ = a.conn.SetReadDeadline(time.Now().Add(wait))
	for {
		_, _, err := a.conn.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
			t.Errorf("close: got %v, want 1012", err)
		}
		break
	}
	// A socket opened during shutdown is refused.
	b := s.newBrowser(t)
	b.MustGet(t, roomPath(s.general.ID))
	_, resp, _ := b.dialer().DialContext(t.Context(), b.wsURL(s.general.ID), http.Header{"Origin": {s.srv.URL}})
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial during shutdown: got %v, want 503", resp)
	}
}
