package handlers_test

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"

	"hxchat/handlers"
	"hxchat/static"
)

// staticServer serves the handlers with staticDir; /static needs neither
// the service nor the hub.
func staticServer(t *testing.T, staticDir string) *httptest.Server {
	t.Helper()
	web, err := handlers.New(slog.New(slog.DiscardHandler), nil, nil, handlers.Config{Secret: secret, StaticDir: staticDir})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	e := echo.New()
	web.Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// getStatic fetches path and returns the status, the Cache-Control header
// and the body.
func getStatic(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return res.StatusCode, res.Header.Get("Cache-Control"), string(body)
}

// TestStaticDir checks that with -static-dir every request reads the file
// as it is now, and that browsers are told not to keep a copy: two builds
// within one second must both reach the page.
func TestStaticDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	css := filepath.Join(dir, "css", "app.css")
	if err := os.MkdirAll(filepath.Dir(css), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := staticServer(t, dir)

	for _, want := range []string{".btn-primary{background:#197a9f}", ".btn-primary{background:#ff0000}"} {
		if err := os.WriteFile(css, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		status, cache, body := getStatic(t, srv, "/static/css/app.css")
		if status != http.StatusOK || body != want {
			t.Errorf("GET /static/css/app.css: got %d %q, want 200 %q", status, body, want)
		}
		if cache != "no-store" {
			t.Errorf("Cache-Control: got %q, want %q", cache, "no-store")
		}
	}
	if status, _, _ := getStatic(t, srv, "/static/css/missing.css"); status != http.StatusNotFound {
		t.Errorf("GET /static/css/missing.css: got %d, want 404", status)
	}
}

// TestStaticEmbedded checks that without -static-dir the embedded files
// are served, with the cache headers left to the defaults.
func TestStaticEmbedded(t *testing.T) {
	t.Parallel()
	srv := staticServer(t, "")
	want, err := fs.ReadFile(static.FS, "css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	status, cache, body := getStatic(t, srv, "/static/css/app.css")
	if status != http.StatusOK || body != string(want) {
		t.Errorf("GET /static/css/app.css: got %d and %d bytes, want 200 and the embedded %d bytes", status, len(body), len(want))
	}
	if cache != "" {
		t.Errorf("Cache-Control: got %q, want none", cache)
	}
}
