package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hxchat/chat"
	sqlite3 "modernc.org/sqlite/lib"
)

// CreateRoom stores a new room named name, created at now. A name that
// differs from a stored one only in case fails with code Conflict.
func (s *Store) CreateRoom(ctx context.Context, name string, now time.Time) (chat.Room, error) {
	now = stamp(now)
	at, err := nanos(now)
	if err != nil {
		return chat.Room{}, err
	}
	defer s.boundWAL()
	// Exec, not QueryRow with RETURNING: see Store.write.
	res, err := s.write.ExecContext(ctx,
		`INSERT INTO rooms (name, name_key, created_at) VALUES (?, ?, ?)`,
		name, nameKey(name), at)
	s.noteWrite(err)
	if code(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: name}
	}
	if err != nil {
		return chat.Room{}, wrap("create room", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return chat.Room{}, wrap("create room", err)
	}
	return chat.Room{ID: id, Name: name, CreatedAt: fromNanos(at)}, nil
}

// nameKey is the form of a name that must be unique: chat.NameKey, the
// same in both stores whatever the database's collation.
func nameKey(name string) string { return chat.NameKey(name) }

// Room returns the room with id, or an error with code NotFound.
func (s *Store) Room(ctx context.Context, id int64) (chat.Room, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var (
		r  chat.Room
		at int64
	)
	err := s.read.QueryRowContext(ctx,
		`SELECT id, name, created_at FROM rooms WHERE id = ?`, id).Scan(&r.ID, &r.Name, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Room{}, chat.Fail(chat.NoRoom)
	}
	if err != nil {
		return chat.Room{}, wrap("room", err)
	}
	r.CreatedAt = fromNanos(at)
	return r, nil
}

// Rooms returns every room in order of creation, which is order of ID:
// AUTOINCREMENT only ever counts up.
func (s *Store) Rooms(ctx context.Context) ([]chat.Room, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, created_at FROM rooms ORDER BY id`)
	if err != nil {
		return nil, wrap("rooms", err)
	}
	defer rows.Close()
	rooms := []chat.Room{}
	for rows.Next() {
		var (
			r  chat.Room
			at int64
		)
		if err := rows.Scan(&r.ID, &r.Name, &at); err != nil {
			return nil, wrap("rooms", err)
		}
		r.CreatedAt = fromNanos(at)
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rooms", err)
	}
	return rooms, nil
}
