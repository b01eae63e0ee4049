package storetest

import (
	"fmt"
	"slices"
	"testing"

	"hxchat/chat"
)

func testBefore(t *testing.T, open func(t *testing.T) chat.Store) {
	s := open(t)
	room := MustCreateRoom(t, s, "Ten")
	stored := MustAddMessages(t, s, room.ID, 10)
	// Messages of another room must never leak into the pages.
	MustAddMessages(t, s, MustCreateRoom(t, s, "Other").ID, 3)
	empty := MustCreateRoom(t, s, "Empty")

	tests := []struct {
		name     string
		room     int64
		before   int64
		limit    int
		wantSeqs []int64
		wantMore bool
	}{
		{"newest page", room.ID, 0, 4, SeqRange(7, 10), true},
		{"negative before is newest", room.ID, -1, 4, SeqRange(7, 10), true},
		{"second page", room.ID, 7, 4, SeqRange(3, 6), true},
		{"last page, short", room.ID, 3, 4, SeqRange(1, 2), false},
		{"last page, exactly full", room.ID, 5, 4, SeqRange(1, 4), false},
		{"before the first", room.ID, 1, 4, SeqRange(1, 0), false},
		{"all at once", room.ID, 0, 10, SeqRange(1, 10), false},
		{"limit above count", room.ID, 0, 50, SeqRange(1, 10), false},
		{"before past the newest", room.ID, 100, 2, SeqRange(9, 10), true},
		{"zero limit", room.ID, 0, 0, SeqRange(1, 0), true},
		{"negative limit", room.ID, 0, -1, SeqRange(1, 0), true},
		{"empty room", empty.ID, 0, 4, SeqRange(1, 0), false},
		{"unknown room", empty.ID + 1000, 0, 4, SeqRange(1, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Before(t.Context(), tt.room, tt.before, tt.limit)
			if err != nil {
				t.Fatalf("Before(%d, %d): %v", tt.before, tt.limit, err)
			}
			if got := seqs(p.Messages); !slices.Equal(got, tt.wantSeqs) || p.More != tt.wantMore {
				t.Errorf("Before(%d, %d): got seqs %v more=%v, want %v more=%v",
					tt.before, tt.limit, got, p.More, tt.wantSeqs, tt.wantMore)
			}
			for _, m := range p.Messages {
				if d := messageDiff(m, stored[m.Seq-1]); d != "" {
					t.Errorf("message %d: %s", m.Seq, d)
				}
			}
		})
	}

	t.Run("WalkToTheStart", func(t *testing.T) {
		// Following Oldest from the newest page must visit every message
		// once, in order, and stop where More says so.
		var walked []int64
		var before int64
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("still paging after %d pages; More never turned false", pages)
			}
			p, err := s.Before(t.Context(), room.ID, before, 3)
			if err != nil {
				t.Fatalf("Before(%d, 3): %v", before, err)
			}
			walked = append(seqs(p.Messages), walked...)
			if !p.More {
				break
			}
			before = p.Oldest()
		}
		if want := SeqRange(1, 10); !slices.Equal(walked, want) {
			t.Errorf("pages joined: got %v, want %v", walked, want)
		}
	})
}

func testAfter(t *testing.T, open func(t *testing.T) chat.Store) {
	s := open(t)
	room := MustCreateRoom(t, s, "Ten")
	stored := MustAddMessages(t, s, room.ID, 10)
	MustAddMessages(t, s, MustCreateRoom(t, s, "Other").ID, 3)

	tests := []struct {
		room  int64
		after int64
		limit int
		want  []int64
	}{
		{room.ID, 0, 4, SeqRange(1, 4)},
		{room.ID, 4, 4, SeqRange(5, 8)},
		{room.ID, 8, 4, SeqRange(9, 10)},
		{room.ID, 10, 4, SeqRange(1, 0)},
		{room.ID, -5, 3, SeqRange(1, 3)},
		{room.ID, 0, 100, SeqRange(1, 10)},
		{room.ID, 0, 0, SeqRange(1, 0)},
		{room.ID, 0, -1, SeqRange(1, 0)},
		{room.ID + 1000, 0, 4, SeqRange(1, 0)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("room%d/after%d/limit%d", tt.room, tt.after, tt.limit), func(t *testing.T) {
			ms, err := s.After(t.Context(), tt.room, tt.after, tt.limit)
			if err != nil {
				t.Fatalf("After: %v", err)
			}
			if got := seqs(ms); !slices.Equal(got, tt.want) {
				t.Errorf("After(%d, %d): got seqs %v, want %v", tt.after, tt.limit, got, tt.want)
			}
			for _, m := range ms {
				if d := messageDiff(m, stored[m.Seq-1]); d != "" {
					t.Errorf("message %d: %s", m.Seq, d)
				}
			}
		})
	}
}

func testLastSeq(t *testing.T, open func(t *testing.T) chat.Store) {
	s := open(t)
	a, b := MustCreateRoom(t, s, "A"), MustCreateRoom(t, s, "B")
	MustAddMessages(t, s, a.ID, 3)
	MustAddMessages(t, s, b.ID, 1)
	empty := MustCreateRoom(t, s, "Empty")
	tests := []struct {
		name string
		room int64
		want int64
	}{
		{"A", a.ID, 3},
		{"B", b.ID, 1},
		{"empty", empty.ID, 0},
		{"unknown", empty.ID + 1000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := s.LastSeq(t.Context(), tt.room); err != nil || got != tt.want {
				t.Errorf("LastSeq: got %d, %v, want %d", got, err, tt.want)
			}
		})
	}
}
