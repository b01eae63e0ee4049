package main

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
)

// The markers below are what views/ renders; frame_test.go renders the
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
	pSendError  = []byte(`<p id="send-error" role="alert"`)
	ulOnline    = []byte(`<ul id="online"`)
	resumeInput = []byte(`id="resume-after" name="after" value="`)
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
		case bytes.HasPrefix(t, liMessage):
			it, n, err := parseItem(t)
			if err != nil {
				return err
			}
			f.items = append(f.items, it)
			i += n - 1
		case bytes.HasPrefix(t, olMessages):
			f.replaced = true
		case bytes.HasPrefix(t, liOlder):
			end := bytes.Index(t, liEnd)
			if end < 0 {
				return errors.New("load-older control without </li>")
			}
			var err error
			if f.olderBefore, err = intAfter(t[:end], beforeParam); err != nil {
				return fmt.Errorf("load-older control: %w", err)
			}
		case bytes.HasPrefix(t, formSend):
			tok, err := stringAfter(t, tokenInput)
			if err != nil {
				return fmt.Errorf("send form: %w", err)
			}
			f.token = tok
		case bytes.HasPrefix(t, pSendError):
			text, err := elementText(t)
			if err != nil {
				return fmt.Errorf("send error: %w", err)
			}
			f.refusal = string(bytes.TrimSpace(text))
			if bytes.IndexByte(text, '&') >= 0 {
				f.refusal = html.UnescapeString(f.refusal)
			}
		case bytes.HasPrefix(t, ulOnline):
			f.presence = true
		}
	}
	return nil
}

// parseItem reads the message element at the start of b
// (<li id="m..." data-seq=... data-author=...>...<p ...>body</p></li>)
// and returns it and its length.
func parseItem(b []byte) (item, int, error) {
	end := bytes.Index(b, liEnd)
	if end < 0 {
		return item{}, 0, errors.New("message without </li>")
	}
	li := b[:end]
	seq, err := intAfter(li, attrSeq)
	if err != nil {
		return item{}, 0, fmt.Errorf("data-seq: %w", err)
	}
	author, err := intAfter(li, attrAuthor)
	if err != nil {
		return item{}, 0, fmt.Errorf("data-author: %w", err)
	}
	p := bytes.Index(li, pOpen)
	if p < 0 {
		return item{}, 0, fmt.Errorf("message %d without a body", seq)
	}
	body, err := elementText(li[p:])
	if err != nil {
		return item{}, 0, fmt.Errorf("message %d: %w", seq, err)
	}
	return item{seq: seq, author: author, body: body}, end + len(liEnd), nil
}

// elementText returns what is between the end of the start tag at the
// beginning of b and the next </p>.
func elementText(b []byte) ([]byte, error) {
	gt := bytes.IndexByte(b, '>')
	if gt < 0 {
		return nil, errors.New("unterminated tag")
	}
	b = b[gt+1:]
	end := bytes.Index(b, pClose)
	if end < 0 {
		return nil, errors.New("missing </p>")
	}
	return b[:end], nil
}

// intAfter parses the decimal number right after the first marker in b.
func intAfter(b, marker []byte) (int64, error) {
	i := bytes.Index(b, marker)
	if i < 0 {
		return 0, fmt.Errorf("no %q", marker)
	}
	b = b[i+len(marker):]
	var n int64
	digits := 0
	for ; digits < len(b) && digits < 19 && b[digits] >= '0' && b[digits] <= '9'; digits++ {
		n = n*10 + int64(b[digits]-'0')
	}
	if digits == 0 {
		return 0, fmt.Errorf("no number after %q", marker)
	}
	return n, nil
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
}

// parsePage reads a room page.
func parsePage(b []byte) (page, error) {
	i := bytes.Index(b, formSend)
	if i < 0 {
		return page{}, errors.New("room page without the send form")
	}
	token, err := stringAfter(b[i:], tokenInput)
	if err != nil {
		return page{}, fmt.Errorf("send form: %w", err)
	}
	after, err := intAfter(b, resumeInput)
	if err != nil {
		return page{}, fmt.Errorf("resume form: %w", err)
	}
	return page{token: token, after: after}, nil
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
