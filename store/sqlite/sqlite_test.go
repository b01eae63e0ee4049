package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/store/sqlite"
	"hxchat/store/storetest"
)

// MustOpen opens the store at path, closed when tb ends, or fails tb.
func MustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// tempPath returns the path of a database file in a fresh directory.
func tempPath(tb testing.TB) string { return filepath.Join(tb.TempDir(), "hxchat.db") }

func TestStore(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) chat.Store { return MustOpen(t, tempPath(t)) })
	})
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) chat.Store { return MustOpen(t, sqlite.Memory) })
	})
}

// TestTimeNanoseconds checks what the contract leaves at microseconds:
// SQLite keeps every nanosecond.
func TestTimeNanoseconds(t *testing.T) {
	s := MustOpen(t, tempPath(t))
	at := time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.FixedZone("X", -7*3600))
	room, err := s.CreateRoom(t.Context(), "General", at)
	if err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	m := storetest.MustAddMessage(t, s, chat.Message{Room: room.ID, Body: "hi", Token: "t", CreatedAt: at})
	got, err := s.After(t.Context(), room.ID, 0, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("After: got %v, %v, want one message", got, err)
	}
	for what, tm := range map[string]time.Time{"room": room.CreatedAt, "message": m.CreatedAt, "read back": got[0].CreatedAt} {
		if !tm.Equal(at) || tm.Nanosecond() != at.Nanosecond() || tm.Location() != time.UTC {
			t.Errorf("%s: got %v, want %v in UTC", what, tm, at)
		}
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := tempPath(t)
	first := MustOpen(t, path)
	room := storetest.MustCreateRoom(t, first, "General")
	user := storetest.MustCreateUser(t, first)
	msgs := storetest.MustAddMessages(t, first, room.ID, 3)
	secret, err := first.Secret(t.Context(), "cookie", func() ([]byte, error) { return []byte("s3cret"), nil })
	if err != nil {
		t.Fatalf("Secret: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Opening twice more runs the migrations twice more: both must find
	// nothing to do.
	MustOpen(t, path).Close()
	s := MustOpen(t, path)
	if got, err := s.Room(t.Context(), room.ID); err != nil || got.Name != room.Name {
		t.Errorf("Room after reopen: got %+v, %v, want %+v", got, err, room)
	}
	if last, err := s.LastSeq(t.Context(), room.ID); err != nil || last != msgs[len(msgs)-1].Seq {
		t.Errorf("LastSeq after reopen: got %d, %v, want %d", last, err, msgs[len(msgs)-1].Seq)
	}
	if next := storetest.MustAddMessage(t, s, chat.Message{Room: room.ID, Body: "again", Token: "again"}); next.Seq != 4 {
		t.Errorf("AddMessage after reopen: got seq %d, want 4", next.Seq)
	}
	if u := storetest.MustCreateUser(t, s); u.ID <= user.ID {
		t.Errorf("CreateUser after reopen: got ID %d, want above %d", u.ID, user.ID)
	}
	got, err := s.Secret(t.Context(), "cookie", func() ([]byte, error) { return []byte("other"), nil })
	if err != nil || string(got) != string(secret) {
		t.Errorf("Secret after reopen: got %q, %v, want %q", got, err, secret)
	}

	wantVersionsOnce(t, path)
}

// wantVersionsOnce fails t unless the file at path records every
// migration in migrations/ as applied exactly once.
func wantVersionsOnce(t *testing.T, path string) {
	t.Helper()
	rows, err := mustRawDB(t, path).QueryContext(t.Context(), storetest.VersionsQuery)
	if err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	defer rows.Close()
	storetest.WantVersionsOnce(t, rows)
}

// TestOpenNewFileConcurrently is several instances started together on
// a file that does not exist yet: each must come up, and the schema be
// created once.
func TestOpenNewFileConcurrently(t *testing.T) {
	t.Parallel() // goose backs off a whole second when it loses the race
	path := tempPath(t)
	const instances = 4
	stores := make([]*sqlite.Store, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Errorf("instance %d: Open: %v", i, err)
				return
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, s := range stores {
		if _, err := s.CreateRoom(t.Context(), fmt.Sprint("Room ", i), time.Now()); err != nil {
			t.Errorf("instance %d: CreateRoom: %v", i, err)
		}
	}
	wantVersionsOnce(t, path)
}

func TestJournalModeIsWAL(t *testing.T) {
	path := tempPath(t)
	MustOpen(t, path)
	var mode string
	if err := mustRawDB(t, path).QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode: got %q, want wal", mode)
	}
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		wantText string
		wantIs   error
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "hxchat.db"), `directory "` + filepath.Join(dir, "no", "such") + `" does not exist`, fs.ErrNotExist},
		{"parent is a file", filepath.Join(file, "hxchat.db"), "is not a directory", nil},
		{"empty", "", "path is empty", nil},
		{"question mark", filepath.Join(dir, "a?b.db"), "must not contain '?'", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): got no error, want one saying %q", tt.path, tt.wantText)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Open(%q): got %q, want it to say %q", tt.path, err, tt.wantText)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Open(%q): got %v, want it to wrap %v", tt.path, err, tt.wantIs)
			}
		})
	}
}

// TestTwoStoresOneFile is two hxchat processes sharing a file: their
// writers meet in SQLite's lock, not in one Go pool, and must still agree
// on seq.
func TestTwoStoresOneFile(t *testing.T) {
	path := tempPath(t)
	stores := []*sqlite.Store{MustOpen(t, path), MustOpen(t, path)}
	room := storetest.MustCreateRoom(t, stores[0], "Shared")
	const writers, each = 8, 25
	var (
		mu   sync.Mutex
		seqs []int64
		wg   sync.WaitGroup
	)
	for w := range writers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			for i := range each {
				m, dup, err := s.AddMessage(t.Context(), chat.Message{
					Room: room.ID, Body: "hi", Token: fmt.Sprintf("w%d-%d", w, i),
				})
				if err != nil || dup {
					t.Errorf("writer %d: AddMessage: duplicate=%v, %v", w, dup, err)
					return
				}
				mu.Lock()
				seqs = append(seqs, m.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(seqs)
	if want := storetest.SeqRange(1, writers*each); !slices.Equal(seqs, want) {
		t.Errorf("seqs from two stores: got %v, want 1..%d once each", seqs, writers*each)
	}
}

// mustRawDB opens path with the bare driver, to look at what the store
// wrote from outside it.
func mustRawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
