package storetest

import (
	"fmt"
	"slices"
	"testing"

	"hxchat/chat"
)

func testMembers(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("AddRemove", func(t *testing.T) {
		s := open(t)
		ada, bo := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		attic := MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", ada.ID)
		// In order: each step sees what the ones before left.
		steps := []struct {
			name        string
			do          func() error
			wantMembers []int64
		}{
			{"created", func() error { return nil }, []int64{ada.ID}},
			{"add Bo", func() error { return s.AddMember(t.Context(), attic.ID, bo.ID) }, []int64{ada.ID, bo.ID}},
			{"add Bo again", func() error { return s.AddMember(t.Context(), attic.ID, bo.ID) }, []int64{ada.ID, bo.ID}},
			{"remove Bo", func() error { return wantRemoved(t, s, attic.ID, bo.ID, true) }, []int64{ada.ID}},
			{"remove Bo again", func() error { return wantRemoved(t, s, attic.ID, bo.ID, false) }, []int64{ada.ID}},
			{"remove Ada", func() error { return wantRemoved(t, s, attic.ID, ada.ID, true) }, []int64{}},
		}
		for _, st := range steps {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			members, err := s.Members(t.Context(), attic.ID)
			if err != nil || !slices.Equal(ids(members), st.wantMembers) {
				t.Errorf("%s: Members got %v, %v, want %v", st.name, ids(members), err, st.wantMembers)
			}
			for _, u := range []int64{ada.ID, bo.ID} {
				want := slices.Contains(st.wantMembers, u)
				if got, err := s.IsMember(t.Context(), attic.ID, u); err != nil || got != want {
					t.Errorf("%s: IsMember(%d) got %v, %v, want %v", st.name, u, got, err, want)
				}
			}
		}
	})

	t.Run("ByName", func(t *testing.T) {
		s := open(t)
		var people []chat.User
		for _, name := range []string{"zed", "Émile", "Ada", "bob", "ＣＹ", "Anna"} {
			a := MustCreateAccount(t, s, name)
			people = append(people, a.User)
		}
		attic := MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", 0, ids(people)...)
		want := []string{"Ada", "Anna", "bob", "ＣＹ", "zed", "Émile"}
		members, err := s.Members(t.Context(), attic.ID)
		var got []string
		for _, u := range members {
			got = append(got, u.Name)
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Members: got %q, %v, want %q", got, err, want)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		s := open(t)
		ada := MustCreateAccount(t, s, "Ada")
		attic := MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", ada.ID)
		nowhere := attic.ID + 1000
		wantError(t, "AddMember to an unknown room", s.AddMember(t.Context(), nowhere, ada.ID), chat.Error{Reason: chat.NoRoom})
		wantError(t, "AddMember of nobody", s.AddMember(t.Context(), attic.ID, ada.ID+1000), chat.Error{Reason: chat.NoMember})
		if got, err := s.Members(t.Context(), nowhere); err != nil || len(got) != 0 {
			t.Errorf("Members of an unknown room: got %v, %v, want none", got, err)
		}
		if got, err := s.IsMember(t.Context(), nowhere, ada.ID); err != nil || got {
			t.Errorf("IsMember of an unknown room: got %v, %v, want false", got, err)
		}
		if got, err := s.RemoveMember(t.Context(), nowhere, ada.ID); err != nil || got {
			t.Errorf("RemoveMember of an unknown room: got %v, %v, want false", got, err)
		}
	})
}

// wantRemoved removes user from room and returns an error unless
// RemoveMember reports want.
func wantRemoved(t *testing.T, s chat.Store, room, user int64, want bool) error {
	got, err := s.RemoveMember(t.Context(), room, user)
	if err == nil && got != want {
		err = fmt.Errorf("RemoveMember(%d, %d): got %v, want %v", room, user, got, want)
	}
	return err
}

func testDirectRooms(t *testing.T, open func(t *testing.T) chat.Store) {
	s := open(t)
	ada, bo, cy, dee := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "bo"), MustCreateAccount(t, s, "Cy"), MustCreateAccount(t, s, "Dee")
	withBo := MustCreateRoomOf(t, s, chat.RoomDirect, "", ada.ID, bo.ID)
	MustCreateRoomOf(t, s, chat.RoomPrivate, "Attic", ada.ID, bo.ID, cy.ID)
	withCy := MustCreateRoomOf(t, s, chat.RoomDirect, "", cy.ID, ada.ID)
	withBoth := MustCreateRoomOf(t, s, chat.RoomDirect, "", bo.ID, cy.ID, ada.ID)
	MustCreateRoomOf(t, s, chat.RoomDirect, "", bo.ID, cy.ID)
	people := func(us ...chat.Account) []chat.User {
		var s []chat.User
		for _, u := range us {
			s = append(s, u.User)
		}
		return s
	}
	withPeople := func(r chat.Room, us ...chat.Account) chat.Room {
		r.People = people(us...)
		return r
	}
	tests := []struct {
		name  string
		user  int64
		limit int
		want  []chat.Room
	}{
		{"newest first", ada.ID, 10, []chat.Room{
			withPeople(withBoth, ada, bo, cy), withPeople(withCy, ada, cy), withPeople(withBo, ada, bo)}},
		{"a page", ada.ID, 2, []chat.Room{withPeople(withBoth, ada, bo, cy), withPeople(withCy, ada, cy)}},
		{"in none", dee.ID, 10, []chat.Room{}},
		{"zero limit", ada.ID, 0, []chat.Room{}},
		{"negative limit", ada.ID, -1, []chat.Room{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.DirectRooms(t.Context(), tt.user, tt.limit)
			if err != nil {
				t.Fatalf("DirectRooms(%d, %d): %v", tt.user, tt.limit, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("DirectRooms(%d, %d): got %+v, want %+v", tt.user, tt.limit, got, tt.want)
			}
			for i := range got {
				if d := roomDiff(got[i], tt.want[i]); d != "" {
					t.Errorf("DirectRooms(%d, %d), room %d: %s", tt.user, tt.limit, i, d)
				}
			}
		})
	}
}
