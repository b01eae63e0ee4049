package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// nextSeq takes the room's next Seq. The UPDATE locks the room's row until
// the transaction ends, so posts to one room, from every instance, take
// their numbers one at a time, and a transaction that rolls back (a
// duplicate token, an error, a crash) leaves the counter as it was. So
// the Seqs that exist are exactly 1..last_seq, and every hub that waits
// for a missing Seq finds it in the store. A sequence object would not
// do: nextval is never rolled back, and a failed insert would leave a
// hole that every hub of the room waits for in vain.
const nextSeq = `UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`

// insertMessage stores a message under the Seq nextSeq took, or nothing
// when the room already holds its token. The author's name is the
// member's current one, so that a rename shows on the next message even
// from a connection opened before it.
const insertMessage = `
INSERT INTO messages (room_id, seq, author_id, author_name, body, token, created_at)
VALUES ($1, $2, $3, coalesce((SELECT name FROM users WHERE id = $3), $4), $5, $6, $7)
ON CONFLICT (room_id, token) DO NOTHING
RETURNING id, author_name`

// messageColumns are the columns scanMessage reads, in its order.
const messageColumns = `id, room_id, seq, author_id, author_name, body, coalesce(token, ''), created_at`

// AddMessage stores m with the next Seq of its room, and returns it with
// ID and Seq set and CreatedAt in UTC, truncated to the microsecond (the
// current time when m.CreatedAt is zero). When the room already holds a
// message with m.Token it stores nothing and returns that message and
// duplicate = true; an empty Token is never a duplicate. An unknown room
// fails with code NotFound; a database that cannot be reached fails with
// code Unavailable, having stored nothing.
//
// It costs one transaction of four round trips (BEGIN, UPDATE, INSERT,
// COMMIT); the room's lock is held for the last three.
func (s *Store) AddMessage(ctx context.Context, m chat.Message) (stored chat.Message, duplicate bool, err error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	m.CreatedAt = stamp(m.CreatedAt)
	var token *string // NULL for no token: NULLs never clash in UNIQUE
	if m.Token != "" {
		token = &m.Token
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return chat.Message{}, false, wrap("add message", err, msgNotStored)
	}
	// A no-op after Commit; otherwise it ends the transaction, so that no
	// path leaves last_seq incremented without the message.
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the error that got us here says more

	err = tx.QueryRow(ctx, nextSeq, m.Room).Scan(&m.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Message{}, false, chat.Errorf(chat.NotFound, "No such room.")
	}
	if err != nil {
		return chat.Message{}, false, wrap("add message", err, msgNotStored)
	}
	err = tx.QueryRow(ctx, insertMessage,
		m.Room, m.Seq, m.Author.ID, m.Author.Name, m.Body, token, m.CreatedAt).Scan(&m.ID, &m.Author.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		// The token is taken. Give the Seq back before reading what the
		// token stands for: the row lock made every earlier insert into
		// this room commit first, so the read below sees it.
		if err := tx.Rollback(ctx); err != nil {
			return chat.Message{}, false, wrap("add message", err, msgNotStored)
		}
		return s.byToken(ctx, m.Room, m.Token)
	}
	if err != nil {
		return chat.Message{}, false, wrap("add message", err, msgNotStored)
	}
	if err := tx.Commit(ctx); err != nil {
		return chat.Message{}, false, wrap("add message", err, msgNotStored)
	}
	return m, false, nil
}

// byToken returns the message of room sent with token, as a duplicate.
func (s *Store) byToken(ctx context.Context, room int64, token string) (chat.Message, bool, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+messageColumns+` FROM messages WHERE room_id = $1 AND token = $2`, room, token)
	if err != nil {
		return chat.Message{}, false, wrap("add message", err, msgNotStored)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMessage)
	if err != nil {
		return chat.Message{}, false, wrap("add message", err, msgNotStored)
	}
	return m, true, nil
}

// Before returns up to limit messages of room with Seq < before (before
// <= 0: the newest), oldest first, and whether older ones exist. An
// unknown room has no messages.
func (s *Store) Before(ctx context.Context, room, before int64, limit int) (chat.Page, error) {
	limit = max(limit, 0)
	// One row past limit tells whether there is more, without a count.
	// A before <= 0 is the newest page: NULL drops the upper bound.
	var upper *int64
	if before > 0 {
		upper = &before
	}
	ms, err := s.queryMessages(ctx, "before",
		`SELECT `+messageColumns+` FROM messages
		WHERE room_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
		room, upper, limit+1)
	if err != nil {
		return chat.Page{}, err
	}
	return chat.PageOf(ms, limit), nil
}

// After returns up to limit messages of room with Seq > after, oldest
// first. An unknown room has no messages.
func (s *Store) After(ctx context.Context, room, after int64, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		return []chat.Message{}, nil
	}
	return s.queryMessages(ctx, "after",
		`SELECT `+messageColumns+` FROM messages
		WHERE room_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		room, after, limit)
}

// LastSeq returns the Seq of the newest message in room, or 0. It reads
// the room's counter, which moves only in the transaction that inserts
// the message it counts.
func (s *Store) LastSeq(ctx context.Context, room int64) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var seq int64
	err := s.pool.QueryRow(ctx,
		`SELECT coalesce((SELECT last_seq FROM rooms WHERE id = $1), 0)`, room).Scan(&seq)
	if err != nil {
		return 0, wrap("last seq", err, msgUnreachable)
	}
	return seq, nil
}

// queryMessages runs query and scans every row; op names the caller in
// errors.
func (s *Store) queryMessages(ctx context.Context, op, query string, args ...any) ([]chat.Message, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err, msgUnreachable)
	}
	ms, err := pgx.CollectRows(rows, scanMessage)
	if err != nil {
		return nil, wrap(op, err, msgUnreachable)
	}
	return ms, nil
}

// scanMessage reads one row of messageColumns.
func scanMessage(row pgx.CollectableRow) (chat.Message, error) {
	var m chat.Message
	err := row.Scan(&m.ID, &m.Room, &m.Seq, &m.Author.ID, &m.Author.Name, &m.Body, &m.Token, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}
