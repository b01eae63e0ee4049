package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
	"hxchat/store/postgres"
	"hxchat/store/postgres/pgtest"
	"hxchat/store/storetest"
)

// posters is enough concurrent AddMessage calls for the committer to
// write many in a transaction, more than the contract suite's eight.
const posters = 64

// TestGroupCommitSeqs is many posters into one room, their messages
// written many to a transaction: the seqs must still be 1..N, once each,
// and what each poster was told must be what is stored.
func TestGroupCommitSeqs(t *testing.T) {
	s := MustOpen(t, pgtest.Schema(t))
	room := storetest.MustCreateRoom(t, s, "Busy")
	const each = 20
	got := make([][]chat.Message, posters)
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				m := chat.Message{Room: room.ID, Body: fmt.Sprint(p, "-", i), Token: fmt.Sprint(p, "-", i)}
				stored, dup, err := s.AddMessage(t.Context(), m)
				if err != nil || dup {
					t.Errorf("poster %d, message %d: got duplicate=%v, %v", p, i, dup, err)
					return
				}
				got[p] = append(got[p], stored)
			}
		})
	}
	wg.Wait()
	wantTold(t, s, room.ID, slices.Concat(got...), posters*each)
}

// wantTold fails t unless room holds exactly the messages told, with
// Seqs 1..n, each as its poster was told.
func wantTold(t *testing.T, s chat.Store, room int64, told []chat.Message, n int) {
	t.Helper()
	bySeq := map[int64]chat.Message{}
	for _, m := range told {
		bySeq[m.Seq] = m
	}
	stored, err := s.After(t.Context(), room, 0, n+1)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	var seqs []int64
	for _, m := range stored {
		seqs = append(seqs, m.Seq)
		if tm := bySeq[m.Seq]; tm.ID != m.ID || tm.Body != m.Body {
			t.Errorf("room %d, seq %d: stored ID %d %q, poster was told ID %d %q", room, m.Seq, m.ID, m.Body, tm.ID, tm.Body)
		}
	}
	if want := storetest.SeqRange(1, int64(n)); !slices.Equal(seqs, want) || len(bySeq) != n || len(told) != n {
		t.Errorf("room %d: stored seqs %v, %d told (%d distinct), want 1..%d once each", room, seqs, len(told), len(bySeq), n)
	}
	if last, err := s.LastSeq(t.Context(), room); err != nil || last != int64(n) {
		t.Errorf("room %d: LastSeq: got %d, %v, want %d", room, last, err, n)
	}
}

// TestGroupCommitResends is every message sent twice at once, as a form
// resent while the first send is being stored: the two often share a
// transaction, and must still make one message, one of them told it is
// a duplicate of the other.
func TestGroupCommitResends(t *testing.T) {
	s := MustOpen(t, pgtest.Schema(t))
	room := storetest.MustCreateRoom(t, s, "General")
	type outcome struct {
		m   chat.Message
		dup bool
	}
	got := make([][2]outcome, posters)
	var wg sync.WaitGroup
	for p := range posters {
		for c := range 2 {
			wg.Go(func() {
				m := chat.Message{Room: room.ID, Body: "hi", Token: fmt.Sprint(p)}
				stored, dup, err := s.AddMessage(t.Context(), m)
				if err != nil {
					t.Errorf("message %d, copy %d: AddMessage: %v", p, c, err)
				}
				got[p][c] = outcome{stored, dup}
			})
		}
	}
	wg.Wait()
	for p, pair := range got {
		if pair[0].dup == pair[1].dup || pair[0].m.ID != pair[1].m.ID || pair[0].m.Seq != pair[1].m.Seq {
			t.Errorf("message %d: got %+v, want one message, one copy told it is a duplicate", p, pair)
		}
	}
	if last, err := s.LastSeq(t.Context(), room.ID); err != nil || last != posters {
		t.Errorf("LastSeq: got %d, %v, want %d", last, err, posters)
	}
}

// TestGroupCommitUnknownRoom is posts to a room that exists and to one
// that does not, at once: only the posts to the missing room fail.
func TestGroupCommitUnknownRoom(t *testing.T) {
	s := MustOpen(t, pgtest.Schema(t))
	room := storetest.MustCreateRoom(t, s, "General")
	missing := room.ID + 1
	errs := make([]error, posters)
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			m := chat.Message{Room: room.ID, Body: "hi", Token: fmt.Sprint(p)}
			if p%4 == 0 {
				m.Room = missing
			}
			_, _, errs[p] = s.AddMessage(t.Context(), m)
		})
	}
	wg.Wait()
	for p, err := range errs {
		want := chat.Code("")
		if p%4 == 0 {
			want = chat.NotFound
		}
		if got := chat.ErrorCode(err); got != want {
			t.Errorf("post %d: got %v, want code %q", p, err, want)
		}
	}
	if last, err := s.LastSeq(t.Context(), room.ID); err != nil || last != posters*3/4 {
		t.Errorf("LastSeq: got %d, %v, want %d", last, err, posters*3/4)
	}
}

// TestTwoInstancesCrossRooms is two instances whose posters write into
// the same two rooms, those of one instance first into one room and then
// the other, those of the other instance the other way round, so that
// each instance's batches hold messages of both rooms while the other's
// do too. Were the rooms locked in arrival order, two batches would soon
// each hold one room and wait for the other; PostgreSQL would abort one
// as a deadlock. Every post must succeed, and each room's Seqs be
// 1..N, once each, as their posters were told.
func TestTwoInstancesCrossRooms(t *testing.T) {
	dbURL := pgtest.Schema(t)
	stores := []*postgres.Store{MustOpen(t, dbURL), MustOpen(t, dbURL)}
	// Rooms 12 IDs apart, so that one committer of each instance writes
	// both, whether an instance runs 1, 2, 3, 4, 6 or 12: each batch then
	// holds messages of both rooms.
	var rooms []chat.Room
	for i := range 13 {
		r := storetest.MustCreateRoom(t, stores[0], fmt.Sprint("Room ", i))
		if i == 0 || i == 12 {
			rooms = append(rooms, r)
		}
	}
	const perInstance, each = 32, 20
	got := make([][]chat.Message, 2*perInstance)
	var wg sync.WaitGroup
	for p := range got {
		instance := p % 2
		s := stores[instance]
		wg.Go(func() {
			for i := range each {
				room := rooms[(i+instance)%2]
				m := chat.Message{Room: room.ID, Body: fmt.Sprint(p, "-", i), Token: fmt.Sprint(p, "-", i)}
				stored, dup, err := s.AddMessage(t.Context(), m)
				if err != nil || dup {
					t.Errorf("instance %d, poster %d, message %d: got duplicate=%v, %v", instance, p, i, dup, err)
					return
				}
				got[p] = append(got[p], stored)
			}
		})
	}
	wg.Wait()
	for _, room := range rooms {
		told := slices.DeleteFunc(slices.Concat(got...), func(m chat.Message) bool { return m.Room != room.ID })
		wantTold(t, stores[1], room.ID, told, len(got)*each/2)
	}
}
