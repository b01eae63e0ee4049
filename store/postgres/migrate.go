package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// migrations holds the schema, one goose SQL file per version.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the migrations the database lacks, through pgx's
// database/sql driver, which is what goose speaks. It uses a connection of
// its own rather than the pool, with no statement_timeout: a future
// migration that rewrites a big table may rightly take minutes.
func migrate(ctx context.Context, conn *pgx.ConnConfig) error {
	cfg := conn.Copy()
	cfg.RuntimeParams["statement_timeout"] = "0"
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "0"
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	// One connection for the lock and one for goose's work.
	db.SetMaxOpenConns(2)

	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// A Provider of its own, rather than goose's package-level functions,
	// keeps no global state.
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
		goose.WithSessionLocker(schemaLocker{}),
	)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// schemaLocker makes instances that start together on a new database take
// turns at migrating: the first applies the migrations, the others wait
// for it and then find nothing left to do. goose's own Postgres locker
// polls every second at best; pg_advisory_lock waits exactly as long as
// it must. The key is the current schema's, so that databases kept in
// different schemas of one server (the tests' fresh schemas) never wait
// on one another. The lock is a session's: if an instance dies holding
// it, its connection closes and the server releases it.
type schemaLocker struct{}

// lockKey is the advisory lock key of the current schema.
const lockKey = `hashtextextended('hxchat migrations ' || current_schema(), 0)`

// SessionLock implements goose's lock.SessionLocker.
func (schemaLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	return nil
}

// SessionUnlock implements goose's lock.SessionLocker.
func (schemaLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	return nil
}
