// Package views holds every piece of HTML hxchat shows: the layout, the
// pages and the fragments the hub sends over websockets. Designers find
// every visible word here.
package views

import (
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"hxchat/chat"
)

// Layout is what every page needs besides its own content.
type Layout struct {
	// Title is the page title, without the app name.
	Title string
	// Me is the person viewing the page.
	Me chat.User
	// CSRF is the token every form POST must carry.
	CSRF string
	// Scheme forces "light" or "dark" colours on the page; empty follows
	// the operating system.
	Scheme string
	// SignedIn is true when Me signed in with an account: the header
	// shows "Account" and the "Sign out" button. False in open mode and
	// on the pages before signing in.
	SignedIn bool
	// Admin is true when Me is an administrator: the header links to
	// /admin.
	Admin bool
}

// NameForm is the form that changes the viewer's display name.
type NameForm struct {
	// CSRF is the form's anti-forgery token.
	CSRF string
	// Name is the value to show in the field.
	Name string
	// Err is why the last try failed, if it did.
	Err error
	// Saved is true right after a successful change.
	Saved bool
}

// RoomForm is the form that creates a room.
type RoomForm struct {
	// CSRF is the form's anti-forgery token.
	CSRF string
	// Name is what was typed, kept when the name is refused.
	Name string
	// Err is why the name was refused, if it was.
	Err error
	// Kinds offers the choice between an open and a private room
	// (accounts mode); without it every room is open.
	Kinds bool
	// Private is the choice made: a private room.
	Private bool
}

// RoomsPage is the list of rooms.
type RoomsPage struct {
	Layout
	// Rooms are the first page of the open and private rooms the viewer
	// belongs to, by name.
	Rooms RoomList
	// Direct are the viewer's direct conversations, newest first, each
	// with its People.
	Direct []chat.Room
	// Form is the create-room form.
	Form RoomForm
	// NameForm is the display-name form.
	NameForm NameForm
}

// RoomList is one page of the room list. When there are more rooms it
// ends with a "More rooms" control that fetches More and replaces itself
// with the next page.
type RoomList struct {
	// Rooms are in order of name.
	Rooms []chat.Room
	// More is the address of the next page ("" when this is the last).
	More string
}

// SendForm is the message form of a room.
type SendForm struct {
	// Room is the room the form posts to.
	Room int64
	// Token identifies this rendering of the form, so that a resend is
	// recognised.
	Token string
	// CSRF is the form's anti-forgery token, which a plain POST (no
	// script, or compatibility mode) carries.
	CSRF string
	// Transport is how the page sends: over its websocket, or by a POST
	// (htmx's or the browser's own) to the room's messages.
	Transport Transport
	// Body is the text to show in the field: what was typed, kept when a
	// plain POST was refused.
	Body string
	// Err is why a plain POST was refused, if it was.
	Err error
}

// Transport is how a room page receives its live updates.
type Transport string

const (
	// TransportWS is htmx's websocket extension on /ws/chat, the default.
	TransportWS Transport = "ws"
	// TransportSSE is compatibility mode: htmx's SSE extension on
	// /sse/chat, with messages sent by POST, for networks where
	// websockets do not get through.
	TransportSSE Transport = "sse"
)

// RoomPage is one room.
type RoomPage struct {
	Layout
	// Room is the room shown.
	Room chat.Room
	// Page is the newest page of messages.
	Page chat.Page
	// Online are the first people connected to the room.
	Online []chat.User
	// OnlineHidden is how many more are connected.
	OnlineHidden int
	// Send is the message form.
	Send SendForm
	// NameForm is the display-name form.
	NameForm NameForm
	// Title is the room's heading: its name or, for a direct room, the
	// other people's names.
	Title string
	// Members is true when the room has a member list to show (a
	// private or direct room, in accounts mode).
	Members bool
	// Transport is how the page receives live updates.
	Transport Transport
	// History is set when the page shows an older page of messages, the
	// target of "Load older" without script: it receives no live updates
	// and links to the newest messages.
	History bool
}

// liveAttributes connect the page to its room's live updates: htmx's
// websocket extension, or its SSE extension swapping every event's
// fragments out of band. An older page gets none.
func (p RoomPage) liveAttributes() templ.Attributes {
	switch {
	case p.History:
		return nil
	case p.Transport == TransportSSE:
		return templ.Attributes{
			"hx-ext": "sse", "sse-connect": streamURL(p.Room.ID), "sse-swap": "message",
			"hx-swap": "none", "sse-close": StreamEnd,
		}
	}
	return templ.Attributes{"hx-ext": "ws", "ws-connect": socketURL(p.Room.ID)}
}

// StreamEnd names the event after which a page closes its event stream
// for good: the server said why in the event before it.
const StreamEnd = "end"

// GalleryPage is the component gallery: every sample, in both schemes.
type GalleryPage struct {
	Layout
	// Samples are what the gallery shows, in order.
	Samples []Sample
}

// ErrorPage is shown for a failed request.
type ErrorPage struct {
	Layout
	// Status is the HTTP status code.
	Status int
	// Err is what went wrong: a domain error is put into words; any
	// other error is the server's fault, or a request refused before it
	// reached the domain, and the page speaks of Status.
	Err error
}

// titled is the page's layout with the error's heading as its title.
func (p ErrorPage) titled() Layout {
	l := p.Layout
	l.Title = errorHeading(p.Status)
	return l
}

// roomURL is the address of a room's page.
func roomURL(id int64) string { return "/chat/rooms/" + strconv.FormatInt(id, 10) }

// socketURL is the websocket address of a room.
func socketURL(id int64) string { return "/ws/chat?room=" + strconv.FormatInt(id, 10) }

// streamURL is the event stream of room id, for compatibility mode.
func streamURL(id int64) string { return "/sse/chat?room=" + strconv.FormatInt(id, 10) }

// postURL is where a room's messages are posted without the websocket.
func postURL(id int64) string { return roomURL(id) + "/messages" }

// transportURL opens room id in transport t, which the browser then
// keeps as its preference.
func transportURL(id int64, t Transport) string {
	return roomURL(id) + "?transport=" + string(t)
}

// olderPageURL is the page of messages before seq, as a whole page, for
// "Load older" without script.
func olderPageURL(room, before int64) string {
	return roomURL(room) + "?before=" + strconv.FormatInt(before, 10)
}

// olderURL fetches the page of messages before seq.
func olderURL(room, before int64) string {
	return roomURL(room) + "/messages?before=" + strconv.FormatInt(before, 10)
}

// messageID is the DOM id of a message, unique per room.
func messageID(m chat.Message) string { return "m" + strconv.FormatInt(m.Seq, 10) }

// clock is the time of day a message shows (UTC).
func clock(t time.Time) string { return t.UTC().Format("15:04") }

// stamp is the full date and time in a message's tooltip.
func stamp(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC") }

// datetime is the machine-readable time of a <time> element.
func datetime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// itoa formats an int64 for attributes.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// maxNamedNotices is how many people coming (or going) at once get a line
// each; more get one line together.
const maxNamedNotices = 3

// crowd names the first few of users and counts the rest: "ann, bob, cy
// and 7 others".
func crowd(users []chat.User) string {
	names := make([]string, 0, maxNamedNotices)
	for _, u := range users[:min(len(users), maxNamedNotices)] {
		names = append(names, u.Name)
	}
	rest := len(users) - len(names)
	if rest == 0 {
		return strings.Join(names, ", ")
	}
	other := "others"
	if rest == 1 {
		other = "other"
	}
	return strings.Join(names, ", ") + " and " + strconv.Itoa(rest) + " " + other
}
