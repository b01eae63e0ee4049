// Command devreload reloads the pages open through templ's live-reload
// proxy whenever one of the given files changes. `make dev` runs it on the
// files the server reads from disk with -static-dir (the built stylesheet
// above all): those need no restart of the server, so templ's watcher,
// which reloads pages only after a .templ or Go change, is told by this.
//
//	go run ./cmd/devreload -proxy http://127.0.0.1:7331 static/css/app.css
//
// A file counts as changed once it has been quiet for a moment and its
// content differs from what was last seen: Tailwind truncates the file
// before it writes it, and a page reloaded in between would get an empty
// stylesheet.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// settle is how long a file must be quiet before it is read. Tailwind
// writes app.css (about 30 KB) in one call a few microseconds after
// truncating it; 50 ms is far more than that and small beside the two
// seconds a designer may wait.
const settle = 50 * time.Millisecond

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "devreload:", err)
		os.Exit(1)
	}
}

// run watches the files named in args until ctx ends, logging to logw.
// ready, when not nil, is called once a change would be seen.
func run(ctx context.Context, args []string, logw io.Writer, ready func()) error {
	fs := flag.NewFlagSet("devreload", flag.ContinueOnError)
	fs.SetOutput(logw)
	proxy := fs.String("proxy", "http://127.0.0.1:7331", "base URL of templ's live-reload proxy (templ generate --proxyport)")
	fs.Usage = func() {
		fmt.Fprintf(logw, "Usage: devreload [-proxy URL] FILE...\n\nReloads the pages open through templ's proxy whenever a FILE changes.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no files to watch")
	}
	w, err := newWatcher(fs.Args())
	if err != nil {
		return err
	}
	fmt.Fprintf(logw, "devreload: watching %s for %s\n", strings.Join(fs.Args(), ", "), *proxy)
	if ready != nil {
		ready()
	}
	client := &http.Client{Timeout: 5 * time.Second}
	return w.run(ctx, settle, func(changed []string) {
		fmt.Fprintf(logw, "devreload: %s changed: reloading the pages\n", strings.Join(changed, ", "))
		if err := notify(ctx, client, *proxy); err != nil {
			fmt.Fprintf(logw, "devreload: %v\n", err)
		}
	})
}

// notify asks templ's proxy at base to reload every page open through it:
// the request `templ generate --notify-proxy` sends.
func notify(ctx context.Context, client *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/_templ/reload/events", nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("templ's proxy did not answer (is make templ-watch running?): %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("templ's proxy at %s answered %s to the reload", base, res.Status)
	}
	return nil
}
