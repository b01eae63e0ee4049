package storetest

import (
	"testing"
	"time"

	"hxchat/chat"
)

func testMessages(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("SeqPerRoom", func(t *testing.T) {
		s := open(t)
		rooms := []chat.Room{MustCreateRoom(t, s, "A"), MustCreateRoom(t, s, "B")}
		// Interleaved, so that a counter shared by rooms would show.
		steps := []struct {
			room    int
			wantSeq int64
		}{{0, 1}, {0, 2}, {1, 1}, {0, 3}, {1, 2}}
		ids := map[int64]bool{}
		for i, st := range steps {
			in := newMessage(rooms[st.room].ID, i)
			got := MustAddMessage(t, s, in)
			if got.ID <= 0 || ids[got.ID] {
				t.Errorf("message %d: got ID %d, want a positive ID no other message has", i, got.ID)
			}
			ids[got.ID] = true
			want := in
			want.ID, want.Seq = got.ID, st.wantSeq
			if d := messageDiff(got, want); d != "" {
				t.Errorf("message %d to room %s: %s", i, rooms[st.room].Name, d)
			}
		}
	})

	t.Run("AuthorNameIsCurrent", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "General")
		u := MustCreateUser(t, s)
		renamed, err := s.RenameUser(t.Context(), u.ID, "ann")
		if err != nil {
			t.Fatal(err)
		}
		in := newMessage(room.ID, 0)
		in.Author = u // still carries the old name, as a socket opened earlier would
		if got := MustAddMessage(t, s, in); got.Author != renamed {
			t.Errorf("author = %+v, want the current %+v", got.Author, renamed)
		}
		page, err := s.Before(t.Context(), room.ID, 0, 10)
		if err != nil || len(page.Messages) != 1 || page.Messages[0].Author != renamed {
			t.Errorf("stored page = %+v, %v; want one message by %+v", page, err, renamed)
		}
	})

	t.Run("DuplicateToken", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "General")
		first := MustAddMessage(t, s, newMessage(room.ID, 0))

		resend := newMessage(room.ID, 1)
		resend.Token = first.Token
		resend.Author = chat.User{ID: 2, Name: "member2"}
		got, dup, err := s.AddMessage(t.Context(), resend)
		if err != nil || !dup {
			t.Fatalf("AddMessage of a used token: got duplicate=%v, %v, want true, nil", dup, err)
		}
		if d := messageDiff(got, first); d != "" {
			t.Errorf("AddMessage of a used token: %s", d)
		}
		stored, err := s.After(t.Context(), room.ID, 0, 10)
		if err != nil || len(stored) != 1 {
			t.Fatalf("After: got %d messages, %v, want only the first", len(stored), err)
		}
		if d := messageDiff(stored[0], first); d != "" {
			t.Errorf("After: %s", d)
		}

		// Tokens are unique per room, not across rooms.
		other := MustCreateRoom(t, s, "Other")
		elsewhere := newMessage(other.ID, 0)
		elsewhere.Token = first.Token
		if got := MustAddMessage(t, s, elsewhere); got.Seq != 1 {
			t.Errorf("same token in another room: got seq %d, want 1", got.Seq)
		}
	})

	t.Run("EmptyTokenNeverDuplicate", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "General")
		for i, want := range []int64{1, 2} {
			m := newMessage(room.ID, i)
			m.Token = ""
			if got := MustAddMessage(t, s, m); got.Seq != want || got.Token != "" {
				t.Errorf("message %d without token: got seq %d token %q, want seq %d and no token", i, got.Seq, got.Token, want)
			}
		}
	})

	t.Run("UnknownRoom", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "General")
		_, _, err := s.AddMessage(t.Context(), newMessage(room.ID+1000, 0))
		wantError(t, "AddMessage to an unknown room", err, chat.Error{Reason: chat.NoRoom})
	})

	t.Run("ZeroCreatedAtIsNow", func(t *testing.T) {
		s := open(t)
		room := MustCreateRoom(t, s, "General")
		m := newMessage(room.ID, 0)
		m.CreatedAt = time.Time{}
		got := MustAddMessage(t, s, m)
		// Generous: the clock may be a database server's, not ours.
		if d := time.Since(got.CreatedAt).Abs(); d > time.Minute || got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt: got %v, want about now, in UTC", got.CreatedAt)
		}
	})
}

func testTimes(t *testing.T, open func(t *testing.T) chat.Store) {
	tests := []struct {
		name string
		at   time.Time
	}{
		{"UTC", t0},
		{"other zone", t0.In(time.FixedZone("IST", 5*3600+1800))},
		{"before 1970", time.Date(1969, time.July, 20, 20, 17, 40, 123456000, time.UTC)},
		{"far future", time.Date(2199, time.December, 31, 23, 59, 59, 999999000, time.UTC)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			r, err := s.CreateRoom(t.Context(), "General", tt.at)
			if err != nil {
				t.Fatalf("CreateRoom: %v", err)
			}
			if got, err := s.Room(t.Context(), r.ID); err != nil || !sameTime(got.CreatedAt, tt.at) {
				t.Errorf("Room: got CreatedAt %v, %v, want %v in UTC", got.CreatedAt, err, tt.at)
			}
			m := newMessage(r.ID, i)
			m.CreatedAt = tt.at
			if got := MustAddMessage(t, s, m); !sameTime(got.CreatedAt, tt.at) {
				t.Errorf("AddMessage: got CreatedAt %v, want %v in UTC", got.CreatedAt, tt.at)
			}
			ms, err := s.After(t.Context(), r.ID, 0, 1)
			if err != nil || len(ms) != 1 || !sameTime(ms[0].CreatedAt, tt.at) {
				t.Errorf("After: got %v, %v, want one message created at %v in UTC", ms, err, tt.at)
			}
		})
	}
}
