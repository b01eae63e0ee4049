package main

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
)

// The markers below are what views/ renders; html_test.go renders the
// real templates and parses them, so a change there fails the tests here.
var (
	liMessage   = []byte(`<li id="m`)
	liEnd       = []byte(`</li>`)
	attrSeq     = []byte(` data-seq="`)
	attrAuthor  = []byte(` data-author="`)
	pOpen       = []byte(`<p `)
	pClose      = []byte(`</p>`)
	olMessages  = []byte(`<ol id="messages"`)
	liOlder     = []byte(`<li id="older"`)
	beforeParam = []byte(`?before=`)
	formSend    = []byte(`<form id="send"`)
	tokenInput  = []byte(`name="token" value="`)
	pSendError  = []byte(`<p id="send-error" hx-swap-oob="true" role="alert"`)
	ulOnline    = []byte(`<ul id="online"`)
	resumeInput = []byte(`id="resume-after" hx-swap-oob="true" name="after" value="`)
	formEnd     = []byte(`</form>`)
	csrfValue   = []byte(`name="_csrf" value="`)
	attrHXPost  = []byte(` hx-post="`)
	attrConnect = []byte(` sse-connect="`)
	attrClose   = []byte(` sse-close="`)
)

// item is one message a frame or page shows. body aliases the frame's
// buffer: use it before the next read.
type item struct {
	seq, author int64
	body        []byte
}

// fragment is what one received frame says.
type fragment struct {
	// items are the messages it shows, in the frame's order.
	items []item
	// replaced is true when it replaces the whole log (a page that missed
	// more than a page of messages).
	replaced bool
	// olderBefore is the "Load older" control's before= (0: none).
	olderBefore int64
	// token is the token of a fresh send form: the answer to a stored
	// message.
	token string
	// refusal is the alert's text when a send was refused.
	refusal string
	// presence is true for an update of the online list.
	presence bool
}

// parseFragment reads a frame the server sent into f, reusing f.items.
// A frame may hold several fragments (the server may join queued ones),
// so it is read in one pass from tag to tag: at a thousand connections
// the parser is most of this tool's own CPU.
func parseFragment(b []byte, f *fragment) error {
	*f = fragment{items: f.items[:0]}
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			break
		}
		i += j
		t := b[i:]
		switch {
		case tagIs(t, liMessage):
			it, n, err := parseItem(t)
			if err != nil {
				return err
			}
			f.items = append(f.items, it)
			i += n - 1
		case tagIs(t, olMessages):
			f.replaced = true
		case tagIs(t, liOlder):
			end := bytes.Index(t, liEnd)
			if end < 0 {
				return errors.New("load-older control without </li>")
			}
			var err error
			if f.olderBefore, err = intAfter(t[:end], beforeParam); err != nil {
				return fmt.Errorf("load-older control: %w", err)
			}
		case tagIs(t, formSend):
			tok, err := stringAfter(t, tokenInput)
			if err != nil {
				return fmt.Errorf("send form: %w", err)
			}
			f.token = tok
		case tagIs(t, pSendError):
			text, _, err := elementText(t)
			if err != nil {
				return fmt.Errorf("send error: %w", err)
			}
			f.refusal = string(bytes.TrimSpace(text))
			if bytes.IndexByte(text, '&') >= 0 {
				f.refusal = html.UnescapeString(f.refusal)
			}
		case tagIs(t, ulOnline):
			f.presence = true
		}
	}
	return nil
}

// parseItem reads the message element at the start of b
// (<li id="m..." data-seq=... data-author=...>...<p ...>body</p></li>)
// and returns it and its length. It reads forward once, tag to tag
// (text holds no '<' or '>': the templates escape them): finding </li>
// first and then searching the element again for each part made
// BenchmarkParseFragment 1.6 times as slow.
func parseItem(b []byte) (item, int, error) {
	gt := bytes.IndexByte(b, '>')
	if gt < 0 {
		return item{}, 0, errors.New("message without </li>")
	}
	tag := b[:gt]
	seq, err := intAfter(tag, attrSeq)
	if err != nil {
		return item{}, 0, fmt.Errorf("data-seq: %w", err)
	}
	author, err := intAfter(tag, attrAuthor)
	if err != nil {
		return item{}, 0, fmt.Errorf("data-author: %w", err)
	}
	p := gt + 1
	for {
		j := bytes.IndexByte(b[p:], '<')
		if j < 0 {
			return item{}, 0, errors.New("message without </li>")
		}
		p += j
		if tagIs(b[p:], pOpen) {
			break
		}
		if tagIs(b[p:], liEnd) {
			return item{}, 0, fmt.Errorf("message %d without a body", seq)
		}
		p++
	}
	body, n, err := elementText(b[p:])
	if err != nil {
		return item{}, 0, fmt.Errorf("message %d: %w", seq, err)
	}
	p += n
	end := bytes.Index(b[p:], liEnd)
	if end < 0 {
		return item{}, 0, errors.New("message without </li>")
	}
	return item{seq: seq, author: author, body: body}, p + end + len(liEnd), nil
}

// tagIs reports whether b starts with the tag marker m. Every marker
// starts with '<' and b does too, so the byte after it rules out most
// tags without a call to compare them.
func tagIs(b, m []byte) bool {
	return len(b) >= len(m) && b[1] == m[1] && bytes.Equal(b[:len(m)], m)
}

// elementText returns the text of the element whose start tag begins b,
// which must end at its </p>, and where that </p> ends. Text holds no
// '<' (the templates escape it), so the next tag ends it.
func elementText(b []byte) (text []byte, n int, err error) {
	gt := bytes.IndexByte(b, '>')
	if gt < 0 {
		return nil, 0, errors.New("unterminated tag")
	}
	text = b[gt+1:]
	end := bytes.IndexByte(text, '<')
	if end < 0 || !tagIs(text[end:], pClose) {
		return nil, 0, errors.New("missing </p>")
	}
	return text[:end], gt + 1 + end + len(pClose), nil
}

// intAfter parses the decimal number right after the first marker in b.
func intAfter(b, marker []byte) (int64, error) {
	i := bytes.Index(b, marker)
	if i < 0 {
		return 0, fmt.Errorf("no %q", marker)
	}
	n, digits := leadingInt(b[i+len(marker):])
	if digits == 0 {
		return 0, fmt.Errorf("no number after %q", marker)
	}
	return n, nil
}

// leadingInt parses the decimal digits at the start of b, at most 18 so
// that it cannot overflow, and says how many it read.
func leadingInt(b []byte) (n int64, digits int) {
	for ; digits < len(b) && digits < 18 && b[digits] >= '0' && b[digits] <= '9'; digits++ {
		n = n*10 + int64(b[digits]-'0')
	}
	return n, digits
}

// stringAfter returns the attribute value that starts right after the
// first marker in b (up to the closing quote).
func stringAfter(b, marker []byte) (string, error) {
	i := bytes.Index(b, marker)
	if i < 0 {
		return "", fmt.Errorf("no %q", marker)
	}
	b = b[i+len(marker):]
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return "", errors.New("unterminated attribute")
	}
	return string(b[:end]), nil
}

// page is what a room page gives a browser before its socket opens.
type page struct {
	// token is the send form's token.
	token string
	// after is the Seq of the newest message the page shows: the resume
	// form's value.
	after int64
	// csrf is the send form's anti-forgery token, post where htmx posts
	// it (compatibility mode only); empty when the form has none.
	csrf, post string
	// stream is compatibility mode's event stream (sse-connect), and
	// closeEvent the event that closes it for good (sse-close); empty on
	// a websocket page.
	stream, closeEvent string
}

// parsePage reads a room page.
func parsePage(b []byte) (page, error) {
	i := bytes.Index(b, formSend)
	if i < 0 {
		return page{}, errors.New("room page without the send form")
	}
	form := b[i:]
	if end := bytes.Index(form, formEnd); end >= 0 {
		form = form[:end]
	}
	token, err := stringAfter(form, tokenInput)
	if err != nil {
		return page{}, fmt.Errorf("send form: %w", err)
	}
	after, err := intAfter(b, resumeInput)
	if err != nil {
		return page{}, fmt.Errorf("resume form: %w", err)
	}
	p := page{token: token, after: after}
	attr := func(b, marker []byte) string {
		v, _ := stringAfter(b, marker)
		return html.UnescapeString(v)
	}
	p.csrf = attr(form, csrfValue)
	p.post = attr(form[:max(bytes.IndexByte(form, '>'), 0)], attrHXPost)
	p.stream, p.closeEvent = attr(b, attrConnect), attr(b, attrClose)
	return p, nil
}

var (
	csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	roomLink  = regexp.MustCompile(`<a href="/chat/rooms/(\d+)"[^>]*>\s*([^<]*?)\s*</a>`)
)

// parseRooms reads the room list: the csrf token of its forms and each
// room's ID by name.
func parseRooms(b []byte) (csrf string, rooms map[string]int64, err error) {
	m := csrfInput.FindSubmatch(b)
	if m == nil {
		return "", nil, errors.New("rooms page without a csrf token")
	}
	rooms = map[string]int64{}
	for _, l := range roomLink.FindAllSubmatch(b, -1) {
		id, err := strconv.ParseInt(string(l[1]), 10, 64)
		if err != nil {
			continue
		}
		rooms[html.UnescapeString(string(l[2]))] = id
	}
	return string(m[1]), rooms, nil
}
