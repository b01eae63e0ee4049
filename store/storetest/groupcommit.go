package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
)

// testManyPosters is what the stores' group commit must keep true:
// posters, enough of them at once that many messages share a
// transaction, still get what they would one at a time.
func testManyPosters(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("SeqsAsTold", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "Busy")
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
		WantTold(t, s, room.ID, slices.Concat(got...), posters*each)
	})

	t.Run("ResendsStoredOnce", func(t *testing.T) {
		// Every message sent twice at once, as a form resent while the
		// first send is being stored: the two often share a transaction.
		s := open(t)
		room := MustCreateRoom(t, s, "General")
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
	})

	t.Run("UnknownRoomFailsAlone", func(t *testing.T) {
		// Posts to a room that exists and to one that does not, at once:
		// only the posts to the missing room fail.
		s := open(t)
		room := MustCreateRoom(t, s, "General")
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
	})
}

// WantTold fails t unless room holds exactly the messages told, with
// Seqs 1..n, each as its poster was told.
func WantTold(t *testing.T, s chat.Store, room int64, told []chat.Message, n int) {
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
	if want := SeqRange(1, int64(n)); !slices.Equal(seqs, want) || len(bySeq) != n || len(told) != n {
		t.Errorf("room %d: stored seqs %v, %d told (%d distinct), want 1..%d once each", room, seqs, len(told), len(bySeq), n)
	}
	if last, err := s.LastSeq(t.Context(), room); err != nil || last != int64(n) {
		t.Errorf("room %d: LastSeq: got %d, %v, want %d", room, last, err, n)
	}
}
