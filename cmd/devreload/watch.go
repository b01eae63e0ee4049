package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher follows the content of a few files.
type watcher struct {
	// events reports changes in the files' directories. Watching the
	// directories rather than the files follows a file replaced by a
	// rename, as many editors and tools save.
	events *fsnotify.Watcher
	// seen maps each file's absolute path, as events name it, to the
	// digest of its content when last reported (or at the start).
	seen map[string][sha256.Size]byte
	// names maps each absolute path to the file's name as given.
	names map[string]string
}

// newWatcher starts following files: a change made once it returns is
// reported by run.
func newWatcher(files []string) (*watcher, error) {
	events, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{events: events, seen: make(map[string][sha256.Size]byte), names: make(map[string]string)}
	dirs := make(map[string]bool)
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			events.Close()
			return nil, err
		}
		w.seen[abs], _ = digest(abs)
		w.names[abs] = f
		if dir := filepath.Dir(abs); !dirs[dir] {
			if err := events.Add(dir); err != nil {
				events.Close()
				return nil, err
			}
			dirs[dir] = true
		}
	}
	return w, nil
}

// run calls changed with the files (named as given) whose content
// changed, once they have been quiet for settle, until ctx ends; then it
// stops watching. A file that is missing or empty has not changed yet:
// it is being written.
func (w *watcher) run(ctx context.Context, settle time.Duration, changed func([]string)) error {
	defer w.events.Close()
	pending := make(map[string]bool)
	quiet := time.NewTimer(settle)
	quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.events.Errors:
			if !ok {
				return nil
			}
			return err
		case ev, ok := <-w.events.Events:
			if !ok {
				return nil
			}
			if _, ok := w.seen[ev.Name]; !ok || ev.Op == fsnotify.Chmod {
				continue
			}
			pending[ev.Name] = true
			quiet.Reset(settle)
		case <-quiet.C:
			var report []string
			for abs := range pending {
				d, ok := digest(abs)
				if !ok || d == w.seen[abs] {
					continue
				}
				w.seen[abs] = d
				report = append(report, w.names[abs])
			}
			clear(pending)
			if len(report) > 0 {
				slices.Sort(report)
				changed(report)
			}
		}
	}
}

// digest returns the SHA-256 of the file's content, and false when the
// file cannot be read or is empty.
func digest(path string) ([sha256.Size]byte, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(b), true
}
