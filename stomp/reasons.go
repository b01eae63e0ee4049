package stomp

import (
	"strconv"

	"hxchat/chat"
)

// describe puts why a SEND was refused into words for ErrorsQueue. STOMP
// clients are programs and their people read these in a bot's log, so
// they say what to change, without HTML (which views/ writes for pages).
func describe(err error) string {
	e := chat.AsError(err)
	if e == nil {
		return "the server failed; try again"
	}
	switch e.Reason {
	case chat.Empty:
		return "the message is empty"
	case chat.TooLong:
		return "the message has " + strconv.Itoa(e.Length) + " characters; at most " + strconv.Itoa(e.Limit) + " are allowed"
	case chat.TooFast:
		return "too many messages at once; wait a moment and send again"
	case chat.NoRoom:
		return "no such room"
	case chat.Archived:
		return "the room is archived and read-only"
	case chat.Unreadable:
		return `the body is not JSON of the form {"chatRoomId": 5, "message": "text"}`
	case chat.Expired:
		return "the token is not 1 to 64 letters, digits, - or _"
	case chat.ControlCharacters:
		return "the message holds control characters"
	}
	switch e.Code() {
	case chat.Unavailable:
		return "the message could not be stored; sending it again is safe"
	case chat.TooMany:
		return "over a limit; wait a moment and try again"
	case chat.Invalid:
		return "the message was refused (" + string(e.Reason) + ")"
	}
	return "the server failed; try again"
}
