package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	refused := errors.New("connection refused")
	tests := []struct {
		name    string
		env     map[string]string
		answer  error
		wantURL string
		wantWhy string
		wantCI  bool
		probed  bool
	}{
		{"variable set", map[string]string{EnvURL: "redis://cache.example:6380/2"}, refused, "redis://cache.example:6380/2", "", false, false},
		{"variable set in CI", map[string]string{EnvURL: "redis://cache.example:6380/2", "CI": "true"}, refused, "redis://cache.example:6380/2", "", true, false},
		{"unset, default answers", nil, nil, DefaultURL, "", false, true},
		{"unset, default silent", nil, refused, "",
			"Redis not answering at 127.0.0.1:6379 (set HXCHAT_TEST_REDIS_URL)", false, true},
		{"unset, default silent, CI", map[string]string{"CI": "true"}, refused, "",
			"Redis not answering at 127.0.0.1:6379 (set HXCHAT_TEST_REDIS_URL)", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := false
			c := choose(func(k string) string { return tt.env[k] }, func(_ context.Context, addr string) error {
				probed = true
				if addr != "127.0.0.1:6379" {
					t.Errorf("probed %q, want 127.0.0.1:6379", addr)
				}
				return tt.answer
			})
			if c.url != tt.wantURL || c.why != tt.wantWhy || c.ci != tt.wantCI || probed != tt.probed {
				t.Errorf("got url %q, why %q, ci %v, probed %v; want %q, %q, %v, %v",
					c.url, c.why, c.ci, probed, tt.wantURL, tt.wantWhy, tt.wantCI, tt.probed)
			}
		})
	}
}

// recorder is a skipper that notes whether it was skipped or failed.
type recorder struct{ skipped, failed string }

func (r *recorder) Helper()                           {}
func (r *recorder) Logf(string, ...any)               {}
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }
func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }

func TestUnavailable(t *testing.T) {
	why := "Redis not answering at 127.0.0.1:6379 (set HXCHAT_TEST_REDIS_URL)"
	err := errors.New("connection refused")

	var dev recorder
	unavailable(&dev, false, why, err)
	if dev.skipped != why || dev.failed != "" {
		t.Errorf("outside CI: skipped %q, failed %q; want skipped %q", dev.skipped, dev.failed, why)
	}
	var ci recorder
	unavailable(&ci, true, why, err)
	if ci.skipped != "" || !strings.Contains(ci.failed, why) || !strings.Contains(ci.failed, "CI=true") {
		t.Errorf("under CI=true: skipped %q, failed %q; want a failure saying %q and CI=true", ci.skipped, ci.failed, why)
	}
}

// TestAnswers probes a port nothing listens on, as 6379 is on a machine
// without Redis, and a server that answers PING with something else.
func TestAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if err := answers(t.Context(), closed); err == nil {
		t.Errorf("answers on %s, where nothing listens: got nil, want an error", closed)
	}

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Read(make([]byte, 64))
		_, _ = c.Write([]byte("-ERR not redis\r\n"))
	}()
	if err := answers(t.Context(), ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "not redis") {
		t.Errorf("answers on a server that is not Redis: got %v, want an error quoting its answer", err)
	}
}
