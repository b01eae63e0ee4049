package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hxchat/chat"
	"hxchat/store/postgres/pgtest"
)

// These tests reach inside the store: to write a batch they have put
// together, and to see that requests are pending, held up by a room's
// lock that the test holds, when something happens to them.

// mustOpen opens a store on a fresh schema, closed when t ends, and
// returns it with the schema's URL.
func mustOpen(t *testing.T) (*Store, string) {
	t.Helper()
	dbURL := pgtest.Schema(t)
	s, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dbURL
}

// mustCreateRoom creates a room named name or fails t.
func mustCreateRoom(t *testing.T, s *Store, name string) chat.Room {
	t.Helper()
	r, err := s.CreateRoom(t.Context(), name, time.Now())
	if err != nil {
		t.Fatalf("CreateRoom(%q): %v", name, err)
	}
	return r
}

// holdRoom locks the row of room, from a connection of its own, until the
// returned release is called, so that the committer, writing a batch
// into the room, waits for the lock with the batch in hand.
func holdRoom(t *testing.T, dbURL string, room int64) (conn *pgx.Conn, release func()) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("connecting to hold the room: %v", err)
	}
	if _, err := conn.Exec(t.Context(), `BEGIN`); err != nil {
		t.Fatalf("BEGIN: %v", err)
	}
	if _, err := conn.Exec(t.Context(), `SELECT FROM rooms WHERE id = $1 FOR UPDATE`, room); err != nil {
		t.Fatalf("locking room %d: %v", room, err)
	}
	var once sync.Once
	release = func() { once.Do(func() { conn.Close(context.Background()) }) }
	t.Cleanup(release)
	return conn, release
}

// waitForWaiters returns once n sessions wait for a lock while they hold
// one on the rooms table of holder's schema: committers, with a batch in
// hand. There is no event to wait for, so it asks the server until they
// do; pg_locks, unlike pg_stat_activity, is read afresh within the
// holder's transaction.
func waitForWaiters(t *testing.T, holder *pgx.Conn, n int) {
	t.Helper()
	for {
		var waiting int
		err := holder.QueryRow(t.Context(), `
			SELECT count(DISTINCT pid) FROM pg_locks
			WHERE NOT granted AND pid IN (SELECT pid FROM pg_locks WHERE granted AND relation = 'rooms'::regclass)`,
		).Scan(&waiting)
		if err != nil {
			t.Fatalf("looking for waiting committers: %v", err)
		}
		if waiting >= n {
			return
		}
	}
}

func TestWriteBatch(t *testing.T) {
	s, _ := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	other := mustCreateRoom(t, s, "Other")
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	// In arrival order; the committer writes them by room, Other's after
	// General's, each room's in this order.
	messages := []struct {
		name string
		ctx  context.Context
		m    chat.Message
	}{
		{"other first", t.Context(), chat.Message{Room: other.ID, Body: "o1", Token: "a"}},
		{"first", t.Context(), chat.Message{Room: room.ID, Body: "one", Token: "a"}},
		{"unknown room", t.Context(), chat.Message{Room: other.ID + 1000, Body: "lost", Token: "b"}},
		{"refused body", t.Context(), chat.Message{Room: room.ID, Body: "a\x00b", Token: "n"}},
		{"second", t.Context(), chat.Message{Room: room.ID, Body: "two", Token: "c"}},
		{"resent first", t.Context(), chat.Message{Room: room.ID, Body: "one", Token: "a"}},
		{"caller gone", gone, chat.Message{Room: room.ID, Body: "unread", Token: "d"}},
		{"other second", t.Context(), chat.Message{Room: other.ID, Body: "o2", Token: "b"}},
		{"no token", t.Context(), chat.Message{Room: room.ID, Body: "three"}},
		{"no token again", t.Context(), chat.Message{Room: room.ID, Body: "three"}},
	}
	batch := make([]*addRequest, len(messages))
	for i, m := range messages {
		batch[i] = newAddRequest(m.ctx, m.m)
	}
	s.writeBatch(batch)
	got := map[string]addResult{}
	for i, r := range batch {
		got[messages[i].name] = <-r.done
	}

	wantStored := []struct {
		name string
		room int64
		seq  int64
	}{
		{"first", room.ID, 1}, {"second", room.ID, 2}, {"no token", room.ID, 3}, {"no token again", room.ID, 4},
		{"other first", other.ID, 1}, {"other second", other.ID, 2},
	}
	for _, w := range wantStored {
		if res := got[w.name]; res.err != nil || res.duplicate || res.m.Room != w.room || res.m.Seq != w.seq || res.m.ID == 0 {
			t.Errorf("%s: got room %d seq %d, ID %d, duplicate=%v, %v; want new message in room %d with seq %d",
				w.name, res.m.Room, res.m.Seq, res.m.ID, res.duplicate, res.err, w.room, w.seq)
		}
	}
	// IDs come from a sequence, in the order of the inserts: General's
	// messages first, although one of Other's came first, since the
	// committer takes the rooms' locks in order of room ID.
	if first, other := got["first"].m.ID, got["other first"].m.ID; other < first {
		t.Errorf("other first has ID %d, first %d: want General's messages written first", other, first)
	}
	if res := got["unknown room"]; chat.ErrorCode(res.err) != chat.NotFound {
		t.Errorf("unknown room: got %+v, want code %q", res, chat.NotFound)
	}
	if res := got["refused body"]; chat.ErrorCode(res.err) != chat.Internal {
		t.Errorf("refused body: got %+v, want code %q", res, chat.Internal)
	}
	if res := got["resent first"]; res.err != nil || !res.duplicate || res.m.ID != got["first"].m.ID || res.m.Seq != 1 {
		t.Errorf("resent first: got ID %d seq %d, duplicate=%v, %v; want the first message (ID %d, seq 1) as a duplicate",
			res.m.ID, res.m.Seq, res.duplicate, res.err, got["first"].m.ID)
	}
	if res := got["caller gone"]; !errors.Is(res.err, context.Canceled) {
		t.Errorf("caller gone: got %+v, want context.Canceled", res)
	}

	// Only the stored ones are in the rooms, in order: the messages that
	// failed and the one skipped left no gap.
	for _, tt := range []struct {
		room int64
		want []string
	}{{room.ID, []string{"one", "two", "three", "three"}}, {other.ID, []string{"o1", "o2"}}} {
		stored, err := s.After(t.Context(), tt.room, 0, 100)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		var bodies []string
		for i, m := range stored {
			if m.Seq != int64(i+1) {
				t.Errorf("room %d: stored message %d has seq %d, want %d", tt.room, i, m.Seq, i+1)
			}
			bodies = append(bodies, m.Body)
		}
		if !slices.Equal(bodies, tt.want) {
			t.Errorf("room %d: stored bodies %q, want %q", tt.room, bodies, tt.want)
		}
		if last, err := s.LastSeq(t.Context(), tt.room); err != nil || last != int64(len(tt.want)) {
			t.Errorf("room %d: LastSeq: got %d, %v, want %d", tt.room, last, err, len(tt.want))
		}
	}
}

// TestCloseWhilePending is Close with a batch in the committer's hands,
// waiting for a room's lock, and other requests on their way: every
// caller must get an error, and none hang.
func TestCloseWhilePending(t *testing.T) {
	s, dbURL := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	holder, release := holdRoom(t, dbURL, room.ID)

	const callers = 16
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			_, _, errs[i] = s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "hi", Token: fmt.Sprint(i)})
		})
	}
	waitForWaiters(t, holder, 1)
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	release()
	for i, err := range errs {
		if chat.ErrorCode(err) != chat.Unavailable || !errors.Is(err, errClosed) {
			t.Errorf("caller %d: got %v, want code %q, the store is closed", i, err, chat.Unavailable)
		}
	}
	if _, _, err := s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "late"}); !errors.Is(err, errClosed) {
		t.Errorf("AddMessage after Close: got %v, want the store is closed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
}

// TestCallerGivesUp is a caller whose context ends while its message
// waits for a room's lock in the committer's transaction: it returns at
// once, and the message is stored all the same once the lock is free, so
// that the same form sent again is a duplicate, not a second message.
func TestCallerGivesUp(t *testing.T) {
	s, dbURL := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	holder, release := holdRoom(t, dbURL, room.ID)

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, _, err := s.AddMessage(ctx, chat.Message{Room: room.ID, Body: "given up", Token: "a"})
		errc <- err
	}()
	waitForWaiters(t, holder, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || chat.ErrorCode(err) != chat.Unavailable {
		t.Errorf("AddMessage with its context cancelled: got %v, want context.Canceled, code %q", err, chat.Unavailable)
	}
	release()

	m, dup, err := s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "given up", Token: "a"})
	if err != nil || !dup || m.Seq != 1 {
		t.Errorf("sending again: got seq %d, duplicate=%v, %v; want the message given up, seq 1, as a duplicate", m.Seq, dup, err)
	}
}

// TestLockOrder is two instances writing batches into the same rooms,
// arrived in opposite orders, at the same time. The first instance's
// batch, in rooms A, B and C, takes A's lock and waits for B's, which
// the test holds; the second's, in C and A, comes meanwhile. Written as
// they came, the second would take C and wait for A, and once the test
// lets B go the first would wait for C: a deadlock, which PostgreSQL ends
// by aborting one of them. Written by room ID, the second waits for A
// holding nothing, and both commit. tryBatch does not retry, so a
// deadlock would show.
func TestLockOrder(t *testing.T) {
	s1, dbURL := mustOpen(t)
	s2, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	a, b, c := mustCreateRoom(t, s1, "A"), mustCreateRoom(t, s1, "B"), mustCreateRoom(t, s1, "C")
	holder, release := holdRoom(t, dbURL, b.ID)

	batch := func(prefix string, rooms ...chat.Room) []*addRequest {
		var rs []*addRequest
		for i, r := range rooms {
			rs = append(rs, newAddRequest(t.Context(), chat.Message{Room: r.ID, Body: "hi", Token: fmt.Sprint(prefix, i)}))
		}
		return byRoom(rs)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = s1.tryBatch(t.Context(), batch("first", a, b, c)) })
	waitForWaiters(t, holder, 1)
	wg.Go(func() { _, errs[1] = s2.tryBatch(t.Context(), batch("second", c, a)) })
	waitForWaiters(t, holder, 2)
	release()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: got %v, want its batch committed", i+1, err)
		}
	}
	for _, r := range []chat.Room{a, b, c} {
		want := int64(1)
		if r.ID != b.ID {
			want = 2
		}
		if last, err := s1.LastSeq(t.Context(), r.ID); err != nil || last != want {
			t.Errorf("room %s: LastSeq: got %d, %v, want %d", r.Name, last, err, want)
		}
	}
}

// TestWriteBatchRetriesDeadlock is a batch that deadlocks all the same,
// with a transaction outside hxchat: it holds room B's lock, the batch
// takes A's and waits for B's, and the outside transaction then waits for
// the batch's, by inserting a message with the ID the batch's insert into
// A took. PostgreSQL ends the deadlock by aborting one of the two, and
// which one depends on which of them runs its deadlock check first
// (deadlock_timeout after it began to wait), so the test takes either:
//
//   - The batch is aborted: writeBatch writes it again. The outside
//     transaction's insert now goes through (the ID is free again) and it
//     waits for nothing more; the retry takes new IDs and, once the test
//     lets B go, commits.
//   - The outside transaction is aborted: the batch gets B's lock once
//     the test lets it go, and commits at the first try.
//
// Either way every caller is told its message is stored, and each is
// stored once. The outside transaction waits for the batch's transaction
// itself, not for room A's row: were it waiting for A (SELECT ... FOR
// UPDATE), the retry could take A before it, and they would deadlock
// again (1 run in 7 with -race on a loaded 2-vCPU VM did), which
// writeBatch answers with Unavailable after its second try.
func TestWriteBatchRetriesDeadlock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out PostgreSQL's deadlock_timeout: -short leaves it out")
	}
	s, dbURL := mustOpen(t)
	a, b, other := mustCreateRoom(t, s, "A"), mustCreateRoom(t, s, "B"), mustCreateRoom(t, s, "Other")
	holder, release := holdRoom(t, dbURL, b.ID)

	batch := []*addRequest{
		newAddRequest(t.Context(), chat.Message{Room: a.ID, Body: "to A", Token: "a"}),
		newAddRequest(t.Context(), chat.Message{Room: b.ID, Body: "to B", Token: "b"}),
	}
	go s.writeBatch(batch)
	waitForWaiters(t, holder, 1)
	// The batch has inserted into A, taking the newest message ID, and
	// waits for B. The insert below waits for the batch's transaction,
	// since an uncommitted row holds that ID; Other's seq is free.
	var taken int64
	if err := holder.QueryRow(t.Context(),
		`SELECT last_value FROM messages_id_seq`).Scan(&taken); err != nil {
		t.Fatalf("reading the ID the batch took: %v", err)
	}
	_, err := holder.Exec(t.Context(), `
		INSERT INTO messages (id, room_id, seq, author_id, author_name, body, created_at)
		OVERRIDING SYSTEM VALUE VALUES ($1, $2, 1, 0, 'operator', 'outside', now())`, taken, other.ID)
	var pe *pgconn.PgError
	switch {
	case err == nil:
		t.Log("PostgreSQL aborted the batch; writeBatch wrote it again")
	case errors.As(err, &pe) && pe.Code == "40P01":
		t.Log("PostgreSQL aborted the outside transaction; the batch committed at the first try")
	default:
		t.Fatalf("the outside transaction's insert: got %v, want it stored, or aborted as the deadlock's victim", err)
	}
	release()
	for i, r := range batch {
		if res := <-r.done; res.err != nil || res.duplicate || res.m.Seq != 1 {
			t.Errorf("message %d: got seq %d, duplicate=%v, %v; want it stored with seq 1", i, res.m.Seq, res.duplicate, res.err)
		}
	}
	for _, tt := range []struct {
		room chat.Room
		want []string
	}{{a, []string{"to A"}}, {b, []string{"to B"}}, {other, nil}} {
		stored, err := s.After(t.Context(), tt.room.ID, 0, 10)
		if err != nil {
			t.Fatalf("After: %v", err)
		}
		var bodies []string
		for _, m := range stored {
			bodies = append(bodies, m.Body)
		}
		if !slices.Equal(bodies, tt.want) {
			t.Errorf("room %s: stored %q, want %q", tt.room.Name, bodies, tt.want)
		}
	}
}
