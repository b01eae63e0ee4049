// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema on the test server, dropped when the test ends.
//
// The test server is the one HXCHAT_TEST_POSTGRES_URL names or, when the
// variable is unset, DefaultURL, the server .ci/run starts, if it answers.
// When neither is there the test is skipped, saying which variable to
// set; under CI=true it fails instead, so that a broken CI setup cannot
// pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hxchat/internal/tcpproxy"
)

// EnvURL is the environment variable naming the test server.
const EnvURL = "HXCHAT_TEST_POSTGRES_URL"

// DefaultURL is the test server when EnvURL is unset: the loopback server
// and database that .ci/run starts and creates.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// probeTimeout bounds the one look at DefaultURL a test binary takes. A
// server on loopback answers in milliseconds; a closed port at once.
const probeTimeout = 2 * time.Second

// server is the test binary's one decision on which server to use.
var server = sync.OnceValue(func() choice {
	return choose(os.Getenv, answers)
})

// choice is the test server to use, or why there is none.
type choice struct {
	// url is the server's URL; empty when there is none.
	url string
	// why says why there is none, naming the address tried and EnvURL;
	// err is what the server, or its absence, said.
	why string
	err error
	// ci is CI=true: a test must fail rather than skip.
	ci bool
}

// choose returns the server named by EnvURL in getenv, else DefaultURL if
// it answers (answers returns nil).
func choose(getenv func(string) string, answers func(ctx context.Context, url string) error) choice {
	c := choice{url: getenv(EnvURL), ci: getenv("CI") == "true"}
	if c.url != "" {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	if err := answers(ctx, DefaultURL); err != nil {
		u, _ := url.Parse(DefaultURL)
		return choice{why: fmt.Sprintf("PostgreSQL not answering at %s (set %s)", u.Host, EnvURL), err: err, ci: c.ci}
	}
	c.url = DefaultURL
	return c
}

// answers connects to the server at u and runs a query.
func answers(ctx context.Context, u string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// explained holds each reason to skip that a test of this binary has
// given: the first to skip for a reason also says what the server, or its
// absence, said; the others only say why they skip.
var explained sync.Map

// skipper is the part of testing.TB that unavailable uses.
type skipper interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

// unavailable skips tb, or fails it under CI=true, saying why c has no
// server.
func unavailable(tb skipper, c choice) {
	tb.Helper()
	if c.ci {
		tb.Fatalf("%s, and CI=true forbids skipping: %v", c.why, c.err)
		return
	}
	if _, seen := explained.LoadOrStore(c.why, true); !seen {
		tb.Logf("%v", c.err)
	}
	tb.Skip(c.why)
}

// ServerURL returns the test server's URL, skipping tb (failing it under
// CI=true) when there is none.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	c := server()
	if c.url == "" {
		unavailable(tb, c)
	}
	return c.url
}

// Schema creates a schema named t_<random> on the test server and returns
// the server's URL with search_path set to it, so that everything a store
// opened on the URL creates lands there. The schema and everything in it
// are dropped when tb ends; register Cleanups that close stores after
// calling Schema, so that they run first.
func Schema(tb testing.TB) string {
	tb.Helper()
	server := ServerURL(tb)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)

	exec(tb, server, `CREATE SCHEMA `+name)
	tb.Cleanup(func() {
		// The test's context has ended by now.
		exec(tb, server, `DROP SCHEMA `+name+` CASCADE`)
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on its own connection to server.
func exec(tb testing.TB, server, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Fatalf("connect to the test server (%s): %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// NewProxy starts a TCP proxy to the server of dbURL and returns it with
// the URL that reaches the same database through it. Cutting the proxy is
// PostgreSQL going away, as the store sees it.
func NewProxy(tb testing.TB, dbURL string) (*tcpproxy.Proxy, string) {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := tcpproxy.Start(tb, target)
	u.Host = p.Addr()
	return p, u.String()
}
