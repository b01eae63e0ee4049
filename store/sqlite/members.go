package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"

	"hxchat/chat"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsMember reports whether user was added to room.
func (s *Store) IsMember(ctx context.Context, room, user int64) (bool, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var ok bool
	err := s.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ?)`, room, user).Scan(&ok)
	if err != nil {
		return false, wrap("is member", err)
	}
	return ok, nil
}

// Members returns the people added to room, by name; none for an
// unknown room.
func (s *Store) Members(ctx context.Context, room int64) ([]chat.User, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx,
		`SELECT u.id, u.name FROM room_members m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?`, room)
	if err != nil {
		return nil, wrap("members", err)
	}
	defer rows.Close()
	people := []chat.User{}
	for rows.Next() {
		var u chat.User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, wrap("members", err)
		}
		people = append(people, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("members", err)
	}
	sortByName(people)
	return people, nil
}

// sortByName orders people by the NameKey of their names, then by ID:
// in Go, so that both stores agree whatever the database's collation,
// and by the key rather than the name, which the database cannot
// compute.
func sortByName(people []chat.User) {
	slices.SortFunc(people, func(a, b chat.User) int {
		return cmp.Or(cmp.Compare(chat.NameKey(a.Name), chat.NameKey(b.Name)), cmp.Compare(a.ID, b.ID))
	})
}

// AddMember adds user to room; adding a member twice does nothing. An
// unknown room fails with reason NoRoom, an unknown user with NoMember.
func (s *Store) AddMember(ctx context.Context, room, user int64) error {
	defer s.boundWAL()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The foreign keys would refuse both, without saying which.
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM rooms WHERE id = ?`, room).Scan(&id); errors.Is(err, sql.ErrNoRows) {
			return chat.Fail(chat.NoRoom)
		} else if err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO room_members (room_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, room, user)
		return err
	})
	s.noteWrite(err)
	if code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return chat.Fail(chat.NoMember)
	}
	return wrap("add member", err)
}

// RemoveMember removes user from room and reports whether they were a
// member.
func (s *Store) RemoveMember(ctx context.Context, room, user int64) (bool, error) {
	defer s.boundWAL()
	res, err := s.write.ExecContext(ctx, `DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, room, user)
	s.noteWrite(err)
	if err != nil {
		return false, wrap("remove member", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("remove member", err)
	}
	return n > 0, nil
}
