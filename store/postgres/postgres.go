// Package postgres implements chat.Store on PostgreSQL through pgx
// (github.com/jackc/pgx/v5) and its pool, so that several hxchat
// instances can share one database. The schema is kept by versioned goose
// migrations embedded in the binary and applied by Open.
//
// What several instances need from the store is that they agree on every
// room's message order: the hub of each instance shows messages strictly
// by Seq and, when one is missing, waits for it and then reads it from
// here. A Seq that no message ever got would stall every hub of the room
// for good, so Seqs come from a per-room counter that is incremented in
// the same transaction as the insert (see AddMessage).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"hxchat/chat"
)

// Defaults for what the connection URL leaves out. Each can be set in the
// URL instead (pool_max_conns=50, connect_timeout=10,
// statement_timeout=10000, ...).
const (
	// defaultMaxConns is the pool size of one instance. Posts take at most
	// one connection per committer (see committers), each for a
	// transaction of about half a millisecond, most of it the commit's WAL
	// flush, whatever the batch's size; the rest absorb the burst of
	// history reads when every page reconnects at once after a restart. Four
	// instances at 20 stay under PostgreSQL's default max_connections of
	// 100, with room left for migrations and an operator's psql.
	defaultMaxConns = 20
	// defaultConnectTimeout bounds a new connection, so that a database
	// that is down fails a post in seconds rather than after the TCP
	// connect timeout (over two minutes on Linux).
	defaultConnectTimeout = 5 * time.Second
	// defaultStatementTimeout is the server-side limit on one statement
	// (statement_timeout). Every statement here touches a handful of rows
	// by index and takes well under a millisecond; one still running after
	// five seconds is waiting on a lock it will not get in time, and the
	// person waiting has been told it failed (see opTimeout).
	defaultStatementTimeout = "5s"
	// defaultIdleInTxTimeout makes the server end a session that sits in
	// an open transaction (idle_in_transaction_session_timeout). A post's
	// transaction holds its room's row lock between statements for
	// microseconds; if the instance vanishes from the network in that
	// moment, TCP keepalive would take hours to notice and every post to
	// the room, from every instance, would wait on the lock meanwhile.
	defaultIdleInTxTimeout = "10s"
	// opTimeout bounds each Store call from the client side, when the
	// caller's context has no earlier deadline. It covers what
	// statement_timeout cannot: waiting for a pooled connection and a
	// server that stopped answering. It is the statement timeout plus a
	// second, so that a slow statement fails with the server's clearer
	// error first.
	opTimeout = 6 * time.Second
)

// Store is a chat.Store on PostgreSQL. It is safe for concurrent use, by
// many goroutines and by many instances sharing the database.
type Store struct {
	pool *pgxpool.Pool
	// adds carries each AddMessage call to the committer of its room,
	// adds[room % committers]. They are unbuffered, so that a request is
	// either taken by a committer, which then answers it, or still with
	// its caller, who sees closing; none can be left behind in a buffer
	// when the committers stop.
	adds []chan *addRequest
	// closing is done once Close has begun: callers stop handing over
	// messages, and the committers stop, ending their transactions.
	closing context.Context
	// stop makes closing done.
	stop context.CancelFunc
	// committers is the committer goroutines, which Close waits for.
	committers sync.WaitGroup
	// full is the pool's tracer, which remembers a full disk for Ping
	// (see checkWritable).
	full fullDisk
}

var _ chat.Store = (*Store)(nil)

// IsURL reports whether dsn names a PostgreSQL database rather than a
// SQLite file: a postgres:// or postgresql:// URL.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the PostgreSQL database at rawURL (postgres://...),
// checks that it answers and brings its schema up to date. Several
// instances may Open the same database at once: migrations take a lock.
// The URL's search_path option selects the schema (tests use a fresh one
// each).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := poolConfig(rawURL)
	if err != nil {
		return nil, err
	}
	where := redact(rawURL)
	s := &Store{}
	cfg.ConnConfig.Tracer = &s.full
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	pingCtx, cancel := ctx, context.CancelFunc(func() {})
	if t := cfg.ConnConfig.ConnectTimeout; t > 0 { // connect_timeout=0 in the URL: wait as long as ctx
		pingCtx, cancel = context.WithTimeout(ctx, t+time.Second)
	}
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot reach the database at %s: %w", where, err)
	}
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate %s: %w", where, err)
	}
	s.pool = pool
	// The committers outlive Open's ctx, which may be only for opening.
	s.closing, s.stop = context.WithCancel(context.Background())
	for range committers {
		adds := make(chan *addRequest)
		s.adds = append(s.adds, adds)
		s.committers.Go(func() { s.commitMessages(adds) })
	}
	return s, nil
}

// poolConfig parses rawURL and fills the defaults it leaves out.
func poolConfig(rawURL string) (*pgxpool.Config, error) {
	if !IsURL(rawURL) {
		return nil, fmt.Errorf("postgres: %q is not a postgres:// URL", redact(rawURL))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse the database URL: %w", errors.Unwrap(err))
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse %s: %w", redact(rawURL), err)
	}
	q := u.Query()
	if !q.Has("pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if !q.Has("connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	for name, def := range map[string]string{
		"statement_timeout":                   defaultStatementTimeout,
		"idle_in_transaction_session_timeout": defaultIdleInTxTimeout,
		"application_name":                    "hxchat",
	} {
		if _, ok := params[name]; !ok {
			params[name] = def
		}
	}
	return cfg, nil
}

// redact returns rawURL without its password, for error messages and
// logs.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the database URL"
	}
	return u.Redacted()
}

// bound returns ctx limited to opTimeout, unless it ends sooner anyway.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= opTimeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, opTimeout)
}

// Ping reports whether the database answers and, once a statement has
// found the disk full, whether the store can write again: an error with
// reason chat.StoreFull says it cannot.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return wrap("ping", err, chat.Unreachable)
	}
	return s.checkWritable(ctx)
}

// Close stops the committer, failing the messages it has not committed,
// and closes the pool, waiting for the connections in use to come back.
// AddMessage fails once Close has begun. Closing again does nothing.
func (s *Store) Close() error {
	s.stop()
	s.committers.Wait()
	s.pool.Close()
	return nil
}
