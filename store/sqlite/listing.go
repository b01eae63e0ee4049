package sqlite

import (
	"context"

	"hxchat/chat"
)

// The room list, one page at a time, in order of (name_key, id). Each
// kind of room is read in that order from rooms_by_kind_name, from just
// after the cursor and for at most a page, so a page costs the same
// whether there are ten rooms or ten thousand; only the page's rows, and
// the person's private rooms after the cursor, are sorted together at the
// end. BenchmarkRoomsFor, on a busy 2-vCPU VM: a page of 50 of 10,000
// rooms in 0.2 to 0.25 ms for everyone, 0.3 to 0.4 ms for a person in
// 250 rooms, whose rooms are each looked up.
const (
	// openRooms is the page of open rooms after (?1, ?2), ?3 long.
	openRooms = `SELECT * FROM (SELECT ` + roomColumns + `, r.name_key FROM rooms r
		WHERE r.kind = 'open' AND (r.name_key, r.id) > (?1, ?2)
		ORDER BY r.name_key, r.id LIMIT ?3)`
	// roomsForEveryone is the page of every open and private room.
	roomsForEveryone = openRooms + `
		UNION ALL
		SELECT * FROM (SELECT ` + roomColumns + `, r.name_key FROM rooms r
		WHERE r.kind = 'private' AND (r.name_key, r.id) > (?1, ?2)
		ORDER BY r.name_key, r.id LIMIT ?3)
		ORDER BY name_key, id LIMIT ?3`
	// roomsForMember is the page of open rooms and the private rooms of
	// person ?4. Their rooms come from room_members_by_user, which CROSS
	// JOIN makes SQLite read first: else it walks every private room in
	// order of name looking for the person's, which for someone in none
	// of many is all of them, on every page.
	roomsForMember = openRooms + `
		UNION ALL
		SELECT * FROM (SELECT ` + roomColumns + `, r.name_key FROM room_members m CROSS JOIN rooms r ON r.id = m.room_id
		WHERE m.user_id = ?4 AND r.kind = 'private' AND (r.name_key, r.id) > (?1, ?2)
		ORDER BY r.name_key, r.id LIMIT ?3)
		ORDER BY name_key, id LIMIT ?3`
)

// RoomsFor returns up to limit rooms user may see, open ones and the
// private ones user is a member of (every one for user 0), never direct
// ones, in order of name_key then ID, after (afterKey, afterID).
func (s *Store) RoomsFor(ctx context.Context, user int64, afterKey string, afterID int64, limit int) ([]chat.Room, error) {
	if limit <= 0 {
		return []chat.Room{}, nil // SQLite reads a negative LIMIT as no limit
	}
	query, args := s.everyonesRooms, []any{afterKey, afterID, limit}
	if user != 0 {
		query, args = s.membersRooms, append(args, user)
	}
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := query.QueryContext(ctx, args...)
	if err != nil {
		return nil, wrap("rooms for", err)
	}
	defer rows.Close()
	rooms := []chat.Room{}
	for rows.Next() {
		var key string
		r, err := scanRoom(rows, &key)
		if err != nil {
			return nil, wrap("rooms for", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rooms for", err)
	}
	return rooms, nil
}

// directRooms reads a person's newest direct rooms, ?1 being the person
// and ?2 how many, each once for every member, in one query rather than
// one for each room's members. The rooms come from room_members_by_user,
// newest (highest ID) first.
const directRooms = `
	SELECT ` + roomColumns + `, u.id, u.name
	FROM (SELECT m.room_id FROM room_members m JOIN rooms d ON d.id = m.room_id
		WHERE m.user_id = ?1 AND d.kind = 'direct'
		ORDER BY m.room_id DESC LIMIT ?2) AS mine
	JOIN rooms r ON r.id = mine.room_id
	JOIN room_members p ON p.room_id = r.id
	JOIN users u ON u.id = p.user_id
	ORDER BY r.id DESC`

// DirectRooms returns up to limit direct rooms of user, the newest (the
// last created) first, each with People, all its members, by name.
func (s *Store) DirectRooms(ctx context.Context, user int64, limit int) ([]chat.Room, error) {
	if limit <= 0 {
		return []chat.Room{}, nil
	}
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx, directRooms, user, limit)
	if err != nil {
		return nil, wrap("direct rooms", err)
	}
	defer rows.Close()
	rooms := []chat.Room{}
	for rows.Next() {
		var u chat.User
		r, err := scanRoom(rows, &u.ID, &u.Name)
		if err != nil {
			return nil, wrap("direct rooms", err)
		}
		if n := len(rooms); n == 0 || rooms[n-1].ID != r.ID {
			rooms = append(rooms, r)
		}
		last := &rooms[len(rooms)-1]
		last.People = append(last.People, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("direct rooms", err)
	}
	for _, r := range rooms {
		sortByName(r.People)
	}
	return rooms, nil
}
