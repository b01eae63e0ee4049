package views

import (
	"strings"

	"hxchat/chat"
)

// AccountForm is the form that creates an account: on /setup (the first
// account) and on /join/CODE. The password is never shown again.
type AccountForm struct {
	// CSRF is the form's anti-forgery token.
	CSRF string
	// Action is the address the form posts to, with its setup token or
	// invitation code.
	Action string
	// Name and Email are what was typed, kept when the form is refused.
	Name, Email string
	// Err is why the form was refused, if it was.
	Err error
}

// SetupPage is /setup: with a valid setup token the form that creates the
// first account (an administrator); without one, the page every page
// redirects to until then, saying that the setup link is in the server's
// log.
type SetupPage struct {
	Layout
	// Form is the account form; nil shows where to find the link instead.
	Form *AccountForm
}

// LoginPage is /login.
type LoginPage struct {
	Layout
	// Email is what was typed, kept when sign-in fails.
	Email string
	// Next is the address to go to after signing in (a local path).
	Next string
	// Err is why signing in failed, if it did.
	Err error
	// SignedOut is true right after signing out.
	SignedOut bool
}

// JoinPage is /join/CODE: an invitation to create an account.
type JoinPage struct {
	Layout
	// Form is the account form.
	Form AccountForm
}

// ResetPage is /reset/TOKEN: a one-time link to choose a new password.
type ResetPage struct {
	Layout
	// Action is the address the form posts to.
	Action string
	// Person is whose password it sets.
	Person chat.User
	// Err is why the password was refused, if it was.
	Err error
}

// SessionRow is one of a person's sessions on /account.
type SessionRow struct {
	chat.Session
	// Current is the session viewing the page.
	Current bool
}

// PasswordForm changes the viewer's password on /account.
type PasswordForm struct {
	// CSRF is the form's anti-forgery token.
	CSRF string
	// Err is why the change was refused, if it was.
	Err error
	// Saved is true right after a change.
	Saved bool
}

// AccountPage is /account: the viewer's account and sessions.
type AccountPage struct {
	Layout
	// Account is the viewer's account.
	Account chat.Account
	// Sessions are the viewer's sessions, the most recently seen first,
	// each with its own "Sign out"; the page also has "Sign out
	// everywhere".
	Sessions []SessionRow
	// Password is the change-password form ("Current password", "New
	// password").
	Password PasswordForm
	// NameForm is the display-name form.
	NameForm NameForm
}

// AdminPage is /admin: people, the invitation link, rooms and the audit
// log, for administrators.
type AdminPage struct {
	Layout
	// InviteURL is the invitation link, whole ("https://host/join/CODE"),
	// with "Reset invitation link" beside it.
	InviteURL string
	// ResetFor and ResetURL are the one-time password-reset link just
	// made, shown once; ResetURL is "" otherwise.
	ResetFor chat.User
	ResetURL string
	// People are the accounts, by ID; MorePeople the address of the next
	// page ("" when none).
	People     []chat.Account
	MorePeople string
	// Rooms are the open and private rooms, by name; MoreRooms the
	// address of the next page.
	Rooms     []chat.Room
	MoreRooms string
	// RoomErr is why renaming the room RoomErrID failed, if it did.
	RoomErr   error
	RoomErrID int64
	// RoomErrName is the name typed for room RoomErrID, kept in its field
	// when the rename is refused ("": the field shows the room's name).
	RoomErrName string
	// Audit are the newest entries of the audit log.
	Audit []chat.Audit
}

// MembersPage is a room's "Members" page.
type MembersPage struct {
	Layout
	// Room is the room; Title its heading (see RoomPage.Title).
	Room  chat.Room
	Title string
	// Members are the people added to the room, by name.
	Members []chat.User
	// CanManage is true for the room's creator and administrators, who
	// see an "Add" form (a field labelled "Name") and a "Remove" button
	// per member.
	CanManage bool
	// Name and Err are the add form's typed name and why it was refused.
	Name string
	Err  error
}

// PeoplePage is /people: everyone with an account, each with "Message
// NAME", which opens (or starts) a direct conversation.
type PeoplePage struct {
	Layout
	// People are a page of accounts, by ID; More the next page's address.
	People []chat.User
	More   string
}

// DirectTitle names a direct conversation for me: the other people in
// it (others), or me alone when I am its only member.
func DirectTitle(people []chat.User, me chat.User) string {
	names := make([]string, 0, len(people))
	for _, u := range others(chat.Room{People: people}, me.ID) {
		names = append(names, u.Name)
	}
	if len(names) == 0 {
		return me.Name
	}
	return strings.Join(names, ", ")
}
