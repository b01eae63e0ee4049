package chat

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// Limits caps what one person (or, where people are anonymous, one
// client address) may do or hold. The zero value of a field means its
// default.
type Limits struct {
	// Rate is the sustained number of messages a person may send per
	// second, over all their connections (default 5).
	Rate float64
	// Burst is how many messages a person may send at once before the
	// rate applies (default 10).
	Burst int
	// RoomsPerHour is how many rooms a person may create in an hour, all at
	// once if they like (default 10).
	RoomsPerHour int
	// RenamesPerMinute is how many times a person may change their
	// display name in a minute (default 6).
	RenamesPerMinute int
	// NewPeoplePerHour is how many new anonymous identities one client
	// address may be given in an hour (default 60), so that requests
	// without a cookie cannot fill the store with people.
	NewPeoplePerHour int
	// Connections is how many live connections a person may hold at once
	// (default 20).
	Connections int
}

// The defaults of Limits.
const (
	DefaultRate             = 5
	DefaultBurst            = 10
	DefaultRoomsPerHour     = 10
	DefaultRenamesPerMinute = 6
	DefaultNewPeoplePerHour = 60
	DefaultConnections      = 20
)

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	orDefault(&l.Rate, DefaultRate)
	orDefault(&l.Burst, DefaultBurst)
	orDefault(&l.RoomsPerHour, DefaultRoomsPerHour)
	orDefault(&l.RenamesPerMinute, DefaultRenamesPerMinute)
	orDefault(&l.NewPeoplePerHour, DefaultNewPeoplePerHour)
	orDefault(&l.Connections, DefaultConnections)
	return l
}

// orDefault sets *v to def unless it is above zero.
func orDefault[T int | float64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
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
	// sends, rooms, renames and newPeople are the rate limits of Limits,
	// each per key; conns holds the connections per key.
	sends, rooms, renames, newPeople *Keyed
	conns                            *Slots
	// refused counts refusals per limit, for /metrics.
	refused [limitKinds]atomic.Int64

	// open is open mode: anonymous people, every room open.
	open bool
	// setUp is true once an account is known to exist.
	setUp atomic.Bool
	// hasher hashes passwords; hashing caps how many hash at once.
	hasher  Hasher
	hashing chan struct{}
	// dummy is the hash checked when an email has no account.
	dummyOnce sync.Once
	dummy     string
	// signInEmail and signInAddr count failed sign-ins.
	signInEmail, signInAddr *Keyed
}

// Option changes how NewService sets up the service.
type Option func(*Service)

// OpenMode makes the service anonymous: no accounts, people get numbered
// names, and every room is open (rooms of other kinds stay hidden).
func OpenMode() Option { return func(s *Service) { s.open = true } }

// WithHasher hashes passwords with h instead of the default argon2id
// setting (tests use a cheap one).
func WithHasher(h Hasher) Option { return func(s *Service) { s.hasher = h } }

// maxHashing is how many passwords hash at once: each takes 19 MiB.
const maxHashing = 4

// Open reports whether the service runs in open mode.
func (s *Service) Open() bool { return s.open }

// NewService returns a Service storing in store and publishing to broker.
// now is the clock (time.Now when nil).
func NewService(log *slog.Logger, store Store, broker Broker, now func() time.Time, limits Limits, opts ...Option) *Service {
	if now == nil {
		now = time.Now
	}
	l := limits.withDefaults()
	s := &Service{
		store: store, broker: broker, log: log, now: now, limits: l,
		sends:       NewKeyed(rate.Limit(l.Rate), l.Burst, now),
		rooms:       NewKeyed(rate.Every(time.Hour/time.Duration(l.RoomsPerHour)), l.RoomsPerHour, now),
		renames:     NewKeyed(rate.Every(time.Minute/time.Duration(l.RenamesPerMinute)), l.RenamesPerMinute, now),
		newPeople:   NewKeyed(rate.Every(time.Hour/time.Duration(l.NewPeoplePerHour)), l.NewPeoplePerHour, now),
		conns:       NewSlots(l.Connections),
		hashing:     make(chan struct{}, maxHashing),
		signInEmail: NewKeyed(rate.Every(signInEmailInterval), signInsPerEmail, now),
		signInAddr:  NewKeyed(rate.Every(signInAddrInterval), signInsPerAddr, now),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Limit names one of the limits of Limits.
type Limit int

// The limits, as Refused counts them.
const (
	LimitSends Limit = iota
	LimitRooms
	LimitRenames
	LimitNewPeople
	LimitConnections
	LimitSignIns
	limitKinds
)

// String is the limit's name in logs and metrics.
func (l Limit) String() string {
	return [...]string{"sends", "rooms", "renames", "new_people", "connections", "sign_ins"}[l]
}

// Refused returns how many times each limit refused, by name.
func (s *Service) Refused() map[string]int64 {
	m := make(map[string]int64, limitKinds)
	for l := range limitKinds {
		m[l.String()] = s.refused[l].Load()
	}
	return m
}

// check asks k whether key may act, and turns a refusal into err, counted,
// and logged once per streak of refusals.
func (s *Service) check(l Limit, k *Keyed, key string, err *Error) error {
	ok, first := k.Allow(key)
	if ok {
		return nil
	}
	s.refused[l].Add(1)
	if first {
		s.log.Warn("limit reached", "limit", l.String(), "key", key)
	}
	return err
}

// PersonKey is the key a person's limits are kept under.
func PersonKey(u User) string { return "person:" + strconv.FormatInt(u.ID, 10) }

// AllowNewPerson reports, for a client address without an identity yet,
// whether it may be given one (NewPeoplePerHour).
func (s *Service) AllowNewPerson(addr string) error {
	return s.check(LimitNewPeople, s.newPeople, "addr:"+addr, &Error{Reason: TooManyPeople, Limit: s.limits.NewPeoplePerHour})
}

// Connect takes one of key's live connections (Connections); release
// gives it back when the connection ends.
func (s *Service) Connect(key string) (release func(), err error) {
	if ok, first := s.conns.Take(key); !ok {
		s.refused[LimitConnections].Add(1)
		if first {
			s.log.Warn("limit reached", "limit", LimitConnections.String(), "key", key)
		}
		return nil, &Error{Reason: TooManyConnections, Limit: s.limits.Connections}
	}
	var once sync.Once
	return func() { once.Do(func() { s.conns.Release(key) }) }, nil
}

// RoomsFor returns up to limit open and private rooms user may see,
// ordered by name, after the room named by the cursor (afterKey, afterID).
func (s *Service) RoomsFor(ctx context.Context, user int64, afterKey string, afterID int64, limit int) ([]Room, error) {
	return s.store.RoomsFor(ctx, user, afterKey, afterID, limit)
}

// Room returns one room, or an error with code NotFound.
func (s *Service) Room(ctx context.Context, id int64) (Room, error) { return s.store.Room(ctx, id) }

// CreateRoom validates name and creates an open room with it for key,
// within the RoomsPerHour of key; an empty key (the starter rooms) has no
// limit.
func (s *Service) CreateRoom(ctx context.Context, key, name string) (Room, error) {
	return s.CreateRoomOf(ctx, Account{}, key, name, RoomOpen)
}

// EnsureRooms creates the named rooms when there is no room at all, so
// that a new installation has somewhere to talk.
func (s *Service) EnsureRooms(ctx context.Context, names ...string) error {
	rooms, err := s.store.RoomsFor(ctx, 0, "", 0, 1)
	if err != nil || len(rooms) > 0 {
		return err
	}
	for _, n := range names {
		if _, err := s.CreateRoom(ctx, "", n); err != nil && ErrorCode(err) != Conflict {
			return err
		}
	}
	return nil
}

// NewUser creates a member with an automatic display name.
func (s *Service) NewUser(ctx context.Context) (User, error) { return s.store.CreateUser(ctx) }

// Rename validates name and makes it u's display name, within u's
// RenamesPerMinute.
func (s *Service) Rename(ctx context.Context, u User, name string) (User, error) {
	name, err := cleanName(name, FieldDisplayName, MaxDisplayName)
	if err != nil {
		return u, err
	}
	if numberedName(name) && NameKey(name) != NameKey(numberedNameOf(u.ID)) {
		// Kept for the people not yet created, who get these names.
		return u, &Error{Reason: Taken, Field: FieldDisplayName, Value: name}
	}
	if err := s.check(LimitRenames, s.renames, PersonKey(u), &Error{Reason: TooManyRenames, Limit: s.limits.RenamesPerMinute}); err != nil {
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
	if err := s.check(LimitSends, s.sends, PersonKey(p.Author), Fail(TooFast)); err != nil {
		return Message{}, false, err
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
