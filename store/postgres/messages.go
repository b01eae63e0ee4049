package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// addMessage stores a message with the next Seq of its room, taken from
// the room's counter, or nothing when the room does not exist or already
// holds the message's token. The UPDATE locks the room's row until the
// transaction ends, so posts to one room, from every instance, take their
// numbers one at a time, and a transaction, or a savepoint, that rolls
// back (a taken token, an error, a crash) leaves the counter as it was. So
// the Seqs that exist are exactly 1..last_seq, and every hub that waits
// for a missing Seq finds it in the store. A sequence object would not
// do: nextval is never rolled back, and a failed insert would leave a
// hole that every hub of the room waits for in vain.
//
// The UPDATE runs even when the INSERT then finds the token taken, so no
// row back means: roll back to before the statement, then find out why
// (see settle). The author's name is the member's current one, so that a
// rename shows on the next message even from a connection opened before
// it.
const addMessage = `
WITH next AS (UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
INSERT INTO messages (room_id, seq, author_id, author_name, body, token, created_at)
SELECT $1, next.last_seq, $2, coalesce((SELECT name FROM users WHERE id = $2), $3), $4, $5, $6 FROM next
ON CONFLICT (room_id, token) DO NOTHING
RETURNING id, seq, author_name`

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
// The message is written by the committer, in one transaction with
// others, and AddMessage returns only once that transaction has
// committed, so a message it returns is stored. When ctx ends first,
// AddMessage returns ctx.Err() at once, but the message may still be
// stored, in a transaction that began before; resending it with the same
// Token is safe, and returns it as a duplicate. After Close it fails with
// code Unavailable.
func (s *Store) AddMessage(ctx context.Context, m chat.Message) (stored chat.Message, duplicate bool, err error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	r := newAddRequest(ctx, m)
	select {
	case s.adds[uint64(m.Room)%committers] <- r:
	case <-ctx.Done():
		return chat.Message{}, false, wrap("add message", ctx.Err(), chat.NotStored)
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
		return chat.Message{}, false, wrap("add message", ctx.Err(), chat.NotStored)
	}
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
		return 0, wrap("last seq", err, chat.Unreachable)
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
		return nil, wrap(op, err, chat.Unreachable)
	}
	ms, err := pgx.CollectRows(rows, scanMessage)
	if err != nil {
		return nil, wrap(op, err, chat.Unreachable)
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
