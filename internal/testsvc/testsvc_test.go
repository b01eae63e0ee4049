package testsvc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	const env, def = "HXCHAT_TEST_THING_URL", "thing://127.0.0.1:7777/0"
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
		{"variable set", map[string]string{env: "thing://db.example/x"}, refused, "thing://db.example/x", "", false, false},
		{"variable set in CI", map[string]string{env: "thing://db.example/x", "CI": "true"}, refused, "thing://db.example/x", "", true, false},
		{"unset, default answers", nil, nil, def, "", false, true},
		{"unset, default silent", nil, refused, "", "Thing not answering at 127.0.0.1:7777 (set HXCHAT_TEST_THING_URL)", false, true},
		{"unset, default silent, CI", map[string]string{"CI": "true"}, refused, "",
			"Thing not answering at 127.0.0.1:7777 (set HXCHAT_TEST_THING_URL)", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed := false
			s := &Server{Name: "Thing", EnvURL: env, DefaultURL: def, Answers: func(_ context.Context, u string) error {
				probed = true
				if u != def {
					t.Errorf("probed %q, want %q", u, def)
				}
				return tt.answer
			}}
			c := s.Choose(func(k string) string { return tt.env[k] })
			if c.URL != tt.wantURL || c.Why != tt.wantWhy || c.CI != tt.wantCI || probed != tt.probed {
				t.Errorf("got url %q, why %q, ci %v, probed %v; want %q, %q, %v, %v",
					c.URL, c.Why, c.CI, probed, tt.wantURL, tt.wantWhy, tt.wantCI, tt.probed)
			}
		})
	}
}

// recorder is a Skipper that notes whether it was skipped or failed.
type recorder struct{ skipped, failed string }

func (r *recorder) Helper()                           {}
func (r *recorder) Logf(string, ...any)               {}
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }
func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }

func TestUnavailable(t *testing.T) {
	why := "Thing not answering at 127.0.0.1:7777 (set HXCHAT_TEST_THING_URL)"
	err := errors.New("connection refused")

	var dev recorder
	Unavailable(&dev, false, why, err)
	if dev.skipped != why || dev.failed != "" {
		t.Errorf("outside CI: skipped %q, failed %q; want skipped %q", dev.skipped, dev.failed, why)
	}
	var ci recorder
	Unavailable(&ci, true, why, err)
	if ci.skipped != "" || !strings.Contains(ci.failed, why) || !strings.Contains(ci.failed, "CI=true") {
		t.Errorf("under CI=true: skipped %q, failed %q; want a failure saying %q and CI=true", ci.skipped, ci.failed, why)
	}
}
