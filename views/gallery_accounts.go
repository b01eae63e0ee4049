package views

import (
	"time"

	"github.com/a-h/templ"

	"hxchat/chat"
)

// The accounts, sessions, rooms and links of the samples of accounts
// mode.
var (
	sampleHost = "https://chat.example.com"
	accounts   = []chat.Account{
		{User: ana, Email: "ana@example.com", Admin: true, CreatedAt: sampleTime.AddDate(0, -3, 0)},
		{User: bo, Email: "bo@example.com", CreatedAt: sampleTime.AddDate(0, -2, 0)},
		{User: chandra, Email: "chandra.ramaswamy-oyelaran@university.example.edu", Deactivated: true, CreatedAt: sampleTime.AddDate(0, -2, 0)},
		{User: devika, Email: "devika@example.com", Admin: true, CreatedAt: sampleTime.AddDate(0, -1, 0)},
		{User: eli, Email: "eli@example.com", CreatedAt: sampleTime.AddDate(0, 0, -3)},
	}
	privateRoom  = chat.Room{ID: 7, Name: "Release planning", Kind: chat.RoomPrivate, CreatedBy: ana.ID, CreatedAt: sampleTime}
	archivedRoom = chat.Room{ID: 9, Name: "Old announcements", Archived: true, CreatedAt: sampleTime}
	directRooms  = []chat.Room{
		{ID: 20, Kind: chat.RoomDirect, People: []chat.User{ana, bo}, CreatedAt: sampleTime},
		{ID: 21, Kind: chat.RoomDirect, People: []chat.User{ana, chandra, devika}, CreatedAt: sampleTime},
	}
)

// signedIn is l as Ana, an administrator, sees it, titled title.
func signedIn(l Layout, title string) Layout {
	l.Me, l.CSRF, l.Title, l.SignedIn, l.Admin = ana, "sample", title, true, true
	return l
}

// moreRooms is the second page of the room list, with a third after it.
func moreRooms() RoomList {
	return RoomList{
		Rooms: []chat.Room{{ID: 11, Name: "Support"}, privateRoom, {ID: 12, Name: "Travel"}},
		More:  "/chat/rooms?after=12",
	}
}

// accountPages are the samples of the pages of accounts mode, in the
// order people meet them.
func accountPages() []Sample {
	setupForm := &AccountForm{CSRF: "sample", Action: "/setup?token=sample", Name: "Ana", Email: "ana@example.com",
		Err: &chat.Error{Reason: chat.WeakPassword, Field: chat.FieldPassword, Limit: chat.MinPassword, Length: 6}}
	setup := func(form *AccountForm) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.CSRF, l.Title = "sample", "Set up hxchat"
			return Setup(SetupPage{Layout: l, Form: form})
		}
	}
	login := func(p LoginPage) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.CSRF, l.Title = "sample", "Sign in"
			p.Layout = l
			return Login(p)
		}
	}
	join := func(f AccountForm) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.CSRF, l.Title = "sample", "Join hxchat"
			f.CSRF, f.Action = "sample", "/join/sample"
			return Join(JoinPage{Layout: l, Form: f})
		}
	}
	reset := func(err error) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.CSRF, l.Title = "sample", "Choose a new password"
			return Reset(ResetPage{Layout: l, Action: "/reset/sample", Person: bo, Err: err})
		}
	}
	account := func(pw PasswordForm) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l = signedIn(l, "Your account")
			pw.CSRF = "sample"
			return Account(AccountPage{Layout: l, Account: accounts[0], Sessions: sampleSessions(), Password: pw,
				NameForm: NameForm{CSRF: "sample", Name: ana.Name}})
		}
	}
	members := func(manage bool, err error) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l = signedIn(l, "Members of "+privateRoom.Name)
			p := MembersPage{Layout: l, Room: privateRoom, Title: privateRoom.Name, Members: []chat.User{ana, bo, devika}, CanManage: manage}
			if !manage {
				p.Me, p.Admin = bo, false
			}
			if err != nil {
				p.Name, p.Err = "Zed", err
			}
			return Members(p)
		}
	}
	room := func(r chat.Room, title string, members bool) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l = signedIn(l, title)
			return Room(RoomPage{
				Layout: l, Room: r, Title: title, Members: members, Page: chat.Page{Messages: sampleMessages()[:2]},
				Online: []chat.User{ana}, Send: SendForm{Room: r.ID, Token: "sample"}, NameForm: NameForm{CSRF: "sample", Name: ana.Name},
			})
		}
	}
	return []Sample{
		{Name: "setup-wait", Title: "Setup: where the link is", From: "every page, before the first account exists", Page: true,
			shown: setup(nil)},
		{Name: "setup", Title: "Setup: the first account, refused", From: "GET /setup?token=…, and POST /setup when refused (here a short password)", Page: true,
			shown: setup(setupForm)},
		{Name: "login", Title: "Sign in", From: "GET /login, right after signing out", Page: true,
			shown: login(LoginPage{Next: "/chat/rooms/1", SignedOut: true})},
		{Name: "login-wrong", Title: "Sign in: wrong email or password", From: "POST /login when the email and password match no active account", Page: true,
			shown: login(LoginPage{Email: "ana@example.com", Next: "/chat/rooms", Err: chat.Fail(chat.WrongPassword)})},
		{Name: "login-too-many", Title: "Sign in: too many tries", From: "POST /login after too many failed sign-ins", Page: true,
			shown: login(LoginPage{Email: "ana@example.com", Err: &chat.Error{Reason: chat.TooManySignIns, Wait: 150 * time.Second}})},
		{Name: "join", Title: "Join with an invitation", From: "GET /join/CODE", Page: true, shown: join(AccountForm{})},
		{Name: "join-taken", Title: "Join: the email has an account", From: "POST /join/CODE when the email is taken", Page: true,
			shown: join(AccountForm{Name: "Bo", Email: "bo@example.com",
				Err: &chat.Error{Reason: chat.Taken, Field: chat.FieldEmail, Value: "bo@example.com"}})},
		{Name: "reset", Title: "Choose a new password", From: "GET /reset/TOKEN, a link an administrator made", Page: true, shown: reset(nil)},
		{Name: "reset-expired", Title: "Choose a new password: the link expired", From: "POST /reset/TOKEN with a used or expired link", Page: true,
			shown: reset(chat.Fail(chat.LinkExpired))},
		{Name: "account", Title: "Your account", From: "GET /account", Page: true, shown: account(PasswordForm{})},
		{Name: "account-password-refused", Title: "Your account: password not changed", From: "POST /account/password with a wrong current password", Page: true,
			shown: account(PasswordForm{Err: &chat.Error{Reason: chat.WrongPassword, Field: chat.FieldPassword}})},
		{Name: "account-password-saved", Title: "Your account: password changed", From: "POST /account/password", Page: true,
			shown: account(PasswordForm{Saved: true})},
		{Name: "rooms-accounts", Title: "Room list, signed in", From: "GET /chat/rooms with accounts: direct messages, private rooms, more rooms", Page: true,
			shown: func(l Layout) templ.Component {
				l = signedIn(l, "Rooms")
				return Rooms(RoomsPage{Layout: l,
					Rooms:    RoomList{Rooms: []chat.Room{sampleRoom, {ID: 2, Name: "Random"}, archivedRoom, privateRoom}, More: "/chat/rooms?after=7"},
					Direct:   directRooms,
					Form:     RoomForm{CSRF: "sample", Kinds: true},
					NameForm: NameForm{CSRF: "sample", Name: ana.Name},
				})
			}},
		{Name: "room-direct", Title: "Direct conversation", From: "GET /chat/rooms/{id} of a direct room", Page: true,
			shown: room(directRooms[1], "Chandra Ramaswamy-Oyelaran, Devika", true)},
		{Name: "room-archived", Title: "Archived room", From: "GET /chat/rooms/{id} of an archived room: the log, no message form", Page: true,
			shown: room(archivedRoom, archivedRoom.Name, false)},
		{Name: "members", Title: "Members, managed", From: "GET /chat/rooms/{id}/members by the room's creator; POST when the name is unknown", Page: true,
			shown: members(true, chat.Fail(chat.NoMember))},
		{Name: "members-read-only", Title: "Members, read only", From: "GET /chat/rooms/{id}/members by a member", Page: true,
			shown: members(false, nil)},
		{Name: "people", Title: "People", From: "GET /people", Page: true, shown: func(l Layout) templ.Component {
			l = signedIn(l, "People")
			return People(PeoplePage{Layout: l, People: []chat.User{ana, bo, devika, eli}, More: "/people?after=5"})
		}},
		{Name: "admin", Title: "Administration", From: "GET /admin; here after “Password-reset link” and a refused rename", Page: true,
			shown: func(l Layout) templ.Component {
				l = signedIn(l, "Administration")
				return Admin(AdminPage{
					Layout:    l,
					InviteURL: sampleHost + "/join/9f8YkQ2mWc1xTn4LpR7aVd",
					ResetFor:  bo, ResetURL: sampleHost + "/reset/Qm3v7XbN2pL8sKd1YwT5rE",
					People: accounts, MorePeople: "/admin?people=5",
					Rooms:   []chat.Room{sampleRoom, archivedRoom, privateRoom},
					RoomErr: &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: "general"}, RoomErrID: privateRoom.ID, RoomErrName: "general",
					Audit: sampleAudit(),
				})
			}},
	}
}

// sampleSessions are three of Ana's sessions: this browser, a phone and
// a browser whose whole User-Agent is kept.
func sampleSessions() []SessionRow {
	return []SessionRow{
		{Session: chat.Session{ID: "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg", User: ana.ID, Device: "Firefox 134 on Linux",
			CreatedAt: sampleTime.AddDate(0, 0, -3), LastSeen: sampleTime}, Current: true},
		{Session: chat.Session{ID: "Xw2_a9R1o0pVbB7Ck3mT4yQ-uLzE6dN8sFhJgHiK5e0", User: ana.ID, Device: "Safari on iPhone",
			CreatedAt: sampleTime.AddDate(0, 0, -20), LastSeen: sampleTime.Add(-2 * time.Hour)}},
		{Session: chat.Session{ID: "3sLkQ9-vW1xYz_Aa2Bb4Cc6Dd8Ee0Ff1Gg3Hh5Ii7J", User: ana.ID,
			Device:    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36",
			CreatedAt: sampleTime.AddDate(0, -1, 0), LastSeen: sampleTime.AddDate(0, 0, -6)}},
	}
}

// sampleAudit is the audit log, newest first, with one entry of most
// kinds.
func sampleAudit() []chat.Audit {
	entries := []struct{ action, subject string }{
		{"reset_link", "Bo (#2)"},
		{"rename_room", "Planning (room #7) to Release planning"},
		{"archive_room", "Old announcements (room #9)"},
		{"add_member", "Devika (#4) to Release planning (room #7)"},
		{"deactivate", "Chandra Ramaswamy-Oyelaran (#3)"},
		{"make_admin", "Devika (#4)"},
		{"reset_invitation", ""},
	}
	out := make([]chat.Audit, len(entries))
	for i, e := range entries {
		out[i] = chat.Audit{ID: int64(len(entries) - i), At: sampleTime.Add(-time.Duration(i) * 47 * time.Minute),
			Actor: ana, Action: e.action, Subject: e.subject}
	}
	return out
}
