package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// person is one simulated browser: its cookies (the identity cookie
// hxchat_id in open mode, the session cookie hxchat_session in accounts
// mode, and the csrf cookie) and an HTTP client that keeps them.
type person struct {
	jar http.CookieJar
	hc  *http.Client
}

// newPerson returns a browser with an empty cookie jar, making its
// requests through tr.
func newPerson(tr http.RoundTripper) *person {
	jar, _ := cookiejar.New(nil)
	return &person{jar: jar, hc: &http.Client{
		Transport: tr,
		Jar:       jar,
		Timeout:   30 * time.Second,
		// A browser follows redirects; the tool reads the Location of
		// the create-room redirect itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// maxPage bounds what the tool reads of one response.
const maxPage = 16 << 20

// get fetches u and returns the body of a 200 answer.
func (p *person) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther &&
		(strings.HasPrefix(loc, "/login") || strings.HasPrefix(loc, "/setup")) {
		return nil, fmt.Errorf("GET %s: %s to %s: %w", u, resp.Status, loc, errSignedOut)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return body, nil
}

// errSignedOut is a page that sent the browser to sign in (or, on a
// server not set up yet, to its setup page): the server has accounts
// and the person no session.
var errSignedOut = errors.New("the server wants a signed-in person")

// loadRoom opens a room's page, with query (if any) in its address, as
// a browser does before its socket connects.
func (p *person) loadRoom(ctx context.Context, base *url.URL, room int64, query string) (page, error) {
	u := base.String() + roomPath(room)
	if query != "" {
		u += "?" + query
	}
	body, err := p.get(ctx, u)
	if err != nil {
		return page{}, err
	}
	return parsePage(body)
}

// loadOlder clicks "Load older" from before until the page reaches a
// Seq at or below after+1 (or the room's first message), and returns the
// messages newer than after, oldest first, with their bodies copied.
func (p *person) loadOlder(ctx context.Context, base *url.URL, room, before, after int64) ([]item, error) {
	var got []item
	// Each page holds at least one message, so the gap bounds the pages.
	maxPages := before - after
	for pages := int64(0); before > after+1 && pages <= maxPages; pages++ {
		body, err := p.get(ctx, base.String()+roomPath(room)+"/messages?before="+strconv.FormatInt(before, 10))
		if err != nil {
			return got, err
		}
		var f fragment
		if err := parseFragment(body, &f); err != nil {
			return got, fmt.Errorf("older messages: %w", err)
		}
		if len(f.items) == 0 {
			break
		}
		for _, it := range f.items {
			if it.seq > after && it.seq < before {
				it.body = slices.Clone(it.body)
				got = append(got, it)
			}
		}
		before = f.items[0].seq
		if f.olderBefore == 0 {
			break
		}
	}
	slices.SortFunc(got, func(a, b item) int { return int(a.seq - b.seq) })
	return got, nil
}

// roomPath is a room page's path.
func roomPath(id int64) string { return "/chat/rooms/" + strconv.FormatInt(id, 10) }

// ensureRooms returns the IDs of the rooms named names, creating those
// that do not exist through the room list's form, as admin (a signed-in
// person in accounts mode).
func ensureRooms(ctx context.Context, admin *person, base *url.URL, names []string, concurrency int) ([]int64, error) {
	list, err := admin.get(ctx, base.String()+"/chat/rooms")
	if err != nil {
		return nil, err
	}
	csrf, existing, err := parseRooms(list)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(names))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, max(1, min(concurrency, 16)))
	for i, name := range names {
		if id, ok := existing[name]; ok {
			ids[i] = id
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			id, err := admin.createRoom(ctx, base, csrf, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("create room %q: %w", name, err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	return ids, firstErr
}

// createRoom posts the create-room form and returns the new room's ID
// from the redirect to its page. The room is open (every account is a
// member); open mode has no other kind and ignores the field.
func (p *person) createRoom(ctx context.Context, base *url.URL, csrf, name string) (int64, error) {
	loc, err := p.post(ctx, base, "/chat/rooms", url.Values{"name": {name}, "kind": {"open"}, "_csrf": {csrf}})
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/chat/rooms/"), 10, 64)
	if err != nil || !strings.HasPrefix(loc, "/chat/rooms/") {
		return 0, errors.New("POST /chat/rooms: redirected to " + loc)
	}
	return id, nil
}

// formAlert finds the text of a refused form's alert.
var formAlert = regexp.MustCompile(`role="alert"[^>]*>\s*([^<]+?)\s*<`)

// post submits form to path as the page's form does, and returns where
// the server redirects (a 303, as every form of hxchat answers a success
// with). A refusal's error names the status and the form's alert.
func (p *person) post(ctx context.Context, base *url.URL, path string, form url.Values) (string, error) {
	loc, _, err := p.send(ctx, base, path, form, http.StatusSeeOther)
	return loc, err
}

// send posts form to path and returns where the answer redirects and its
// body, or, unless it has status want, an error naming the status and
// the form's alert.
func (p *person) send(ctx context.Context, base *url.URL, path string, form url.Values, want int) (string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base.String()+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base.String())
	resp, err := p.hc.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if resp.StatusCode != want {
		err := fmt.Errorf("POST %s: %s", strings.SplitN(path, "?", 2)[0], resp.Status)
		if m := formAlert.FindSubmatch(body); m != nil {
			err = fmt.Errorf("%w: %q", err, html.UnescapeString(string(m[1])))
		}
		return "", nil, err
	}
	return resp.Header.Get("Location"), body, nil
}

// submit loads the page at path for its form's csrf token (and cookie),
// as a browser shows a form before it is sent, and posts form back to
// path.
func (p *person) submit(ctx context.Context, base *url.URL, path string, form url.Values) (string, error) {
	body, err := p.get(ctx, base.String()+path)
	if err != nil {
		return "", err
	}
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("GET %s: no form with a csrf token", strings.SplitN(path, "?", 2)[0])
	}
	form.Set("_csrf", html.UnescapeString(string(m[1])))
	return p.post(ctx, base, path, form)
}
