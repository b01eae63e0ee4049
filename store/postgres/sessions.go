package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// sessionColumns are the columns scanSession reads, in its order, of
// sessions aliased s.
const sessionColumns = `s.id, s.user_id, s.device, s.created_at, s.last_seen`

// scanSession reads one row of sessionColumns, followed by the columns
// extra points to.
func scanSession(row scanner, extra ...any) (chat.Session, error) {
	var s chat.Session
	err := row.Scan(append([]any{&s.ID, &s.User, &s.Device, &s.CreatedAt, &s.LastSeen}, extra...)...)
	s.CreatedAt, s.LastSeen = s.CreatedAt.UTC(), s.LastSeen.UTC()
	return s, err
}

// CreateSession stores se; a zero CreatedAt is now, a zero LastSeen is
// CreatedAt. An unknown user fails with reason NoMember.
func (s *Store) CreateSession(ctx context.Context, se chat.Session) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	se.CreatedAt = stamp(se.CreatedAt)
	if se.LastSeen.IsZero() {
		se.LastSeen = se.CreatedAt
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO sessions (id, user_id, device, created_at, last_seen) VALUES ($1, $2, $3, $4, $5)`,
		se.ID, se.User, se.Device, se.CreatedAt, stamp(se.LastSeen))
	if violated(err, foreignKeyViolation, "sessions_user_id_fkey") {
		return chat.Fail(chat.NoMember)
	}
	return wrap("create session", err, chat.Unreachable)
}

// Session returns the session with id and its account, or reason
// SignedOut when there is none. The session of a deactivated account is
// returned too, with Deactivated set.
func (s *Store) Session(ctx context.Context, id string) (chat.Session, chat.Account, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var a chat.Account
	se, err := scanSession(s.pool.QueryRow(ctx, `
		SELECT `+sessionColumns+`, `+accountColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, id),
		&a.ID, &a.Name, &a.Email, &a.Admin, &a.Deactivated, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Session{}, chat.Account{}, chat.Fail(chat.SignedOut)
	}
	if err != nil {
		return chat.Session{}, chat.Account{}, wrap("session", err, chat.Unreachable)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return se, a, nil
}

// TouchSession sets the LastSeen of the session with id, or fails with
// reason SignedOut when there is none.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen = $1 WHERE id = $2`, stamp(at), id)
	return wrap("touch session", oneRow(tag.RowsAffected(), err, chat.SignedOut), chat.Unreachable)
}

// Sessions returns the sessions of user, the most recently seen first.
func (s *Store) Sessions(ctx context.Context, user int64) ([]chat.Session, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = $1 ORDER BY s.last_seen DESC, s.created_at DESC, s.id COLLATE "C"`, user)
	if err != nil {
		return nil, wrap("sessions", err, chat.Unreachable)
	}
	sessions, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Session, error) { return scanSession(row) })
	if err != nil {
		return nil, wrap("sessions", err, chat.Unreachable)
	}
	return sessions, nil
}

// DeleteSessions deletes the sessions of user with the given ids, or all
// of user's sessions when ids is empty, and returns the IDs deleted,
// sorted. The sessions of other users are never deleted, whatever ids
// holds.
func (s *Store) DeleteSessions(ctx context.Context, user int64, ids ...string) ([]string, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	query, args := `DELETE FROM sessions WHERE user_id = $1`, []any{user}
	if len(ids) > 0 {
		query, args = query+` AND id = ANY($2)`, append(args, ids)
	}
	rows, err := s.pool.Query(ctx, query+` RETURNING id`, args...)
	if err != nil {
		return nil, wrap("delete sessions", err, chat.Unreachable)
	}
	deleted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap("delete sessions", err, chat.Unreachable)
	}
	slices.Sort(deleted)
	return deleted, nil
}
