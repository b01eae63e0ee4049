package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// CreateLink stores a one-time link, by the digest of its token, for
// user (0: for nobody yet, as the setup link), working until expires. It
// replaces the links made for user before, so that only the newest
// invitation, reset or setup link works.
func (s *Store) CreateLink(ctx context.Context, digest string, user int64, expires time.Time) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `
		WITH replaced AS (DELETE FROM links WHERE user_id = $2)
		INSERT INTO links (digest, user_id, expires_at) VALUES ($1, $2, $3)`,
		digest, user, stamp(expires))
	return wrap("create link", err, chat.Unreachable)
}

// takeLink deletes the link $1 and returns whom it was for and until
// when, and deletes the links past their time, $2, along the way. Of two
// statements deleting one row at once, the second waits for the first
// and then finds nothing to delete, so one caller takes a link.
const takeLink = `
	WITH taken AS (DELETE FROM links WHERE digest = $1 RETURNING user_id, expires_at),
	expired AS (DELETE FROM links WHERE expires_at < $2 AND digest <> $1)
	SELECT user_id, expires_at FROM taken`

// TakeLink deletes the link with digest and returns whom it was for, or
// reason LinkExpired when there is none or it expired before now.
func (s *Store) TakeLink(ctx context.Context, digest string, now time.Time) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	now = stamp(now)
	var (
		user  int64
		until time.Time
	)
	err := s.pool.QueryRow(ctx, takeLink, digest, now).Scan(&user, &until)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && until.Before(now) {
		return 0, chat.Fail(chat.LinkExpired)
	}
	if err != nil {
		return 0, wrap("take link", err, chat.Unreachable)
	}
	return user, nil
}

// Link returns whom the link with digest is for without taking it, or
// reason LinkExpired when there is none or it expired before now.
func (s *Store) Link(ctx context.Context, digest string, now time.Time) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	now = stamp(now)
	var (
		user  int64
		until time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT user_id, expires_at FROM links WHERE digest = $1`, digest).Scan(&user, &until)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && until.Before(now) {
		return 0, chat.Fail(chat.LinkExpired)
	}
	if err != nil {
		return 0, wrap("link", err, chat.Unreachable)
	}
	return user, nil
}
