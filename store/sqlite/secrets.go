package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Secret returns the value stored under name. When there is none it
// calls generate and stores the result, unless a concurrent caller
// stored one first: then every caller gets that one, since the value
// returned is always read back after an insert that yields to it.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	var v []byte
	s.readers.RLock()
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	s.readers.RUnlock()
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("secret", err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("sqlite: secret %q: generate: %w", name, err)
	}
	if fresh == nil {
		fresh = []byte{} // the column is NOT NULL; an empty secret is still one
	}
	defer s.boundWAL()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	})
	s.noteWrite(err)
	if err != nil {
		return nil, wrap("secret", err)
	}
	return v, nil
}

// SetSecret stores value under name, replacing the value there.
func (s *Store) SetSecret(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{} // the column is NOT NULL; an empty secret is still one
	}
	defer s.boundWAL()
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
		name, value)
	s.noteWrite(err)
	return wrap("set secret", err)
}

// DeleteSecret deletes the value stored under name and reports whether
// there was one. The single writer runs concurrent deletes one after the
// other, so only the first finds the row.
func (s *Store) DeleteSecret(ctx context.Context, name string) (bool, error) {
	defer s.boundWAL()
	res, err := s.write.ExecContext(ctx, `DELETE FROM secrets WHERE name = ?`, name)
	s.noteWrite(err)
	if err != nil {
		return false, wrap("delete secret", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("delete secret", err)
	}
	return n > 0, nil
}
