package chat

import (
	"context"
	"strings"
	"time"
)

// RoomKind says who belongs to a room.
type RoomKind string

// The kinds of room.
const (
	// RoomOpen: every account is a member, including accounts created
	// later. In open mode every room is open.
	RoomOpen RoomKind = "open"
	// RoomPrivate: only the people added to it.
	RoomPrivate RoomKind = "private"
	// RoomDirect: a conversation of a few people, at most one per set of
	// people; nobody joins or leaves it.
	RoomDirect RoomKind = "direct"
)

// Account is a person who signs in: a User with an email and a role.
type Account struct {
	User
	// Email is what the person signs in with; unique, compared without
	// regard to case.
	Email string
	// Admin may manage accounts, rooms and invitations.
	Admin bool
	// Deactivated accounts cannot sign in and have no sessions.
	Deactivated bool
	// CreatedAt is when the account was made.
	CreatedAt time.Time
}

// Session is one signed-in browser or client. The token it was made from
// is given to the client once; the store keeps only ID, the token's
// digest, so that reading the database gives nobody a session.
type Session struct {
	// ID is the SHA-256 of the session's token, base64url.
	ID string
	// User is the account the session signs in.
	User int64
	// Device describes the client, from its User-Agent.
	Device string
	// CreatedAt is when the person signed in; LastSeen when the session
	// was last used, to the minute.
	CreatedAt, LastSeen time.Time
}

// Audit is one entry of the administrators' log.
type Audit struct {
	// ID is assigned by the store; newer entries have bigger IDs.
	ID int64
	// At is when it happened.
	At time.Time
	// Actor is the administrator who did it.
	Actor User
	// Action names what was done ("deactivate", "archive_room", ...).
	Action string
	// Subject is what it was done to, as shown ("Ada (#3)", "Room #7").
	Subject string
}

// NewAccount is an account to create.
type NewAccount struct {
	Name, Email string
	// Hash is the password's argon2id hash in PHC form.
	Hash  string
	Admin bool
	// First creates the account only if there is no account yet (the
	// setup form); otherwise it fails with reason SetupDone.
	First bool
	At    time.Time
}

// Directory is the part of Store that keeps accounts, sessions,
// one-time links, memberships and the audit log.
type Directory interface {
	// CreateAccount stores a new account. An email or display name taken
	// already (compared by EmailKey and NameKey) fails with reason Taken
	// and Field FieldEmail or FieldDisplayName.
	CreateAccount(ctx context.Context, a NewAccount) (Account, error)
	// Account returns the account with id, or reason NoMember.
	Account(ctx context.Context, id int64) (Account, error)
	// AccountByName returns the account whose display name has the
	// NameKey of name, or reason NoMember.
	AccountByName(ctx context.Context, name string) (Account, error)
	// Credentials returns the account whose email has the EmailKey of
	// email and its password hash, or reason NoMember.
	Credentials(ctx context.Context, email string) (Account, string, error)
	// Accounts returns up to limit accounts with ID > after, by ID.
	Accounts(ctx context.Context, after int64, limit int) ([]Account, error)
	// HasAccounts reports whether any account exists.
	HasAccounts(ctx context.Context) (bool, error)
	// SetPassword replaces an account's password hash.
	SetPassword(ctx context.Context, id int64, hash string) error
	// SetAdmin makes an account an administrator or not.
	SetAdmin(ctx context.Context, id int64, admin bool) error
	// SetDeactivated deactivates or reactivates an account.
	SetDeactivated(ctx context.Context, id int64, deactivated bool) error

	// CreateSession stores s.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with id and its account, or reason
	// SignedOut when there is none.
	Session(ctx context.Context, id string) (Session, Account, error)
	// TouchSession sets a session's LastSeen.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// Sessions returns an account's sessions, the most recently seen
	// first.
	Sessions(ctx context.Context, user int64) ([]Session, error)
	// DeleteSessions deletes the sessions of user with the given ids, or
	// all of user's sessions when ids is empty, and returns the IDs
	// deleted. A session of another user is never deleted.
	DeleteSessions(ctx context.Context, user int64, ids ...string) ([]string, error)

	// CreateLink stores a one-time link: the digest of its token, whom it
	// is for, and until when it works. It replaces that person's earlier
	// links: only the newest works.
	CreateLink(ctx context.Context, digest string, user int64, expires time.Time) error
	// Link returns whom the link with digest is for, leaving it in place,
	// or reason LinkExpired when there is none or it expired before now.
	Link(ctx context.Context, digest string, now time.Time) (int64, error)
	// TakeLink deletes the link with digest and returns whom it was for,
	// or reason LinkExpired when there is none or it expired before now.
	TakeLink(ctx context.Context, digest string, now time.Time) (int64, error)

	// SetSecret replaces the value stored under name (see Store.Secret).
	SetSecret(ctx context.Context, name string, value []byte) error
	// DeleteSecret deletes name's value and reports whether there was one:
	// of concurrent callers, only one is told true.
	DeleteSecret(ctx context.Context, name string) (bool, error)

	// CreateRoomOf stores a new room of r.Kind by r.CreatedBy with
	// members (a private room's creator is among them). A direct room is
	// named by its members: when one exists for the same set, it is
	// returned instead. Other kinds fail with reason Taken when the name
	// is taken.
	CreateRoomOf(ctx context.Context, r Room, members []int64) (Room, error)
	// RoomsFor returns up to limit open and private rooms that user may
	// see (open ones, and private ones user is a member of; every one
	// for user 0), not direct ones, ordered by NameKey of the name then
	// ID, starting after the room with NameKey afterKey and ID afterID.
	RoomsFor(ctx context.Context, user int64, afterKey string, afterID int64, limit int) ([]Room, error)
	// DirectRooms returns up to limit direct rooms of user, the most
	// recently started first, with People filled in.
	DirectRooms(ctx context.Context, user int64, limit int) ([]Room, error)
	// IsMember reports whether user was added to room (private and
	// direct rooms; open rooms have no member list).
	IsMember(ctx context.Context, room, user int64) (bool, error)
	// Members returns the people added to room, by name.
	Members(ctx context.Context, room int64) ([]User, error)
	// AddMember adds user to room; adding a member twice is no error.
	AddMember(ctx context.Context, room, user int64) error
	// RemoveMember removes user from room and reports whether they were
	// a member.
	RemoveMember(ctx context.Context, room, user int64) (bool, error)
	// RenameRoom renames a room, or fails with reason Taken.
	RenameRoom(ctx context.Context, id int64, name string) (Room, error)
	// SetArchived archives or restores a room.
	SetArchived(ctx context.Context, id int64, archived bool) error

	// AddAudit appends an entry to the audit log.
	AddAudit(ctx context.Context, a Audit) error
	// AuditLog returns up to limit entries with ID < before (before <= 0:
	// the newest), newest first.
	AuditLog(ctx context.Context, before int64, limit int) ([]Audit, error)
}

// MaxEmail is the longest email address accepted (RFC 5321's path limit).
const MaxEmail = 254

// EmailKey is what makes two emails the same account: the address
// without surrounding space, lower-cased. Mail servers may treat the local
// part's case as significant; people do not, and one person must not get
// two accounts by changing a letter's case.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
