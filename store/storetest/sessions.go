package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hxchat/chat"
)

// sessionDiff describes how got differs from want, or returns "".
func sessionDiff(got, want chat.Session) string {
	if !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.LastSeen, want.LastSeen) {
		return fmt.Sprintf("CreatedAt %v, LastSeen %v, want %v, %v in UTC", got.CreatedAt, got.LastSeen, want.CreatedAt, want.LastSeen)
	}
	got.CreatedAt, want.CreatedAt, got.LastSeen, want.LastSeen = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

// mustCreateSession stores a session of user with id, created at t0 and
// last seen seen after, or fails t.
func mustCreateSession(t *testing.T, s chat.Store, id string, user int64, seen time.Duration) chat.Session {
	t.Helper()
	se := chat.Session{ID: id, User: user, Device: "Firefox on " + id, CreatedAt: t0, LastSeen: t0.Add(seen)}
	if err := s.CreateSession(t.Context(), se); err != nil {
		t.Fatalf("CreateSession(%q): %v", id, err)
	}
	return se
}

// sessionIDs returns the ID of each of ss.
func sessionIDs(ss []chat.Session) []string {
	s := []string{}
	for _, se := range ss {
		s = append(s, se.ID)
	}
	return s
}

func testSessions(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("CreateThenRead", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		want := mustCreateSession(t, s, "digest1", a.ID, time.Minute)
		got, acc, err := s.Session(t.Context(), "digest1")
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if d := sessionDiff(got, want); d != "" {
			t.Errorf("Session: %s", d)
		}
		if d := accountDiff(acc, a); d != "" {
			t.Errorf("Session's account: %s", d)
		}
		at := t0.Add(5 * time.Minute)
		if err := s.TouchSession(t.Context(), "digest1", at); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		want.LastSeen = at
		if got, _, err := s.Session(t.Context(), "digest1"); err != nil || sessionDiff(got, want) != "" {
			t.Errorf("Session after TouchSession: got %+v, %v, want %+v", got, err, want)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		mustCreateSession(t, s, "digest1", a.ID, 0)
		_, _, err := s.Session(t.Context(), "digest2")
		wantError(t, "Session of an unknown digest", err, chat.Error{Reason: chat.SignedOut})
		err = s.TouchSession(t.Context(), "digest2", t0)
		wantError(t, "TouchSession of an unknown digest", err, chat.Error{Reason: chat.SignedOut})
		err = s.CreateSession(t.Context(), chat.Session{ID: "digest3", User: a.ID + 1000, CreatedAt: t0, LastSeen: t0})
		wantError(t, "CreateSession of nobody", err, chat.Error{Reason: chat.NoMember})
	})

	t.Run("Deactivated", func(t *testing.T) {
		// The store still finds the session; the service ends it.
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		mustCreateSession(t, s, "digest1", a.ID, 0)
		if err := s.SetDeactivated(t.Context(), a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, acc, err := s.Session(t.Context(), "digest1"); err != nil || !acc.Deactivated {
			t.Errorf("Session of a deactivated account: got %+v, %v, want it with Deactivated", acc, err)
		}
	})

	t.Run("ListedBySeen", func(t *testing.T) {
		s := open(t)
		a, b := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		mustCreateSession(t, s, "a-old", a.ID, time.Minute)
		mustCreateSession(t, s, "b-only", b.ID, 2*time.Minute)
		mustCreateSession(t, s, "a-new", a.ID, 3*time.Minute)
		mustCreateSession(t, s, "a-mid", a.ID, 2*time.Minute)
		tests := []struct {
			user int64
			want []string
		}{
			{a.ID, []string{"a-new", "a-mid", "a-old"}},
			{b.ID, []string{"b-only"}},
			{b.ID + 1000, []string{}},
		}
		for _, tt := range tests {
			got, err := s.Sessions(t.Context(), tt.user)
			if err != nil || !slices.Equal(sessionIDs(got), tt.want) {
				t.Errorf("Sessions(%d): got %v, %v, want %v", tt.user, sessionIDs(got), err, tt.want)
			}
		}
		if err := s.TouchSession(t.Context(), "a-old", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Sessions(t.Context(), a.ID); err != nil || !slices.Equal(sessionIDs(got), []string{"a-old", "a-new", "a-mid"}) {
			t.Errorf("Sessions after touching a-old: got %v, %v, want it first", sessionIDs(got), err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		a, b := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		for _, id := range []string{"a1", "a2", "a3"} {
			mustCreateSession(t, s, id, a.ID, 0)
		}
		mustCreateSession(t, s, "b1", b.ID, 0)
		// In order: each step sees what the ones before left.
		steps := []struct {
			name string
			user int64
			ids  []string
			want []string
		}{
			{"one", a.ID, []string{"a1"}, []string{"a1"}},
			{"another's among them", a.ID, []string{"b1", "a2"}, []string{"a2"}},
			{"only another's", a.ID, []string{"b1"}, []string{}},
			{"gone already", a.ID, []string{"a1"}, []string{}},
			{"all", a.ID, nil, []string{"a3"}},
			{"all, none left", a.ID, nil, []string{}},
		}
		for _, st := range steps {
			got, err := s.DeleteSessions(t.Context(), a.ID, st.ids...)
			if err != nil || !slices.Equal(got, st.want) {
				t.Errorf("%s: DeleteSessions(%d, %q): got %q, %v, want %q", st.name, st.user, st.ids, got, err, st.want)
			}
		}
		if _, _, err := s.Session(t.Context(), "b1"); err != nil {
			t.Errorf("Bo's session after deleting Ada's: %v, want it kept", err)
		}
		if got, err := s.DeleteSessions(t.Context(), b.ID); err != nil || !slices.Equal(got, []string{"b1"}) {
			t.Errorf("DeleteSessions(Bo): got %q, %v, want [b1]", got, err)
		}
		if _, _, err := s.Session(t.Context(), "b1"); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.SignedOut {
			t.Errorf("Session after DeleteSessions: got %v, want reason %s", err, chat.SignedOut)
		}
	})
}
