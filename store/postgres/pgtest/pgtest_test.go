package pgtest

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
		{"variable set", map[string]string{EnvURL: "postgres://db.example/x"}, refused, "postgres://db.example/x", "", false, false},
		{"variable set in CI", map[string]string{EnvURL: "postgres://db.example/x", "CI": "true"}, refused, "postgres://db.example/x", "", true, false},
		{"unset, default answers", nil, nil, DefaultURL, "", false, true},
		{"unset, default silent", nil, refused, "",
			"PostgreSQL not answering at 127.0.0.1:5432 (set HXCHAT_TEST_POSTGRES_URL)", false, true},
		{"unset, default silent, CI", map[string]string{"CI": "true"}, refused, "",
			"PostgreSQL not answering at 127.0.0.1:5432 (set HXCHAT_TEST_POSTGRES_URL)", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := false
			c := choose(func(k string) string { return tt.env[k] }, func(_ context.Context, u string) error {
				probed = true
				if u != DefaultURL {
					t.Errorf("probed %q, want %q", u, DefaultURL)
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
	why := "PostgreSQL not answering at 127.0.0.1:5432 (set HXCHAT_TEST_POSTGRES_URL)"
	err := errors.New("connection refused")

	var dev recorder
	unavailable(&dev, choice{why: why, err: err})
	if dev.skipped != why || dev.failed != "" {
		t.Errorf("outside CI: skipped %q, failed %q; want skipped %q", dev.skipped, dev.failed, why)
	}
	var ci recorder
	unavailable(&ci, choice{why: why, err: err, ci: true})
	if ci.skipped != "" || !strings.Contains(ci.failed, why) || !strings.Contains(ci.failed, "CI=true") {
		t.Errorf("under CI=true: skipped %q, failed %q; want a failure saying %q and CI=true", ci.skipped, ci.failed, why)
	}
}

// TestAnswersFailsOnAClosedPort is the probe of a server that is not
// there: a port nothing listens on, as 5432 is on a machine without
// PostgreSQL.
func TestAnswersFailsOnAClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := answers(t.Context(), "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=2"); err == nil {
		t.Errorf("answers on %s, where nothing listens: got nil, want an error", addr)
	}
}
