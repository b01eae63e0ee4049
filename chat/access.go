package chat

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// Who may see and change what. Every rule is checked here, where the data
// leaves the domain: handlers and transports ask, they do not decide.

// MaxDirect is how many people a direct conversation holds at most.
const MaxDirect = 8

// Enter returns room id if viewer may read it: an open room, or a
// private or direct room viewer is a member of. Any other room is
// reported as not existing (reason NoRoom), so that a non-member learns
// nothing of it.
func (s *Service) Enter(ctx context.Context, viewer Account, id int64) (Room, error) {
	r, err := s.store.Room(ctx, id)
	if err != nil {
		return Room{}, err
	}
	if r.Open() {
		if s.open || viewer.ID != 0 {
			return r, nil
		}
		return Room{}, Fail(NoRoom)
	}
	if s.open || viewer.ID == 0 {
		return Room{}, Fail(NoRoom)
	}
	member, err := s.store.IsMember(ctx, id, viewer.ID)
	if err != nil {
		return Room{}, err
	}
	if !member {
		return Room{}, Fail(NoRoom)
	}
	if r.Kind == RoomDirect {
		// A direct room is named by its people.
		if r.People, err = s.store.Members(ctx, id); err != nil {
			return Room{}, err
		}
	}
	return r, nil
}

// CanManage reports whether viewer may add and remove r's members: its
// creator and administrators, for a private room.
func CanManage(viewer Account, r Room) bool {
	return r.Kind == RoomPrivate && !r.Archived && (viewer.Admin || viewer.ID != 0 && viewer.ID == r.CreatedBy)
}

// CreateRoomOf creates a room of kind for viewer, within the rooms
// limit of key (none for an empty key); the creator of a private room is
// its first member.
func (s *Service) CreateRoomOf(ctx context.Context, viewer Account, key, name string, kind RoomKind) (Room, error) {
	if s.open || kind == "" {
		kind = RoomOpen
	}
	if kind != RoomOpen && kind != RoomPrivate {
		return Room{}, Fail(OutOfRange)
	}
	name, err := cleanName(name, FieldRoomName, MaxRoomName)
	if err != nil {
		return Room{}, err
	}
	if key != "" {
		if err := s.check(LimitRooms, s.rooms, key, &Error{Reason: TooManyRooms, Limit: s.limits.RoomsPerHour}); err != nil {
			return Room{}, err
		}
	}
	var members []int64
	if kind == RoomPrivate {
		members = []int64{viewer.ID}
	}
	return s.store.CreateRoomOf(ctx, Room{Name: name, Kind: kind, CreatedBy: viewer.ID, CreatedAt: s.now().UTC()}, members)
}

// Direct returns the direct conversation of viewer and others, starting
// it when there is none.
func (s *Service) Direct(ctx context.Context, viewer Account, others ...int64) (Room, error) {
	if s.open || viewer.ID == 0 {
		return Room{}, Fail(NotAllowed)
	}
	people := []int64{viewer.ID}
	for _, id := range others {
		a, err := s.store.Account(ctx, id)
		if err != nil {
			return Room{}, err
		}
		if a.Deactivated {
			return Room{}, Fail(NoMember)
		}
		people = append(people, a.ID)
	}
	slices.Sort(people)
	people = slices.Compact(people)
	if len(people) < 2 || len(people) > MaxDirect {
		return Room{}, Fail(OutOfRange)
	}
	if err := s.check(LimitRooms, s.rooms, PersonKey(viewer.User), &Error{Reason: TooManyRooms, Limit: s.limits.RoomsPerHour}); err != nil {
		return Room{}, err
	}
	return s.store.CreateRoomOf(ctx, Room{Kind: RoomDirect, CreatedBy: viewer.ID, CreatedAt: s.now().UTC()}, people)
}

// DirectRooms returns up to limit of viewer's direct conversations.
func (s *Service) DirectRooms(ctx context.Context, viewer Account, limit int) ([]Room, error) {
	if s.open || viewer.ID == 0 {
		return nil, nil
	}
	return s.store.DirectRooms(ctx, viewer.ID, limit)
}

// RoomList returns up to limit of the open and private rooms viewer
// belongs to, by name, after the cursor (afterKey, afterID).
func (s *Service) RoomList(ctx context.Context, viewer Account, afterKey string, afterID int64, limit int) ([]Room, error) {
	if s.open {
		rooms, err := s.store.RoomsFor(ctx, 0, afterKey, afterID, limit)
		// Open mode shows open rooms only; a private room made before a
		// switch to open mode stays hidden.
		return slices.DeleteFunc(rooms, func(r Room) bool { return !r.Open() }), err
	}
	if viewer.ID == 0 {
		return nil, nil
	}
	return s.store.RoomsFor(ctx, viewer.ID, afterKey, afterID, limit)
}

// AllRooms returns up to limit open and private rooms, whoever is in
// them, by name after the cursor, for an administrator.
func (s *Service) AllRooms(ctx context.Context, admin Account, afterKey string, afterID int64, limit int) ([]Room, error) {
	if !admin.Admin {
		return nil, Fail(NotAllowed)
	}
	return s.store.RoomsFor(ctx, 0, afterKey, afterID, limit)
}

// Members returns the people of a private or direct room viewer may
// enter.
func (s *Service) Members(ctx context.Context, viewer Account, id int64) (Room, []User, error) {
	r, err := s.Enter(ctx, viewer, id)
	if err != nil {
		return Room{}, nil, err
	}
	if r.Open() {
		return r, nil, nil
	}
	if r.People != nil {
		return r, r.People, nil
	}
	people, err := s.store.Members(ctx, id)
	return r, people, err
}

// ManagedMembers returns the people of a private room for viewer who
// manages it without being in it (an administrator).
func (s *Service) ManagedMembers(ctx context.Context, viewer Account, id int64) (Room, []User, error) {
	r, err := s.manage(ctx, viewer, id)
	if err != nil {
		return Room{}, nil, err
	}
	people, err := s.store.Members(ctx, id)
	return r, people, err
}

// AddMember adds the account named name to private room id.
func (s *Service) AddMember(ctx context.Context, viewer Account, id int64, name string) (User, error) {
	r, err := s.manage(ctx, viewer, id)
	if err != nil {
		return User{}, err
	}
	a, err := s.store.AccountByName(ctx, name)
	if err != nil {
		return User{}, err
	}
	if a.Deactivated {
		return User{}, Fail(NoMember)
	}
	if err := s.store.AddMember(ctx, r.ID, a.ID); err != nil {
		return User{}, err
	}
	s.audit(ctx, viewer, "add_member", subject(a.User)+" to "+roomSubject(r))
	return a.User, nil
}

// RemoveMember removes user from private room id and closes their live
// connections to it, on every instance.
func (s *Service) RemoveMember(ctx context.Context, viewer Account, id, user int64) error {
	r, err := s.manage(ctx, viewer, id)
	if err != nil {
		return err
	}
	removed, err := s.store.RemoveMember(ctx, r.ID, user)
	if err != nil || !removed {
		return err
	}
	s.publish(ctx, Event{Kind: EventRemoved, Room: r.ID, User: user})
	s.audit(ctx, viewer, "remove_member", "#"+strconv.FormatInt(user, 10)+" from "+roomSubject(r))
	return nil
}

// manage returns private room id when viewer may manage its members.
// Administrators may manage rooms they are not in; anyone else who may
// not sees no such room.
func (s *Service) manage(ctx context.Context, viewer Account, id int64) (Room, error) {
	if s.open || viewer.ID == 0 {
		return Room{}, Fail(NoRoom)
	}
	r, err := s.store.Room(ctx, id)
	if err != nil {
		return Room{}, err
	}
	if CanManage(viewer, r) {
		return r, nil
	}
	if _, err := s.Enter(ctx, viewer, id); err != nil {
		return Room{}, err
	}
	return Room{}, Fail(NotAllowed)
}

// publish sends ev to every hub, logging a failure: the state is stored
// already, and the next connection checks it again.
func (s *Service) publish(ctx context.Context, ev Event) {
	if err := s.broker.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.log.Error("publish", "kind", ev.Kind, "room", ev.Room, "err", err)
	}
}

// subject names a person in the audit log.
func subject(u User) string { return u.Name + " (#" + strconv.FormatInt(u.ID, 10) + ")" }

// roomSubject names a room in the audit log.
func roomSubject(r Room) string {
	if r.Name == "" {
		return "room #" + strconv.FormatInt(r.ID, 10)
	}
	return r.Name + " (room #" + strconv.FormatInt(r.ID, 10) + ")"
}

// Recheck tells whether a live connection of user with session to room
// may stay open, for a hub that may have missed an event ending it (its
// broker was cut off): "" when it may, else the reason it may not.
// session is a browser session's ID or a token's TokenSession.
func (s *Service) Recheck(ctx context.Context, room, user int64, session string) (Reason, error) {
	viewer, reason, err := s.recheckSession(ctx, user, session)
	if reason != "" || err != nil {
		return reason, err
	}
	r, err := s.Enter(ctx, viewer, room)
	if code := ErrorCode(err); code == NotFound {
		return Removed, nil
	} else if err != nil {
		return "", err
	}
	if r.Archived {
		return Archived, nil
	}
	return "", nil
}

// RecheckSession tells whether user's session (a browser session's ID,
// or TokenSession of a token) still holds: "" when it does, SignedOut when
// it ended or the account was deactivated. In open mode every session
// holds. A connection that is in no room is checked with it after the
// broker may have lost the events that end sessions.
func (s *Service) RecheckSession(ctx context.Context, user int64, session string) (Reason, error) {
	_, reason, err := s.recheckSession(ctx, user, session)
	return reason, err
}

// recheckSession is RecheckSession, returning the account too.
func (s *Service) recheckSession(ctx context.Context, user int64, session string) (Account, Reason, error) {
	viewer := Account{User: User{ID: user}}
	if s.open {
		return viewer, "", nil
	}
	if id, ok := tokenOfSession(session); ok {
		return s.recheckToken(ctx, user, id)
	}
	sess, a, err := s.store.Session(ctx, session)
	if code := ErrorCode(err); code == Unauthenticated {
		return viewer, SignedOut, nil
	} else if err != nil {
		return viewer, "", err
	}
	if sess.User != user || a.Deactivated {
		return viewer, SignedOut, nil
	}
	return a, "", nil
}

// RoomRecord is what a store keeps of a new room r with members: r of
// kind open when none is given, not archived, without a name when it is
// direct; its key, unique among rooms of its sort (NameKey of the name,
// or for a direct room "direct:" and its people's sorted IDs, so that
// there is one per set of people); and the people to add (members and
// the creator, sorted, each once; none for an open room).
func RoomRecord(r Room, members []int64) (Room, string, []int64) {
	if r.Kind == "" {
		r.Kind = RoomOpen
	}
	r.Archived, r.People = false, nil
	var set []int64
	if !r.Open() {
		set = slices.Clone(members)
		if r.CreatedBy != 0 {
			set = append(set, r.CreatedBy)
		}
		slices.Sort(set)
		set = slices.Compact(set)
	}
	if r.Kind != RoomDirect {
		return r, NameKey(r.Name), set
	}
	r.Name = ""
	var b strings.Builder
	b.WriteString("direct:")
	for i, m := range set {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(m, 10))
	}
	return r, b.String(), set
}
