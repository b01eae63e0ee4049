package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
)

func testConcurrency(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("SeqHasNoGapOrDuplicate", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "Busy")
		const writers, each = 8, 50
		got := make([][]int64, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					m := newMessage(room.ID, w*each+i)
					stored, dup, err := s.AddMessage(t.Context(), m)
					if err != nil || dup {
						t.Errorf("writer %d, message %d: got duplicate=%v, %v", w, i, dup, err)
						return
					}
					got[w] = append(got[w], stored.Seq)
				}
			})
		}
		wg.Wait()
		all := slices.Concat(got...)
		slices.Sort(all)
		if want := SeqRange(1, writers*each); !slices.Equal(all, want) {
			t.Errorf("seqs of %d concurrent messages: got %v, want 1..%d once each", len(want), all, len(want))
		}
		for w, ws := range got {
			if !slices.IsSorted(ws) {
				t.Errorf("writer %d saw seqs out of order: %v", w, ws)
			}
		}
		if last, err := s.LastSeq(t.Context(), room.ID); err != nil || last != writers*each {
			t.Errorf("LastSeq: got %d, %v, want %d", last, err, writers*each)
		}
	})

	t.Run("SameTokenStoredOnce", func(t *testing.T) {
		// A form resent while the first send is still being stored.
		s := open(t)
		room := MustCreateRoom(t, s, "General")
		const senders = 8
		stored := make([]chat.Message, senders)
		dups := make([]bool, senders)
		var wg sync.WaitGroup
		for i := range senders {
			wg.Go(func() {
				m := newMessage(room.ID, 0)
				var err error
				if stored[i], dups[i], err = s.AddMessage(t.Context(), m); err != nil {
					t.Errorf("sender %d: AddMessage: %v", i, err)
				}
			})
		}
		wg.Wait()
		if n := len(slices.DeleteFunc(slices.Clone(dups), func(d bool) bool { return d })); n != 1 {
			t.Errorf("got %d senders told their message is new, want exactly 1", n)
		}
		for i, m := range stored {
			if m.ID != stored[0].ID || m.Seq != 1 {
				t.Errorf("sender %d got message %d seq %d, sender 0 got %d seq %d, want one message with seq 1",
					i, m.ID, m.Seq, stored[0].ID, stored[0].Seq)
			}
		}
	})

	t.Run("SameRoomNameCreatedOnce", func(t *testing.T) {
		s := open(t)
		// One name in many spellings, so the race is on the folded name.
		names := []string{"Lobby", "LOBBY", "lobby", "lObBy", "LoBbY", "lobbY", "Lobby", "LOBBY"}
		creators := len(names)
		codes := make([]chat.Code, creators)
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() {
				_, err := s.CreateRoom(t.Context(), name, t0)
				codes[i] = chat.ErrorCode(err)
			})
		}
		wg.Wait()
		var created, conflicts int
		for i, c := range codes {
			switch c {
			case "":
				created++
			case chat.Conflict:
				conflicts++
			default:
				t.Errorf("creator %d: got code %q, want none or %q", i, c, chat.Conflict)
			}
		}
		if created != 1 || conflicts != creators-1 {
			t.Errorf("got %d rooms created and %d conflicts, want 1 and %d", created, conflicts, creators-1)
		}
	})

	t.Run("UsersGetDistinctIDs", func(t *testing.T) {
		s := open(t)
		const creators = 8
		users := make([]chat.User, creators)
		var wg sync.WaitGroup
		for i := range creators {
			wg.Go(func() {
				var err error
				if users[i], err = s.CreateUser(t.Context()); err != nil {
					t.Errorf("creator %d: CreateUser: %v", i, err)
				}
			})
		}
		wg.Wait()
		seen := map[int64]bool{}
		for _, u := range users {
			if seen[u.ID] || u.Name != fmt.Sprintf("member%d", u.ID) {
				t.Errorf("got %+v among %v, want distinct IDs each named after itself", u, users)
			}
			seen[u.ID] = true
		}
	})
}
