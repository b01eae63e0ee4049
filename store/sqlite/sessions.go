package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"hxchat/chat"
	sqlite3 "modernc.org/sqlite/lib"
)

// sessionColumns are the columns scanSession reads, in its order, of
// sessions aliased s.
const sessionColumns = `s.id, s.user_id, s.device, s.created_at, s.last_seen`

// scanSession reads one row of sessionColumns, followed by the columns
// extra points to.
func scanSession(row scanner, extra ...any) (chat.Session, error) {
	var (
		s          chat.Session
		at, seenAt int64
	)
	err := row.Scan(append([]any{&s.ID, &s.User, &s.Device, &at, &seenAt}, extra...)...)
	s.CreatedAt, s.LastSeen = fromNanos(at), fromNanos(seenAt)
	return s, err
}

// CreateSession stores se; a zero CreatedAt is now, a zero LastSeen is
// CreatedAt. An unknown user fails with reason NoMember.
func (s *Store) CreateSession(ctx context.Context, se chat.Session) error {
	at, err := nanos(stamp(se.CreatedAt))
	if err != nil {
		return err
	}
	seenAt := at
	if !se.LastSeen.IsZero() {
		if seenAt, err = nanos(se.LastSeen); err != nil {
			return err
		}
	}
	defer s.boundWAL()
	_, err = s.write.ExecContext(ctx,
		`INSERT INTO sessions (id, user_id, device, created_at, last_seen) VALUES (?, ?, ?, ?, ?)`,
		se.ID, se.User, se.Device, at, seenAt)
	s.noteWrite(err)
	if code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return chat.Fail(chat.NoMember)
	}
	return wrap("create session", err)
}

// Session returns the session with id and its account, or reason
// SignedOut when there is none. The session of a deactivated account is
// returned too, with Deactivated set.
func (s *Store) Session(ctx context.Context, id string) (chat.Session, chat.Account, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var (
		a  chat.Account
		at int64
	)
	se, err := scanSession(s.read.QueryRowContext(ctx, `
		SELECT `+sessionColumns+`, `+accountColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, id),
		&a.ID, &a.Name, &a.Email, &a.Admin, &a.Deactivated, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Session{}, chat.Account{}, chat.Fail(chat.SignedOut)
	}
	if err != nil {
		return chat.Session{}, chat.Account{}, wrap("session", err)
	}
	a.CreatedAt = fromNanos(at)
	return se, a, nil
}

// TouchSession sets the LastSeen of the session with id, or fails with
// reason SignedOut when there is none.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	seenAt, err := nanos(stamp(at))
	if err != nil {
		return err
	}
	defer s.boundWAL()
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, seenAt, id)
	s.noteWrite(err)
	return wrap("touch session", oneRow(res, err, chat.SignedOut))
}

// Sessions returns the sessions of user, the most recently seen first.
func (s *Store) Sessions(ctx context.Context, user int64) ([]chat.Session, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = ? ORDER BY s.last_seen DESC, s.created_at DESC, s.id`, user)
	if err != nil {
		return nil, wrap("sessions", err)
	}
	defer rows.Close()
	sessions := []chat.Session{}
	for rows.Next() {
		se, err := scanSession(rows)
		if err != nil {
			return nil, wrap("sessions", err)
		}
		sessions = append(sessions, se)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("sessions", err)
	}
	return sessions, nil
}

// DeleteSessions deletes the sessions of user with the given ids, or all
// of user's sessions when ids is empty, and returns the IDs deleted,
// sorted. The sessions of other users are never deleted, whatever ids
// holds.
func (s *Store) DeleteSessions(ctx context.Context, user int64, ids ...string) ([]string, error) {
	return deleteOwned(ctx, s, "sessions", user, ids)
}

// deleteOwned deletes the rows of table (sessions or tokens) that belong
// to user and have the given ids, or all of user's when ids is empty, and
// returns the IDs deleted, sorted.
func deleteOwned[ID cmp.Ordered](ctx context.Context, s *Store, table string, user int64, ids []ID) ([]ID, error) {
	query, args := `DELETE FROM `+table+` WHERE user_id = ?`, []any{user}
	if len(ids) > 0 {
		query += ` AND id IN (?` + strings.Repeat(`, ?`, len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	deleted := []ID{}
	defer s.boundWAL()
	// RETURNING in a transaction, whose COMMIT lets the auto-checkpoint
	// run: see Store.write.
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query+` RETURNING id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id ID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			deleted = append(deleted, id)
		}
		return rows.Err()
	})
	s.noteWrite(err)
	if err != nil {
		return nil, wrap("delete "+table, err)
	}
	slices.Sort(deleted)
	return deleted, nil
}
