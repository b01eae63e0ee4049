package sqlite_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
	"hxchat/store/storetest"
)

// posters is enough concurrent AddMessage calls for the committer to
// write many in a transaction, more than the contract suite's eight.
const posters = 64

// TestGroupCommitSeqs is many posters into one room, their messages
// written many to a transaction: the seqs must still be 1..N, once each,
// and what each poster was told must be what is stored.
func TestGroupCommitSeqs(t *testing.T) {
	s := MustOpen(t, tempPath(t))
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
	told := map[int64]chat.Message{}
	for _, ms := range got {
		for _, m := range ms {
			told[m.Seq] = m
		}
	}
	stored, err := s.After(t.Context(), room.ID, 0, posters*each+1)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	var seqs []int64
	for _, m := range stored {
		seqs = append(seqs, m.Seq)
		if tm := told[m.Seq]; tm.ID != m.ID || tm.Body != m.Body {
			t.Errorf("seq %d: stored ID %d %q, poster was told ID %d %q", m.Seq, m.ID, m.Body, tm.ID, tm.Body)
		}
	}
	if want := storetest.SeqRange(1, posters*each); !slices.Equal(seqs, want) || len(told) != len(want) {
		t.Errorf("seqs: stored %v, %d told, want 1..%d once each", seqs, len(told), len(want))
	}
}

// TestGroupCommitResends is every message sent twice at once, as a form
// resent while the first send is being stored: the two often share a
// transaction, and must still make one message, one of them told it is
// a duplicate of the other.
func TestGroupCommitResends(t *testing.T) {
	s := MustOpen(t, tempPath(t))
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

// TestGroupCommitUnknownRoom is posts to rooms that exist and to one that
// does not, at once: only the posts to the missing room fail.
func TestGroupCommitUnknownRoom(t *testing.T) {
	s := MustOpen(t, tempPath(t))
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
