package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hxchat/broker/redis/redistest"
	"hxchat/store/postgres/pgtest"
)

// streamFrom opens p's page in compatibility mode: the room's event
// stream on n, resuming after the newest message the page shows, read
// until the test ends. It returns once the stream is live (its first
// online list came).
func (p *person) streamFrom(t *testing.T, n *node) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.base+"/sse/chat?room="+p.room, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	p.mu.Lock()
	req.Header.Set("Last-Event-ID", strconv.FormatInt(p.last(), 10))
	p.mu.Unlock()
	resp, err := (&http.Client{Jar: p.jar}).Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: stream from %s: %v %v", p.name, n.name, err, resp)
	}
	live := make(chan struct{})
	var once sync.Once
	go func() {
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case line == "\n":
				event := data.String()
				data.Reset()
				if strings.Contains(event, `<ol id="messages"`) {
					p.mu.Lock()
					p.odd = append(p.odd, "log replaced: "+event)
					p.mu.Unlock()
				}
				p.showMessages([]byte(event))
				if strings.Contains(event, `<ul id="online"`) {
					once.Do(func() { close(live) })
				}
			case strings.HasPrefix(line, "data: "):
				data.WriteString(strings.TrimSuffix(strings.TrimPrefix(line, "data: "), "\n"))
				data.WriteByte('\n')
			}
		}
	}()
	select {
	case <-live:
	case <-ctx.Done():
	}
}

// post sends body as the page in compatibility mode does, by htmx's POST
// to n, which need not be the instance holding p's stream, and takes the
// fresh form's token.
func (p *person) post(n *node, csrf, body string) error {
	p.mu.Lock()
	token := p.token
	p.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, n.base+"/chat/rooms/"+p.room+"/messages",
		strings.NewReader(url.Values{"_csrf": {csrf}, "token": {token}, "body": {body}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	resp, err := (&http.Client{Jar: p.jar, Timeout: multiWait}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	m := sendFormRE.FindSubmatch(answer)
	if resp.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("%s: post to %s: %d %s", p.name, n.name, resp.StatusCode, answer)
	}
	p.mu.Lock()
	p.token = string(m[1])
	p.mu.Unlock()
	return nil
}

// TestCompatibilitySpansInstances has a page in compatibility mode
// stream from instance A and post through instance B, while a websocket
// page on B posts too: no sticky sessions, and both pages show every
// message once, in Seq order.
func TestCompatibilitySpansInstances(t *testing.T) {
	long(t)
	redisURL := redistest.URL(t)
	db, prefix := pgtest.Schema(t), redistest.Prefix(t)
	a := startNode(t, "a", nodeArgs(db, redisURL, prefix))
	b := startNode(t, "b", nodeArgs(db, redisURL, prefix))
	room := roomID(t, db, "General")

	compat := newPerson(t, "compat@a", room, a)
	page, err := (&http.Client{Jar: compat.jar, Timeout: multiWait}).Get(a.base + "/chat/rooms/" + room + "?transport=sse")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := csrfRE.FindSubmatch(html)
	if m == nil {
		t.Fatalf("compatibility page: no anti-forgery token in the send form")
	}
	csrf := string(m[1])
	compat.streamFrom(t, a)
	socket := newPerson(t, "socket@b", room, b)
	socket.mustConnect(t, b)

	const each = 10
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := range each {
			if err := compat.post(b, csrf, fmt.Sprintf("compat says %d", k)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Go(func() {
		for k := range each {
			if err := socket.send(fmt.Sprintf("socket says %d", k)); err != nil {
				t.Errorf("socket: send %d: %v", k, err)
				return
			}
		}
	})
	wg.Wait()
	for _, p := range []*person{compat, socket} {
		p.waitSeen(t, 2*each, nil)
		p.check(t, 2*each)
	}
	checkStored(t, db, room, 2*each)
}
