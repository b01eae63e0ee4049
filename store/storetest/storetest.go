// Package storetest is the contract every chat.Store must meet, as a
// test suite: a store package runs it from its own tests with
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) chat.Store { ... })
//	}
//
// It spells out what chat.Store's doc comments leave open, so that the
// SQLite and PostgreSQL stores behave alike:
//   - times come back in UTC and equal to what was stored at least to the
//     microsecond (PostgreSQL's precision; the suite uses whole
//     microseconds);
//   - AddMessage stamps the current time when Message.CreatedAt is zero;
//   - an empty Message.Token is never a duplicate;
//   - RenameUser of an unknown member fails with code NotFound;
//   - Before, After and LastSeq of an unknown room return nothing, not an
//     error (the caller has looked the room up already);
//   - a limit <= 0 returns no messages (Before's More still tells whether
//     there are any);
//   - Secret calls generate only when name holds no value yet;
//   - an account is a person with an email: Account, AccountByName, the
//     Set* methods and Accounts know nothing of open-mode people (reason
//     NoMember), while a display name is taken by anyone's; when both
//     the email and the name of a new account are taken, the error names
//     the email;
//   - Credentials and Session return deactivated accounts too, marked;
//     TouchSession of an unknown session fails with reason SignedOut;
//   - Token and TokenByDigest return deactivated accounts' tokens too,
//     marked; a token's ID is never given to another token, even after
//     it is deleted; CreateToken holds to its limit under concurrent
//     calls, and refuses a person without an account (NoMember);
//   - a link works until its time, inclusive; a new link for a person
//     (0 for nobody yet, as the setup link) replaces the earlier ones;
//   - CreateRoomOf adds the creator of a private or direct room to its
//     members and keeps none for an open room; a direct room's Name is
//     "", and RenameRoom of it fails with reason NoRoom; an unknown
//     creator or member fails with reason NoMember, storing nothing;
//   - RoomsFor orders by NameKey as Go compares strings, byte by byte
//     ("Éclair" after "zoo"), and lists archived rooms too;
//   - DirectRooms' newest room is the one created last (highest ID);
//     People and Members are ordered by NameKey, then ID;
//   - AddMember to an unknown room fails with reason NoRoom, of an
//     unknown person with NoMember; Members, IsMember and RemoveMember
//     of an unknown room find nobody;
//   - a limit <= 0 lists nothing, in Accounts, RoomsFor, DirectRooms
//     and AuditLog too.
package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"hxchat/chat"
)

// t0 is the suite's clock: every time it stores is t0 plus whole
// milliseconds, so comparisons are exact at microsecond precision.
var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897000, time.UTC)

// Run runs the contract suite against the stores open returns. open is
// called once per subtest and must return an empty store, closed by a
// t.Cleanup it registers.
func Run(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("Rooms", func(t *testing.T) { testRooms(t, open) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("Messages", func(t *testing.T) { testMessages(t, open) })
	t.Run("Times", func(t *testing.T) { testTimes(t, open) })
	t.Run("Before", func(t *testing.T) { testBefore(t, open) })
	t.Run("After", func(t *testing.T) { testAfter(t, open) })
	t.Run("LastSeq", func(t *testing.T) { testLastSeq(t, open) })
	t.Run("Secret", func(t *testing.T) { testSecret(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("ManyPosters", func(t *testing.T) { testManyPosters(t, open) })
	t.Run("Directory", func(t *testing.T) { testDirectory(t, open) })
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

// MustCreateRoom creates a room named name or fails tb.
func MustCreateRoom(tb testing.TB, s chat.Store, name string) chat.Room {
	tb.Helper()
	r, err := s.CreateRoom(tb.Context(), name, t0)
	if err != nil {
		tb.Fatalf("CreateRoom(%q): %v", name, err)
	}
	return r
}

// MustCreateUser creates a member or fails tb.
func MustCreateUser(tb testing.TB, s chat.Store) chat.User {
	tb.Helper()
	u, err := s.CreateUser(tb.Context())
	if err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	return u
}

// MustAddMessage stores m or fails tb, also when m turns out to be a
// duplicate.
func MustAddMessage(tb testing.TB, s chat.Store, m chat.Message) chat.Message {
	tb.Helper()
	got, dup, err := s.AddMessage(tb.Context(), m)
	if err != nil {
		tb.Fatalf("AddMessage(room %d, token %q): %v", m.Room, m.Token, err)
	}
	if dup {
		tb.Fatalf("AddMessage(room %d, token %q): duplicate, want a new message", m.Room, m.Token)
	}
	return got
}

// MustAddMessages stores n messages in room, each with a token and body
// of its own, and returns them in the order stored.
func MustAddMessages(tb testing.TB, s chat.Store, room int64, n int) []chat.Message {
	tb.Helper()
	ms := make([]chat.Message, n)
	for i := range ms {
		ms[i] = MustAddMessage(tb, s, newMessage(room, i))
	}
	return ms
}

// newMessage returns the i-th test message of room, not yet stored.
func newMessage(room int64, i int) chat.Message {
	return chat.Message{
		Room:      room,
		Author:    chat.User{ID: 1, Name: "member1"},
		Body:      fmt.Sprintf("message %d", i),
		Token:     fmt.Sprintf("room%d-token%d", room, i),
		CreatedAt: t0.Add(time.Duration(i) * time.Millisecond),
	}
}

// wantError fails t unless err is a *chat.Error equal to want.
func wantError(t *testing.T, what string, err error, want chat.Error) {
	t.Helper()
	if got := chat.AsError(err); got == nil || *got != want {
		t.Errorf("%s: got error %v (code %q), want %v (code %q)", what, err, chat.ErrorCode(err), &want, want.Code())
	}
}

// sameTime reports whether got is want, in UTC.
func sameTime(got, want time.Time) bool {
	return got.Equal(want) && got.Location() == time.UTC
}

// messageDiff describes how got differs from want, or returns "".
func messageDiff(got, want chat.Message) string {
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		return fmt.Sprintf("CreatedAt %v, want %v in UTC", got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

// roomDiff describes how got differs from want, or returns "".
func roomDiff(got, want chat.Room) string {
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		return fmt.Sprintf("CreatedAt %v, want %v in UTC", got.CreatedAt, want.CreatedAt)
	}
	if !slices.Equal(got.People, want.People) {
		return fmt.Sprintf("People %v, want %v", got.People, want.People)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	got.People, want.People = nil, nil
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

// seqs returns the Seq of each of ms.
func seqs(ms []chat.Message) []int64 {
	s := make([]int64, len(ms))
	for i, m := range ms {
		s[i] = m.Seq
	}
	return s
}

// SeqRange returns from, from+1, ..., to (empty when to < from): the
// Seqs a room holds, for tests to compare with.
func SeqRange(from, to int64) []int64 {
	s := []int64{}
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}
