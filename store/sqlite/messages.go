package sqlite

import (
	"context"
	"math"

	"hxchat/chat"
)

// insertMessage stores a message with the next seq of its room, or
// nothing when the room already holds its token. Reading max(seq) and
// inserting in one statement, on the single writer, means no two
// messages of a room can be given the same seq; UNIQUE (room_id, seq)
// would refuse them anyway. The SELECT needs its WHERE for SQLite to
// parse the ON CONFLICT that follows as an upsert. The author's name is
// the member's current one, so that a rename shows on the next message
// even from a connection opened before it.
const insertMessage = `
INSERT INTO messages (room_id, seq, author_id, author_name, body, token, created_at)
SELECT ?1, coalesce(max(seq), 0) + 1, ?2, coalesce((SELECT name FROM users WHERE id = ?2), ?3), ?4, ?5, ?6
FROM messages WHERE room_id = ?1
ON CONFLICT (room_id, token) DO NOTHING
RETURNING id, seq, author_name`

// messageColumns are the columns scanMessage reads, in its order.
const messageColumns = `id, room_id, seq, author_id, author_name, body, coalesce(token, ''), created_at`

// AddMessage stores m with the next Seq of its room, and returns it with
// ID and Seq set and CreatedAt in UTC (the current time when m.CreatedAt
// is zero). When the room already holds a message with m.Token it stores
// nothing and returns that message and duplicate = true; an empty Token
// is never a duplicate. An unknown room fails with code NotFound.
//
// The message is written by the committer, in one transaction with
// others, and AddMessage returns only once that transaction has
// committed, so a message it returns is stored. When ctx ends first,
// AddMessage returns ctx.Err() at once, but the message may still be
// stored, in a transaction that began before; resending it with the same
// Token is safe, and returns it as a duplicate. After Close it fails with
// code Unavailable.
func (s *Store) AddMessage(ctx context.Context, m chat.Message) (stored chat.Message, duplicate bool, err error) {
	r, err := newAddRequest(ctx, m)
	if err != nil {
		return chat.Message{}, false, err
	}
	select {
	case s.adds <- r:
	case <-ctx.Done():
		return chat.Message{}, false, wrap("add message", ctx.Err())
	case <-s.closing.Done():
		return chat.Message{}, false, closedError()
	}
	select {
	case res := <-r.done:
		if res.err != nil {
			return chat.Message{}, false, res.err
		}
		return res.m, res.duplicate, nil
	case <-ctx.Done():
		return chat.Message{}, false, wrap("add message", ctx.Err())
	}
}

// Before returns up to limit messages of room with Seq < before (before
// <= 0: the newest), oldest first, and whether older ones exist. An
// unknown room has no messages.
func (s *Store) Before(ctx context.Context, room, before int64, limit int) (chat.Page, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	limit = max(limit, 0) // SQLite reads a negative LIMIT as no limit
	// One row past limit tells whether there is more, without a count.
	ms, err := s.queryMessages(ctx, "before",
		`SELECT `+messageColumns+` FROM messages
		WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
		room, before, limit+1)
	if err != nil {
		return chat.Page{}, err
	}
	return chat.PageOf(ms, limit), nil
}

// After returns up to limit messages of room with Seq > after, oldest
// first. An unknown room has no messages.
func (s *Store) After(ctx context.Context, room, after int64, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		return []chat.Message{}, nil // SQLite reads a negative LIMIT as no limit
	}
	return s.queryMessages(ctx, "after",
		`SELECT `+messageColumns+` FROM messages
		WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		room, after, limit)
}

// LastSeq returns the Seq of the newest message in room, or 0.
func (s *Store) LastSeq(ctx context.Context, room int64) (int64, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var seq int64
	err := s.read.QueryRowContext(ctx,
		`SELECT coalesce(max(seq), 0) FROM messages WHERE room_id = ?`, room).Scan(&seq)
	if err != nil {
		return 0, wrap("last seq", err)
	}
	return seq, nil
}

// queryMessages runs query on the readers and scans every row; op names
// the caller in errors.
func (s *Store) queryMessages(ctx context.Context, op, query string, args ...any) ([]chat.Message, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	ms := []chat.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return ms, nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// scanMessage reads one row of messageColumns.
func scanMessage(row scanner) (chat.Message, error) {
	var (
		m  chat.Message
		at int64
	)
	err := row.Scan(&m.ID, &m.Room, &m.Seq, &m.Author.ID, &m.Author.Name, &m.Body, &m.Token, &at)
	m.CreatedAt = fromNanos(at)
	return m, err
}
