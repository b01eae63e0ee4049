package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
)

func testRoomKinds(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := open(t)
		ada, bo := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		tests := []struct {
			name        string
			in          chat.Room
			members     []int64
			wantName    string
			wantKind    chat.RoomKind
			wantMembers []int64
		}{
			{"open, kind left out", chat.Room{Name: "Lobby"}, nil, "Lobby", chat.RoomOpen, nil},
			{"open, members ignored", chat.Room{Name: "Hall", Kind: chat.RoomOpen, CreatedBy: ada.ID}, []int64{bo.ID}, "Hall", chat.RoomOpen, nil},
			{"private, creator among members", chat.Room{Name: "Attic", Kind: chat.RoomPrivate, CreatedBy: ada.ID}, []int64{ada.ID, bo.ID}, "Attic", chat.RoomPrivate, []int64{ada.ID, bo.ID}},
			{"private, creator added", chat.Room{Name: "Cellar", Kind: chat.RoomPrivate, CreatedBy: bo.ID}, nil, "Cellar", chat.RoomPrivate, []int64{bo.ID}},
			{"direct, name dropped", chat.Room{Name: "ignored", Kind: chat.RoomDirect, CreatedBy: ada.ID}, []int64{bo.ID}, "", chat.RoomDirect, []int64{ada.ID, bo.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.in.CreatedAt = t0
				r, err := s.CreateRoomOf(t.Context(), tt.in, tt.members)
				if err != nil {
					t.Fatalf("CreateRoomOf: %v", err)
				}
				want := chat.Room{ID: r.ID, Name: tt.wantName, CreatedAt: t0, Kind: tt.wantKind, CreatedBy: tt.in.CreatedBy}
				if d := roomDiff(r, want); r.ID <= 0 || d != "" {
					t.Errorf("CreateRoomOf: %s, want a positive ID", d)
				}
				if got, err := s.Room(t.Context(), r.ID); err != nil || roomDiff(got, want) != "" {
					t.Errorf("Room: got %+v, %v, want %+v", got, err, want)
				}
				members, err := s.Members(t.Context(), r.ID)
				if err != nil || !slices.Equal(ids(members), tt.wantMembers) {
					t.Errorf("Members: got %v, %v, want %v", ids(members), err, tt.wantMembers)
				}
			})
		}
	})

	t.Run("DirectOncePerSet", func(t *testing.T) {
		s := open(t)
		ada, bo, cy := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo"), MustCreateAccount(t, s, "Cy")
		first := MustCreateRoomOf(t, s, chat.RoomDirect, "", ada.ID, bo.ID)
		tests := []struct {
			name    string
			creator int64
			members []int64
			same    bool
		}{
			{"again", ada.ID, []int64{bo.ID}, true},
			{"by the other", bo.ID, []int64{ada.ID}, true},
			{"everyone listed, twice", ada.ID, []int64{bo.ID, ada.ID, bo.ID}, true},
			{"a third person", ada.ID, []int64{bo.ID, cy.ID}, false},
			{"someone else", ada.ID, []int64{cy.ID}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := MustCreateRoomOf(t, s, chat.RoomDirect, "", tt.creator, tt.members...)
				if same := r.ID == first.ID; same != tt.same {
					t.Errorf("CreateRoomOf(direct by %d with %v): got room %d, the first being %d, want the same: %v",
						tt.creator, tt.members, r.ID, first.ID, tt.same)
				}
				if tt.same && roomDiff(r, first) != "" {
					t.Errorf("CreateRoomOf of an existing direct room: %s", roomDiff(r, first))
				}
			})
		}
	})

	t.Run("DirectNeverTakesAName", func(t *testing.T) {
		// A room someone named as a direct room's key might look.
		s := open(t)
		ada, bo := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		for _, name := range []string{
			fmt.Sprintf("direct:%d,%d", ada.ID, bo.ID),
			fmt.Sprintf("%d,%d", ada.ID, bo.ID),
		} {
			MustCreateRoom(t, s, name)
		}
		direct := MustCreateRoomOf(t, s, chat.RoomDirect, "", ada.ID, bo.ID)
		again := MustCreateRoomOf(t, s, chat.RoomDirect, "", bo.ID, ada.ID)
		if again.ID != direct.ID {
			t.Errorf("second direct room of Ada and Bo: got %d, want %d", again.ID, direct.ID)
		}
		if _, err := s.CreateRoom(t.Context(), "Ada and Bo", t0); err != nil {
			t.Errorf("CreateRoom beside a direct room: %v", err)
		}
	})

	t.Run("DirectCreatedOnceByConcurrentCallers", func(t *testing.T) {
		// Both people open the conversation at the same moment.
		s := open(t)
		ada, bo := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		const callers = 8
		got := make([]chat.Room, callers)
		var wg sync.WaitGroup
		for i := range callers {
			creator, other := ada.ID, bo.ID
			if i%2 == 1 {
				creator, other = other, creator
			}
			wg.Go(func() {
				var err error
				got[i], err = s.CreateRoomOf(t.Context(), chat.Room{Kind: chat.RoomDirect, CreatedBy: creator, CreatedAt: t0}, []int64{other})
				if err != nil {
					t.Errorf("caller %d: CreateRoomOf: %v", i, err)
				}
			})
		}
		wg.Wait()
		for i, r := range got {
			if r.ID != got[0].ID {
				t.Errorf("caller %d got room %d, caller 0 got %d, want one room", i, r.ID, got[0].ID)
			}
		}
		if rooms, err := s.DirectRooms(t.Context(), ada.ID, 10); err != nil || len(rooms) != 1 {
			t.Errorf("DirectRooms after the race: got %d rooms, %v, want 1", len(rooms), err)
		}
		if members, err := s.Members(t.Context(), got[0].ID); err != nil || !slices.Equal(ids(members), []int64{ada.ID, bo.ID}) {
			t.Errorf("Members after the race: got %v, %v, want Ada and Bo once each", ids(members), err)
		}
	})

	t.Run("NameTaken", func(t *testing.T) {
		s := open(t)
		ada := MustCreateAccount(t, s, "Ada")
		MustCreateRoom(t, s, "Lobby")
		MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", ada.ID)
		tests := []struct {
			kind chat.RoomKind
			name string
		}{
			{chat.RoomPrivate, "LOBBY"},
			{chat.RoomOpen, "attic"},
			{chat.RoomPrivate, "Ａｔｔｉｃ"},
		}
		for _, tt := range tests {
			_, err := s.CreateRoomOf(t.Context(), chat.Room{Name: tt.name, Kind: tt.kind, CreatedBy: ada.ID, CreatedAt: t0}, nil)
			wantError(t, fmt.Sprintf("CreateRoomOf(%s %q)", tt.kind, tt.name), err,
				chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: tt.name})
		}
		_, err := s.CreateRoom(t.Context(), "ATTIC", t0)
		wantError(t, "CreateRoom of a private room's name", err,
			chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: "ATTIC"})
	})

	t.Run("UnknownPeople", func(t *testing.T) {
		s := open(t)
		ada := MustCreateAccount(t, s, "Ada")
		tests := []struct {
			name    string
			in      chat.Room
			members []int64
		}{
			{"unknown member", chat.Room{Name: "Attic", Kind: chat.RoomPrivate, CreatedBy: ada.ID}, []int64{ada.ID + 1000}},
			{"unknown creator", chat.Room{Name: "Attic", Kind: chat.RoomPrivate, CreatedBy: ada.ID + 1000}, nil},
			{"unknown direct member", chat.Room{Kind: chat.RoomDirect, CreatedBy: ada.ID}, []int64{ada.ID + 1000}},
		}
		for _, tt := range tests {
			tt.in.CreatedAt = t0
			_, err := s.CreateRoomOf(t.Context(), tt.in, tt.members)
			wantError(t, "CreateRoomOf with an "+tt.name, err, chat.Error{Reason: chat.NoMember})
		}
		// Nothing was left half made.
		if rooms, err := s.RoomsFor(t.Context(), 0, "", 0, 10); err != nil || len(rooms) != 0 {
			t.Errorf("RoomsFor after the failures: got %v, %v, want none", rooms, err)
		}
		if rooms, err := s.DirectRooms(t.Context(), ada.ID, 10); err != nil || len(rooms) != 0 {
			t.Errorf("DirectRooms after the failures: got %v, %v, want none", rooms, err)
		}
	})

	t.Run("Rename", func(t *testing.T) {
		s := open(t)
		ada, bo := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		lobby := MustCreateRoom(t, s, "Lobby")
		attic := MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", ada.ID)
		direct := MustCreateRoomOf(t, s, chat.RoomDirect, "", ada.ID, bo.ID)
		tests := []struct {
			name string
			room int64
			to   string
			err  *chat.Error
		}{
			{"open", lobby.ID, "Hall", nil},
			{"private", attic.ID, "Loft", nil},
			{"to its own name in capitals", attic.ID, "LOFT", nil},
			{"to another's name", lobby.ID, "loft", &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: "loft"}},
			{"direct", direct.ID, "Ada and Bo", &chat.Error{Reason: chat.NoRoom}},
			{"unknown", direct.ID + 1000, "Nowhere", &chat.Error{Reason: chat.NoRoom}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.RenameRoom(t.Context(), tt.room, tt.to)
				if tt.err != nil {
					wantError(t, fmt.Sprintf("RenameRoom(%d, %q)", tt.room, tt.to), err, *tt.err)
					return
				}
				if err != nil || got.ID != tt.room || got.Name != tt.to {
					t.Fatalf("RenameRoom(%d, %q): got %+v, %v", tt.room, tt.to, got, err)
				}
				if stored, err := s.Room(t.Context(), tt.room); err != nil || roomDiff(stored, got) != "" {
					t.Errorf("Room after RenameRoom: got %+v, %v, want %+v", stored, err, got)
				}
			})
		}
		// The old names are free again; the direct room kept its people.
		MustCreateRoom(t, s, "Lobby")
		if again := MustCreateRoomOf(t, s, chat.RoomDirect, "", bo.ID, ada.ID); again.ID != direct.ID {
			t.Errorf("direct room after a refused rename: got %d, want %d", again.ID, direct.ID)
		}
	})

	t.Run("Archive", func(t *testing.T) {
		s := open(t)
		lobby, hall := MustCreateRoom(t, s, "Lobby"), MustCreateRoom(t, s, "Hall")
		for _, archived := range []bool{true, false, true} {
			if err := s.SetArchived(t.Context(), lobby.ID, archived); err != nil {
				t.Fatalf("SetArchived(%v): %v", archived, err)
			}
			if got, err := s.Room(t.Context(), lobby.ID); err != nil || got.Archived != archived {
				t.Errorf("Room after SetArchived(%v): got %+v, %v", archived, got, err)
			}
		}
		// Archived rooms are still listed, as such.
		rooms, err := s.RoomsFor(t.Context(), 0, "", 0, 10)
		if err != nil || len(rooms) != 2 || rooms[0].ID != hall.ID || rooms[0].Archived || rooms[1].ID != lobby.ID || !rooms[1].Archived {
			t.Errorf("RoomsFor: got %+v, %v, want Hall, then Lobby archived", rooms, err)
		}
		err = s.SetArchived(t.Context(), hall.ID+1000, true)
		wantError(t, "SetArchived of an unknown room", err, chat.Error{Reason: chat.NoRoom})
	})
}
