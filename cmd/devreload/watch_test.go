package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// wait bounds every wait for an event; none should take more than a few
// milliseconds plus settle.
const wait = 10 * time.Second

// startWatch watches files in the background and returns the channel of
// what each report found in the files, read when it was made.
func startWatch(t *testing.T, files ...string) <-chan []string {
	t.Helper()
	w, err := newWatcher(files)
	if err != nil {
		t.Fatalf("newWatcher: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan []string, 16)
	done := make(chan error, 1)
	go func() {
		done <- w.run(ctx, 5*time.Millisecond, func(changed []string) {
			var contents []string
			for _, f := range changed {
				b, _ := os.ReadFile(f)
				contents = append(contents, filepath.Base(f)+"="+string(b))
			}
			reports <- contents
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch: %v", err)
		}
	})
	return reports
}

// next returns the next report, failing t after wait.
func next(t *testing.T, reports <-chan []string) []string {
	t.Helper()
	select {
	case r := <-reports:
		return r
	case <-time.After(wait):
		t.Fatalf("no report within %v", wait)
		return nil
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	css := filepath.Join(dir, "app.css")
	other := filepath.Join(dir, "input.css")
	write(t, css, "a{color:red}")
	write(t, other, "@import 'tailwindcss';")
	reports := startWatch(t, css)

	write(t, css, "a{color:blue}")
	if got, want := next(t, reports), []string{"app.css=a{color:blue}"}; !equal(got, want) {
		t.Fatalf("after a write: got %q, want %q", got, want)
	}

	// Neither a file beside it, nor the same content written again, nor
	// a truncated file is a change; the next report is the next content.
	write(t, other, "@import 'tailwindcss' source(none);")
	write(t, css, "a{color:blue}")
	write(t, css, "")
	write(t, css, "a{color:green}")
	if got, want := next(t, reports), []string{"app.css=a{color:green}"}; !equal(got, want) {
		t.Fatalf("after a rewrite, a truncation and a write: got %q, want %q", got, want)
	}

	// A file replaced by a rename, the way many editors save.
	tmp := filepath.Join(dir, ".app.css.tmp")
	write(t, tmp, "a{color:teal}")
	if err := os.Rename(tmp, css); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, reports), []string{"app.css=a{color:teal}"}; !equal(got, want) {
		t.Fatalf("after a rename: got %q, want %q", got, want)
	}
}

func TestWatchSeveralFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	css := filepath.Join(dir, "css", "app.css")
	js := filepath.Join(dir, "js", "htmx.min.js")
	for _, f := range []string{css, js} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, f, "old")
	}
	reports := startWatch(t, css, js)

	// Changes that come together are reported together: one reload.
	write(t, js, "new js")
	write(t, css, "new css")
	if got, want := next(t, reports), []string{"app.css=new css", "htmx.min.js=new js"}; !equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
