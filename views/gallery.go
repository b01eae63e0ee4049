package views

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/a-h/templ"

	"hxchat/chat"
)

// Sample is one entry of the component gallery (/dev/gallery, served
// with -dev): a page, or a fragment a handler or the hub sends, rendered
// from sample data through the components the server uses.
type Sample struct {
	// Name is the sample's address: /dev/gallery/{Name}.
	Name string
	// Title names the sample in the gallery.
	Title string
	// From says who sends it, to whom and when.
	From string
	// Page is true for a whole page, which the gallery shows in a taller
	// frame.
	Page bool
	// Sent is the fragment exactly as it goes over the wire; nil for a
	// page.
	Sent templ.Component
	// shown draws the sample as a person sees it, in layout l: a page, or
	// a fragment in the part of the page it is swapped into.
	shown func(l Layout) templ.Component
}

// Render draws s as an inert document of its own in scheme ("light" or
// "dark"), for one frame of the gallery.
func (s Sample) Render(l Layout, scheme string) templ.Component {
	l.Scheme = scheme
	c := s.shown(l)
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return c.Render(context.WithValue(ctx, inertKey{}, true), w)
	})
}

// inertKey marks a context whose components render for the gallery.
type inertKey struct{}

// inert reports whether components render for the gallery: without
// scripts, which would connect to rooms that do not exist, and without
// autofocus, which would pull the gallery's focus and scroll into a
// frame.
func inert(ctx context.Context) bool {
	v, _ := ctx.Value(inertKey{}).(bool)
	return v
}

// SentHTML is the fragment's HTML as the server sends it.
func (s Sample) SentHTML(ctx context.Context) string {
	if s.Sent == nil {
		return ""
	}
	b, err := Bytes(ctx, s.Sent)
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}

// Schemes are the colour schemes the gallery shows every sample in.
var Schemes = []string{"light", "dark"}

// GallerySample returns the sample called name.
func GallerySample(name string) (Sample, bool) {
	for _, s := range GallerySamples() {
		if s.Name == name {
			return s, true
		}
	}
	return Sample{}, false
}

// The people, room and messages of the samples. Times are fixed so that
// screenshots of the gallery do not change from run to run.
var (
	sampleTime = time.Date(2026, time.January, 15, 9, 41, 0, 0, time.UTC)
	ana        = chat.User{ID: 1, Name: "Ana"}
	bo         = chat.User{ID: 2, Name: "Bo"}
	chandra    = chat.User{ID: 3, Name: "Chandra Ramaswamy-Oyelaran"}
	devika     = chat.User{ID: 4, Name: "Devika"}
	eli        = chat.User{ID: 5, Name: "Eli"}
	sampleRoom = chat.Room{ID: 1, Name: "General", CreatedAt: sampleTime}
)

// sampleMessages are a short conversation, Seq 41 onwards: plain text,
// markup that must show as text, a word too long for a phone's width and
// a line break.
func sampleMessages() []chat.Message {
	bodies := []struct {
		by   chat.User
		body string
	}{
		{ana, "Morning! Is the deploy still on for ten?"},
		{bo, "Yes. I'll post here when it starts."},
		{chandra, "<b>Markup</b> shows as text. A long link wraps: https://example.com/releases/2026-01-15/notes-for-the-whole-team"},
		{ana, "Thanks!\nSee you at ten."},
	}
	msgs := make([]chat.Message, len(bodies))
	for i, b := range bodies {
		msgs[i] = chat.Message{
			ID: int64(100 + i), Room: sampleRoom.ID, Seq: int64(41 + i), Author: b.by, Body: b.body,
			CreatedAt: sampleTime.Add(time.Duration(i) * 3 * time.Minute),
		}
	}
	return msgs
}

// samplePage is the newest page of the sample room, with older messages
// before it.
func samplePage() chat.Page { return chat.Page{Messages: sampleMessages(), More: true} }

// GallerySamples returns every sample, in the order the gallery shows
// them: pages, then what the hub broadcasts, then the answers handlers
// send.
func GallerySamples() []Sample {
	msgs := sampleMessages()
	joined := chat.Presence{Room: 1, Joined: []chat.User{devika}, Online: []chat.User{ana, bo, devika}, Total: 3}
	crowd := chat.Presence{
		Room:   1,
		Joined: []chat.User{ana, bo, chandra, devika, eli},
		Left:   []chat.User{{ID: 6, Name: "Farid"}, {ID: 7, Name: "Gus"}},
		Online: []chat.User{ana, bo, chandra, devika, eli},
		Total:  17,
	}
	roomPage := func(page chat.Page, online []chat.User, hidden int, change ...func(*RoomPage)) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.Me, l.CSRF, l.Title = ana, "sample", sampleRoom.Name
			p := RoomPage{
				Layout: l, Room: sampleRoom, Page: page, Online: online, OnlineHidden: hidden,
				Send:     SendForm{Room: sampleRoom.ID, Token: "sample", CSRF: "sample"},
				NameForm: NameForm{CSRF: "sample", Name: ana.Name},
			}
			for _, c := range change {
				c(&p)
			}
			p.Send.Transport = p.Transport
			return Room(p)
		}
	}
	roomsPage := func(rooms []chat.Room) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.Me, l.CSRF, l.Title = ana, "sample", "Rooms"
			return Rooms(RoomsPage{Layout: l, Rooms: RoomList{Rooms: rooms}, NameForm: NameForm{CSRF: "sample", Name: ana.Name}})
		}
	}
	errorPage := func(status int, err error) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			l.Me = ana
			return Error(ErrorPage{Layout: l, Status: status, Err: err})
		}
	}
	fragment := func(title string, c templ.Component) func(Layout) templ.Component {
		return func(l Layout) templ.Component { return galleryFrame(l, title, c) }
	}

	samples := []Sample{
		{Name: "rooms", Title: "Room list", From: "GET /chat/rooms", Page: true, shown: roomsPage([]chat.Room{
			sampleRoom, {ID: 2, Name: "Random"}, {ID: 3, Name: "Help"}, {ID: 4, Name: "Release planning for the spring launch"},
		})},
		{Name: "rooms-empty", Title: "Room list with no rooms", From: "GET /chat/rooms on a new installation", Page: true, shown: roomsPage(nil)},
		{Name: "room", Title: "Room page", From: "GET /chat/rooms/{id}", Page: true,
			shown: roomPage(samplePage(), []chat.User{ana, bo, chandra}, 2)},
		{Name: "room-empty", Title: "Room page of a new room", From: "GET /chat/rooms/{id} before anyone wrote", Page: true,
			shown: roomPage(chat.Page{}, []chat.User{ana}, 0)},
		{Name: "room-compat", Title: "Room page in compatibility mode", From: "GET /chat/rooms/{id}?transport=sse, or the cookie that keeps it", Page: true,
			shown: roomPage(samplePage(), []chat.User{ana, bo, chandra}, 0, func(p *RoomPage) { p.Transport = TransportSSE })},
		{Name: "room-older", Title: "An older page of a room", From: "GET /chat/rooms/{id}?before={seq}, “Load older” without script", Page: true,
			shown: roomPage(samplePage(), []chat.User{ana, bo}, 0, func(p *RoomPage) { p.History = true })},
		{Name: "room-refused", Title: "Room page after a refused post", From: "POST /chat/rooms/{id}/messages without script, when the message is refused", Page: true,
			shown: roomPage(samplePage(), []chat.User{ana, bo}, 0, func(p *RoomPage) {
				p.Send.Body = "Is anyone still here?"
				p.Send.Err = &chat.Error{Reason: chat.TooFast, Limit: 5}
			})},
	}
	samples = append(samples, accountPages()...)
	samples = append(samples, tokenPages()...)
	samples = append(samples, []Sample{
		{Name: "error-not-found", Title: "Error page: no such room", From: "any address of a room that does not exist", Page: true,
			shown: errorPage(404, chat.Fail(chat.NoRoom))},
		{Name: "error-no-page", Title: "Error page: no such page", From: "any address with no page", Page: true,
			shown: errorPage(404, nil)},
		{Name: "error-cross-site", Title: "Error page: a form from another site", From: "a form POST without a valid anti-forgery token", Page: true,
			shown: errorPage(403, chat.Fail(chat.CrossSite))},
		{Name: "error-restarting", Title: "Error page: restarting", From: "a request while the server shuts down", Page: true,
			shown: errorPage(503, chat.Fail(chat.Restarting))},
		{Name: "error-internal", Title: "Error page: the server's fault", From: "any request that fails on the server's side", Page: true,
			shown: errorPage(500, nil)},
		{Name: "error-signed-out", Title: "Error page: signed out", From: "a request whose session ended, when it cannot go to /login", Page: true,
			shown: errorPage(401, chat.Fail(chat.SignedOut))},

		{Name: "messages", Title: "New messages", From: "the hub, to every member of the room, as messages are stored",
			Sent: appended(msgs[2:]), shown: fragment("New messages", galleryLog(Older(sampleRoom.ID, chat.Page{Messages: msgs})))},
		{Name: "log", Title: "The whole log again", From: "the hub, to a page that missed more than a page of messages",
			Sent: replacedLog(sampleRoom.ID, samplePage()), shown: fragment("The whole log again", messageLog(sampleRoom.ID, samplePage()))},
		{Name: "presence", Title: "Someone joined", From: "the hub, to every member, when a person's first connection opens",
			Sent: presence(joined), shown: fragment("Someone joined", galleryPresence(joined))},
		{Name: "presence-crowd", Title: "A crowd came and went", From: "the hub, when many people come and go within 250 ms",
			Sent: presence(crowd), shown: fragment("A crowd came and went", galleryPresence(crowd))},
		{Name: "older", Title: "Older messages", From: "GET /chat/rooms/{id}/messages?before={seq}, for “Load older”",
			Sent: Older(sampleRoom.ID, samplePage()), shown: fragment("Older messages", galleryLog(Older(sampleRoom.ID, samplePage())))},
		{Name: "sent", Title: "Message sent", From: "the socket, to the sender of a stored message: a fresh, empty form",
			Sent: Sent(SendForm{Room: 1, Token: "sample"}), shown: fragment("Message sent", Sent(SendForm{Room: 1, Token: "sample"}))},
		{Name: "more-rooms", Title: "More rooms", From: "GET the “More rooms” link’s address from htmx: the next page of the room list, replacing the link",
			Sent: RoomListItems(moreRooms()), shown: fragment("More rooms", galleryRoomList(moreRooms()))},
	}...)
	for _, f := range []struct {
		name string
		err  error
	}{
		{"empty", chat.Fail(chat.Empty, chat.FieldBody)},
		{"too-long", &chat.Error{Reason: chat.TooLong, Field: chat.FieldBody, Limit: chat.MaxBody, Length: chat.MaxBody + 312}},
		{"too-fast", chat.Fail(chat.TooFast)},
		{"expired", chat.Fail(chat.Expired)},
		{"unreadable", chat.Fail(chat.Unreadable)},
		{"not-stored", chat.Fail(chat.NotStored)},
		{"too-many-connections", &chat.Error{Reason: chat.TooManyConnections, Limit: chat.DefaultConnections}},
	} {
		samples = append(samples, Sample{
			Name: "send-failed-" + f.name, Title: "Message refused: " + string(chat.AsError(f.err).Reason),
			From: "the socket, to the sender alone; the form keeps the typed text",
			Sent: SendFailed(f.err), shown: fragment("Message refused", gallerySendFailed(f.err)),
		})
	}
	for _, f := range []struct {
		name string
		form RoomForm
	}{
		{"empty", RoomForm{Err: chat.Fail(chat.Empty, chat.FieldRoomName)}},
		{"taken", RoomForm{Name: "general", Err: &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: "general"}}},
		{"too-long", RoomForm{Name: strings.Repeat("Planning ", 10), Err: &chat.Error{Reason: chat.TooLong, Field: chat.FieldRoomName, Limit: chat.MaxRoomName, Length: 90}}},
		{"control", RoomForm{Name: "Bell", Err: chat.Fail(chat.ControlCharacters, chat.FieldRoomName)}},
		{"too-many", RoomForm{Name: "Yet another room", Err: &chat.Error{Reason: chat.TooManyRooms, Limit: chat.DefaultRoomsPerHour}}},
	} {
		f.form.CSRF = "sample"
		samples = append(samples, Sample{
			Name: "room-form-" + f.name, Title: "New room form: " + string(chat.AsError(f.form.Err).Reason),
			From: "POST /chat/rooms, when the name is refused (422); the typed name stays",
			Sent: RoomFormView(f.form), shown: fragment("New room form", RoomFormView(f.form)),
		})
	}
	for _, f := range []struct {
		name string
		form NameForm
	}{
		{"empty", NameForm{Err: chat.Fail(chat.Empty, chat.FieldDisplayName)}},
		{"too-long", NameForm{Name: strings.Repeat("Ana ", 11), Err: &chat.Error{Reason: chat.TooLong, Field: chat.FieldDisplayName, Limit: chat.MaxDisplayName, Length: 44}}},
		{"control", NameForm{Name: "Ana", Err: chat.Fail(chat.ControlCharacters, chat.FieldDisplayName)}},
		{"invisible", NameForm{Name: "Ana", Err: &chat.Error{Reason: chat.Disallowed, Field: chat.FieldDisplayName, Value: "U+202E"}}},
		{"mixed-scripts", NameForm{Name: "\u0410na", Err: &chat.Error{Reason: chat.MixedScripts, Field: chat.FieldDisplayName, Value: "Cyrillic, Latin"}}},
	} {
		f.form.CSRF = "sample"
		samples = append(samples, Sample{
			Name: "name-form-" + f.name, Title: "Display name form: " + string(chat.AsError(f.form.Err).Reason),
			From: "POST /me/name, when the name is refused (422); the typed name stays",
			Sent: NameFormView(f.form), shown: fragment("Display name form", NameFormView(f.form)),
		})
	}
	saved := NameForm{CSRF: "sample", Name: "Ana", Saved: true}
	return append(samples, Sample{
		Name: "name-form-saved", Title: "Display name saved", From: "POST /me/name, when the name is changed",
		Sent: Renamed(saved, ana), shown: fragment("Display name saved", NameFormView(saved)),
	})
}
