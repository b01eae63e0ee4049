package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hxchat/chat"
	"hxchat/store/internal/batch"
)

// maxBatch is the most messages a committer writes in one transaction.
// It bounds how long a batch holds its rooms' locks, and what one failed
// COMMIT takes down with it. It is also PostgreSQL's cache of
// subtransaction ids per backend (PGPROC_MAX_CACHED_SUBXIDS): each stored
// message is a savepoint that wrote, and a transaction with more than 64
// of them makes every other session's snapshots slower until it ends.
const maxBatch = 64

// committers is how many committers an instance runs. Each writes the
// messages of the rooms whose ID is its index modulo committers, so all
// of one room's go to one committer, whose batches never wait for each
// other on the room's lock: with committers sharing one queue instead,
// BenchmarkAddMessage/parallel-one-room with -cpu 64 (64 posters in one
// room, 2-vCPU VM) took 550 to 800 µs/op, against 150 to 190 with a
// queue each. Rooms of different committers are written in transactions
// of their own, side by side, whose WAL flushes PostgreSQL shares:
// parallel-own-rooms (two posters) took about 580 µs/op with one
// committer and 400 with four, against 480 with a transaction per post.
const committers = 4

// maxAttempts is how many times a committer tries a batch whose
// transaction lost a lock conflict (see writeBatch).
const maxAttempts = 2

// rollbackTimeout bounds the ROLLBACK of a failed batch, which runs after
// the batch's own context may have ended: long enough for a server that
// answers, short enough that Close never waits long for one that does not.
const rollbackTimeout = time.Second

// addRequest is one AddMessage call handed to the committer.
type addRequest struct {
	// ctx is the caller's. The committer skips the message when ctx is
	// done before its turn, since nobody waits for the result; it never
	// passes ctx to the database, where cancelling a statement would
	// break the whole batch's transaction.
	ctx context.Context
	// m is the message with CreatedAt final; token is m.Token as the
	// table holds it, NULL for none, since NULLs never clash in UNIQUE.
	m     chat.Message
	token *string
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

// newAddRequest makes the request that stores m, with its time and token
// as the table holds them.
func newAddRequest(ctx context.Context, m chat.Message) *addRequest {
	m.CreatedAt = stamp(m.CreatedAt)
	r := &addRequest{ctx: ctx, m: m, done: make(chan addResult, 1)}
	if m.Token != "" {
		r.token = &r.m.Token
	}
	return r
}

// errClosed is the cause of the error AddMessage returns once Close has
// begun.
var errClosed = errors.New("the store is closed")

// closedError is what a caller of a closed store gets: Unavailable, since
// a store closes when its server goes away, and the client's resend
// reaches another.
func closedError() error {
	return fmt.Errorf("postgres: add message: %w: %w",
		chat.Fail(chat.Restarting), errClosed)
}

// commitMessages is a committer: it writes the messages AddMessage hands
// over on adds, many to a transaction, until Close. It takes the first
// request, blocking, then whatever others are already waiting, and writes
// them at once. So there is no timer and no added latency: a lone message
// is written straight away, while the messages that arrive during one
// transaction are written together in the next, sharing one pipeline of
// statements and one COMMIT, whose WAL flush is most of a post's cost.
func (s *Store) commitMessages(adds <-chan *addRequest) {
	batch.Run(s.closing, adds, maxBatch, s.writeBatch)
}

// writeBatch stores the messages of batch in one transaction and tells
// each caller its outcome, but only once the transaction has ended: a
// caller publishes its message as soon as AddMessage returns, and must
// never publish one that a failed COMMIT then loses.
//
// The messages are written in order of room ID, those of one room in the
// order they came. A batch locks the row of every room it posts to, until
// COMMIT; taking those locks in one fixed order, in every instance, means
// that no two batches can each hold a lock the other waits for, so they
// cannot deadlock. (The committers of one instance never lock the same
// room.) Nothing else here holds a room's lock while waiting for another
// lock: the one-message transactions of an older instance take a single
// room's, and an insert that meets a token another transaction is
// inserting waits for it, but that transaction holds the room's lock,
// which the batch already has, so it has ended. A deadlock (40P01), a serialization failure or a
// lock not available is therefore not expected; should one come anyway
// (an operator's own transaction, say), the server has aborted the
// transaction, and writeBatch tries the whole batch once more before
// failing it with code Unavailable.
//
// The transaction's context ends with Close, so that Close ends a batch
// still waiting for a connection or a lock rather than waiting for it;
// its callers then get an error, as those of a failed COMMIT do. It is
// also bounded by opTimeout, like every other Store call.
func (s *Store) writeBatch(batch []*addRequest) {
	ordered := byRoom(batch)
	ctx, cancel := context.WithTimeout(s.closing, opTimeout)
	defer cancel()
	var (
		results []addResult
		err     error
	)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		results, err = s.tryBatch(ctx, ordered)
		if pe, ok := errors.AsType[*pgconn.PgError](err); !ok || !busy(pe.Code) {
			break
		}
	}
	for i, r := range ordered {
		switch {
		case s.closing.Err() != nil && err != nil:
			r.done <- addResult{err: closedError()}
		case err != nil:
			r.done <- addResult{err: wrap("add message", err, chat.NotStored)}
		default:
			r.done <- results[i]
		}
	}
}

// byRoom returns the requests of batch in the order writeBatch writes
// them: by room ID, those of one room in the order they came.
func byRoom(batch []*addRequest) []*addRequest {
	ordered := slices.Clone(batch)
	slices.SortStableFunc(ordered, func(a, b *addRequest) int { return cmp.Compare(a.m.Room, b.m.Room) })
	return ordered
}

// tryBatch writes batch in one transaction and commits it, returning each
// message's outcome, or the error that broke the transaction, which then
// stored none of them.
//
// Each message runs under a savepoint of its own, so that one message
// that fails (an unknown room, a taken token, a body the server refuses)
// is undone alone, its Seq given back, while the others go on. The
// statements are sent in a pipeline, BEGIN and then a savepoint and an
// insert for each message, so that a batch costs two round trips (the
// pipeline, COMMIT) whatever its size; pgx's Begin would add a third,
// about a tenth of a lone post's time (BenchmarkAddMessage/serial,
// medians of five on a 2-vCPU VM: 570 µs/op with it, 510 without). The
// first message that does not come back
// stored ends the pipeline's use: tryBatch rolls back to that message's
// savepoint, which also undoes the messages sent after it, settles that
// message alone, and sends the rest again.
func (s *Store) tryBatch(ctx context.Context, batch []*addRequest) (results []addResult, broken error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	// The pool closes a connection that comes back in a transaction, so a
	// ROLLBACK that fails leaves nothing behind.
	defer conn.Release()
	begun, committed := false, false
	defer func() {
		if begun && !committed {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			conn.Exec(ctx, `ROLLBACK`) //nolint:errcheck // the error that got us here says more
		}
	}()

	results = make([]addResult, len(batch))
	for from := 0; from < len(batch); {
		failed, err := sendBatch(ctx, conn, &begun, batch, results, from)
		if err != nil {
			return nil, err
		}
		if failed < 0 {
			break
		}
		if err := settle(ctx, conn, batch[failed], &results[failed]); err != nil {
			return nil, err
		}
		from = failed + 1
	}
	if !begun { // every caller had gone
		return results, nil
	}
	tag, err := conn.Exec(ctx, `COMMIT`)
	if err != nil {
		return nil, err
	}
	committed = true
	// COMMIT of a transaction that failed rolls it back, and says so.
	if tag.String() != "COMMIT" {
		return nil, pgx.ErrTxCommitRollback
	}
	return results, nil
}

// savepoint names the savepoint of the message at index i of a batch.
// Each message needs a name of its own: ROLLBACK TO a reused name would
// go back to its latest use, not to the message that failed.
func savepoint(i int) string {
	return "message_" + strconv.Itoa(i)
}

// sendBatch writes batch[from:] on conn in one pipeline, setting results,
// and returns the index of the first message that did not come back
// stored, or -1. The outcome of that message is left to settle, with its
// error, if any, in its results entry; the messages after it were sent,
// but their savepoints are gone with its, and they must be sent again. A
// caller that has gone is skipped. The pipeline begins the transaction
// unless *begun says it has begun, and sets *begun once it is sent. A
// non-nil broken means the transaction cannot be committed.
func sendBatch(ctx context.Context, conn *pgxpool.Conn, begun *bool, batch []*addRequest, results []addResult, from int) (failed int, broken error) {
	b := &pgx.Batch{}
	if !*begun {
		b.Queue(`BEGIN`)
	}
	var sent []int
	for i := from; i < len(batch); i++ {
		r := batch[i]
		if err := r.ctx.Err(); err != nil {
			results[i] = addResult{err: wrap("add message", err, chat.NotStored)}
			continue
		}
		m := r.m
		b.Queue(`SAVEPOINT ` + savepoint(i))
		b.Queue(addMessage, m.Room, m.Author.ID, m.Author.Name, m.Body, r.token, m.CreatedAt)
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return -1, nil
	}
	br := conn.SendBatch(ctx, b)
	if !*begun {
		*begun = true
		if _, err := br.Exec(); err != nil {
			br.Close()
			return -1, err
		}
	}
	failed = -1
	for _, i := range sent {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return -1, err
		}
		m := batch[i].m
		err := br.QueryRow().Scan(&m.ID, &m.Seq, &m.Author.Name)
		if err != nil {
			failed, results[i] = i, addResult{err: err}
			break
		}
		results[i] = addResult{m: m}
	}
	// Close reads what is left of the pipeline. After an error the server
	// skipped it, and Close returns that error again.
	closeErr := br.Close()
	if failed < 0 {
		return -1, closeErr
	}
	if err := results[failed].err; !errors.Is(err, pgx.ErrNoRows) && !ownFault(err) {
		return -1, err
	}
	if _, err := conn.Exec(ctx, `ROLLBACK TO SAVEPOINT `+savepoint(failed)); err != nil {
		return -1, err
	}
	return failed, nil
}

// ownFault reports whether err is the server refusing one message for
// what it holds (a body with a NUL, say), which fails that message alone.
// A lock conflict, a statement that timed out and any error not from the
// server fail the whole batch: the next message would meet the same.
func ownFault(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && !busy(pe.Code) && pe.Code != queryCanceled && !down(pe.Code)
}

// settle sets the outcome of r, a message that did not come back stored
// and whose savepoint has been rolled back to. With no error, the insert
// stored nothing: the room already holds r's token, perhaps from a
// message earlier in this batch, perhaps from another instance whose
// transaction the insert waited for; or the room does not exist. Either
// way what is to be read is committed or in this transaction, so READ
// COMMITTED sees it. A non-nil broken means the transaction cannot be
// committed.
func settle(ctx context.Context, conn *pgxpool.Conn, r *addRequest, res *addResult) (broken error) {
	if res.err != nil && !errors.Is(res.err, pgx.ErrNoRows) {
		res.err = wrap("add message", res.err, chat.NotStored)
		return nil
	}
	if r.token != nil {
		rows, err := conn.Query(ctx,
			`SELECT `+messageColumns+` FROM messages WHERE room_id = $1 AND token = $2`, r.m.Room, r.token)
		if err != nil {
			return err
		}
		m, err := pgx.CollectExactlyOneRow(rows, scanMessage)
		if err == nil {
			*res = addResult{m: m, duplicate: true}
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM rooms WHERE id = $1)`, r.m.Room).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		*res = addResult{err: chat.Fail(chat.NoRoom)}
		return nil
	}
	*res = addResult{err: fmt.Errorf("postgres: add message: room %d holds no message with the token that stopped the insert", r.m.Room)}
	return nil
}
