package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ/cmd/templ/generatecmd/proxy"
)

// TestRunReloadsThroughTemplsProxy runs devreload against the proxy of
// the templ version in go.mod, so that an upgrade that changes how the
// proxy is told to reload fails here rather than in a designer's browser.
func TestRunReloadsThroughTemplsProxy(t *testing.T) {
	t.Parallel()
	target, _ := url.Parse("http://127.0.0.1:1")
	srv := httptest.NewServer(proxy.New(slog.New(slog.DiscardHandler), "http", "127.0.0.1", 0, target))
	t.Cleanup(srv.Close)

	// A page's side: the event stream the injected script listens to.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/_templ/reload/events", nil)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /_templ/reload/events: %v", err)
	}
	defer res.Body.Close()
	events := bufio.NewScanner(res.Body)
	// The proxy sends a ping as soon as a page listens.
	if data := nextData(t, events); data != "ping" {
		t.Fatalf("first event: got %q, want ping", data)
	}

	css := filepath.Join(t.TempDir(), "app.css")
	write(t, css, "a{color:red}")
	runCtx, stop := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- run(runCtx, []string{"-proxy", srv.URL, css}, io.Discard, func() { close(ready) }) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}

	write(t, css, "a{color:blue}")
	// The proxy pings every 5 s; one may come first.
	data := nextData(t, events)
	for data == "ping" {
		data = nextData(t, events)
	}
	if data != "reload" {
		t.Fatalf("after the write: got %q, want reload", data)
	}
}

// nextData returns the data of the next server-sent event.
func nextData(t *testing.T, events *bufio.Scanner) string {
	t.Helper()
	for events.Scan() {
		if data, ok := strings.CutPrefix(events.Text(), "data: "); ok {
			return data
		}
	}
	t.Fatalf("event stream ended: %v", events.Err())
	return ""
}
