package stomp

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// ContentType is the content-type of every MESSAGE body hxchat sends.
const ContentType = "application/json;charset=utf-8"

// Types of MessageBody. Later kinds of event (edits, deletions,
// reactions) add types of their own.
const (
	TypeChat  = "CHAT"
	TypeJoin  = "JOIN"
	TypeLeave = "LEAVE"
	TypeError = "ERROR"
)

// MessageBody is the JSON body of a MESSAGE on a room's destination: the
// tutorial's shape, {"type", "chatRoomId", "writer", "message"}, with
// what a client needs besides. Joins and leaves carry the notice text in
// Message and no ID, Seq or SentAt.
type MessageBody struct {
	// Type is TypeChat, TypeJoin or TypeLeave.
	Type string `json:"type"`
	// ChatRoomID is the room's ID, a string as in the tutorial.
	ChatRoomID string `json:"chatRoomId"`
	// Writer is the author's display name as it was when they posted;
	// WriterID tells authors apart whatever their names (a client marks
	// its own messages by it).
	Writer   string `json:"writer"`
	WriterID string `json:"writerId"`
	// Message is the text.
	Message string `json:"message"`
	// ID is the message's ID, unique across rooms.
	ID string `json:"id,omitempty"`
	// Seq is the message's position in its room, 1 for the first: a
	// client that reconnects subscribes with after-seq set to the last
	// one it holds.
	Seq int64 `json:"seq,omitempty"`
	// SentAt is when the message was stored, RFC 3339 in UTC.
	SentAt string `json:"sentAt,omitempty"`
}

// ErrorBody is the JSON body of a MESSAGE on ErrorsQueue: a SEND the
// server refused, the connection staying up.
type ErrorBody struct {
	// Type is TypeError.
	Type string `json:"type"`
	// Reason is the rule the SEND broke, a chat.Reason ("too_fast",
	// "too_long", "no_room", "unreadable", ...).
	Reason string `json:"reason"`
	// Message says it in words.
	Message string `json:"message"`
	// ChatRoomID is the room the SEND named, when it named one.
	ChatRoomID string `json:"chatRoomId,omitempty"`
	// Receipt is the SEND's receipt header, when it had one, so that a
	// client can tell which send failed.
	Receipt string `json:"receipt,omitempty"`
}

// Encoder encodes the hub's events for STOMP subscribers (a
// hub.Encoder): each message, join and leave as the tail of a MESSAGE
// frame, its message-id, content-type and content-length headers, the
// blank line, the JSON body and the NUL. Each subscription completes the
// frame with its own command line, subscription and destination headers
// (and ack header, in the client ack modes), so that one encoding serves
// every subscriber in every version: no header of the tail needs
// escaping.
type Encoder struct {
	// boot tells this process's presence message-ids from another's,
	// and n numbers them.
	boot string
	n    atomic.Uint64
}

// The hub encodes STOMP with an Encoder.
var _ hub.Encoder = (*Encoder)(nil)

// NewEncoder returns an Encoder, to be given to hub.New; the Format it
// gets there goes into Config.Format.
func NewEncoder() *Encoder {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Encoder{boot: hex.EncodeToString(b)}
}

// Messages encodes msgs, one MESSAGE each, with message-id "room-seq".
func (e *Encoder) Messages(room int64, msgs []chat.Message) ([][]byte, error) {
	frames := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		body, err := json.Marshal(MessageBody{
			Type:       TypeChat,
			ChatRoomID: strconv.FormatInt(room, 10),
			Writer:     m.Author.Name,
			WriterID:   strconv.FormatInt(m.Author.ID, 10),
			Message:    m.Body,
			ID:         strconv.FormatInt(m.ID, 10),
			Seq:        m.Seq,
			SentAt:     m.CreatedAt.UTC().Format(time.RFC3339Nano),
		})
		if err != nil {
			return nil, err
		}
		id := strconv.AppendInt(make([]byte, 0, 24), room, 10)
		id = strconv.AppendInt(append(id, '-'), m.Seq, 10)
		frames = append(frames, appendTail(nil, id, body))
	}
	return frames, nil
}

// Log encodes a page as its messages: a STOMP client appends what it
// receives and never has its log replaced.
func (e *Encoder) Log(room int64, page chat.Page) ([][]byte, error) {
	return e.Messages(room, page.Messages)
}

// Presence encodes a JOIN for each person who came and a LEAVE for each
// who went; nothing when nobody did.
func (e *Encoder) Presence(p chat.Presence) ([][]byte, error) {
	if len(p.Joined)+len(p.Left) == 0 {
		return nil, nil
	}
	frames := make([][]byte, 0, len(p.Joined)+len(p.Left))
	notice := func(typ, text string, u chat.User) error {
		body, err := json.Marshal(MessageBody{
			Type:       typ,
			ChatRoomID: strconv.FormatInt(p.Room, 10),
			Writer:     u.Name,
			WriterID:   strconv.FormatInt(u.ID, 10),
			Message:    u.Name + text,
		})
		if err != nil {
			return err
		}
		id := strconv.AppendInt(make([]byte, 0, 32), p.Room, 10)
		id = append(append(id, "-p"...), e.boot...)
		id = strconv.AppendUint(append(id, '-'), e.n.Add(1), 10)
		frames = append(frames, appendTail(nil, id, body))
		return nil
	}
	for _, u := range p.Joined {
		if err := notice(TypeJoin, " joined.", u); err != nil {
			return nil, err
		}
	}
	for _, u := range p.Left {
		if err := notice(TypeLeave, " left.", u); err != nil {
			return nil, err
		}
	}
	return frames, nil
}

// Ended encodes the ERROR frame a session is closed with for reason,
// with a reason header naming it. Its headers need no escaping in any
// version.
func (e *Encoder) Ended(reason chat.Reason) ([][]byte, error) {
	text, ok := endedText[reason]
	if !ok {
		text = "connection ended"
	}
	return [][]byte{errorFrame(V10, text, "", Header{"reason", string(reason)})}, nil
}

// endedText says why the hub closes a session.
var endedText = map[chat.Reason]string{
	chat.SignedOut:  "signed out",
	chat.Removed:    "removed from the room",
	chat.Archived:   "the room was archived",
	chat.Restarting: "server restarting",
}

// appendTail appends the tail of a MESSAGE frame with messageID and a
// JSON body to dst.
func appendTail(dst, messageID, body []byte) []byte {
	if dst == nil {
		dst = make([]byte, 0, len(tailHeaders)+len(messageID)+len(body)+24)
	}
	dst = append(dst, "message-id:"...)
	dst = append(dst, messageID...)
	dst = append(dst, tailHeaders...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\n\n"...)
	dst = append(dst, body...)
	return append(dst, 0)
}

// tailHeaders are the headers of a tail between message-id and
// content-length's value.
const tailHeaders = "\ncontent-type:" + ContentType + "\ncontent-length:"
