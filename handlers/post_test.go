package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html/atom"

	"hxchat/chat"
	"hxchat/views"
)

// sendForm reads the message form of a room page: its anti-forgery
// token, its send token and the text in its field.
func sendForm(t *testing.T, r response) (csrf, token, body string) {
	t.Helper()
	form := byID(r.doc(t), "send")
	if form == nil {
		t.Fatalf("page without a send form")
	}
	field := func(name string) string {
		return attr(first(form, and(tag(atom.Input), hasAttr("name", name))), "value")
	}
	return field("_csrf"), field("token"), field("body")
}

func TestPostWithoutScript(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	room := "/chat/rooms/" + strconv.FormatInt(s.general.ID, 10)
	page := b.MustGet(t, room)
	form := first(page.doc(t), and(tag(atom.Form), hasAttr("id", "send")))
	if attr(form, "method") != "post" || attr(form, "action") != room+"/messages" {
		t.Fatalf("send form: method %q action %q, want a POST to %s/messages", attr(form, "method"), attr(form, "action"), room)
	}
	csrf, token, _ := sendForm(t, page)

	t.Run("stored, then back to the room", func(t *testing.T) {
		r := b.MustPost(t, room+"/messages", url.Values{"_csrf": {csrf}, "token": {token}, "body": {"no script here"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != room {
			t.Fatalf("post: got %d to %q, want 303 to %s", r.status, r.header.Get("Location"), room)
		}
		if !strings.Contains(mainText(t, b.MustGet(t, room)), "no script here") {
			t.Errorf("the room page does not show the message posted")
		}
	})
	t.Run("the same form again is stored once", func(t *testing.T) {
		r := b.MustPost(t, room+"/messages", url.Values{"_csrf": {csrf}, "token": {token}, "body": {"no script here"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("resend: got %d, want 303", r.status)
		}
		if got := len(s.MustStored(t, s.general.ID)); got != 1 {
			t.Errorf("stored: got %d messages, want 1", got)
		}
	})
	t.Run("refused, with the text kept", func(t *testing.T) {
		long := strings.Repeat("x", chat.MaxBody+1)
		r := b.MustPost(t, room+"/messages", url.Values{"_csrf": {csrf}, "token": {token}, "body": {long}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("over-long: got %d, want 422", r.status)
		}
		_, _, body := sendForm(t, r)
		if body != long {
			t.Errorf("field: got %d characters, want the %d typed", len(body), len(long))
		}
		alert := textOf(byID(r.doc(t), "send-error"))
		want := views.ErrorText(&chat.Error{Reason: chat.TooLong, Field: chat.FieldBody, Limit: chat.MaxBody, Length: len(long)})
		if alert != want {
			t.Errorf("alert: got %q, want %q", alert, want)
		}
		if got := len(s.MustStored(t, s.general.ID)); got != 1 {
			t.Errorf("stored: got %d messages, want 1", got)
		}
	})
	t.Run("no anti-forgery token", func(t *testing.T) {
		r := b.MustPost(t, room+"/messages", url.Values{"token": {"fresh"}, "body": {"forged"}})
		if r.status != http.StatusForbidden {
			t.Errorf("got %d, want 403", r.status)
		}
		if got := len(s.MustStored(t, s.general.ID)); got != 1 {
			t.Errorf("stored: got %d messages, want 1", got)
		}
	})
}

func TestPostFromCompatibilityMode(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	room := "/chat/rooms/" + strconv.FormatInt(s.general.ID, 10)
	page := b.MustGet(t, room+"?transport=sse")
	form := byID(page.doc(t), "send")
	if attr(form, "hx-post") != room+"/messages" {
		t.Fatalf("send form: hx-post %q, want %s/messages", attr(form, "hx-post"), room)
	}
	csrf, token, _ := sendForm(t, page)
	htmx := []string{"HX-Request", "true"}

	r := b.MustPost(t, room+"/messages", url.Values{"_csrf": {csrf}, "token": {token}, "body": {"over SSE"}}, htmx...)
	if r.status != http.StatusOK {
		t.Fatalf("post: got %d, want 200", r.status)
	}
	frame := parseFrame(t, r.body)
	if got := topIDs(frame); len(got) != 2 || got[0] != "send" || got[1] != "send-error" {
		t.Fatalf("answer: top-level ids %q, want a fresh form and an empty alert", got)
	}
	fresh := attr(first(frame, hasAttr("name", "token")), "value")
	if fresh == "" || fresh == token || attr(byID(frame, "send"), "hx-post") == "" {
		t.Errorf("fresh form: token %q (was %q), hx-post %q: want a new token, posting again", fresh, token, attr(byID(frame, "send"), "hx-post"))
	}
	if msgs := s.MustStored(t, s.general.ID); len(msgs) != 1 || msgs[0].Body != "over SSE" {
		t.Errorf("stored: got %+v, want the one message", msgs)
	}

	r = b.MustPost(t, room+"/messages", url.Values{"_csrf": {csrf}, "token": {fresh}, "body": {"   "}}, htmx...)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty: got %d, want 422", r.status)
	}
	frame = parseFrame(t, r.body)
	if got := topIDs(frame); len(got) != 1 || got[0] != "send-error" || textOf(byID(frame, "send-error")) == "" {
		t.Errorf("refusal: got %q, want the alert alone, leaving the form and its text", r.body)
	}
}

func TestPostNeedsMembership(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	was := m.s.MustState(t)
	room := "/chat/rooms/" + strconv.FormatInt(m.private.ID, 10) + "/messages"
	r := m.cy.MustPost(t, room, url.Values{"_csrf": {m.cy.MustCSRF(t)}, "token": {"t1"}, "body": {"let me in"}})
	if r.status != http.StatusNotFound {
		t.Errorf("not a member: got %d, want 404", r.status)
	}
	archived := "/chat/rooms/" + strconv.FormatInt(m.archived.ID, 10) + "/messages"
	r = m.ada.MustPost(t, archived, url.Values{"_csrf": {m.ada.MustCSRF(t)}, "token": {"t1"}, "body": {"too late"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, views.ErrorText(chat.Fail(chat.Archived))) {
		t.Errorf("archived: got %d, want 422 saying the room is archived", r.status)
	}
	m.s.MustUnchanged(t, was)
}
