package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hxchat/chat"
	sqlite3 "modernc.org/sqlite/lib"
)

// roomColumns are the columns scanRoom reads, in its order, of rooms
// aliased r.
const roomColumns = `r.id, r.name, r.created_at, r.kind, coalesce(r.created_by, 0) AS created_by, r.archived`

// scanRoom reads one row of roomColumns, followed by the columns extra
// points to.
func scanRoom(row scanner, extra ...any) (chat.Room, error) {
	var (
		r    chat.Room
		at   int64
		kind string
	)
	err := row.Scan(append([]any{&r.ID, &r.Name, &at, &kind, &r.CreatedBy, &r.Archived}, extra...)...)
	r.CreatedAt, r.Kind = fromNanos(at), chat.RoomKind(kind)
	return r, err
}

// CreateRoom stores a new open room named name, created at now. A name
// whose NameKey another open or private room's has fails with reason
// Taken.
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
	return chat.Room{ID: id, Name: name, CreatedAt: fromNanos(at), Kind: chat.RoomOpen}, nil
}

// CreateRoomOf stores a new room of r.Kind (open when empty), named
// r.Name, by r.CreatedBy, created at r.CreatedAt, with members: those of
// a private or direct room, its creator among them; an open room keeps
// none. A direct room has no name of its own: its name_key is its
// members' (chat.RoomRecord), and when a direct room of the same people exists
// it is returned instead of a new one. The single writer makes the look
// and the insert one step, also for two calls at once.
//
// An unknown creator or member fails with reason NoMember; the name of
// another open or private room, with reason Taken.
func (s *Store) CreateRoomOf(ctx context.Context, r chat.Room, members []int64) (chat.Room, error) {
	r, key, members := chat.RoomRecord(r, members)
	at, err := nanos(stamp(r.CreatedAt))
	if err != nil {
		return chat.Room{}, err
	}
	r.CreatedAt = fromNanos(at)
	defer s.boundWAL()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO rooms (name, name_key, created_at, kind, created_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name_key) WHERE kind = 'direct' DO NOTHING`,
			r.Name, key, at, string(r.Kind), nullID(r.CreatedBy))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			r, err = scanRoom(tx.QueryRowContext(ctx,
				`SELECT `+roomColumns+` FROM rooms r WHERE r.kind = 'direct' AND r.name_key = ?`, key))
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, m := range members {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO room_members (room_id, user_id) VALUES (?, ?)`, r.ID, m); err != nil {
				return err
			}
		}
		return nil
	})
	s.noteWrite(err)
	switch code(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: r.Name}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return chat.Room{}, chat.Fail(chat.NoMember)
	}
	if err != nil {
		return chat.Room{}, wrap("create room", err)
	}
	return r, nil
}

// nameKey is the form of a name that must be unique: chat.NameKey, the
// same in both stores whatever the database's collation.
func nameKey(name string) string { return chat.NameKey(name) }

// nullID returns id as stored in a column where NULL means none.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Room returns the room with id, or an error with code NotFound.
func (s *Store) Room(ctx context.Context, id int64) (chat.Room, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	r, err := scanRoom(s.read.QueryRowContext(ctx,
		`SELECT `+roomColumns+` FROM rooms r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Room{}, chat.Fail(chat.NoRoom)
	}
	if err != nil {
		return chat.Room{}, wrap("room", err)
	}
	return r, nil
}

// RenameRoom names the open or private room with id name, or fails with
// reason Taken when another has its NameKey, or NoRoom when there is no
// such room: a direct room has no name to change.
func (s *Store) RenameRoom(ctx context.Context, id int64, name string) (chat.Room, error) {
	defer s.boundWAL()
	var r chat.Room
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE rooms SET name = ?, name_key = ? WHERE id = ? AND kind <> 'direct'`, name, nameKey(name), id)
		if err := oneRow(res, err, chat.NoRoom); err != nil {
			return err
		}
		r, err = scanRoom(tx.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms r WHERE r.id = ?`, id))
		return err
	})
	s.noteWrite(err)
	if code(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: name}
	}
	if err != nil {
		return chat.Room{}, wrap("rename room", err)
	}
	return r, nil
}

// SetArchived archives or restores the room with id, or fails with
// reason NoRoom.
func (s *Store) SetArchived(ctx context.Context, id int64, archived bool) error {
	defer s.boundWAL()
	res, err := s.write.ExecContext(ctx, `UPDATE rooms SET archived = ? WHERE id = ?`, bit(archived), id)
	s.noteWrite(err)
	return wrap("set archived", oneRow(res, err, chat.NoRoom))
}

// oneRow returns err, or reason as an error when the statement whose
// result res is changed no row.
func oneRow(res sql.Result, err error, reason chat.Reason) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return chat.Fail(reason)
	}
	return nil
}

// bit is b as the schema's 0/1 INTEGER columns hold it.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}
