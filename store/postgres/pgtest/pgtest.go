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
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hxchat/internal/tcpproxy"
	"hxchat/internal/testsvc"
)

// EnvURL is the environment variable naming the test server.
const EnvURL = "HXCHAT_TEST_POSTGRES_URL"

// DefaultURL is the test server when EnvURL is unset: the loopback server
// and database that .ci/run starts and creates.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// server is the test binary's PostgreSQL.
var server = &testsvc.Server{Name: "PostgreSQL", EnvURL: EnvURL, DefaultURL: DefaultURL, Answers: answers}

// answers connects to the server at u and runs a query.
func answers(ctx context.Context, u string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// ServerURL returns the test server's URL, skipping tb (failing it under
// CI=true) when there is none.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	return server.URL(tb)
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
