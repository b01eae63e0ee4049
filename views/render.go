package views

import (
	"bytes"
	"context"

	"github.com/a-h/templ"

	"hxchat/chat"
)

// Bytes renders component into a new byte slice.
func Bytes(ctx context.Context, component templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := component.Render(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Fragments renders what the hub broadcasts. Each method renders once;
// the hub sends the same bytes to every member of the room.
type Fragments struct{}

// Messages renders msgs appended to the log, moving the page's resume
// marker to the newest.
func (Fragments) Messages(room int64, msgs []chat.Message) ([]byte, error) {
	return Bytes(context.Background(), appended(msgs))
}

// Log renders page as the whole log, for a page that missed too much.
func (Fragments) Log(room int64, page chat.Page) ([]byte, error) {
	return Bytes(context.Background(), replacedLog(room, page))
}

// Presence renders the online list and, when someone came or went, the
// notice.
func (Fragments) Presence(p chat.Presence) ([]byte, error) {
	return Bytes(context.Background(), presence(p))
}

// Ended renders the alert a connection shows as the server closes it for
// reason.
func (Fragments) Ended(reason chat.Reason) ([]byte, error) {
	return Bytes(context.Background(), SendFailed(chat.Fail(reason)))
}
