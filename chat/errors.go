package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code classifies an error so that callers can react without matching
// on strings: a handler picks an HTTP status by it.
type Code string

// Error codes.
const (
	// Invalid: the input breaks a rule.
	Invalid Code = "invalid"
	// Conflict: the input clashes with what is stored (a taken name).
	Conflict Code = "conflict"
	// NotFound: the thing asked for does not exist.
	NotFound Code = "not_found"
	// Forbidden: the caller may not do this.
	Forbidden Code = "forbidden"
	// TooMany: the caller is over a rate limit.
	TooMany Code = "too_many"
	// Unavailable: a dependency is down; trying again later may work.
	Unavailable Code = "unavailable"
	// Unauthenticated: the request carries no valid session.
	Unauthenticated Code = "unauthenticated"
	// Internal: anything else; nothing about it is for users.
	Internal Code = "internal"
)

// Reason names the rule an error broke or the state that stopped an
// action. The views put each reason into words; the domain only states
// the facts, so that every sentence a person reads lives in views/.
type Reason string

// Reasons, each with the Code it belongs to.
const (
	// Empty: Field was blank (Invalid).
	Empty Reason = "empty"
	// TooLong: Field holds Length characters, over Limit (Invalid).
	TooLong Reason = "too_long"
	// ControlCharacters: Field holds a control character (Invalid).
	ControlCharacters Reason = "control_characters"
	// Disallowed: Field holds Value, a code point names may not hold: a
	// format character (bidirectional override, zero-width) or an
	// unassigned one (Invalid).
	Disallowed Reason = "disallowed"
	// TooManyMarks: Field stacks too many combining marks on Value
	// (Invalid).
	TooManyMarks Reason = "too_many_marks"
	// MixedScripts: Field mixes letters of the scripts Value names, which
	// are not written together (Invalid).
	MixedScripts Reason = "mixed_scripts"
	// Expired: a form carries a token the server did not issue, or one it
	// no longer accepts (Invalid).
	Expired Reason = "expired"
	// Unreadable: a request or frame could not be decoded (Invalid).
	Unreadable Reason = "unreadable"
	// OutOfRange: Field holds a number outside what it accepts (Invalid).
	OutOfRange Reason = "out_of_range"
	// Taken: Value, given for Field, is already used (Conflict).
	Taken Reason = "taken"
	// Clash: something unique is already stored, with nothing more known
	// (Conflict).
	Clash Reason = "clash"
	// NoRoom: the room does not exist (NotFound).
	NoRoom Reason = "no_room"
	// NoMember: the member does not exist (NotFound).
	NoMember Reason = "no_member"
	// CrossSite: a form lacks its anti-forgery token or came from another
	// site (Forbidden).
	CrossSite Reason = "cross_site"
	// WrongOrigin: a page on another origin tried to connect (Forbidden).
	WrongOrigin Reason = "wrong_origin"
	// TooFast: over the sending rate (TooMany).
	TooFast Reason = "too_fast"
	// TooManyRooms: Limit rooms created in the last hour (TooMany).
	TooManyRooms Reason = "too_many_rooms"
	// TooManyRenames: Limit name changes in the last minute (TooMany).
	TooManyRenames Reason = "too_many_renames"
	// TooManyPeople: Limit new identities given to one client address in
	// the last hour (TooMany).
	TooManyPeople Reason = "too_many_people"
	// TooManyConnections: Limit live connections held already (TooMany).
	TooManyConnections Reason = "too_many_connections"
	// WeakPassword: the password is shorter than Limit characters
	// (Invalid).
	WeakPassword Reason = "weak_password"
	// BadEmail: Field holds something that is not an email address
	// (Invalid).
	BadEmail Reason = "bad_email"
	// WrongPassword: no active account has this email and password
	// (Invalid). Whether the email exists is not told.
	WrongPassword Reason = "wrong_password"
	// SetupDone: the first account exists already (Conflict).
	SetupDone Reason = "setup_done"
	// LinkExpired: a setup, invitation or reset link was used already,
	// replaced, or is past its time (NotFound).
	LinkExpired Reason = "link_expired"
	// SignedOut: the request's session does not exist, or ended
	// (Unauthenticated).
	SignedOut Reason = "signed_out"
	// NotAllowed: only an administrator (or a room's creator) may do this
	// (Forbidden).
	NotAllowed Reason = "not_allowed"
	// Archived: the room is archived and read-only (Forbidden).
	Archived Reason = "archived"
	// Removed: the person was removed from the room, or signed out, while
	// connected (Forbidden).
	Removed Reason = "removed"
	// TooManySignIns: too many failed sign-ins for this email or client;
	// Wait says when to try again (TooMany).
	TooManySignIns Reason = "too_many_sign_ins"
	// TooManyTokens: the account holds Limit access tokens already
	// (TooMany).
	TooManyTokens Reason = "too_many_tokens"
	// NoToken: the access token does not exist, or is someone else's
	// (NotFound).
	NoToken Reason = "no_token"
	// Restarting: the server is shutting down (Unavailable).
	Restarting Reason = "restarting"
	// Busy: the database is too busy right now (Unavailable).
	Busy Reason = "busy"
	// Unreachable: the database cannot be reached (Unavailable).
	Unreachable Reason = "unreachable"
	// NotStored: a message could not be stored, and sending it again is
	// safe (Unavailable).
	NotStored Reason = "not_stored"
	// StoreFull: the database's disk is full, so nothing new can be
	// stored until space is freed; sending again later is safe
	// (Unavailable).
	StoreFull Reason = "store_full"
)

// codes maps every Reason to its Code.
var codes = map[Reason]Code{
	Empty: Invalid, TooLong: Invalid, ControlCharacters: Invalid, Expired: Invalid,
	Disallowed: Invalid, TooManyMarks: Invalid, MixedScripts: Invalid,
	Unreadable: Invalid, OutOfRange: Invalid,
	Taken: Conflict, Clash: Conflict,
	NoRoom: NotFound, NoMember: NotFound,
	CrossSite: Forbidden, WrongOrigin: Forbidden,
	TooFast: TooMany, TooManyRooms: TooMany, TooManyRenames: TooMany,
	TooManyPeople: TooMany, TooManyConnections: TooMany, TooManySignIns: TooMany,
	TooManyTokens: TooMany, NoToken: NotFound,
	WeakPassword: Invalid, BadEmail: Invalid, WrongPassword: Invalid,
	SetupDone: Conflict, LinkExpired: NotFound, SignedOut: Unauthenticated,
	NotAllowed: Forbidden, Archived: Forbidden, Removed: Forbidden,
	Restarting: Unavailable, Busy: Unavailable, Unreachable: Unavailable, NotStored: Unavailable,
	StoreFull: Unavailable,
}

// Reasons returns every Reason, in no particular order.
func Reasons() []Reason {
	rs := make([]Reason, 0, len(codes))
	for r := range codes {
		rs = append(rs, r)
	}
	return rs
}

// Field names the input an error is about.
type Field string

// Fields people fill in.
const (
	FieldRoomName    Field = "room_name"
	FieldDisplayName Field = "display_name"
	FieldBody        Field = "body"
	FieldEmail       Field = "email"
	FieldPassword    Field = "password"
	// FieldTokenName is an access token's name.
	FieldTokenName Field = "token_name"
	// FieldBefore is the message number "Load older" asks before.
	FieldBefore Field = "before"
)

// Error is a domain error: the reason and the facts behind it, for the
// views to put into words.
type Error struct {
	// Reason is the rule broken; it decides the Code.
	Reason Reason
	// Field is the input at fault, if one is.
	Field Field
	// Limit and Length are the most characters Field may hold and how
	// many it held (TooLong).
	Limit, Length int
	// Value is the input that clashed (Taken).
	Value string
	// Wait is how long until trying again may work (TooManySignIns).
	Wait time.Duration
}

// Fail returns an error for reason, about field when one is given.
func Fail(reason Reason, field ...Field) *Error {
	e := &Error{Reason: reason}
	if len(field) > 0 {
		e.Field = field[0]
	}
	return e
}

// Code returns the class of e's Reason, Internal for an unknown one.
func (e *Error) Code() Code {
	if c, ok := codes[e.Reason]; ok {
		return c
	}
	return Internal
}

// Error describes e for logs and tests; people read the views' words.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Reason))
	if e.Field != "" {
		fmt.Fprintf(&b, " %s", e.Field)
	}
	if e.Reason == TooLong {
		fmt.Fprintf(&b, " (%d characters, limit %d)", e.Length, e.Limit)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	return b.String()
}

// ErrorCode returns the code of the first *Error in err's chain,
// Internal for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code()
	}
	return Internal
}

// AsError returns the first *Error in err's chain, or nil.
func AsError(err error) *Error {
	e, _ := errors.AsType[*Error](err)
	return e
}
