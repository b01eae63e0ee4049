package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestLogWatchFindsTheSetupLink(t *testing.T) {
	const link = "http://127.0.0.1:18090/setup?token=MJDAvs8r45bxFW1WQccnQLCU_qZ-Fv6mnVsO9TjggIs"
	log := `time=2026-12-03T20:23:55.093Z level=INFO msg="hxchat listening" instance=ecd5 addr=127.0.0.1:18090 mode=accounts
time=2026-12-03T20:23:55.094Z level=WARN msg="setup link: open it to create the first account, an administrator; it works once" instance=ecd5 url="` + link + `"
time=2026-12-03T20:23:57.350Z level=INFO msg="shutting down" instance=ecd5
`
	for _, size := range []int{1, 7, 100, len(log)} {
		var out bytes.Buffer
		w := newLogWatch(&out)
		for chunk := range slices.Chunk([]byte(log), size) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.setupLink(); got != link {
			t.Errorf("writes of %d bytes: got link %q, want %q", size, got, link)
		}
		select {
		case <-w.found:
		default:
			t.Errorf("writes of %d bytes: found not closed", size)
		}
		if out.String() != log {
			t.Errorf("writes of %d bytes: the log was not passed on whole", size)
		}
	}

	w := newLogWatch(&bytes.Buffer{})
	_, _ = w.Write([]byte(`level=INFO msg="hxchat listening" url="http://x/setup?token=y"` + "\n" + strings.Repeat("x", 2*maxLogLine)))
	if got := w.setupLink(); got != "" {
		t.Errorf("a line of another message gave the link %q", got)
	}
	if len(w.line) > maxLogLine {
		t.Errorf("kept %d bytes of an unfinished line, want at most %d", len(w.line), maxLogLine)
	}
}

func TestNewServerMode(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:18090")
	for _, tc := range []struct {
		args     string
		accounts bool
		wantOpen bool
	}{
		{"", false, true},
		{"", true, false},
		{"-open=false", false, false},
	} {
		s := newServer("hxchat", tc.args, base, t.TempDir(), &bytes.Buffer{}, tc.accounts)
		if got := slices.Contains(s.args, "-open"); got != tc.wantOpen {
			t.Errorf("args %q, accounts %v: got %v, want -open added: %v", tc.args, tc.accounts, s.args, tc.wantOpen)
		}
	}
}

// TestStartRefusesATakenAddress: with the address already held by
// another server, start fails before running the binary instead of
// taking that server's /healthz for its own.
func TestStartRefusesATakenAddress(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	base, err := url.Parse(other.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer("/nonexistent/hxchat", "", base, t.TempDir(), &bytes.Buffer{}, false)
	err = s.start(context.Background())
	var op *net.OpError
	if !errors.As(err, &op) || !strings.Contains(err.Error(), base.Host) {
		t.Fatalf("start on a taken address: got %v, want an error naming %s", err, base.Host)
	}
	if s.cmd != nil {
		t.Errorf("start ran %s although the address was taken", s.bin)
	}
}
