package storetest

import (
	"fmt"
	"testing"
	"time"

	"hxchat/chat"
)

// testDirectory is chat.Directory and chat.TokenStore: accounts,
// sessions, access tokens, one-time links, secrets set and deleted, rooms
// of every kind and their members, the room list, and the audit log.
func testDirectory(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("Links", func(t *testing.T) { testLinks(t, open) })
	t.Run("SecretWrites", func(t *testing.T) { testSecretWrites(t, open) })
	t.Run("RoomKinds", func(t *testing.T) { testRoomKinds(t, open) })
	t.Run("RoomsFor", func(t *testing.T) { testRoomsFor(t, open) })
	t.Run("Members", func(t *testing.T) { testMembers(t, open) })
	t.Run("DirectRooms", func(t *testing.T) { testDirectRooms(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
}

// MustCreateAccount creates an account named name, with an email made of
// it, or fails tb.
func MustCreateAccount(tb testing.TB, s chat.Store, name string) chat.Account {
	tb.Helper()
	a, err := s.CreateAccount(tb.Context(), chat.NewAccount{
		Name: name, Email: name + "@example.org", Hash: "hash of " + name, At: t0,
	})
	if err != nil {
		tb.Fatalf("CreateAccount(%q): %v", name, err)
	}
	return a
}

// MustCreateRoomOf creates a room of kind named name by creator, with
// members, or fails tb.
func MustCreateRoomOf(tb testing.TB, s chat.Store, kind chat.RoomKind, name string, creator int64, members ...int64) chat.Room {
	tb.Helper()
	r, err := s.CreateRoomOf(tb.Context(), chat.Room{Name: name, Kind: kind, CreatedBy: creator, CreatedAt: t0}, members)
	if err != nil {
		tb.Fatalf("CreateRoomOf(%s %q by %d, %v): %v", kind, name, creator, members, err)
	}
	return r
}

// ids returns the ID of each of people.
func ids(people []chat.User) []int64 {
	s := make([]int64, len(people))
	for i, u := range people {
		s[i] = u.ID
	}
	return s
}

// roomNames returns the Name of each of rooms.
func roomNames(rooms []chat.Room) []string {
	s := make([]string, len(rooms))
	for i, r := range rooms {
		s[i] = r.Name
	}
	return s
}

// accountDiff describes how got differs from want, or returns "".
func accountDiff(got, want chat.Account) string {
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		return fmt.Sprintf("CreatedAt %v, want %v in UTC", got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}
