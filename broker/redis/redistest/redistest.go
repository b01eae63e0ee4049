// Package redistest gives tests Redis: the shared test server with a key
// prefix of their own, or a redis-server process of their own that they
// can kill and start again.
//
// The shared server is the one HXCHAT_TEST_REDIS_URL names or, when the
// variable is unset, DefaultURL, the server .ci/run starts, if it
// answers. When neither is there (or redis-server is not installed, for
// a server of the test's own) the test is skipped, saying why; under
// CI=true it fails instead, so that a broken CI setup cannot pass by
// skipping.
package redistest

import (
	"bufio"
	"context"
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

	"github.com/redis/go-redis/v9"

	"hxchat/internal/testsvc"
)

// EnvURL is the environment variable naming the shared test server.
const EnvURL = "HXCHAT_TEST_REDIS_URL"

// DefaultURL is the shared test server when EnvURL is unset: the loopback
// server that .ci/run starts.
const DefaultURL = "redis://127.0.0.1:6379/0"

// startTimeout bounds how long a redis-server may take to say it is
// ready; it takes milliseconds.
const startTimeout = 10 * time.Second

// shared is the test binary's shared Redis.
var shared = &testsvc.Server{Name: "Redis", EnvURL: EnvURL, DefaultURL: DefaultURL, Answers: answers}

// answers sends PING to the Redis server at u and wants PONG back.
func answers(ctx context.Context, u string) error {
	opt, err := redis.ParseURL(u)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	return c.Ping(ctx).Err()
}

// URL returns the shared test server's URL, skipping tb (failing it
// under CI=true) when there is none.
func URL(tb testing.TB) string {
	tb.Helper()
	return shared.URL(tb)
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
		testsvc.Unavailable(tb, os.Getenv("CI") == "true", "redis-server is not installed (tests that restart Redis run one of their own)", err)
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
