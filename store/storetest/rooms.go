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
		if r.ID <= 0 || r.Name != "General" || !sameTime(r.CreatedAt, t0) || r.Kind != chat.RoomOpen || r.CreatedBy != 0 || r.Archived {
			t.Errorf("CreateRoom: got %+v, want a positive ID, name General, CreatedAt %v, an open room by nobody", r, t0)
		}
		got, err := s.Room(t.Context(), r.ID)
		if err != nil {
			t.Fatalf("Room(%d): %v", r.ID, err)
		}
		if d := roomDiff(got, r); d != "" {
			t.Errorf("Room(%d): %s", r.ID, d)
		}
	})

	t.Run("ListedByName", func(t *testing.T) {
		s := open(t)
		rooms, err := s.RoomsFor(t.Context(), 0, "", 0, 10)
		if err != nil || len(rooms) != 0 {
			t.Fatalf("RoomsFor of an empty store: got %v, %v, want none", rooms, err)
		}
		// Not in alphabetical order, so that listing by ID would show.
		byID := map[string]int64{}
		for _, n := range []string{"Kitchen", "Attic", "Porch"} {
			byID[n] = MustCreateRoom(t, s, n).ID
		}
		rooms, err = s.RoomsFor(t.Context(), 0, "", 0, 10)
		if err != nil {
			t.Fatalf("RoomsFor: %v", err)
		}
		want := []string{"Attic", "Kitchen", "Porch"}
		var gotNames []string
		for _, r := range rooms {
			gotNames = append(gotNames, r.Name)
			if r.ID != byID[r.Name] || r.Kind != chat.RoomOpen {
				t.Errorf("RoomsFor: got %+v, want ID %d, kind open", r, byID[r.Name])
			}
		}
		if !slices.Equal(gotNames, want) {
			t.Errorf("RoomsFor: got %v, want %v", gotNames, want)
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
