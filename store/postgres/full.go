package postgres

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hxchat/chat"
)

// probeBytes is how much probeWrite stores: as many bytes as the longest
// message can take (chat.MaxBody characters of up to four bytes), so that
// a store that passes the probe has room for any one message.
const probeBytes = 4 * chat.MaxBody

// fullDisk remembers whether a statement found the disk full (SQLSTATE
// 53100) since the last write that committed, for Ping.
//
// It is the pool's pgx tracer, which pgx tells the outcome of every
// statement on every connection: of the committer's pipelines and
// COMMITs, of every other write, and of the probe. That is the one place
// they all pass through. wrap sees every failure but not the successes,
// which most writes return without it, and a call in each write would
// be one more thing for the next write to forget.
//
// A read can meet a full disk too, when a sort or hash spills to a
// temporary file; that is remembered as well, and the probe then tells
// whether writes still work. Other failures (a clash, a cancelled
// request) say nothing about space, and change nothing.
type fullDisk struct {
	// seen is set by a statement that failed with 53100 and cleared by a
	// write that committed.
	seen atomic.Bool
}

// note records the outcome of a statement run on conn. While writes
// succeed it costs one atomic load.
func (f *fullDisk) note(conn *pgx.Conn, tag pgconn.CommandTag, err error) {
	switch {
	case err != nil:
		if violated(err, diskFull, "") {
			f.seen.Store(true)
		}
	case f.seen.Load() && committedWrite(conn, tag):
		f.seen.Store(false)
	}
}

// committedWrite reports whether a statement that succeeded, leaving
// conn outside a transaction, stored something: a COMMIT (every
// transaction here writes, or rolls back), or an INSERT, UPDATE or
// DELETE of its own that changed rows. A statement inside a transaction
// waits for its COMMIT; one that changed nothing asked the disk for
// nothing.
func committedWrite(conn *pgx.Conn, tag pgconn.CommandTag) bool {
	if conn.PgConn().TxStatus() != 'I' {
		return false
	}
	if tag.String() == "COMMIT" {
		return true
	}
	return (tag.Insert() || tag.Update() || tag.Delete()) && tag.RowsAffected() > 0
}

// TraceQueryStart implements pgx.QueryTracer.
func (f *fullDisk) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (f *fullDisk) TraceQueryEnd(_ context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	f.note(conn, data.CommandTag, data.Err)
}

// TraceBatchStart implements pgx.BatchTracer.
func (f *fullDisk) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer: the committer's inserts
// are statements of a batch.
func (f *fullDisk) TraceBatchQuery(_ context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	f.note(conn, data.CommandTag, data.Err)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (f *fullDisk) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// checkWritable returns nil unless a statement found the disk full since
// the last write that committed. Then it tries a write of its own,
// probeWrite, and returns an error with reason chat.StoreFull while the
// disk is still full.
//
// Remembering the failure costs nothing while writes succeed, and a Ping
// that wrote every time would add a transaction to every readiness
// check, of every instance. Remembering alone would not do: an instance
// taken out of rotation because it cannot write gets no posts, and would
// never learn that it can write again. The probe runs only after a
// statement found the disk full, and stores nothing: it deletes its row
// in the transaction that inserted it. Its outcome passes through
// fullDisk like any other write's.
func (s *Store) checkWritable(ctx context.Context) error {
	if !s.full.seen.Load() {
		return nil
	}
	err := s.probeWrite(ctx)
	switch {
	case err == nil:
		return nil
	case violated(err, diskFull, ""):
		return fmt.Errorf("postgres: cannot write: %w: %w", chat.Fail(chat.StoreFull), err)
	}
	return wrap("write probe", err, chat.Unreachable)
}

// probeWrite stores probeBytes and deletes them again in one
// transaction: the table and its TOAST table must find pages for them,
// as for a long message.
func (s *Store) probeWrite(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO write_probe (filler) VALUES ($1)`, make([]byte, probeBytes)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM write_probe`)
		return err
	})
}
