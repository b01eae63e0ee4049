package chat

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Limits on what people type, in characters (Unicode code points).
const (
	// MaxRoomName is the longest room name.
	MaxRoomName = 80
	// MaxDisplayName is the longest display name.
	MaxDisplayName = 40
	// MaxBody is the longest message.
	MaxBody = 2000
	// MaxToken is the longest form token accepted.
	MaxToken = 64
)

// Limits configures the per-connection send rate. The zero value means
// the defaults below.
type Limits struct {
	// Rate is the sustained number of messages a connection may send per
	// second (default 5).
	Rate float64
	// Burst is how many messages a connection may send at once before the
	// rate applies (default 10).
	Burst int
}

// Service is the one place where rooms, members and messages change: it
// validates input, stores it and publishes what live connections must
// show.
type Service struct {
	store  Store
	broker Broker
	log    *slog.Logger
	now    func() time.Time
	limits Limits
}

// NewService returns a Service storing in store and publishing to broker.
// now is the clock (time.Now when nil).
func NewService(log *slog.Logger, store Store, broker Broker, now func() time.Time, limits Limits) *Service {
	if now == nil {
		now = time.Now
	}
	if limits.Rate <= 0 {
		limits.Rate = 5
	}
	if limits.Burst <= 0 {
		limits.Burst = 10
	}
	return &Service{store: store, broker: broker, log: log, now: now, limits: limits}
}

// Rooms returns every room.
func (s *Service) Rooms(ctx context.Context) ([]Room, error) { return s.store.Rooms(ctx) }

// Room returns one room, or an error with code NotFound.
func (s *Service) Room(ctx context.Context, id int64) (Room, error) { return s.store.Room(ctx, id) }

// CreateRoom validates name and creates a room with it.
func (s *Service) CreateRoom(ctx context.Context, name string) (Room, error) {
	name, err := cleanName(name, FieldRoomName, MaxRoomName)
	if err != nil {
		return Room{}, err
	}
	return s.store.CreateRoom(ctx, name, s.now().UTC())
}

// EnsureRooms creates the named rooms when there is no room at all, so
// that a new installation has somewhere to talk.
func (s *Service) EnsureRooms(ctx context.Context, names ...string) error {
	rooms, err := s.store.Rooms(ctx)
	if err != nil || len(rooms) > 0 {
		return err
	}
	for _, n := range names {
		if _, err := s.CreateRoom(ctx, n); err != nil && ErrorCode(err) != Conflict {
			return err
		}
	}
	return nil
}

// NewUser creates a member with an automatic display name.
func (s *Service) NewUser(ctx context.Context) (User, error) { return s.store.CreateUser(ctx) }

// Rename validates name and makes it u's display name.
func (s *Service) Rename(ctx context.Context, u User, name string) (User, error) {
	name, err := cleanName(name, FieldDisplayName, MaxDisplayName)
	if err != nil {
		return u, err
	}
	return s.store.RenameUser(ctx, u.ID, name)
}

// History returns up to limit messages of room older than before (before
// <= 0: the newest).
func (s *Service) History(ctx context.Context, room, before int64, limit int) (Page, error) {
	return s.store.Before(ctx, room, before, limit)
}

// Since returns up to limit messages of room newer than after.
func (s *Service) Since(ctx context.Context, room, after int64, limit int) ([]Message, error) {
	return s.store.After(ctx, room, after, limit)
}

// LastSeq returns the Seq of room's newest message, or 0.
func (s *Service) LastSeq(ctx context.Context, room int64) (int64, error) {
	return s.store.LastSeq(ctx, room)
}

// NewLimiter returns a limiter for one connection's sends.
func (s *Service) NewLimiter() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(s.limits.Rate), s.limits.Burst)
}

// Post is a message someone asks to send.
type Post struct {
	// Room is where the message goes.
	Room int64
	// Author is who sends it.
	Author User
	// Body is the text as typed.
	Body string
	// Token is the form token, unique per form the server rendered.
	Token string
	// Limiter is the sending connection's rate limiter; nil means none.
	Limiter *rate.Limiter
}

// Post validates p, stores it and publishes it. A post with a token the
// room has already seen stores nothing and returns the stored message
// with duplicate = true. The message exists once it is
// stored: a failure to publish is logged, not returned, since the hub of
// every instance fills gaps from the store.
func (s *Service) Post(ctx context.Context, p Post) (m Message, duplicate bool, err error) {
	body := strings.TrimSpace(p.Body)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return Message{}, false, Fail(Empty, FieldBody)
	case n > MaxBody:
		return Message{}, false, &Error{Reason: TooLong, Field: FieldBody, Limit: MaxBody, Length: n}
	}
	if !validToken(p.Token) {
		return Message{}, false, Fail(Expired)
	}
	if p.Limiter != nil && !p.Limiter.Allow() {
		return Message{}, false, Fail(TooFast)
	}
	m, duplicate, err = s.store.AddMessage(ctx, Message{
		Room:      p.Room,
		Author:    p.Author,
		Body:      body,
		Token:     sendKey(p.Token, body),
		CreatedAt: s.now().UTC(),
	})
	if err != nil {
		return m, false, err
	}
	// A duplicate is published again: the first sender may have died
	// between storing and publishing. Hubs drop a Seq they have shown.
	if err := s.broker.Publish(ctx, Event{Kind: EventMessage, Room: m.Room, Message: &m}); err != nil {
		s.log.Warn("publish failed; hubs will fill the gap from the store", "room", m.Room, "seq", m.Seq, "err", err)
	}
	return m, duplicate, nil
}

// Ping reports whether the store is reachable.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// cleanName trims name and checks it holds 1 to max characters; field
// is the input the error names.
func cleanName(name string, field Field, max int) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", Fail(Empty, field)
	case n > max:
		return "", &Error{Reason: TooLong, Field: field, Limit: max, Length: n}
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", Fail(ControlCharacters, field)
	}
	return name, nil
}

// sendKey is what makes a send unique in its room: the form's token and
// a digest of the text. A resend of the same form with the same text (the
// websocket extension replays what it queued while disconnected) finds the
// stored message; a second text sent from the same form before the
// answer came back is a message of its own, not a resend to drop.
func sendKey(token, body string) string {
	sum := sha256.Sum256([]byte(body))
	return token + "." + base64.RawURLEncoding.EncodeToString(sum[:12])
}

// validToken reports whether t looks like a token the server issued:
// 1 to MaxToken URL-safe characters.
func validToken(t string) bool {
	if t == "" || len(t) > MaxToken {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
