package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hxchat/chat"
)

// These tests reach inside the store: to write a batch they have put
// together, and to hold the writer connection, so that requests are
// certain to be pending when something happens to them.

// mustOpen opens a store on a new file, closed when t ends.
func mustOpen(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "hxchat.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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

// holdWriter takes the writer connection for itself until the returned
// release is called, so that the committer, taking a batch, waits for
// the connection with the batch in hand.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	conn, err := s.write.Conn(t.Context())
	if err != nil {
		t.Fatalf("taking the writer: %v", err)
	}
	var once sync.Once
	release = func() { once.Do(func() { conn.Close() }) }
	t.Cleanup(release)
	return release
}

// waitForWaiter returns once more than before waits for the writer
// connection have begun, before being s.write.Stats().WaitCount when the
// test took the connection. The committer waits only with a batch in
// hand, so a wait means requests are pending. There is no event to wait
// for, so it yields until the count moves.
func waitForWaiter(s *Store, before int64) {
	for s.write.Stats().WaitCount <= before {
		runtime.Gosched()
	}
}

func TestWriteBatch(t *testing.T) {
	s := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	messages := []struct {
		name string
		ctx  context.Context
		m    chat.Message
	}{
		{"first", t.Context(), chat.Message{Room: room.ID, Body: "one", Token: "a"}},
		{"unknown room", t.Context(), chat.Message{Room: room.ID + 1, Body: "lost", Token: "b"}},
		{"second", t.Context(), chat.Message{Room: room.ID, Body: "two", Token: "c"}},
		{"resent first", t.Context(), chat.Message{Room: room.ID, Body: "one", Token: "a"}},
		{"caller gone", gone, chat.Message{Room: room.ID, Body: "unread", Token: "d"}},
		{"no token", t.Context(), chat.Message{Room: room.ID, Body: "three"}},
		{"no token again", t.Context(), chat.Message{Room: room.ID, Body: "three"}},
	}
	batch := make([]*addRequest, len(messages))
	for i, m := range messages {
		r, err := newAddRequest(m.ctx, m.m)
		if err != nil {
			t.Fatalf("%s: newAddRequest: %v", m.name, err)
		}
		batch[i] = r
	}
	s.writeBatch(batch)
	got := map[string]addResult{}
	for i, r := range batch {
		got[messages[i].name] = <-r.done
	}

	wantStored := []struct {
		name string
		seq  int64
	}{{"first", 1}, {"second", 2}, {"no token", 3}, {"no token again", 4}}
	for _, w := range wantStored {
		if res := got[w.name]; res.err != nil || res.duplicate || res.m.Seq != w.seq || res.m.ID == 0 {
			t.Errorf("%s: got seq %d, ID %d, duplicate=%v, %v; want new message with seq %d",
				w.name, res.m.Seq, res.m.ID, res.duplicate, res.err, w.seq)
		}
	}
	if res := got["unknown room"]; chat.ErrorCode(res.err) != chat.NotFound {
		t.Errorf("unknown room: got %+v, want code %q", res, chat.NotFound)
	}
	if res := got["resent first"]; res.err != nil || !res.duplicate || res.m.ID != got["first"].m.ID {
		t.Errorf("resent first: got ID %d, duplicate=%v, %v; want the first message (ID %d) as a duplicate",
			res.m.ID, res.duplicate, res.err, got["first"].m.ID)
	}
	if res := got["caller gone"]; !errors.Is(res.err, context.Canceled) {
		t.Errorf("caller gone: got %+v, want context.Canceled", res)
	}

	// Only the stored ones are in the room, in order: the message that
	// failed and the one skipped left no gap.
	stored, err := s.After(t.Context(), room.ID, 0, 100)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	var bodies []string
	for i, m := range stored {
		if m.Seq != int64(i+1) {
			t.Errorf("stored message %d has seq %d, want %d", i, m.Seq, i+1)
		}
		bodies = append(bodies, m.Body)
	}
	if want := []string{"one", "two", "three", "three"}; !slices.Equal(bodies, want) {
		t.Errorf("stored bodies: got %q, want %q", bodies, want)
	}
}

// TestCloseWhilePending is Close with one request in the committer's
// hands, waiting for the connection, and others on their way: every
// caller must get an error, and none hang.
func TestCloseWhilePending(t *testing.T) {
	s := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	waits := s.write.Stats().WaitCount
	release := holdWriter(t, s)

	const callers = 16
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			_, _, errs[i] = s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "hi", Token: fmt.Sprint(i)})
		})
	}
	waitForWaiter(s, waits)
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
// waits for the writer: it returns at once, and the committer, finding
// the context done when the message's turn comes, does not store it.
func TestCallerGivesUp(t *testing.T) {
	s := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	waits := s.write.Stats().WaitCount
	release := holdWriter(t, s)

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, _, err := s.AddMessage(ctx, chat.Message{Room: room.ID, Body: "given up", Token: "a"})
		errc <- err
	}()
	waitForWaiter(s, waits)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("AddMessage with its context cancelled: got %v, want context.Canceled", err)
	}
	release()

	// The next message is written after the batch of the one given up.
	m, dup, err := s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "next", Token: "b"})
	if err != nil || dup || m.Seq != 1 {
		t.Errorf("next AddMessage: got seq %d, duplicate=%v, %v; want seq 1, the message given up unstored", m.Seq, dup, err)
	}
}

// TestOtherWritesBetweenBatches is rooms, members, renames and secrets
// written while messages flood the committer: they share its connection
// and must neither fail nor wait for the flood to end, which only they
// end.
func TestOtherWritesBetweenBatches(t *testing.T) {
	s := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	stop := make(chan struct{})
	var posters sync.WaitGroup
	for p := range 32 {
		posters.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := chat.Message{Room: room.ID, Body: "flood", Token: fmt.Sprint(p, "-", i)}
				if _, _, err := s.AddMessage(t.Context(), m); err != nil {
					t.Errorf("poster %d: AddMessage: %v", p, err)
					return
				}
			}
		})
	}
	for i := range 20 {
		u, err := s.CreateUser(t.Context())
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, err := s.RenameUser(t.Context(), u.ID, fmt.Sprint("Ann ", i)); err != nil {
			t.Fatalf("RenameUser: %v", err)
		}
		if _, err := s.CreateRoom(t.Context(), fmt.Sprint("Room ", i), time.Now()); err != nil {
			t.Fatalf("CreateRoom: %v", err)
		}
		if _, err := s.Secret(t.Context(), fmt.Sprint("secret", i), func() ([]byte, error) { return []byte("x"), nil }); err != nil {
			t.Fatalf("Secret: %v", err)
		}
	}
	close(stop)
	posters.Wait()
}

// TestWriteBatchDiskFull is a batch that outgrows the database: the
// messages that fit are stored, each of the others fails alone, saying
// that the store is full, and every caller is told what became of its
// own message.
func TestWriteBatchDiskFull(t *testing.T) {
	s := mustOpen(t)
	room := mustCreateRoom(t, s, "General")
	conn, err := s.write.Conn(t.Context())
	if err != nil {
		t.Fatalf("taking the writer: %v", err)
	}
	// A few pages more than the file has: room for some 3 kB messages,
	// not for ten. The limit stays with the connection, the writer.
	var pages int
	if err := conn.QueryRowContext(t.Context(), `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatalf("page_count: %v", err)
	}
	if _, err := conn.ExecContext(t.Context(), fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+3)); err != nil {
		t.Fatalf("max_page_count: %v", err)
	}
	conn.Close()

	batch := make([]*addRequest, 10)
	for i := range batch {
		var err error
		batch[i], err = newAddRequest(t.Context(),
			chat.Message{Room: room.ID, Body: strings.Repeat("x", 3000), Token: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("newAddRequest: %v", err)
		}
	}
	s.writeBatch(batch)
	told := map[int64]bool{}
	var failed int
	for i, r := range batch {
		res := <-r.done
		switch {
		case res.err == nil:
			told[res.m.ID] = true
		case chat.AsError(res.err) != nil && chat.AsError(res.err).Reason == chat.StoreFull:
			failed++
		default:
			t.Errorf("message %d: got %v, want stored or %s", i, res.err, chat.StoreFull)
		}
	}
	stored, err := s.After(t.Context(), room.ID, 0, len(batch)+1)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	for i, m := range stored {
		if !told[m.ID] || m.Seq != int64(i+1) {
			t.Errorf("stored message %d (ID %d) has seq %d, want seq %d and its caller told", i, m.ID, m.Seq, i+1)
		}
	}
	if len(stored) != len(told) || failed == 0 || len(told) == 0 {
		t.Errorf("got %d stored, %d told so, %d failed; want some stored, all told, the rest failed",
			len(stored), len(told), failed)
	}
}
