package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hxchat/chat"
	"hxchat/store/internal/batch"
	sqlite3 "modernc.org/sqlite/lib"
)

// maxBatch is the most messages the committer writes in one transaction.
// It bounds how long other writes (a new room, a rename) wait behind a
// batch, about 2 ms at 30 µs per insert, and what one failed COMMIT takes
// down with it. More would save little: batches of at most 8 saved
// nearly as much in BenchmarkAddMessage/64-posters-own-rooms.
const maxBatch = 64

// addRequest is one AddMessage call handed to the committer.
type addRequest struct {
	// ctx is the caller's. The committer skips the message when ctx is
	// done before its turn, since nobody waits for the result; it never
	// passes ctx to SQLite, where cancelling a statement would roll back
	// the whole batch.
	ctx context.Context
	// m is the message with CreatedAt final; token and at are its token
	// and time as insertMessage takes them.
	m     chat.Message
	token any
	at    int64
	// done receives the outcome once the transaction holding the message
	// has ended. It has room for the one result, so that the committer
	// never waits for a caller that gave up.
	done chan addResult
}

// addResult is what AddMessage returns.
type addResult struct {
	m         chat.Message
	duplicate bool
	err       error
}

// newAddRequest makes the request that stores m, with its time and
// token as the table holds them.
func newAddRequest(ctx context.Context, m chat.Message) (*addRequest, error) {
	at, err := nanos(stamp(m.CreatedAt))
	if err != nil {
		return nil, err
	}
	m.CreatedAt = fromNanos(at)
	r := &addRequest{ctx: ctx, m: m, at: at, done: make(chan addResult, 1)}
	if m.Token != "" {
		r.token = m.Token // else NULL: NULLs never clash in UNIQUE
	}
	return r, nil
}

// errClosed is the cause of the error AddMessage returns once Close has
// begun.
var errClosed = errors.New("the store is closed")

// closedError is what a caller of a closed store gets: Unavailable, since
// a store closes when its server goes away, and the client's resend
// reaches another.
func closedError() error {
	return fmt.Errorf("sqlite: add message: %w: %w",
		chat.Fail(chat.Restarting), errClosed)
}

// commitMessages is the committer: it writes the messages AddMessage
// hands over, many to a transaction, until Close. It takes the first
// request, blocking, then whatever others are already waiting, and writes
// them at once. So there is no timer and no added latency: a lone message
// is written straight away, while the messages that arrive during one
// transaction are written together in the next, sharing one BEGIN, one
// WAL append and one COMMIT. On a 2-vCPU VM, BenchmarkAddMessage
// /64-posters-own-rooms went from about 150 to 65 µs/op (120 to 57 µs of
// CPU per message) with it; serial, a batch of one, stayed at about 120.
func (s *Store) commitMessages() {
	defer close(s.committerDone)
	batch.Run(s.closing, s.adds, maxBatch, s.writeBatch)
}

// writeBatch stores the messages of batch in one transaction and tells
// each caller its outcome, but only once the transaction has ended: a
// caller publishes its message as soon as AddMessage returns, and must
// never publish one that a failed COMMIT then loses.
//
// Each message runs under a savepoint of its own, so that one message
// that fails (an unknown room; anything else) is undone alone while the
// others go on. SQLite already undoes a failed statement by itself; the
// savepoint makes that hold for everything a message writes, not only
// for a single INSERT. A few errors (SQLITE_FULL, SQLITE_IOERR,
// SQLITE_NOMEM) may roll back the whole transaction instead; then no
// savepoint is left to roll back to, which is how writeBatch tells, and
// fails the whole batch.
//
// The transaction's context is s.closing, so that Close ends a batch
// still waiting for the connection, or rolls back one in progress,
// rather than waiting for it; its callers then get an error, as those of
// a failed COMMIT do. The statements need no context of their own: once
// database/sql has rolled the transaction back, the next one fails.
func (s *Store) writeBatch(batch []*addRequest) {
	results := make([]addResult, len(batch))
	err := s.inTx(s.closing, func(tx *sql.Tx) error {
		insert := tx.Stmt(s.addMessage)
		defer insert.Close()
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				results[i].err = wrap("add message", err)
				continue
			}
			var broken error
			results[i], broken = addInSavepoint(tx, insert, r)
			if broken != nil {
				return broken
			}
		}
		return nil
	})
	// Before the callers hear, so that a Ping after a failed post knows.
	s.noteBatch(err, results)
	for i, r := range batch {
		switch {
		case s.closing.Err() != nil && err != nil:
			r.done <- addResult{err: closedError()}
		case err != nil:
			r.done <- addResult{err: wrap("add message", err)}
		default:
			r.done <- results[i]
		}
	}
	s.boundWAL()
}

// noteBatch records for Ping how a batch ended, err being its
// transaction's: a full disk if the transaction or any message found it
// full, success if the batch stored a message.
func (s *Store) noteBatch(err error, results []addResult) {
	if err != nil {
		s.noteWrite(err)
		return
	}
	stored := false
	for _, res := range results {
		if full(res.err) {
			s.noteWrite(res.err)
			return
		}
		stored = stored || res.err == nil
	}
	if stored {
		s.noteWrite(nil)
	}
}

// addInSavepoint stores r's message in tx under a savepoint, and returns
// its outcome. It returns a non-nil broken when tx can no longer be
// committed: a statement that should not fail did, or SQLite rolled the
// whole transaction back.
func addInSavepoint(tx *sql.Tx, insert *sql.Stmt, r *addRequest) (res addResult, broken error) {
	if _, err := tx.Exec(`SAVEPOINT message`); err != nil {
		return addResult{}, err
	}
	res = addOne(tx, insert, r)
	if res.err == nil {
		_, err := tx.Exec(`RELEASE message`)
		return res, err
	}
	if _, err := tx.Exec(`ROLLBACK TO message`); err != nil {
		return res, errors.Join(res.err, err)
	}
	_, err := tx.Exec(`RELEASE message`)
	if code(res.err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		res.err = chat.Fail(chat.NoRoom)
	} else {
		res.err = wrap("add message", res.err)
	}
	return res, err
}

// addOne stores r's message in tx, or finds the one stored under its
// token before.
func addOne(tx *sql.Tx, insert *sql.Stmt, r *addRequest) addResult {
	m := r.m
	err := insert.QueryRow(m.Room, m.Author.ID, m.Author.Name, m.Body, r.token, r.at).
		Scan(&m.ID, &m.Seq, &m.Author.Name)
	if !errors.Is(err, sql.ErrNoRows) {
		return addResult{m: m, err: err}
	}
	// No row returned: the token is taken, perhaps by a message earlier in
	// this very batch. Return what it stands for.
	m, err = scanMessage(tx.QueryRow(
		`SELECT `+messageColumns+` FROM messages WHERE room_id = ? AND token = ?`, m.Room, m.Token))
	return addResult{m: m, duplicate: true, err: err}
}
