package chat_test

import (
	"testing"

	"hxchat/chat"
)

func TestPrivateRooms(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	cy, _ := a.MustJoin(t, "Cy")

	secret, err := a.svc.CreateRoomOf(ctx, bob, chat.PersonKey(bob.User), "Secret plans", chat.RoomPrivate)
	if err != nil {
		t.Fatal(err)
	}
	open, err := a.svc.CreateRoomOf(ctx, bob, chat.PersonKey(bob.User), "Lobby", chat.RoomOpen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.CreateRoomOf(ctx, bob, chat.PersonKey(bob.User), "Odd", "public"); reason(err) != chat.OutOfRange {
		t.Errorf("a room of an unknown kind: got %v, want %s", err, chat.OutOfRange)
	}

	// Who may enter.
	for _, tc := range []struct {
		who  chat.Account
		room chat.Room
		want chat.Reason
	}{
		{bob, secret, ""},
		{cy, secret, chat.NoRoom},
		{a.admin, secret, chat.NoRoom},
		{chat.Account{}, secret, chat.NoRoom},
		{cy, open, ""},
		{chat.Account{}, open, chat.NoRoom},
	} {
		if _, err := a.svc.Enter(ctx, tc.who, tc.room.ID); reason(err) != tc.want {
			t.Errorf("%q enters %q: got %v, want %q", tc.who.Name, tc.room.Name, err, tc.want)
		}
	}

	// The room list shows a private room to its members only.
	listed := func(who chat.Account) map[string]bool {
		rooms, err := a.svc.RoomList(ctx, who, "", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, r := range rooms {
			m[r.Name] = true
		}
		return m
	}
	if !listed(bob)["Secret plans"] || listed(cy)["Secret plans"] || !listed(cy)["Lobby"] {
		t.Errorf("room lists: Bob %v, Cy %v; want the private room in Bob's only", listed(bob), listed(cy))
	}

	// Only the creator and administrators manage members.
	if _, err := a.svc.AddMember(ctx, cy, secret.ID, "Cy"); reason(err) != chat.NoRoom {
		t.Errorf("a non-member adding: got %v, want %s", err, chat.NoRoom)
	}
	if _, err := a.svc.AddMember(ctx, bob, secret.ID, "Nobody"); reason(err) != chat.NoMember {
		t.Errorf("adding an unknown name: got %v, want %s", err, chat.NoMember)
	}
	if _, err := a.svc.AddMember(ctx, bob, secret.ID, "CY"); err != nil {
		t.Fatalf("Bob adds Cy: %v", err)
	}
	if _, err := a.svc.Enter(ctx, cy, secret.ID); err != nil {
		t.Errorf("Cy, added, enters: %v", err)
	}
	if err := a.svc.RemoveMember(ctx, cy, secret.ID, bob.ID); reason(err) != chat.NotAllowed {
		t.Errorf("a member who is not the creator removing: got %v, want %s", err, chat.NotAllowed)
	}
	if err := a.svc.RemoveMember(ctx, a.admin, secret.ID, cy.ID); err != nil {
		t.Fatalf("an administrator removes Cy: %v", err)
	}
	if _, err := a.svc.Enter(ctx, cy, secret.ID); reason(err) != chat.NoRoom {
		t.Errorf("Cy, removed, enters: got %v, want %s", err, chat.NoRoom)
	}
	if ev := a.rec.last(chat.EventRemoved); ev == nil || ev.Room != secret.ID || ev.User != cy.ID {
		t.Errorf("published: got %+v, want Cy removed from room %d", ev, secret.ID)
	}
}

func TestDirectRooms(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	cy, _ := a.MustJoin(t, "Cy")
	r, err := a.svc.Direct(ctx, bob, cy.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.svc.Direct(ctx, cy, bob.ID)
	if err != nil || again.ID != r.ID {
		t.Errorf("Cy messages Bob back: got room %d, %v; want the same room %d", again.ID, err, r.ID)
	}
	if _, err := a.svc.Enter(ctx, a.admin, r.ID); reason(err) != chat.NoRoom {
		t.Errorf("an administrator enters a direct room: got %v, want %s", err, chat.NoRoom)
	}
	entered, err := a.svc.Enter(ctx, bob, r.ID)
	if err != nil || len(entered.People) != 2 {
		t.Errorf("Bob enters: got %+v, %v; want the room with its 2 people", entered, err)
	}
	direct, err := a.svc.DirectRooms(ctx, cy, 10)
	if err != nil || len(direct) != 1 || direct[0].ID != r.ID {
		t.Errorf("Cy's direct rooms: got %+v, %v", direct, err)
	}
	if rooms, _ := a.svc.RoomList(ctx, bob, "", 0, 100); len(rooms) != 0 {
		t.Errorf("Bob's room list: got %+v, want no room (direct ones are listed apart)", rooms)
	}
	if _, err := a.svc.Direct(ctx, bob, 9999); reason(err) != chat.NoMember {
		t.Errorf("messaging nobody: got %v, want %s", err, chat.NoMember)
	}
	if err := a.svc.RemoveMember(ctx, a.admin, r.ID, bob.ID); reason(err) != chat.NoRoom {
		t.Errorf("removing from a direct room: got %v, want %s", err, chat.NoRoom)
	}
}

func TestArchivedRoom(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	r, err := a.svc.CreateRoomOf(ctx, bob, chat.PersonKey(bob.User), "Old news", chat.RoomOpen)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.svc.SetArchived(ctx, bob, r.ID, true); reason(err) != chat.NotAllowed {
		t.Errorf("a member archiving: got %v, want %s", err, chat.NotAllowed)
	}
	if err := a.svc.SetArchived(ctx, a.admin, r.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err := a.svc.Enter(ctx, bob, r.ID)
	if err != nil || !got.Archived {
		t.Errorf("the archived room: got %+v, %v; want it readable and Archived", got, err)
	}
	if ev := a.rec.last(chat.EventArchived); ev == nil || ev.Room != r.ID {
		t.Errorf("published: got %+v, want room %d archived", ev, r.ID)
	}
	if _, err := a.svc.RenameRoom(ctx, a.admin, r.ID, "Older news"); err != nil {
		t.Errorf("RenameRoom: %v", err)
	}
}

func TestRecheck(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, bobTok := a.MustJoin(t, "Bob")
	cy, cyTok := a.MustJoin(t, "Cy")
	_, bobSession, _ := a.svc.Authenticate(ctx, bobTok)
	_, cySession, _ := a.svc.Authenticate(ctx, cyTok)
	room, err := a.svc.CreateRoomOf(ctx, bob, chat.PersonKey(bob.User), "Team", chat.RoomPrivate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.AddMember(ctx, bob, room.ID, "Cy"); err != nil {
		t.Fatal(err)
	}
	check := func(user int64, session string) chat.Reason {
		t.Helper()
		r, err := a.svc.Recheck(ctx, room.ID, user, session)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if got := check(bob.ID, bobSession.ID); got != "" {
		t.Errorf("a member with a live session: got %q, want none", got)
	}
	if got := check(cy.ID, bobSession.ID); got != chat.SignedOut {
		t.Errorf("another person's session: got %q, want %s", got, chat.SignedOut)
	}
	if err := a.svc.RemoveMember(ctx, bob, room.ID, cy.ID); err != nil {
		t.Fatal(err)
	}
	if got := check(cy.ID, cySession.ID); got != chat.Removed {
		t.Errorf("a removed member: got %q, want %s", got, chat.Removed)
	}
	if err := a.svc.SignOut(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if got := check(bob.ID, bobSession.ID); got != chat.SignedOut {
		t.Errorf("a signed-out session: got %q, want %s", got, chat.SignedOut)
	}
}
