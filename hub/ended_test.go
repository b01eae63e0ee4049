package hub_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/hub"
)

// dialSession connects user uid with session to room and waits until the
// room announces them, or, for a second connection of one person, until
// the socket is live.
func (e *env) dialSession(tb testing.TB, room, uid int64, name, session string) *client {
	tb.Helper()
	url := fmt.Sprintf("ws%s?room=%d&user=%d&name=%s&session=%s", strings.TrimPrefix(e.srv.URL, "http"), room, uid, name, session)
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	c := &client{tb: tb, conn: conn}
	c.send("resume 0")
	c.send("echo ready")
	c.waitFor("ready")
	return c
}

// wantEnded reads until c is closed and checks that it was told why
// (the alert for reason) and closed with 1008, which htmx does not
// reconnect after, having received no message before: nothing reaches an
// ended connection.
func (c *client) wantEnded(reason chat.Reason, forbidden string) {
	c.tb.Helper()
	var told bool
	for {
		f, err := c.next()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				c.tb.Errorf("close: got %v, want 1008", err)
			}
			break
		}
		if forbidden != "" && strings.Contains(f, forbidden) {
			c.tb.Errorf("an ended connection got %q", f)
		}
		if strings.Contains(f, `id="send-error"`) && strings.Contains(f, "role=\"alert\"") {
			told = true
		}
	}
	if !told {
		c.tb.Errorf("closed for %s without the alert saying so", reason)
	}
}

func TestSignedOutSessionsAreClosedEverywhere(t *testing.T) {
	e := newEnv(t, hub.Config{})
	general, other := e.room(t, "general"), e.room(t, "other")
	laptopA := e.dialSession(t, general, 1, "ann", "laptop")
	laptopB := e.dialSession(t, other, 1, "ann", "laptop")
	phone := e.dialSession(t, general, 1, "ann", "phone")
	bob := e.dialSession(t, general, 2, "bob", "laptop")

	e.hub.Deliver(chat.Event{Kind: chat.EventSignedOut, Ended: &chat.Ended{User: 1, Sessions: []string{"laptop"}}})
	m := e.post(t, general, "after sign-out")
	deliver(e.hub, m)
	laptopA.wantEnded(chat.SignedOut, "after sign-out")
	laptopB.wantEnded(chat.SignedOut, "after sign-out")
	// The same session ID of another person, and another session of ann,
	// stay.
	bob.waitFor("after sign-out")
	phone.waitFor("after sign-out")
}

func TestRemovedMemberStopsReceiving(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room := e.room(t, "private")
	ann := e.dialSession(t, room, 1, "ann", "a")
	bob := e.dialSession(t, room, 2, "bob", "b")
	e.hub.Deliver(chat.Event{Kind: chat.EventRemoved, Room: room, User: 2})
	m := e.post(t, room, "not for bob")
	deliver(e.hub, m)
	bob.wantEnded(chat.Removed, "not for bob")
	ann.waitFor("not for bob")
}

func TestArchivedRoomClosesItsConnections(t *testing.T) {
	e := newEnv(t, hub.Config{})
	room, other := e.room(t, "old"), e.room(t, "new")
	ann := e.dialSession(t, room, 1, "ann", "a")
	bob := e.dialSession(t, other, 2, "bob", "b")
	e.hub.Deliver(chat.Event{Kind: chat.EventArchived, Room: room})
	ann.wantEnded(chat.Archived, "")
	m := e.post(t, other, "still here")
	deliver(e.hub, m)
	bob.waitFor("still here")
}

func TestResyncClosesWhatARecheckRefuses(t *testing.T) {
	refused := map[string]chat.Reason{"gone": chat.SignedOut}
	e := newEnv(t, hub.Config{Recheck: func(_ context.Context, m hub.Member) (chat.Reason, error) {
		return refused[m.Session], nil
	}})
	room := e.room(t, "r")
	stays := e.dialSession(t, room, 1, "ann", "live")
	goes := e.dialSession(t, room, 2, "bob", "gone")
	e.hub.Resync()
	goes.wantEnded(chat.SignedOut, "")
	m := e.post(t, room, "after the recheck")
	deliver(e.hub, m)
	stays.waitFor("after the recheck")
}
