package storetest

import (
	"fmt"
	"testing"

	"hxchat/chat"
)

func testUsers(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("Numbered", func(t *testing.T) {
		s := open(t)
		var last int64
		for range 3 {
			u := MustCreateUser(t, s)
			if u.ID <= last {
				t.Errorf("CreateUser: got ID %d after %d, want IDs that only grow", u.ID, last)
			}
			if want := fmt.Sprintf("member%d", u.ID); u.Name != want {
				t.Errorf("CreateUser: got name %q, want %q", u.Name, want)
			}
			last = u.ID
		}
	})

	t.Run("Rename", func(t *testing.T) {
		s := open(t)
		u := MustCreateUser(t, s)
		got, err := s.RenameUser(t.Context(), u.ID, "Ada")
		if want := (chat.User{ID: u.ID, Name: "Ada"}); err != nil || got != want {
			t.Errorf("RenameUser: got %+v, %v, want %+v", got, err, want)
		}
		// A chosen name must not shift the numbering of the next member.
		next := MustCreateUser(t, s)
		if want := fmt.Sprintf("member%d", next.ID); next.ID <= u.ID || next.Name != want {
			t.Errorf("CreateUser after a rename: got %+v, want an ID above %d named %q", next, u.ID, want)
		}
	})

	t.Run("NamesUnique", func(t *testing.T) {
		s := open(t)
		ana, bo := MustCreateUser(t, s), MustCreateUser(t, s)
		if _, err := s.RenameUser(t.Context(), ana.ID, "Ana"); err != nil {
			t.Fatalf("RenameUser: %v", err)
		}
		for _, name := range []string{"Ana", "ANA", "Ａｎａ"} {
			_, err := s.RenameUser(t.Context(), bo.ID, name)
			wantError(t, fmt.Sprintf("RenameUser(%q) of another member", name), err,
				chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: name})
		}
		if _, err := s.RenameUser(t.Context(), bo.ID, fmt.Sprintf("member%d", ana.ID)); err != nil {
			t.Errorf("RenameUser to the numbered name Ana left: %v", err)
		}
		if got, err := s.RenameUser(t.Context(), ana.ID, "ANA"); err != nil || got.Name != "ANA" {
			t.Errorf("RenameUser of Ana to her own name in capitals: got %+v, %v, want ANA", got, err)
		}
	})

	t.Run("RenameUnknown", func(t *testing.T) {
		s := open(t)
		u := MustCreateUser(t, s)
		_, err := s.RenameUser(t.Context(), u.ID+1000, "Ada")
		wantError(t, "RenameUser of an unknown member", err, chat.Error{Reason: chat.NoMember})
	})
}
