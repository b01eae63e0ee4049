package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hxchat/chat"
)

// CreateLink stores a one-time link, by the digest of its token, for
// user (0: for nobody yet, as the setup link), working until expires. It
// replaces the links made for user before, so that only the newest
// invitation, reset or setup link works.
func (s *Store) CreateLink(ctx context.Context, digest string, user int64, expires time.Time) error {
	until, err := nanos(expires)
	if err != nil {
		return err
	}
	defer s.boundWAL()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM links WHERE user_id = ?`, user); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO links (digest, user_id, expires_at) VALUES (?, ?, ?)`, digest, user, until)
		return err
	})
	s.noteWrite(err)
	return wrap("create link", err)
}

// TakeLink deletes the link with digest and returns whom it was for, or
// reason LinkExpired when there is none or it expired before now. Of
// callers at once, the single writer lets one find the link. Links past
// their time are deleted along the way.
func (s *Store) TakeLink(ctx context.Context, digest string, now time.Time) (int64, error) {
	at, err := nanos(stamp(now))
	if err != nil {
		return 0, err
	}
	var (
		user  int64
		until int64
		found bool
	)
	defer s.boundWAL()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// RETURNING in a transaction, whose COMMIT lets the
		// auto-checkpoint run: see Store.write.
		err := tx.QueryRowContext(ctx,
			`DELETE FROM links WHERE digest = ? RETURNING user_id, expires_at`, digest).Scan(&user, &until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		found = err == nil
		_, err = tx.ExecContext(ctx, `DELETE FROM links WHERE expires_at < ?`, at)
		return err
	})
	s.noteWrite(err)
	if err != nil {
		return 0, wrap("take link", err)
	}
	if !found || until < at {
		return 0, chat.Fail(chat.LinkExpired)
	}
	return user, nil
}

// Link returns whom the link with digest is for without taking it, or
// reason LinkExpired when there is none or it expired before now.
func (s *Store) Link(ctx context.Context, digest string, now time.Time) (int64, error) {
	at, err := nanos(stamp(now))
	if err != nil {
		return 0, err
	}
	var user, until int64
	s.readers.RLock()
	defer s.readers.RUnlock()
	err = s.read.QueryRowContext(ctx, `SELECT user_id, expires_at FROM links WHERE digest = ?`, digest).Scan(&user, &until)
	if errors.Is(err, sql.ErrNoRows) || err == nil && until < at {
		return 0, chat.Fail(chat.LinkExpired)
	}
	if err != nil {
		return 0, wrap("link", err)
	}
	return user, nil
}
