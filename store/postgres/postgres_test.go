package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
	"hxchat/store/postgres"
	"hxchat/store/postgres/pgtest"
	"hxchat/store/storetest"
)

// MustOpen opens the store at dbURL, closed when tb ends, or fails tb.
func MustOpen(tb testing.TB, dbURL string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), dbURL)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestStore runs the contract suite, each subtest in a fresh schema. It
// took 33 s under -race on a 2-vCPU VM busy with other work, 14 s of it
// the Directory group (13 s for the rest on a quiet one); -short (make
// check) leaves it to the SQLite store's run of the same suite.
func TestStore(t *testing.T) {
	if testing.Short() {
		t.Skip("the store contract suite on PostgreSQL: -short leaves it out")
	}
	pgtest.ServerURL(t)
	storetest.Run(t, func(t *testing.T) chat.Store { return MustOpen(t, pgtest.Schema(t)) })
}

// TestTwoInstancesAgreeOnSeq is two hxchat instances, each with its own
// pool, posting into one room at once: the Seqs must be 1..N, each once,
// and each writer must see its own in increasing order.
func TestTwoInstancesAgreeOnSeq(t *testing.T) {
	dbURL := pgtest.Schema(t)
	stores := []*postgres.Store{MustOpen(t, dbURL), MustOpen(t, dbURL)}
	room := storetest.MustCreateRoom(t, stores[0], "Shared")
	const writers, each = 8, 40
	got := make([][]int64, writers)
	var wg sync.WaitGroup
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
				got[w] = append(got[w], m.Seq)
			}
		})
	}
	wg.Wait()
	all := slices.Concat(got...)
	slices.Sort(all)
	if want := storetest.SeqRange(1, writers*each); !slices.Equal(all, want) {
		t.Errorf("seqs from two pools: got %v, want 1..%d once each", all, writers*each)
	}
	for w, ws := range got {
		if !slices.IsSorted(ws) {
			t.Errorf("writer %d saw its seqs out of order: %v", w, ws)
		}
	}
	for i, s := range stores {
		if last, err := s.LastSeq(t.Context(), room.ID); err != nil || last != writers*each {
			t.Errorf("instance %d: LastSeq: got %d, %v, want %d", i, last, err, writers*each)
		}
	}
}

// TestFailedPostGivesSeqBack checks that nothing but a stored message
// moves a room's counter: a duplicate token, a body the server refuses
// and a post to another room all leave the next Seq where it was, so that
// no hub ever waits for a Seq that does not exist.
func TestFailedPostGivesSeqBack(t *testing.T) {
	dbURL := pgtest.Schema(t)
	// Two instances, so that the resends cross pools.
	a, b := MustOpen(t, dbURL), MustOpen(t, dbURL)
	room := storetest.MustCreateRoom(t, a, "General")
	other := storetest.MustCreateRoom(t, a, "Other")
	first := storetest.MustAddMessage(t, a, chat.Message{Room: room.ID, Body: "first", Token: "tok1"})

	tests := []struct {
		name     string
		store    *postgres.Store
		m        chat.Message
		wantCode chat.Code // "" for success
		wantDup  bool
		wantSeq  int64
	}{
		{"resend on the other instance", b, chat.Message{Room: room.ID, Body: "first", Token: "tok1"}, "", true, 1},
		{"resend on the same instance", a, chat.Message{Room: room.ID, Body: "first", Token: "tok1"}, "", true, 1},
		// PostgreSQL text cannot hold NUL: the INSERT fails after the
		// UPDATE took a Seq.
		{"body the server refuses", a, chat.Message{Room: room.ID, Body: "a\x00b", Token: "tok2"}, chat.Internal, false, 0},
		{"unknown room", b, chat.Message{Room: other.ID + 1000, Body: "x", Token: "tok3"}, chat.NotFound, false, 0},
		{"another room", b, chat.Message{Room: other.ID, Body: "x", Token: "tok4"}, "", false, 1},
		{"next post", b, chat.Message{Room: room.ID, Body: "second", Token: "tok5"}, "", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dup, err := tt.store.AddMessage(t.Context(), tt.m)
			if code := chat.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("AddMessage: got error %v (code %q), want code %q", err, code, tt.wantCode)
			}
			if err != nil {
				return
			}
			if dup != tt.wantDup || got.Seq != tt.wantSeq {
				t.Errorf("AddMessage: got seq %d duplicate=%v, want seq %d duplicate=%v", got.Seq, dup, tt.wantSeq, tt.wantDup)
			}
			if tt.wantDup && got.ID != first.ID {
				t.Errorf("resend: got message %d, want the first one, %d", got.ID, first.ID)
			}
		})
	}
	if last, err := a.LastSeq(t.Context(), room.ID); err != nil || last != 2 {
		t.Errorf("LastSeq: got %d, %v, want 2", last, err)
	}
}

// TestResendRaceAcrossInstances is one form sent through two instances at
// the same moment (htmx flushing its queue after a reconnect while the
// first send is still being stored): one message, and the next post
// still gets Seq 2.
func TestResendRaceAcrossInstances(t *testing.T) {
	dbURL := pgtest.Schema(t)
	stores := []*postgres.Store{MustOpen(t, dbURL), MustOpen(t, dbURL)}
	room := storetest.MustCreateRoom(t, stores[0], "General")
	const senders = 8
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			m, dup, err := stores[i%2].AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "hi", Token: "same"})
			if err != nil || m.Seq != 1 {
				t.Errorf("sender %d: got seq %d, %v, want seq 1", i, m.Seq, err)
			}
			if !dup {
				fresh.Add(1)
			}
		})
	}
	wg.Wait()
	if n := fresh.Load(); n != 1 {
		t.Errorf("got %d senders told their message is new, want 1", n)
	}
	if m := storetest.MustAddMessage(t, stores[1], chat.Message{Room: room.ID, Body: "next", Token: "next"}); m.Seq != 2 {
		t.Errorf("next post: got seq %d, want 2", m.Seq)
	}
}

// TestMigrationsIdempotent opens a schema again and again, and from
// several instances at once on a fresh one: every start must come up, and
// every migration be recorded as applied exactly once.
func TestMigrationsIdempotent(t *testing.T) {
	t.Run("Reopen", func(t *testing.T) {
		dbURL := pgtest.Schema(t)
		first := MustOpen(t, dbURL)
		room := storetest.MustCreateRoom(t, first, "General")
		storetest.MustAddMessages(t, first, room.ID, 3)
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		MustOpen(t, dbURL).Close()
		s := MustOpen(t, dbURL)
		if m := storetest.MustAddMessage(t, s, chat.Message{Room: room.ID, Body: "again", Token: "again"}); m.Seq != 4 {
			t.Errorf("AddMessage after reopening: got seq %d, want 4", m.Seq)
		}
		wantVersionsOnce(t, dbURL)
	})
	t.Run("ConcurrentStarts", func(t *testing.T) {
		dbURL := pgtest.Schema(t)
		const instances = 4
		stores := make([]*postgres.Store, instances)
		var wg sync.WaitGroup
		for i := range instances {
			wg.Go(func() {
				s, err := postgres.Open(t.Context(), dbURL)
				if err != nil {
					t.Errorf("instance %d: Open: %v", i, err)
					return
				}
				stores[i] = s
			})
		}
		wg.Wait()
		for i, s := range stores {
			if s == nil {
				continue
			}
			t.Cleanup(func() { s.Close() })
			if _, err := s.CreateRoom(t.Context(), fmt.Sprint("Room ", i), time.Now()); err != nil {
				t.Errorf("instance %d: CreateRoom: %v", i, err)
			}
		}
		wantVersionsOnce(t, dbURL)
	})
}

// wantVersionsOnce fails t unless the schema of dbURL records every
// migration file as applied exactly once.
func wantVersionsOnce(t *testing.T, dbURL string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), storetest.VersionsQuery)
	if err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	defer rows.Close()
	storetest.WantVersionsOnce(t, rows)
}

// TestDatabaseDown cuts every connection to PostgreSQL: a post must fail
// with code Unavailable and the sentence the sender sees, store nothing,
// and work again once the database is back.
func TestDatabaseDown(t *testing.T) {
	dbURL := pgtest.Schema(t)
	proxy, viaProxy := pgtest.NewProxy(t, dbURL)
	s := MustOpen(t, viaProxy)
	room := storetest.MustCreateRoom(t, s, "General")
	storetest.MustAddMessage(t, s, chat.Message{Room: room.ID, Body: "before", Token: "before"})

	proxy.Cut()
	start := time.Now()
	_, _, err := s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: "during", Token: "during"})
	if e := chat.AsError(err); e == nil || e.Reason != chat.NotStored {
		t.Errorf("AddMessage with the database down: got %v (code %q), want reason %q, which tells the sender to send again",
			err, chat.ErrorCode(err), chat.NotStored)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("AddMessage with the database down took %v; a refused connection should fail at once", d)
	}
	if err := s.Ping(t.Context()); chat.ErrorCode(err) != chat.Unavailable {
		t.Errorf("Ping with the database down: got %v, want code %q", err, chat.Unavailable)
	}
	if _, err := s.After(t.Context(), room.ID, 0, 10); chat.ErrorCode(err) != chat.Unavailable {
		t.Errorf("After with the database down: got %v, want code %q", err, chat.Unavailable)
	}

	proxy.Restore()
	m := storetest.MustAddMessage(t, s, chat.Message{Room: room.ID, Body: "after", Token: "after"})
	if m.Seq != 2 {
		t.Errorf("first post after the outage: got seq %d, want 2 (nothing stored during it)", m.Seq)
	}
}

// TestOpenErrors checks that a wrong database URL fails at start with a
// message saying what is wrong, without the password.
func TestOpenErrors(t *testing.T) {
	server := pgtest.ServerURL(t)
	withDB := func(name string) string {
		u, err := url.Parse(server)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	tests := []struct {
		name     string
		url      string
		wantText []string
	}{
		{"closed port", "postgres://hxchat:s3cret@127.0.0.1:1/hxchat?connect_timeout=2", []string{"cannot reach the database at postgres://hxchat:xxxxx@127.0.0.1:1/hxchat", "connection refused"}},
		{"not a URL", "host=127.0.0.1 dbname=test", []string{"is not a postgres:// URL"}},
		{"bad option", "postgres://127.0.0.1/test?pool_max_conns=lots", []string{"pool_max_conns"}},
		{"unknown database", withDB("no_such_database_hxchat"), []string{"cannot reach the database", "no_such_database_hxchat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), tt.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): got no error", tt.url)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%q): got %q, want it to say %q", tt.url, err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open(%q): the error shows the password: %q", tt.url, err)
			}
		})
	}
}
