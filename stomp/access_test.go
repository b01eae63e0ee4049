package stomp_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/stomp"
)

func TestAccess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{accounts: true})
	ada, adaSession := s.mustAccount(t, "Ada")
	bob, _ := s.mustAccount(t, "Bob")
	tok, secret := s.mustToken(t, bob)
	private, err := s.svc.CreateRoomOf(t.Context(), ada, "", "Secret plans", chat.RoomPrivate)
	if err != nil {
		t.Fatalf("CreateRoomOf: %v", err)
	}

	t.Run("no credentials", func(t *testing.T) {
		c := s.dial(t, nil)
		c.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "host", "localhost"))
		if _, code := c.failed("authentication required"); code != websocket.ClosePolicyViolation {
			t.Errorf("close code %d, want 1008", code)
		}
	})
	t.Run("wrong passcode", func(t *testing.T) {
		c := s.dial(t, nil)
		c.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "login", bob.Email, "passcode", chat.TokenPrefix+"wrong"))
		// The client does not know the version yet: the ERROR escapes
		// nothing, so a colon in its message reaches it as a colon.
		_ = c.ws.SetReadDeadline(time.Now().Add(wait))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !strings.Contains(string(data), "\nmessage:authentication failed:") {
			t.Errorf("ERROR frame %q, want its message unescaped", data)
		}
		c.dec.Feed(data)
		c.failed("authentication failed")
	})
	t.Run("another person's token", func(t *testing.T) {
		c := s.dial(t, nil)
		c.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "login", ada.Email, "passcode", secret))
		c.failed("authentication failed")
	})
	t.Run("wrong bearer token", func(t *testing.T) {
		_, resp, err := s.tryDial(t, http.Header{"Authorization": {"Bearer " + chat.TokenPrefix + "wrong"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("dial: %v, %v; want 401", err, resp)
		}
	})
	t.Run("bearer token", func(t *testing.T) {
		c := s.dial(t, http.Header{"Authorization": {"Bearer " + secret}})
		if name := header(c.connect(), "user-name"); name != "Bob" {
			t.Errorf("user-name %q, want Bob", name)
		}
	})
	t.Run("session cookie of a same-origin page", func(t *testing.T) {
		c := s.dial(t, http.Header{"Cookie": {"hxchat_session=" + adaSession}, "Origin": {s.srv.URL}})
		if name := header(c.connect(), "user-name"); name != "Ada" {
			t.Errorf("user-name %q, want Ada", name)
		}
		c.receipt(frame(stomp.SUBSCRIBE, "", "id", "p", "destination", stomp.TopicDestination(private.ID)))
	})
	t.Run("page of another origin", func(t *testing.T) {
		_, resp, err := s.tryDial(t, http.Header{"Cookie": {"hxchat_session=" + adaSession}, "Origin": {"https://elsewhere.example"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("dial: %v, %v; want 403", err, resp)
		}
	})
	t.Run("non-member SUBSCRIBE", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect("login", bob.Email, "passcode", secret)
		c.send(frame(stomp.SUBSCRIBE, "", "id", "p", "destination", stomp.RoomDestination(private.ID)))
		c.failed("no such room")
	})
	t.Run("SUBSCRIBE to no room", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect("login", bob.Email, "passcode", secret)
		c.send(frame(stomp.SUBSCRIBE, "", "id", "p", "destination", stomp.TopicDestination(private.ID+100)))
		c.failed("no such room")
	})
	t.Run("non-member SEND", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect("login", bob.Email, "passcode", secret)
		c.receipt(frame(stomp.SUBSCRIBE, "", "id", "e", "destination", stomp.ErrorsQueue))
		before := c.refused(frame(stomp.SEND, `{"chatRoomId":`+strconv.FormatInt(private.ID, 10)+`,"message":"let me in"}`,
			"destination", stomp.AppMessage))
		if len(before) != 1 || body[stomp.ErrorBody](t, before[0]).Reason != "no_room" {
			t.Errorf("got %v, want one no_room", before)
		}
		if msgs, err := s.store.After(t.Context(), private.ID, 0, 10); err != nil || len(msgs) != 0 {
			t.Errorf("stored %v, %v; want nothing", msgs, err)
		}
	})
	t.Run("a revoked token is disconnected", func(t *testing.T) {
		c := s.dial(t, nil)
		c.connect("login", bob.Email, "passcode", secret)
		c.receipt(frame(stomp.SUBSCRIBE, "", "id", "g", "destination", stomp.TopicDestination(s.general.ID)))
		if err := s.svc.RevokeToken(t.Context(), bob, tok.ID); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		for {
			f := c.next()
			if f.Command == stomp.MESSAGE {
				continue // notices of the room
			}
			if f.Command != stomp.ERROR || header(f, "reason") != string(chat.SignedOut) {
				t.Fatalf("got %s %v, want ERROR signed out", f.Command, f.Headers)
			}
			break
		}
		if code := c.closed(); code != websocket.ClosePolicyViolation {
			t.Errorf("close code %d, want 1008", code)
		}
		// And it no longer signs in.
		c = s.dial(t, nil)
		c.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "login", bob.Email, "passcode", secret))
		c.failed("authentication failed")
	})
	t.Run("a revoked token with no subscription is disconnected", func(t *testing.T) {
		tok, secret := s.mustToken(t, bob)
		c := s.dial(t, nil)
		c.connect("login", bob.Email, "passcode", secret)
		// Another session of the same person stays.
		other := s.dial(t, http.Header{"Authorization": {"Bearer " + mustSecret(t, s, bob)}})
		other.connect()
		if err := s.svc.RevokeToken(t.Context(), bob, tok.ID); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		f, code := c.failed("signed out")
		if header(f, "reason") != string(chat.SignedOut) || code != websocket.ClosePolicyViolation {
			t.Errorf("ERROR %v, close code %d; want reason signed_out, 1008", f.Headers, code)
		}
		other.receipt(frame(stomp.SEND, "", "destination", stomp.PublishJoin))
	})
	t.Run("a signed-out session cannot SEND", func(t *testing.T) {
		// A session that ended while the broker could not tell (here
		// its end is never published): the next SEND checks it.
		_, session := s.mustSignIn(t, bob)
		c := s.dial(t, http.Header{"Cookie": {"hxchat_session=" + session}})
		c.connect()
		if _, err := s.store.DeleteSessions(t.Context(), bob.ID, chat.Digest(session)); err != nil {
			t.Fatalf("DeleteSessions: %v", err)
		}
		c.send(frame(stomp.SEND, `{"chatRoomId":`+strconv.FormatInt(s.general.ID, 10)+`,"message":"hi"}`, "destination", stomp.AppMessage))
		c.failed("signed out")
	})
	t.Run("a resync closes the idle connections of sessions that ended unannounced", func(t *testing.T) {
		// The token is deleted and nothing is published, as when the
		// broker lost the event: the broker's resync makes every server
		// check its sessions again.
		tok, secret := s.mustToken(t, bob)
		c := s.dial(t, nil)
		c.connect("login", bob.Email, "passcode", secret)
		other := s.dial(t, http.Header{"Authorization": {"Bearer " + mustSecret(t, s, bob)}})
		other.connect()
		if _, err := s.store.DeleteTokens(t.Context(), bob.ID, tok.ID); err != nil {
			t.Fatalf("DeleteTokens: %v", err)
		}
		s.sink.Resync()
		f, code := c.failed("signed out")
		if header(f, "reason") != string(chat.SignedOut) || code != websocket.ClosePolicyViolation {
			t.Errorf("ERROR %v, close code %d; want reason signed_out, 1008", f.Headers, code)
		}
		// The session that holds stays.
		other.receipt(frame(stomp.SEND, "", "destination", stomp.PublishJoin))
	})
}

func TestConnectionLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole server: -short leaves it out")
	}
	s := mustStart(t, options{limits: chat.Limits{Rate: 100, Burst: 100, Connections: 1, NewPeoplePerHour: 1000}})
	first := s.dial(t, nil)
	first.connect()
	c := s.dial(t, nil)
	c.send(frame(stomp.CONNECT, "", "accept-version", "1.2"))
	c.failed("too many connections")
	// The slot comes back when the first session ends.
	first.receipt(frame(stomp.DISCONNECT, ""))
	first.closed()
	for {
		c = s.dial(t, nil)
		c.send(frame(stomp.CONNECT, "", "accept-version", "1.2"))
		if f := c.next(); f.Command == stomp.CONNECTED {
			break
		}
		// The first session's end is on its way: nothing marks it for
		// the client, so try again.
		c.closed()
	}
}

// mustSecret makes another token of a and returns its secret.
func mustSecret(t *testing.T, s *stack, a chat.Account) string {
	t.Helper()
	_, secret := s.mustToken(t, a)
	return secret
}
