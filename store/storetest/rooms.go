package storetest

import (
	"fmt"
	"slices"
	"testing"

	"hxchat/chat"
)

func testRooms(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := open(t)
		r, err := s.CreateRoom(t.Context(), "General", t0)
		if err != nil {
			t.Fatalf("CreateRoom: %v", err)
		}
		if r.ID <= 0 || r.Name != "General" || !sameTime(r.CreatedAt, t0) {
			t.Errorf("CreateRoom: got %+v, want a positive ID, name General, CreatedAt %v", r, t0)
		}
		got, err := s.Room(t.Context(), r.ID)
		if err != nil {
			t.Fatalf("Room(%d): %v", r.ID, err)
		}
		if got.ID != r.ID || got.Name != r.Name || !sameTime(got.CreatedAt, r.CreatedAt) {
			t.Errorf("Room(%d): got %+v, want %+v", r.ID, got, r)
		}
	})

	t.Run("ListInCreationOrder", func(t *testing.T) {
		s := open(t)
		rooms, err := s.Rooms(t.Context())
		if err != nil || len(rooms) != 0 {
			t.Fatalf("Rooms of an empty store: got %v, %v, want none", rooms, err)
		}
		// Not in alphabetical order, so that sorting by name would show.
		want := []string{"Kitchen", "Attic", "Porch"}
		var ids []int64
		for _, n := range want {
			ids = append(ids, MustCreateRoom(t, s, n).ID)
		}
		rooms, err = s.Rooms(t.Context())
		if err != nil {
			t.Fatalf("Rooms: %v", err)
		}
		var gotNames []string
		var gotIDs []int64
		for _, r := range rooms {
			gotNames, gotIDs = append(gotNames, r.Name), append(gotIDs, r.ID)
		}
		if !slices.Equal(gotNames, want) || !slices.Equal(gotIDs, ids) {
			t.Errorf("Rooms: got %v %v, want %v %v", gotNames, gotIDs, want, ids)
		}
	})

	t.Run("DuplicateName", func(t *testing.T) {
		s := open(t)
		MustCreateRoom(t, s, "General")
		MustCreateRoom(t, s, "Café")
		tests := []struct {
			name     string
			conflict bool
		}{
			{"General", true},
			{"general", true},
			{"GENERAL", true},
			{"gEnErAl", true},
			{"CAFÉ", true}, // case folding beyond ASCII
			{"café", true},
			{"Generals", false},
			{"Cafe", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateRoom(t.Context(), tt.name, t0)
				if !tt.conflict {
					if err != nil {
						t.Errorf("CreateRoom(%q): %v, want a new room", tt.name, err)
					}
					return
				}
				wantError(t, fmt.Sprintf("CreateRoom(%q)", tt.name), err,
					chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: tt.name})
			})
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		r := MustCreateRoom(t, s, "General")
		for _, id := range []int64{0, -1, r.ID + 1000} {
			_, err := s.Room(t.Context(), id)
			wantError(t, fmt.Sprintf("Room(%d)", id), err, chat.Error{Reason: chat.NoRoom})
		}
	})
}
