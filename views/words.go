package views

import (
	"fmt"
	"net/http"

	"hxchat/chat"
)

// The labels of the fields people fill in. Error sentences name a field
// by its label, so that the two always agree.
const (
	labelRoomName    = "Room name"
	labelDisplayName = "Display name"
	labelMessage     = "Message"
)

// fieldLabel is how a sentence names f.
func fieldLabel(f chat.Field) string {
	switch f {
	case chat.FieldRoomName:
		return labelRoomName
	case chat.FieldDisplayName:
		return labelDisplayName
	case chat.FieldBody:
		return labelMessage
	}
	return "This field"
}

// somethingWrong is what people read when the fault is the server's.
const somethingWrong = "Something went wrong on our side. Please try again."

// ErrorText is the sentence that tells a person what went wrong and what
// to do: every domain error is put into words here. An error that is not
// a domain error is the server's fault, and its details are not for
// people.
func ErrorText(err error) string {
	e := chat.AsError(err)
	if e == nil {
		return somethingWrong
	}
	field := fieldLabel(e.Field)
	switch e.Reason {
	case chat.Empty:
		if e.Field == chat.FieldBody {
			return "Type a message before sending."
		}
		return field + " can't be empty."
	case chat.TooLong:
		if e.Field == chat.FieldBody {
			return fmt.Sprintf("That message is %d characters long; the limit is %d.", e.Length, e.Limit)
		}
		return fmt.Sprintf("%s can be at most %d characters; this one has %d.", field, e.Limit, e.Length)
	case chat.ControlCharacters:
		return field + " can't contain control characters."
	case chat.Disallowed:
		return fmt.Sprintf("%s can't contain %s, an invisible or unassigned character.", field, e.Value)
	case chat.TooManyMarks:
		return fmt.Sprintf("%s stacks too many accents on %q.", field, e.Value)
	case chat.MixedScripts:
		return fmt.Sprintf("%s mixes letters of different scripts (%s), which makes it look like another name.", field, e.Value)
	case chat.Expired:
		return "This form has expired. Reload the page and send again."
	case chat.Unreadable:
		return "That message could not be read. Reload the page and send it again."
	case chat.OutOfRange:
		return "This address asks for messages that do not exist."
	case chat.Taken:
		if e.Field == chat.FieldRoomName {
			return fmt.Sprintf("A room named %q already exists.", e.Value)
		}
		if e.Field == chat.FieldDisplayName {
			return fmt.Sprintf("Someone is already called %q (or a name that looks the same). Pick another.", e.Value)
		}
		return fmt.Sprintf("%q is already taken.", e.Value)
	case chat.Clash:
		return "That clashes with something already stored."
	case chat.NoRoom:
		return "There is no such room. Its address may have been mistyped."
	case chat.NoMember:
		return "There is no such member."
	case chat.CrossSite:
		return "This form has expired or came from another site. Reload the page and try again."
	case chat.WrongOrigin:
		return "This page may not connect to the chat."
	case chat.TooFast:
		return "You are sending too fast. Wait a moment and send again."
	case chat.TooManyRooms:
		return fmt.Sprintf("You can create %d rooms an hour, and have. Try again later.", e.Limit)
	case chat.TooManyRenames:
		return fmt.Sprintf("You can change your name %d times a minute. Wait a moment and try again.", e.Limit)
	case chat.TooManyPeople:
		return "Too many new visitors have come from your network in the last hour. Try again later."
	case chat.TooManyConnections:
		return fmt.Sprintf("You have %d chat pages open, the most one person may. Close one and reload this page.", e.Limit)
	case chat.Restarting:
		return "The server is restarting. Please try again in a moment."
	case chat.Busy:
		return "The database is busy. Please try again."
	case chat.Unreachable:
		return "The database cannot be reached right now. Please try again."
	case chat.NotStored:
		return "The message could not be stored; try again."
	case chat.StoreFull:
		return "The server cannot store messages right now: its disk is full. What you sent was not saved; try again later."
	}
	return somethingWrong
}

// errorHeading is the title of the error page for status.
func errorHeading(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusServiceUnavailable:
		return "Try again soon"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return "That did not work"
}

// errorPageText is what the error page says: the domain error in words,
// or, for a request refused before it reached the domain (an address
// with no page, a method a page does not take), a sentence for its
// status.
func errorPageText(status int, err error) string {
	if chat.AsError(err) != nil {
		return ErrorText(err)
	}
	switch status {
	case http.StatusNotFound:
		return "There is no page at this address. The room may have been mistyped."
	case http.StatusForbidden:
		return "This request was refused. Reload the page and try again."
	case http.StatusMethodNotAllowed:
		return "This address does not accept that kind of request."
	case http.StatusRequestEntityTooLarge:
		return "That request was too large."
	}
	if status < 500 {
		return "That request could not be understood. Go back and try again."
	}
	return somethingWrong
}
