package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// Secret returns the value stored under name. When there is none it
// calls generate and stores the result, unless a concurrent caller (on
// this instance or another) stored one first: then every caller gets
// that one, since the value returned is always read back after an insert
// that yields to it. The read-back is a statement of its own: under READ
// COMMITTED it sees the row that made the insert yield, which the
// insert's own snapshot would not.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	const read = `SELECT value FROM secrets WHERE name = $1`
	var v []byte
	err := s.pool.QueryRow(ctx, read, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap("secret", err, chat.Unreachable)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("postgres: secret %q: generate: %w", name, err)
	}
	if fresh == nil {
		fresh = []byte{} // the column is NOT NULL; an empty secret is still one
	}
	if _, err := s.pool.Exec(ctx,
		`INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, wrap("secret", err, chat.Unreachable)
	}
	if err := s.pool.QueryRow(ctx, read, name).Scan(&v); err != nil {
		return nil, wrap("secret", err, chat.Unreachable)
	}
	return v, nil
}

// SetSecret stores value under name, replacing the value there.
func (s *Store) SetSecret(ctx context.Context, name string, value []byte) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	if value == nil {
		value = []byte{} // the column is NOT NULL; an empty secret is still one
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
		name, value)
	return wrap("set secret", err, chat.Unreachable)
}

// DeleteSecret deletes the value stored under name and reports whether
// there was one. Of two deletes at once, the second waits for the first
// and then finds no row, so only one caller is told true.
func (s *Store) DeleteSecret(ctx context.Context, name string) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM secrets WHERE name = $1`, name)
	if err != nil {
		return false, wrap("delete secret", err, chat.Unreachable)
	}
	return tag.RowsAffected() > 0, nil
}
