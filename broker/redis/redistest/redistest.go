// Package redistest gives tests Redis: the shared test server named by
// HXCHAT_TEST_REDIS_URL with a key prefix of their own, or a redis-server
// process of their own that they can kill and start again.
//
// In CI (CI=true) a missing variable or redis-server binary fails the
// test, so that a broken CI setup cannot pass by skipping; on a
// developer's machine the test is skipped.
package redistest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvURL is the environment variable naming the shared test server.
const EnvURL = "HXCHAT_TEST_REDIS_URL"

// startTimeout bounds how long a redis-server may take to say it is
// ready; it takes milliseconds.
const startTimeout = 10 * time.Second

// unavailable skips tb, or fails it in CI, saying why.
func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// URL returns the shared test server's URL, skipping tb (failing it in
// CI) when there is none.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		unavailable(tb, "%s is not set; set it to run the Redis tests", EnvURL)
	}
	return u
}

// Prefix returns a channel and key prefix no other test uses, so that
// tests sharing a server never see each other's events.
func Prefix(tb testing.TB) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "hxchat-test:" + hex.EncodeToString(b) + ":"
}

// Server is a redis-server process of the test's own, on a loopback port
// that stays the same across Kill and Start.
type Server struct {
	tb   testing.TB
	bin  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartServer starts a redis-server that keeps nothing on disk, and kills
// it when tb ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(tb, "redis-server is not installed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{tb: tb, bin: bin, port: port}
	tb.Cleanup(s.Kill)
	s.Start()
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr is the server's host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Start starts the server (again) and returns once it accepts
// connections, as it says on its log.
func (s *Server) Start() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.tb.Fatal("redistest: Start of a running server")
	}
	cmd := exec.Command(s.bin,
		"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--logfile", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("redistest: start redis-server: %v", err)
	}
	ready := make(chan struct{})
	done := make(chan struct{})
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				signalled = true
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}()
	select {
	case <-ready:
	case <-done:
		logMu.Lock()
		defer logMu.Unlock()
		s.tb.Fatalf("redistest: redis-server on port %d exited before it was ready:\n%s", s.port, log.String())
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		<-done
		s.tb.Fatalf("redistest: redis-server on port %d not ready within %v", s.port, startTimeout)
	}
	s.cmd, s.done = cmd, done
}

// Kill ends the server at once (SIGKILL), as a crash or a lost host would:
// its clients' connections break and nothing is saved. Killing a server
// that is not running does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}
