package views

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"hxchat/chat"
)

// The labels of the fields people fill in. Error sentences name a field
// by its label, so that the two always agree.
const (
	labelRoomName        = "Room name"
	labelDisplayName     = "Display name"
	labelMessage         = "Message"
	labelName            = "Name"
	labelEmail           = "Email"
	labelPassword        = "Password"
	labelCurrentPassword = "Current password"
	labelNewPassword     = "New password"
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
	case chat.FieldEmail:
		return labelEmail
	case chat.FieldPassword:
		return labelPassword
	case chat.FieldTokenName:
		return labelName
	}
	return "This field"
}

// accountLabel names f as the account forms and the members form label
// it: the display name is "Name" there.
func accountLabel(f chat.Field) string {
	if f == chat.FieldDisplayName {
		return labelName
	}
	return fieldLabel(f)
}

// newPasswordLabel names f as the forms that set a new password label
// it.
func newPasswordLabel(f chat.Field) string {
	if f == chat.FieldPassword {
		return labelNewPassword
	}
	return fieldLabel(f)
}

// somethingWrong is what people read when the fault is the server's.
const somethingWrong = "Something went wrong on our side. Please try again."

// ErrorText is the sentence that tells a person what went wrong and what
// to do: every domain error is put into words here. An error that is not
// a domain error is the server's fault, and its details are not for
// people.
func ErrorText(err error) string { return errorText(err, fieldLabel) }

// sendErrorText is the message form's alert: empty when nothing failed.
func sendErrorText(err error) string {
	if err == nil {
		return ""
	}
	return ErrorText(err)
}

// errorText is ErrorText for a form whose fields label names.
func errorText(err error, label func(chat.Field) string) string {
	e := chat.AsError(err)
	if e == nil {
		return somethingWrong
	}
	field := label(e.Field)
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
		if e.Field == chat.FieldEmail {
			return fmt.Sprintf("There is an account for %q already. Sign in with it instead.", e.Value)
		}
		return fmt.Sprintf("%q is already taken.", e.Value)
	case chat.Clash:
		return "That clashes with something already stored."
	case chat.NoRoom:
		return "There is no such room. Its address may have been mistyped."
	case chat.NoMember:
		if e.Value != "" {
			return fmt.Sprintf("Nobody with an account is called %q.", e.Value)
		}
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
	case chat.WeakPassword:
		return fmt.Sprintf("%s must be at least %d characters.", field, e.Limit)
	case chat.BadEmail:
		if e.Value != "" {
			return fmt.Sprintf("%q is not an email address. Write it like name@example.com.", e.Value)
		}
		return "Write an email address like name@example.com."
	case chat.WrongPassword:
		if e.Field == chat.FieldPassword {
			return "That is not your current password."
		}
		return "That email and password do not match an active account."
	case chat.SetupDone:
		return "hxchat is set up already: its first account exists. Sign in instead."
	case chat.LinkExpired:
		return "This link has been used, replaced or has expired. Ask an administrator for a new one."
	case chat.SignedOut:
		return "You are signed out. Sign in again."
	case chat.NotAllowed:
		return "Only an administrator, or the person who made the room, may do that."
	case chat.Archived:
		return "This room is archived: you can read it, not write in it."
	case chat.Removed:
		return "You are no longer in this room."
	case chat.TooManySignIns:
		return "Too many failed sign-ins. Try again in " + waitWords(e.Wait) + "."
	case chat.TooManyTokens:
		return fmt.Sprintf("You have %d access tokens, the most one account may. Revoke one you no longer use first.", e.Limit)
	case chat.NoToken:
		return "There is no such access token. It may have been revoked already."
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

// waitWords says how long d is, rounded up to whole minutes, or to
// whole seconds under a minute: "3 minutes", "45 seconds".
func waitWords(d time.Duration) string {
	switch {
	case d <= 0:
		return "a moment"
	case d <= time.Minute-time.Second:
		return count(int64((d+time.Second-1)/time.Second), "second", "seconds")
	}
	return count(int64((d+time.Minute-1)/time.Minute), "minute", "minutes")
}

// count is n and the noun that goes with it: "1 minute", "3 minutes".
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// auditWords says what an entry of the audit log records.
func auditWords(action string) string {
	switch action {
	case "deactivate":
		return "Deactivated an account"
	case "reactivate":
		return "Reactivated an account"
	case "make_admin":
		return "Made an administrator"
	case "remove_admin":
		return "Removed an administrator"
	case "reset_link":
		return "Made a password-reset link"
	case "reset_invitation":
		return "Reset the invitation link"
	case "rename_room":
		return "Renamed a room"
	case "archive_room":
		return "Archived a room"
	case "restore_room":
		return "Restored a room"
	case "add_member":
		return "Added a member to a room"
	case "remove_member":
		return "Removed a member from a room"
	}
	return action
}

// errorHeading is the title of the error page for status.
func errorHeading(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Please sign in"
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
	case http.StatusUnauthorized:
		return "Sign in to see this page."
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
