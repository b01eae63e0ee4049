// Package chat is hxchat's domain: rooms, messages, members and the events
// that carry them to live connections. It knows nothing of HTTP, HTML,
// SQL or websockets; the packages that do implement the interfaces it
// declares here (Store, Broker).
package chat

import (
	"context"
	"slices"
	"time"
)

// Room is a named conversation.
type Room struct {
	// ID is assigned by the store and appears in the room's URL.
	ID int64
	// Name is shown as the room's heading; 1 to MaxRoomName characters.
	Name string
	// CreatedAt is when the room was created.
	CreatedAt time.Time
	// Kind says who belongs to the room (RoomOpen when empty).
	Kind RoomKind
	// CreatedBy is the account that created the room; 0 for the rooms
	// the server made and for open mode.
	CreatedBy int64
	// Archived rooms are read-only.
	Archived bool
	// People are a direct room's members, when the store was asked for
	// them (DirectRooms).
	People []User
}

// Open reports whether every account belongs to the room.
func (r Room) Open() bool { return r.Kind == "" || r.Kind == RoomOpen }

// Message is one post in a room. A message exists once it is stored.
type Message struct {
	// ID is unique across all rooms.
	ID int64
	// Room is the ID of the room the message was posted in.
	Room int64
	// Seq is the message's position in its room: 1 for the first message,
	// then each next message one more. The store assigns it, so every
	// instance and every reload agree on the order.
	Seq int64
	// Author is the poster as they were named when they posted.
	Author User
	// Body is the text as typed, 1 to MaxBody characters.
	Body string
	// Token is the form token the message was sent with and a digest of
	// its text; the store keeps at most one message per room and token, so
	// a resent form never posts twice.
	Token string
	// CreatedAt is when the message was stored.
	CreatedAt time.Time
}

// User is a member: someone with a display name, identified by a signed
// cookie rather than an account.
type User struct {
	// ID is assigned by the store.
	ID int64
	// Name is the display name: "member" + ID until the person picks one.
	Name string
}

// Page is a slice of a room's history, oldest first.
type Page struct {
	// Messages are in ascending Seq.
	Messages []Message
	// More reports whether older messages exist before Messages[0].
	More bool
}

// PageOf makes the page for a query that read up to limit+1 messages,
// newest first: the extra one only tells that older messages exist.
func PageOf(newestFirst []Message, limit int) Page {
	p := Page{Messages: newestFirst, More: len(newestFirst) > limit}
	if p.More {
		p.Messages = p.Messages[:limit]
	}
	slices.Reverse(p.Messages)
	return p
}

// Oldest returns the Seq of the first message of the page, or 0.
func (p Page) Oldest() int64 {
	if len(p.Messages) == 0 {
		return 0
	}
	return p.Messages[0].Seq
}

// Newest returns the Seq of the last message of the page, or 0.
func (p Page) Newest() int64 {
	if len(p.Messages) == 0 {
		return 0
	}
	return p.Messages[len(p.Messages)-1].Seq
}

// Store keeps rooms, members and messages. Implementations must be safe
// for concurrent use.
type Store interface {
	// CreateRoom stores a new open room. A name already taken (compared by
	// NameKey) fails with reason Taken.
	CreateRoom(ctx context.Context, name string, now time.Time) (Room, error)
	// Room returns one room or an error with code NotFound.
	Room(ctx context.Context, id int64) (Room, error)

	// CreateUser stores a new member named "member" + their ID.
	CreateUser(ctx context.Context) (User, error)
	// RenameUser changes a member's display name. A name whose NameKey
	// another member's name has fails with reason Taken.
	RenameUser(ctx context.Context, id int64, name string) (User, error)

	// AddMessage stores m with the next Seq of its room and returns it with
	// ID, Seq and CreatedAt set, and Author.Name the author's current
	// display name (m.Author.Name when the store knows no such member). When the room already holds a message
	// with m.Token, it stores nothing and returns that message and
	// duplicate = true.
	AddMessage(ctx context.Context, m Message) (stored Message, duplicate bool, err error)
	// Before returns up to limit messages of room with Seq < before,
	// oldest first (before <= 0 means from the newest).
	Before(ctx context.Context, room, before int64, limit int) (Page, error)
	// After returns up to limit messages of room with Seq > after, oldest
	// first.
	After(ctx context.Context, room, after int64, limit int) ([]Message, error)
	// LastSeq returns the Seq of the newest message in room, or 0.
	LastSeq(ctx context.Context, room int64) (int64, error)

	// Secret returns the value stored under name, storing generate() there
	// first when there is none. Concurrent callers all get the same value.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error

	Directory
	TokenStore
}
