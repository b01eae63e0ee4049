package handlers_test

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"hxchat/chat"
)

// state is what the store holds of accounts, rooms and messages: tests
// compare it before and after requests that must change nothing.
type state struct {
	Rooms      []chat.Room
	Direct     map[int64][]int64
	Members    map[int64][]int64
	Accounts   []chat.Account
	Hashes     map[int64]string
	Sessions   map[int64][]string
	Tokens     map[int64][]int64
	Messages   map[int64]int
	Audit      int
	Invitation string
}

// MustState reads the state of the store.
func (s *stack) MustState(t *testing.T) state {
	t.Helper()
	ctx := t.Context()
	st := state{Direct: map[int64][]int64{}, Members: map[int64][]int64{}, Hashes: map[int64]string{},
		Sessions: map[int64][]string{}, Tokens: map[int64][]int64{}, Messages: map[int64]int{}}
	var err error
	if st.Rooms, err = s.store.RoomsFor(ctx, 0, "", 0, 1000); err != nil {
		t.Fatalf("RoomsFor: %v", err)
	}
	if st.Accounts, err = s.store.Accounts(ctx, 0, 1000); err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	rooms := map[int64]bool{}
	for _, r := range st.Rooms {
		rooms[r.ID] = true
	}
	for _, a := range st.Accounts {
		direct, err := s.store.DirectRooms(ctx, a.ID, 1000)
		if err != nil {
			t.Fatalf("DirectRooms: %v", err)
		}
		for _, r := range direct {
			st.Direct[a.ID] = append(st.Direct[a.ID], r.ID)
			rooms[r.ID] = true
		}
		if _, st.Hashes[a.ID], err = s.store.Credentials(ctx, a.Email); err != nil {
			t.Fatalf("Credentials: %v", err)
		}
		st.Sessions[a.ID] = s.MustSessionIDs(t, a.ID)
		tokens, err := s.store.Tokens(ctx, a.ID)
		if err != nil {
			t.Fatalf("Tokens: %v", err)
		}
		for _, x := range tokens {
			st.Tokens[a.ID] = append(st.Tokens[a.ID], x.ID)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(rooms)) {
		st.Members[id] = s.MustMemberIDs(t, id)
		st.Messages[id] = len(s.MustStored(t, id))
	}
	audit, err := s.store.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatalf("AuditLog: %v", err)
	}
	st.Audit = len(audit)
	if st.Invitation, err = s.svc.Invitation(ctx); err != nil {
		t.Fatalf("Invitation: %v", err)
	}
	return st
}

// MustUnchanged checks that the store holds what it held in was.
func (s *stack) MustUnchanged(t *testing.T, was state) {
	t.Helper()
	if now := s.MustState(t); !reflect.DeepEqual(now, was) {
		t.Errorf("the store changed:\n got %+v\nwant %+v", now, was)
	}
}
