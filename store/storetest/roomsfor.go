package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"hxchat/chat"
)

// trickyNames are room names whose order by NameKey differs from their
// order as typed: capitals, accents, full-width forms, digits and
// punctuation. NameKey folds case and width, and compares as Go compares
// strings, byte by byte, so "Éclair" comes after "zoo".
var trickyNames = []string{
	"zoo", "Éclair", "eclair", "Apple", "apple pie", "Ａｐｐｌｅ tart", "ápple",
	"Banana", "banana split", "10 Downing", "9 Lives", "_under", "Zebra",
	"Ωmega", "émile", "MIXED case", "mixed Cases", "a", "B", "ab",
}

// walkRooms lists the rooms user may see a page of size at a time,
// following the cursor of each page's last room, and returns them all;
// it fails t if a page is longer than size or the walk does not end.
func walkRooms(t *testing.T, s chat.Store, user int64, size int) []chat.Room {
	t.Helper()
	var (
		all   []chat.Room
		key   string
		after int64
	)
	for range 1000 {
		page, err := s.RoomsFor(t.Context(), user, key, after, size)
		if err != nil {
			t.Fatalf("RoomsFor(%d, %q, %d, %d): %v", user, key, after, size, err)
		}
		if len(page) > size {
			t.Fatalf("RoomsFor(%d, %q, %d, %d): got %d rooms, want at most %d", user, key, after, size, len(page), size)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		last := page[len(page)-1]
		key, after = chat.NameKey(last.Name), last.ID
	}
	t.Fatalf("RoomsFor(%d, ..., %d): still more after 1000 pages", user, size)
	return nil
}

// byNameKey orders rooms as RoomsFor must: by NameKey, then ID.
func byNameKey(a, b chat.Room) int {
	return cmp.Or(cmp.Compare(chat.NameKey(a.Name), chat.NameKey(b.Name)), cmp.Compare(a.ID, b.ID))
}

func testRoomsFor(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("WhoSeesWhat", func(t *testing.T) {
		s := open(t)
		ada, bo, cy, dee := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo"), MustCreateAccount(t, s, "Cy"), MustCreateAccount(t, s, "Dee")
		lobby := MustCreateRoom(t, s, "Lobby")
		MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", ada.ID, bo.ID)
		cellar := MustCreateRoomOf(t, s, chat.RoomPrivate, "Cellar", cy.ID)
		MustCreateRoomOf(t, s, chat.RoomOpen, "Garden", dee.ID)
		MustCreateRoomOf(t, s, chat.RoomDirect, "", ada.ID, bo.ID)
		MustCreateRoomOf(t, s, chat.RoomDirect, "", ada.ID, cy.ID)
		if err := s.AddMember(t.Context(), cellar.ID, dee.ID); err != nil {
			t.Fatal(err)
		}
		// Members of an open room see it once.
		if err := s.AddMember(t.Context(), lobby.ID, dee.ID); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			user int64
			want []string
		}{
			{"a member of a private room", ada.ID, []string{"Attic", "Garden", "Lobby"}},
			{"another member of it", bo.ID, []string{"Attic", "Garden", "Lobby"}},
			{"its creator", cy.ID, []string{"Cellar", "Garden", "Lobby"}},
			{"added to it", dee.ID, []string{"Cellar", "Garden", "Lobby"}},
			{"nobody in particular", dee.ID + 1000, []string{"Garden", "Lobby"}},
			{"everyone", 0, []string{"Attic", "Cellar", "Garden", "Lobby"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.RoomsFor(t.Context(), tt.user, "", 0, 10)
				if err != nil || !slices.Equal(roomNames(got), tt.want) {
					t.Errorf("RoomsFor(%d): got %q, %v, want %q", tt.user, roomNames(got), err, tt.want)
				}
			})
		}
		if _, err := s.RemoveMember(t.Context(), cellar.ID, dee.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.RoomsFor(t.Context(), dee.ID, "", 0, 10); err != nil || !slices.Equal(roomNames(got), []string{"Garden", "Lobby"}) {
			t.Errorf("RoomsFor(Dee) once removed from Cellar: got %q, %v, want Garden, Lobby", roomNames(got), err)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		s := open(t)
		ada, bo := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		// Every third room private to Ada, every third to Bo: each
		// person's pages skip the other's rooms.
		var all, adas []chat.Room
		for i, name := range trickyNames {
			var r chat.Room
			switch i % 3 {
			case 0:
				r = MustCreateRoom(t, s, name)
				adas = append(adas, r)
			case 1:
				r = MustCreateRoomOf(t, s, chat.RoomPrivate, name, ada.ID)
				adas = append(adas, r)
			case 2:
				r = MustCreateRoomOf(t, s, chat.RoomPrivate, name, bo.ID)
			}
			all = append(all, r)
		}
		slices.SortFunc(all, byNameKey)
		slices.SortFunc(adas, byNameKey)
		for _, user := range []struct {
			name string
			id   int64
			want []chat.Room
		}{{"everyone", 0, all}, {"Ada", ada.ID, adas}} {
			for _, size := range []int{1, 2, 3, 7, 50} {
				t.Run(fmt.Sprintf("%s by %d", user.name, size), func(t *testing.T) {
					got := walkRooms(t, s, user.id, size)
					if !slices.Equal(roomNames(got), roomNames(user.want)) {
						t.Fatalf("rooms walked: got %q, want %q", roomNames(got), roomNames(user.want))
					}
					for i := range got {
						if d := roomDiff(got[i], user.want[i]); d != "" {
							t.Errorf("room %d: %s", i, d)
						}
					}
				})
			}
		}
	})

	t.Run("Cursor", func(t *testing.T) {
		s := open(t)
		for _, name := range []string{"Apple", "banana", "Cherry", "éclair"} {
			MustCreateRoom(t, s, name)
		}
		tests := []struct {
			name  string
			key   string
			after int64
			limit int
			want  []string
		}{
			{"from the start", "", 0, 10, []string{"Apple", "banana", "Cherry", "éclair"}},
			{"after a key no room has", "b", 0, 10, []string{"banana", "Cherry", "éclair"}},
			{"after a room's key", "banana", 1 << 40, 10, []string{"Cherry", "éclair"}},
			{"after the last", "éclair", 1 << 40, 10, []string{}},
			{"past every ASCII name", "zzz", 0, 10, []string{"éclair"}},
			{"zero limit", "", 0, 0, []string{}},
			{"negative limit", "", 0, -1, []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.RoomsFor(t.Context(), 0, tt.key, tt.after, tt.limit)
				if err != nil || !slices.Equal(roomNames(got), tt.want) {
					t.Errorf("RoomsFor(0, %q, %d, %d): got %q, %v, want %q", tt.key, tt.after, tt.limit, roomNames(got), err, tt.want)
				}
			})
		}
	})
}
