package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// server is an hxchat process the tool started.
type server struct {
	bin  string
	args []string
	base *url.URL
	log  io.Writer

	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// newServer prepares bin with args for base: -addr comes from base, and
// unless args say otherwise the database is a new file in dir and the
// send limits are high enough for any preset.
func newServer(bin, args string, base *url.URL, dir string, log io.Writer) *server {
	a := strings.Fields(args)
	has := func(name string) bool {
		return slices.ContainsFunc(a, func(s string) bool {
			s = strings.TrimLeft(s, "-")
			return s == name || strings.HasPrefix(s, name+"=")
		})
	}
	if !has("addr") {
		a = append(a, "-addr", base.Host)
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
	return &server{bin: bin, args: a, base: base, log: log}
}

// start runs the server and waits until /healthz answers.
func (s *server) start(ctx context.Context) error {
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

// logFile opens where a started server's output goes.
func logFile(path, dir string) (*os.File, error) {
	if path == "" {
		path = filepath.Join(dir, "server.log")
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}
