// Package testsvc decides, once per test binary, which shared server of
// a kind (PostgreSQL, Redis) the tests use: the one an environment
// variable names or, when it is unset, the loopback server .ci/run starts,
// if it answers. When there is none a test is skipped, saying why, or
// fails under CI=true, so that a broken CI setup cannot pass by skipping.
package testsvc

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

// probeTimeout bounds the one look at a default server a test binary
// takes. A server on loopback answers in milliseconds; a closed port at
// once.
const probeTimeout = 2 * time.Second

// Server is one kind of shared test server.
type Server struct {
	// Name is how messages call it ("PostgreSQL").
	Name string
	// EnvURL is the environment variable naming it.
	EnvURL string
	// DefaultURL is the server to use when EnvURL is unset, if it answers.
	DefaultURL string
	// Answers returns nil when the server at url answers.
	Answers func(ctx context.Context, url string) error

	once   sync.Once
	chosen Choice
}

// Choice is the server to use, or why there is none.
type Choice struct {
	// URL is the server's URL; empty when there is none.
	URL string
	// Why says why there is none, naming the address tried and the
	// variable; Err is what the server, or its absence, said.
	Why string
	Err error
	// CI is CI=true: a test must fail rather than skip.
	CI bool
}

// Choose returns the server EnvURL names in getenv, else DefaultURL if
// it answers.
func (s *Server) Choose(getenv func(string) string) Choice {
	c := Choice{URL: getenv(s.EnvURL), CI: getenv("CI") == "true"}
	if c.URL != "" {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	if err := s.Answers(ctx, s.DefaultURL); err != nil {
		host := s.DefaultURL
		if u, perr := url.Parse(s.DefaultURL); perr == nil {
			host = u.Host
		}
		c.Why, c.Err = fmt.Sprintf("%s not answering at %s (set %s)", s.Name, host, s.EnvURL), err
		return c
	}
	c.URL = s.DefaultURL
	return c
}

// URL returns the server's URL, skipping tb (failing it under CI=true)
// when there is none. The choice is made once per test binary.
func (s *Server) URL(tb testing.TB) string {
	tb.Helper()
	s.once.Do(func() { s.chosen = s.Choose(os.Getenv) })
	if s.chosen.URL == "" {
		Unavailable(tb, s.chosen.CI, s.chosen.Why, s.chosen.Err)
	}
	return s.chosen.URL
}

// Skipper is the part of testing.TB that Unavailable uses.
type Skipper interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

// explained holds each reason to skip that a test of this binary has
// given: the first to skip for a reason also says what the server, or its
// absence, said; the others only say why they skip.
var explained sync.Map

// Unavailable skips tb, or fails it when ci is set, saying why (err says
// more).
func Unavailable(tb Skipper, ci bool, why string, err error) {
	tb.Helper()
	if ci {
		tb.Fatalf("%s, and CI=true forbids skipping: %v", why, err)
		return
	}
	if _, seen := explained.LoadOrStore(why, true); !seen {
		tb.Logf("%v", err)
	}
	tb.Skip(why)
}
