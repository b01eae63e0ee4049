package chat

import "context"

// EventKind tells what an Event announces.
type EventKind string

const (
	// EventMessage announces a stored message.
	EventMessage EventKind = "message"
	// EventRoster tells the other instances who is in a room on one.
	EventRoster EventKind = "roster"
	// EventSignedOut says that sessions ended: their live connections
	// close, on every instance.
	EventSignedOut EventKind = "signed_out"
	// EventRemoved says that User was removed from Room: their live
	// connections to it close, on every instance.
	EventRemoved EventKind = "removed"
	// EventArchived says that Room was archived: its live connections
	// close, since nobody may write there any more.
	EventArchived EventKind = "archived"
)

// Event is what the service publishes through the Broker for live
// connections to show. It is plain data so that a broker can carry it
// between instances.
type Event struct {
	// Kind says which of the fields below is set.
	Kind EventKind `json:"kind"`
	// Room is the room the event belongs to.
	Room int64 `json:"room"`
	// Message is set for EventMessage.
	Message *Message `json:"message,omitempty"`
	// Roster is set for EventRoster.
	Roster *Roster `json:"roster,omitempty"`
	// Ended is set for EventSignedOut.
	Ended *Ended `json:"ended,omitempty"`
	// User is the person removed, for EventRemoved.
	User int64 `json:"user,omitempty"`
}

// Ended are sessions that ended: signed-out browsers and revoked access
// tokens alike.
type Ended struct {
	// User is whose sessions they were.
	User int64 `json:"user"`
	// Sessions are their keys, as connections hold them: a browser
	// session's ID, or TokenSession of a token.
	Sessions []string `json:"sessions"`
}

// Roster is what one instance tells the others about a room, so that
// every instance shows the same people online and announces each person
// once, however their connections are spread.
type Roster struct {
	// Instance identifies the instance that sent the roster.
	Instance string `json:"instance"`
	// Version grows with every roster an instance sends; an older one
	// that arrives late is ignored.
	Version int64 `json:"version"`
	// People are everyone connected to the room on that instance.
	People []User `json:"people"`
	// Joined and Left are who came and went there since its last roster.
	Joined []User `json:"joined,omitempty"`
	Left   []User `json:"left,omitempty"`
	// Ask asks the other instances for their rosters of the room now: the
	// sender has just got its first member there.
	Ask bool `json:"ask,omitempty"`
}

// Broker carries events from the instance that produced them to the hub
// of every instance, itself included. Delivery is at most once and may
// reorder events; the hub restores the order from Message.Seq and fills
// any gap from the Store, so a Broker need not be reliable.
type Broker interface {
	// Publish sends ev to every subscriber.
	Publish(ctx context.Context, ev Event) error
}

// Sink receives the events a Broker delivers. The hub implements it.
type Sink interface {
	// Deliver hands over one event. It must not block for long: brokers
	// call it on their receiving path.
	Deliver(ev Event)
	// Resync says that events may have been lost (the broker's connection
	// dropped and came back): the sink reads what it missed from the
	// store.
	Resync()
}

// MaxOnlineShown is how many names an online list shows; a bigger room
// shows these and a count of the rest.
const MaxOnlineShown = 50

// Presence is who is online in a room, and who came and went since the
// last Presence.
type Presence struct {
	// Room is the room concerned.
	Room int64
	// Joined are the people whose first connection to the room opened,
	// ordered by name.
	Joined []User
	// Left are the people whose last connection to the room closed,
	// ordered by name.
	Left []User
	// Online are the first MaxOnlineShown people online, ordered by name.
	Online []User
	// Total is how many people are online.
	Total int
}

// Hidden is how many people online Online leaves out.
func (p Presence) Hidden() int { return p.Total - len(p.Online) }
