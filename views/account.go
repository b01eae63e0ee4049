package views

import (
	"strconv"
	"strings"
	"time"

	"hxchat/chat"
)

// input is one labelled text field of a form, with its hint and error:
// what the field partial needs, worked out by the form around it.
type input struct {
	// ID is the element's id; the hint and the error take it with
	// "-hint" and "-error" added.
	ID string
	// Name is the form field's name; Type the input's type ("text" when
	// empty).
	Name, Type string
	// Label names the field; Value is what it shows (never a password).
	Label, Value string
	// Autocomplete tells the browser and password managers what the
	// field holds.
	Autocomplete string
	// Max is the most characters the field takes (0: no maxlength).
	Max int
	// Hint is a line under the field that it is described by.
	Hint string
	// Err is the sentence of the field's error; Invalid marks the field
	// at fault when the sentence is shown elsewhere (a form's own alert).
	Err     string
	Invalid bool
	// DescribedBy is another element that describes the field: the
	// form's alert, for a fault it shares with another field.
	DescribedBy string
	// Focus puts the focus in the field when the page opens.
	Focus bool
}

// invalid reports whether the field is at fault.
func (in input) invalid() bool { return in.Err != "" || in.Invalid }

// describedBy lists the ids of what describes the field: its hint, its
// error and the form's alert.
func (in input) describedBy() string {
	return ids(onlyIf(in.Hint != "", in.ID+"-hint"), onlyIf(in.Err != "", in.ID+"-error"), in.DescribedBy)
}

// kind is the input's type.
func (in input) kind() string {
	if in.Type == "" {
		return "text"
	}
	return in.Type
}

// fault is the field err is about: "" when it is about none, or is not
// a domain error.
func fault(err error) chat.Field {
	if e := chat.AsError(err); e != nil {
		return e.Field
	}
	return ""
}

// errorOn is the sentence of err for the field f when err is about f,
// in the words label gives the form's fields; "" otherwise.
func errorOn(err error, f chat.Field, label func(chat.Field) string) string {
	if err == nil || fault(err) != f {
		return ""
	}
	return errorText(err, label)
}

// accountFields are the fields of the account form.
var accountFields = []chat.Field{chat.FieldDisplayName, chat.FieldEmail, chat.FieldPassword}

// formError is the sentence of err for the alert at the top of a form
// whose fields are fields: "" when there is no error or one of the
// fields shows it.
func formError(err error, label func(chat.Field) string, fields ...chat.Field) string {
	if err == nil {
		return ""
	}
	f := fault(err)
	for _, x := range fields {
		if f == x && f != "" {
			return ""
		}
	}
	return errorText(err, label)
}

// passwordFault says which field of the change-password form err is
// about: a wrong current password, or a refused new one.
func passwordFault(err error) (current, next bool) {
	e := chat.AsError(err)
	if e == nil || e.Field != chat.FieldPassword {
		return false, false
	}
	return e.Reason == chat.WrongPassword, e.Reason != chat.WrongPassword
}

// wrongCredentials reports whether err says that the email and password
// do not match: both login fields are then at fault.
func wrongCredentials(err error) bool {
	e := chat.AsError(err)
	return e != nil && e.Reason == chat.WrongPassword
}

// sessionEndURL ends one session; id is URL-safe base64.
func sessionEndURL(id string) string { return "/account/sessions/" + id + "/end" }

// deviceName is how a session's client is shown.
func deviceName(s chat.Session) string {
	if strings.TrimSpace(s.Device) == "" {
		return "Unknown device"
	}
	return s.Device
}

// personURL is an address under /admin/people/{id}.
func personURL(id int64, action string) string {
	return "/admin/people/" + strconv.FormatInt(id, 10) + "/" + action
}

// adminRoomURL is an address under /admin/rooms/{id}.
func adminRoomURL(id int64, action string) string {
	return "/admin/rooms/" + strconv.FormatInt(id, 10) + "/" + action
}

// membersURL is a room's members page, and where its add form posts.
func membersURL(room int64) string { return roomURL(room) + "/members" }

// removeMemberURL removes user from room.
func removeMemberURL(room, user int64) string {
	return membersURL(room) + "/" + strconv.FormatInt(user, 10) + "/remove"
}

// messageURL opens the direct conversation with a person.
func messageURL(user int64) string { return "/people/" + strconv.FormatInt(user, 10) + "/message" }

// others are the people of a direct room other than me: the names it is
// shown by. A conversation with oneself shows one's own name.
func others(r chat.Room, me int64) []chat.User {
	var out []chat.User
	for _, u := range r.People {
		if u.ID != me {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return r.People
	}
	return out
}

// heading is the room page's heading: its Title, or the room's name.
func (p RoomPage) heading() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Room.Name
}

// heading is the room's heading on its members page.
func (p MembersPage) heading() string {
	if p.Title != "" {
		return p.Title
	}
	return p.Room.Name
}

// resetHours is how many hours a password-reset link works.
func resetHours() string { return itoa(int64(chat.ResetLinkTTL / time.Hour)) }

// roomKindWords says who may join a room.
func roomKindWords(r chat.Room) string {
	if r.Kind == chat.RoomPrivate {
		return "Private"
	}
	return "Open"
}

// alertFor is id when on, "" otherwise: a field described by the form's
// alert only when the alert is about it.
func alertFor(on bool, id string) string {
	if on {
		return id
	}
	return ""
}

// onlyIf is s when on, "" otherwise.
func onlyIf(on bool, s string) string {
	if on {
		return s
	}
	return ""
}

// ids joins the non-empty ids of what describes an element.
func ids(id ...string) string {
	var out []string
	for _, x := range id {
		if x != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, " ")
}

// memberError is the sentence for a refused add: "no such member"
// names the name typed.
func memberError(err error, name string) string {
	if e := chat.AsError(err); e != nil && e.Reason == chat.NoMember && e.Value == "" && name != "" {
		named := *e
		named.Value = name
		return errorText(&named, accountLabel)
	}
	return errorText(err, accountLabel)
}
