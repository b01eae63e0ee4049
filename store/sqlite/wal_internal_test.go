package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/store/storetest"
)

// walThreshold is the auto-checkpoint threshold, in pages, that
// TestWALStaysBounded sets on the writer: a twentieth of SQLite's 1,000,
// so that a flood twenty times smaller shows the same growth, in a few
// seconds under -race. The code paths are the same at any threshold.
const walThreshold = 25

// maxWALFrames is the most frames the WAL file may hold after a flood of
// TestWALStaysBounded: the threshold, past which a checkpoint runs,
// boundWAL's limit of twice that, and a write's worth more. Without a
// checkpoint every flood writes over three times as many.
const maxWALFrames = 3 * walThreshold

// frameSize is a WAL frame: a 24-byte header and a page of SQLite's
// default 4,096 bytes, which the store keeps.
const frameSize = 24 + 4096

// walFloods are the writes TestWALStaysBounded floods the store with,
// one kind at a time.
var walFloods = []struct {
	name string
	// each is how many writes each writer makes: enough to write over
	// three times maxWALFrames if no checkpoint ran.
	each int
	// write makes writer w's ith write.
	write func(ctx context.Context, s *Store, f *walFixture, w, i int) error
}{
	{"CreateRoom", 15, func(ctx context.Context, s *Store, _ *walFixture, w, i int) error {
		_, err := s.CreateRoom(ctx, fmt.Sprintf("Room %d-%d", w, i), time.Now())
		return err
	}},
	{"CreateUser", 20, func(ctx context.Context, s *Store, _ *walFixture, _, _ int) error {
		_, err := s.CreateUser(ctx)
		return err
	}},
	{"RenameUser", 60, func(ctx context.Context, s *Store, f *walFixture, w, i int) error {
		_, err := s.RenameUser(ctx, f.user.ID, fmt.Sprintf("name %d-%d", w, i))
		return err
	}},
	{"CreateRoomOf", 15, func(ctx context.Context, s *Store, f *walFixture, w, i int) error {
		_, err := s.CreateRoomOf(ctx, chat.Room{Name: fmt.Sprintf("Private %d-%d", w, i), Kind: chat.RoomPrivate, CreatedBy: f.user.ID}, nil)
		return err
	}},
	// A link made and taken: TakeLink's DELETE ... RETURNING in a
	// transaction.
	{"TakeLink", 20, func(ctx context.Context, s *Store, f *walFixture, w, i int) error {
		digest := fmt.Sprintf("%d-%d", w, i)
		if err := s.CreateLink(ctx, digest, int64(w+1000), time.Now().Add(time.Hour)); err != nil {
			return err
		}
		_, err := s.TakeLink(ctx, digest, time.Now())
		return err
	}},
	{"AddMessage", 20, func(ctx context.Context, s *Store, f *walFixture, w, i int) error {
		_, _, err := s.AddMessage(ctx, chat.Message{
			Room: f.room.ID, Author: f.user, Body: "The quick brown fox jumps over the lazy dog.",
			Token: fmt.Sprintf("%d-%d", w, i),
		})
		return err
	}},
}

// TestWALStaysBounded floods the store with each kind of write from
// several goroutines, and checks that the WAL stays near the
// auto-checkpoint threshold instead of growing with everything written
// until the store closes. Alone, the auto-checkpoint must do it: every
// write has to let it run. With reads going on all the time, as page
// loads of a long room list during a flood of new rooms, it cannot
// finish, and boundWAL has to.
func TestWALStaysBounded(t *testing.T) {
	for _, flood := range walFloods {
		t.Run(flood.name, func(t *testing.T) {
			t.Run("alone", func(t *testing.T) {
				s, path := openFlooded(t)
				s.walLimit = 0 // the auto-checkpoint alone
				f := newWALFixture(t, s, 0)
				runFlood(t, s, f, 0, flood.each, flood.write)
				wantWALBounded(t, s, path, 4*flood.each)
			})
			t.Run("reading", func(t *testing.T) {
				s, path := openFlooded(t)
				s.walLimit = 2 * walThreshold * frameSize
				// A room list long enough that the readers are nearly
				// always in the middle of one.
				f := newWALFixture(t, s, 500)
				runFlood(t, s, f, 2, flood.each, flood.write)
				wantWALBounded(t, s, path, 4*flood.each)
			})
		})
	}
}

// openFlooded opens a store on a new file with walThreshold as its
// auto-checkpoint threshold, and returns it and its path.
func openFlooded(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hxchat.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	// The writer pool's one connection never retires, so the settings
	// hold for the whole flood; wantWALBounded checks that they did.
	// Without synchronous=OFF the checkpoints' syncs took most of the
	// test's time; the WAL grows the same without them.
	for _, pragma := range []string{fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, walThreshold), `PRAGMA synchronous = OFF`} {
		if _, err := s.write.ExecContext(t.Context(), pragma); err != nil {
			t.Fatal(err)
		}
	}
	return s, path
}

// runFlood makes each writes of a kind from four goroutines, while
// readers goroutines read as the server does, and returns once all are
// done.
func runFlood(t *testing.T, s *Store, f *walFixture, readers, each int,
	write func(ctx context.Context, s *Store, f *walFixture, w, i int) error) {
	t.Helper()
	ctx := t.Context()
	done := make(chan struct{})
	var reads, writes sync.WaitGroup
	readUntil(t, &reads, done, readers, func() error { return f.read(ctx, s) })
	for w := range 4 {
		writes.Go(func() {
			for i := range each {
				if err := write(ctx, s, f, w, i); err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
			}
		})
	}
	writes.Wait()
	close(done)
	reads.Wait()
}

// readUntil starts n readers on wg, each calling read over and over until
// done is closed; a failed read fails tb and ends that reader.
func readUntil(tb testing.TB, wg *sync.WaitGroup, done <-chan struct{}, n int, read func() error) {
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := read(); err != nil {
					tb.Errorf("reading: %v", err)
					return
				}
			}
		})
	}
}

// wantWALBounded fails t when the WAL file of the store at path holds
// more than maxWALFrames frames after writes writes.
func wantWALBounded(t *testing.T, s *Store, path string, writes int) {
	t.Helper()
	var threshold int
	if err := s.write.QueryRowContext(t.Context(), `PRAGMA wal_autocheckpoint`).Scan(&threshold); err != nil || threshold != walThreshold {
		t.Fatalf("wal_autocheckpoint after the flood: got %d, %v, want %d", threshold, err, walThreshold)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	frames := fi.Size() / frameSize
	t.Logf("%d writes: a WAL of %d bytes, %d frames", writes, fi.Size(), frames)
	if frames > maxWALFrames {
		t.Errorf("after %d writes the WAL holds %d frames (%d bytes), want at most %d",
			writes, frames, fi.Size(), maxWALFrames)
	}
}

// walFixture is what a flood writes into and reads from.
type walFixture struct {
	room chat.Room
	user chat.User
}

// newWALFixture stores a room with 60 messages, a member, and rooms more
// rooms.
func newWALFixture(tb testing.TB, s *Store, rooms int) *walFixture {
	tb.Helper()
	f := &walFixture{room: storetest.MustCreateRoom(tb, s, "General"), user: storetest.MustCreateUser(tb, s)}
	storetest.MustAddMessages(tb, s, f.room.ID, 60)
	err := s.inTx(tb.Context(), func(tx *sql.Tx) error {
		for i := range rooms {
			name := fmt.Sprintf("Listed %d", i)
			if _, err := tx.Exec(`INSERT INTO rooms (name, name_key, created_at) VALUES (?, ?, 0)`, name, nameKey(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("storing %d rooms: %v", rooms, err)
	}
	return f
}

// listAll is more rooms than any fixture has, so that read lists them
// all in one statement, a read that lasts.
const listAll = 1 << 20

// read reads as the server does for the room list, a room's page, "Load
// older" and a catch-up. It lists every room at once, as the room list
// did before it came in pages, so that the readers are nearly always in
// the middle of a read.
func (f *walFixture) read(ctx context.Context, s *Store) error {
	if _, err := s.RoomsFor(ctx, 0, "", 0, listAll); err != nil {
		return err
	}
	if _, err := s.Room(ctx, f.room.ID); err != nil {
		return err
	}
	page, err := s.Before(ctx, f.room.ID, 0, 50)
	if err != nil {
		return err
	}
	if _, err := s.Before(ctx, f.room.ID, page.Oldest(), 50); err != nil {
		return err
	}
	if _, err := s.After(ctx, f.room.ID, page.Oldest(), 50); err != nil {
		return err
	}
	_, err = s.LastSeq(ctx, f.room.ID)
	return err
}

// BenchmarkWALFlood makes b.N writes from four goroutines while two
// others read as the server does, at SQLite's own thresholds, and reports
// the largest the WAL file grew (WAL-MB): CreateRoom alone, with
// boundWAL and without it (auto-checkpoint-only), and all four kinds of
// write in turn (mixed). Run it with -benchtime 30000x for the flood of
// boundWAL's comment.
func BenchmarkWALFlood(b *testing.B) {
	createRoom := func(ctx context.Context, s *Store, _ *walFixture, n int64) error {
		_, err := s.CreateRoom(ctx, fmt.Sprint("Room ", n), time.Now())
		return err
	}
	b.Run("CreateRoom", func(b *testing.B) { benchWALFlood(b, true, createRoom) })
	b.Run("CreateRoom-auto-checkpoint-only", func(b *testing.B) { benchWALFlood(b, false, createRoom) })
	b.Run("mixed", func(b *testing.B) {
		benchWALFlood(b, true, func(ctx context.Context, s *Store, f *walFixture, n int64) error {
			var err error
			switch n % 4 {
			case 0:
				_, err = s.CreateRoom(ctx, fmt.Sprint("Room ", n), time.Now())
			case 1:
				_, err = s.CreateUser(ctx)
			case 2:
				_, err = s.RenameUser(ctx, f.user.ID, fmt.Sprint("name ", n))
			case 3:
				_, _, err = s.AddMessage(ctx, chat.Message{
					Room: f.room.ID, Author: f.user, Body: "The quick brown fox jumps over the lazy dog.",
					Token: fmt.Sprint(n),
				})
			}
			return err
		})
	})
}

// benchWALFlood runs one flood of BenchmarkWALFlood, with boundWAL on if
// bound; write makes the nth write.
func benchWALFlood(b *testing.B, bound bool, write func(ctx context.Context, s *Store, f *walFixture, n int64) error) {
	path := filepath.Join(b.TempDir(), "hxchat.db")
	s, err := Open(b.Context(), path)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := b.Context()
	if !bound {
		s.walLimit = 0
	}
	f := newWALFixture(b, s, 0)
	var (
		next, peak atomic.Int64
		reads      sync.WaitGroup
		writes     sync.WaitGroup
		done       = make(chan struct{})
	)
	readUntil(b, &reads, done, 2, func() error { return f.read(ctx, s) })
	b.ResetTimer()
	for range 4 {
		writes.Go(func() {
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				if err := write(ctx, s, f, n); err != nil {
					b.Errorf("write %d: %v", n, err)
					return
				}
				if fi, err := os.Stat(path + "-wal"); err == nil {
					for p := peak.Load(); fi.Size() > p && !peak.CompareAndSwap(p, fi.Size()); p = peak.Load() {
					}
				}
			}
		})
	}
	writes.Wait()
	b.StopTimer()
	close(done)
	reads.Wait()
	b.ReportMetric(float64(peak.Load())/1e6, "WAL-MB")
}
