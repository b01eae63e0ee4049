package handlers_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/views"
)

// event is one server-sent event, or a comment.
type event struct {
	// id is the event's id field; hasID says it had one.
	id    string
	hasID bool
	// name is the event's type ("" for the default, "message").
	name string
	data string
	// comment is set for a comment line instead of an event.
	comment string
}

// sse is a browser's EventSource on a room's stream.
type sse struct {
	resp   *http.Response
	events chan event
	// retry is the retry field the stream began with.
	retry string
}

// MustStream opens room's event stream as an EventSource does, with
// lastID as Last-Event-ID unless it is empty, and checks the answer's
// headers.
func (b *browser) MustStream(t *testing.T, room int64, lastID string) *sse {
	t.Helper()
	resp := b.stream(t, room, lastID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream of room %d: got %d, want 200", room, resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Type": "text/event-stream; charset=utf-8", "X-Accel-Buffering": "no",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("stream %s: got %q, want %q", k, got, want)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("stream Cache-Control: got %q, want no-cache", cc)
	}
	s := &sse{resp: resp, events: make(chan event, 1024)}
	go s.read()
	return s
}

// stream requests room's event stream; the caller reads the answer.
func (b *browser) stream(t *testing.T, room int64, lastID string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.s.url("/sse/chat?room="+strconv.FormatInt(room, 10)), nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	// No overall timeout: the body never ends by itself.
	resp, err := (&http.Client{Jar: b.jar}).Do(req)
	if err != nil {
		cancel()
		t.Fatalf("stream of room %d: %v", room, err)
	}
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	return resp
}

// read parses the body into events until it ends.
func (s *sse) read() {
	defer close(s.events)
	r := bufio.NewReader(s.resp.Body)
	var e event
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch {
		case line == "":
			if data != nil {
				e.data = strings.Join(data, "\n")
				s.events <- e
			}
			e, data = event{}, nil
		case field == "":
			s.events <- event{comment: value}
		case field == "id":
			e.id, e.hasID = value, true
		case field == "event":
			e.name = value
		case field == "data":
			data = append(data, value)
		case field == "retry":
			s.retry = value
		}
	}
}

// MustNext returns the next event, skipping comments, failing after
// wait or at the end of the stream.
func (s *sse) MustNext(t *testing.T) event {
	t.Helper()
	for {
		e := s.mustNextAny(t)
		if e.comment == "" {
			return e
		}
	}
}

// mustNextAny returns the next event or comment.
func (s *sse) mustNextAny(t *testing.T) event {
	t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			t.Fatalf("the stream ended")
		}
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %v", wait)
	}
	return event{}
}

// MustNextContent returns the next event that is not a presence update.
func (s *sse) MustNextContent(t *testing.T) event {
	t.Helper()
	for {
		e := s.MustNext(t)
		if kindOf(t, e.data) != kindPresence {
			return e
		}
	}
}

// MustEnd reads the rest of the stream and checks that it is the alert
// want, then the end event, then the end of the body.
func (s *sse) MustEnd(t *testing.T, want string) {
	t.Helper()
	var alerts []string
	for {
		e := s.MustNext(t)
		if e.name == "end" {
			break
		}
		root := parseFrame(t, e.data)
		if msgs := messagesIn(root); len(msgs) > 0 {
			t.Errorf("an ending stream got messages %+v", msgs)
		}
		if a := byID(root, "send-error"); a != nil {
			alerts = append(alerts, textOf(a))
		}
	}
	if !slices.Equal(alerts, []string{want}) {
		t.Errorf("alerts before the end: got %q, want %q", alerts, want)
	}
	select {
	case e, ok := <-s.events:
		if ok {
			t.Errorf("after the end event: got %+v, want the end of the body", e)
		}
	case <-time.After(wait):
		t.Errorf("the body did not end after the end event")
	}
}

// seqsIn returns the Seqs of the messages an event shows.
func seqsIn(t *testing.T, e event) []int64 {
	t.Helper()
	var seqs []int64
	for _, m := range messagesIn(parseFrame(t, e.data)) {
		seqs = append(seqs, m.Seq)
	}
	return seqs
}

func TestStreamWithoutLastEventIDShowsTheLog(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	s.MustPostDirect(t, s.general.ID, 3)
	b := s.newBrowser(t)
	b.MustGet(t, "/chat/rooms/"+strconv.FormatInt(s.general.ID, 10))
	st := b.MustStream(t, s.general.ID, "")
	e := st.MustNext(t)
	if k := kindOf(t, e.data); k != kindLog {
		t.Fatalf("first event: got %s %q, want the log", k, e.data)
	}
	if got, want := seqsIn(t, e), []int64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("log: got %v, want %v", got, want)
	}
	if !e.hasID || e.id != "3" {
		t.Errorf("log event id: got %q (%v), want 3, the newest Seq it shows", e.id, e.hasID)
	}
	if ms, err := strconv.Atoi(st.retry); err != nil || ms < 1000 || ms > 5000 {
		t.Errorf("retry: got %q, want 1000-5000 ms", st.retry)
	}
	p := st.MustNext(t)
	if kindOf(t, p.data) != kindPresence || p.hasID {
		t.Errorf("second event: got %q (id %q), want the online list without an id", p.data, p.id)
	}
}

func TestStreamCarriesLiveMessagesWithTheirSeq(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	b.MustGet(t, "/chat/rooms/"+strconv.FormatInt(s.general.ID, 10))
	st := b.MustStream(t, s.general.ID, "")
	st.MustNext(t) // the log
	ws := dial(t, s, s.general)
	for i := range 3 {
		// One form, three texts: three messages.
		ws.MustSend(t, "hello "+strconv.Itoa(i))
	}
	var got []int64
	for len(got) < 3 {
		e := st.MustNextContent(t)
		seqs := seqsIn(t, e)
		if len(seqs) == 0 || !e.hasID || e.id != strconv.FormatInt(seqs[len(seqs)-1], 10) {
			t.Fatalf("event %q: id %q, want the newest Seq it shows", e.data, e.id)
		}
		got = append(got, seqs...)
	}
	if want := []int64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("live messages: got %v, want %v", got, want)
	}
}

func TestStreamResumesFromLastEventID(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	// More than a page: a stream resumes with every message it missed,
	// where a websocket page would get its log re-rendered.
	s.MustPostDirect(t, s.general.ID, 120)
	b := s.newBrowser(t)
	b.MustGet(t, "/chat/rooms/"+strconv.FormatInt(s.general.ID, 10))
	st := b.MustStream(t, s.general.ID, "5")
	var got []int64
	for len(got) < 115 {
		e := st.MustNextContent(t)
		if k := kindOf(t, e.data); k != kindMessages {
			t.Fatalf("catch-up: got %s, want messages only", k)
		}
		got = append(got, seqsIn(t, e)...)
	}
	for i, seq := range got {
		if seq != int64(i+6) {
			t.Fatalf("catch-up: got %v, want 6..120 each once in order", got)
		}
	}
	if len(got) != 115 {
		t.Errorf("catch-up: got %d messages, want 115", len(got))
	}
}

func TestStreamKeepsAlive(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{ping: 100 * time.Millisecond})
	b := s.newBrowser(t)
	b.MustGet(t, "/chat/rooms/"+strconv.FormatInt(s.general.ID, 10))
	st := b.MustStream(t, s.general.ID, "")
	for {
		if e := st.mustNextAny(t); e.comment != "" {
			return
		}
	}
}

func TestStreamAccess(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	s := m.s
	path := "/sse/chat?room=" + strconv.FormatInt(m.private.ID, 10)
	accept := []string{"Accept", "text/event-stream"}

	t.Run("not a member", func(t *testing.T) {
		if r := m.cy.MustGet(t, path, accept...); r.status != http.StatusNotFound {
			t.Errorf("got %d, want 404", r.status)
		}
	})
	t.Run("no session", func(t *testing.T) {
		if r := s.newBrowser(t).MustGet(t, path, accept...); r.status != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", r.status)
		}
	})
	t.Run("revoked session", func(t *testing.T) {
		b := s.newBrowser(t)
		b.setSession(m.revoked)
		resp := b.stream(t, m.private.ID, "")
		st := &sse{resp: resp, events: make(chan event, 16)}
		go st.read()
		st.MustEnd(t, "You are signed out. Sign in again.")
	})
	t.Run("archived room", func(t *testing.T) {
		m.ada.MustStream(t, m.archived.ID, "").MustEnd(t, views.ErrorText(chat.Fail(chat.Archived)))
	})
	t.Run("removed while connected", func(t *testing.T) {
		room := m.bob.MustCreateRoom(t, "Removal", chat.RoomPrivate)
		m.bob.MustAddMember(t, room.ID, "Cy")
		st := m.cy.MustStream(t, room.ID, "")
		st.MustNext(t) // the log
		remove := "/chat/rooms/" + strconv.FormatInt(room.ID, 10) + "/members/" + strconv.FormatInt(m.cy.me.ID, 10) + "/remove"
		if r := m.bob.MustPost(t, remove, url.Values{"_csrf": {m.bob.MustCSRF(t)}}); r.status != http.StatusSeeOther {
			t.Fatalf("remove Cy: got %d, want 303", r.status)
		}
		st.MustEnd(t, views.ErrorText(chat.Fail(chat.Removed)))
	})
	t.Run("signed out everywhere", func(t *testing.T) {
		dee := s.MustJoin(t, "Eve")
		st := dee.MustStream(t, s.general.ID, "")
		st.MustNext(t)
		if r := dee.MustPost(t, "/account/sessions/end", url.Values{"_csrf": {dee.MustCSRF(t)}}); r.status != http.StatusSeeOther {
			t.Fatalf("sign out everywhere: got %d, want 303", r.status)
		}
		st.MustEnd(t, views.ErrorText(chat.Fail(chat.SignedOut)))
	})
}
