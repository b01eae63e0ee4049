package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is an hxchat process the tool started.
type server struct {
	bin  string
	args []string
	base *url.URL
	log  *logWatch

	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// hasFlag reports whether the command line args sets the flag name.
func hasFlag(args []string, name string) bool {
	return slices.ContainsFunc(args, func(s string) bool {
		s = strings.TrimLeft(s, "-")
		return s == name || strings.HasPrefix(s, name+"=")
	})
}

// newServer prepares bin with args for base: -addr comes from base, and
// unless args say otherwise the database is a new file in dir and the
// send limits are high enough for any preset. The server runs in open
// mode (anonymous people) unless accounts is set.
func newServer(bin, args string, base *url.URL, dir string, log io.Writer, accounts bool) *server {
	a := strings.Fields(args)
	has := func(name string) bool { return hasFlag(a, name) }
	if !has("addr") {
		a = append(a, "-addr", base.Host)
	}
	if !accounts && !has("open") {
		a = append(a, "-open")
	}
	if !has("db") {
		a = append(a, "-db", filepath.Join(dir, "load.db"))
	}
	if !has("msg-rate") {
		a = append(a, "-msg-rate", "1000000")
	}
	if !has("msg-burst") {
		a = append(a, "-msg-burst", "1000000")
	}
	// Every connection of the tool comes from one address, which the
	// server's per-client caps would otherwise count as one person.
	if !has("max-conns") {
		a = append(a, "-max-conns", "1000000")
	}
	if !has("new-people-rate") {
		a = append(a, "-new-people-rate", "1000000")
	}
	if !has("rooms-rate") {
		a = append(a, "-rooms-rate", "1000000")
	}
	return &server{bin: bin, args: a, base: base, log: newLogWatch(log)}
}

// start runs the server and waits until /healthz answers.
func (s *server) start(ctx context.Context) error {
	if err := addrFree(s.base.Host); err != nil {
		return err
	}
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s %s exited: %v", s.bin, strings.Join(s.args, " "), s.err)
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := hc.Get(s.base.String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	s.stop()
	return errors.New("the server did not answer /healthz within 60s")
}

// addrFree fails when something already listens on addr. The server
// started there would then exit at once, unable to bind, while the
// other process answered /healthz in its place: the run would measure
// and load a server it did not start (on 2026-12-03 a bigroom run drove
// another engineer's server on 127.0.0.1:18090 for five minutes, its
// own having exited with "bind: address already in use").
func addrFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot start the server on %s, which another process holds (give -url another port): %w", addr, err)
	}
	return ln.Close()
}

// setupWait bounds the wait for the setup link once the server answers:
// it logs the link before it starts serving, so the line is in the pipe
// by then, and only the tool's copying of it remains.
const setupWait = 10 * time.Second

// setupLink returns the one-time setup link the server logged at its
// first start, which it does when its database has no account yet.
func (s *server) setupLink(ctx context.Context) (string, error) {
	select {
	case <-s.log.found:
		return s.log.setupLink(), nil
	case <-s.exited:
		return "", fmt.Errorf("the server exited: %v", s.err)
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(setupWait):
		return "", fmt.Errorf("the server logged no setup link within %v: accounts mode needs a new database (no -db in -server-args) and -log-level warn or lower", setupWait)
	}
}

// pid is the running server's process ID.
func (s *server) pid() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// stopWait is how long a stopping server gets before it is killed: its
// own shutdown allows 10s for the sockets and 10s for HTTP.
const stopWait = 25 * time.Second

// stop ends the server as a service manager does, SIGTERM, and kills it
// when it has not exited in stopWait.
func (s *server) stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopWait):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("the server did not stop within %v of SIGTERM; killed", stopWait)
	}
}

// setupLinkRE finds the setup link in the server's log line (slog's text
// format, which quotes the url when it must).
var setupLinkRE = regexp.MustCompile(`msg="setup link[^"]*" .*\burl="?([^"\s]+)`)

// maxLogLine bounds the unfinished line logWatch keeps; the setup link's
// line is about 250 bytes.
const maxLogLine = 64 << 10

// logWatch passes a started server's output on to its log and keeps the
// first setup link in it.
type logWatch struct {
	w io.Writer
	// found is closed once link is set.
	found chan struct{}

	mu sync.Mutex
	// line is the last line, not finished yet; link the setup link.
	line []byte
	link string
}

func newLogWatch(w io.Writer) *logWatch {
	return &logWatch{w: w, found: make(chan struct{})}
}

// Write looks for the setup link in p until it is found, then writes p
// on.
func (l *logWatch) Write(p []byte) (int, error) {
	l.scan(p)
	return l.w.Write(p)
}

func (l *logWatch) scan(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.link != "" {
		return
	}
	l.line = append(l.line, p...)
	rest := l.line
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		if m := setupLinkRE.FindSubmatch(rest[:i]); m != nil {
			l.link, l.line = string(m[1]), nil
			close(l.found)
			return
		}
		rest = rest[i+1:]
	}
	if len(rest) > maxLogLine {
		rest = nil // no log line of interest is this long
	}
	l.line = append(l.line[:0], rest...)
}

// setupLink returns the setup link found, or "".
func (l *logWatch) setupLink() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.link
}

// logFile opens where a started server's output goes.
func logFile(path, dir string) (*os.File, error) {
	if path == "" {
		path = filepath.Join(dir, "server.log")
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}
