package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// roomColumns are the columns scanRoom reads, in its order, of rooms
// aliased r.
const roomColumns = `r.id, r.name, r.created_at, r.kind, coalesce(r.created_by, 0) AS created_by, r.archived`

// scanner is what pgx.Row and pgx.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// scanRoom reads one row of roomColumns, followed by the columns extra
// points to.
func scanRoom(row scanner, extra ...any) (chat.Room, error) {
	var (
		r    chat.Room
		kind string
	)
	err := row.Scan(append([]any{&r.ID, &r.Name, &r.CreatedAt, &kind, &r.CreatedBy, &r.Archived}, extra...)...)
	r.CreatedAt, r.Kind = r.CreatedAt.UTC(), chat.RoomKind(kind)
	return r, err
}

// CreateRoom stores a new open room named name, created at now. A name
// whose NameKey another open or private room's has fails with reason
// Taken.
func (s *Store) CreateRoom(ctx context.Context, name string, now time.Time) (chat.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	r := chat.Room{Name: name, CreatedAt: stamp(now), Kind: chat.RoomOpen}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO rooms (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING id`,
		name, nameKey(name), r.CreatedAt).Scan(&r.ID)
	if violated(err, uniqueViolation, "rooms_name_key") {
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: name}
	}
	if err != nil {
		return chat.Room{}, wrap("create room", err, chat.Unreachable)
	}
	return r, nil
}

// CreateRoomOf stores a new room of r.Kind (open when empty), named
// r.Name, by r.CreatedBy, created at r.CreatedAt, with members: those of
// a private or direct room, its creator among them; an open room keeps
// none. A direct room has no name of its own: its name_key is its
// members' (chat.RoomRecord), and when a direct room of the same people exists
// it is returned instead of a new one. Two calls at once, on any
// instances, make one room: the second INSERT waits for the first's
// transaction, then yields to its row, which the SELECT after it sees,
// members and all, since each statement reads what was committed before
// it began.
//
// An unknown creator or member fails with reason NoMember; the name of
// another open or private room, with reason Taken.
func (s *Store) CreateRoomOf(ctx context.Context, r chat.Room, members []int64) (chat.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	r, key, members := chat.RoomRecord(r, members)
	r.CreatedAt = stamp(r.CreatedAt)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO rooms (name, name_key, created_at, kind, created_by) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name_key) WHERE kind = 'direct' DO NOTHING
			RETURNING id`,
			r.Name, key, r.CreatedAt, string(r.Kind), nullID(r.CreatedBy)).Scan(&r.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			r, err = scanRoom(tx.QueryRow(ctx,
				`SELECT `+roomColumns+` FROM rooms r WHERE r.kind = 'direct' AND r.name_key = $1`, key))
			return err
		}
		if err != nil || len(members) == 0 {
			return err
		}
		_, err = tx.Exec(ctx,
			`INSERT INTO room_members (room_id, user_id) SELECT $1, unnest($2::bigint[])`, r.ID, members)
		return err
	})
	switch {
	case violated(err, uniqueViolation, "rooms_name_key"):
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: r.Name}
	case violated(err, foreignKeyViolation, ""):
		return chat.Room{}, chat.Fail(chat.NoMember)
	case err != nil:
		return chat.Room{}, wrap("create room", err, chat.Unreachable)
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
	ctx, cancel := bound(ctx)
	defer cancel()
	r, err := scanRoom(s.pool.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms r WHERE r.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Room{}, chat.Fail(chat.NoRoom)
	}
	if err != nil {
		return chat.Room{}, wrap("room", err, chat.Unreachable)
	}
	return r, nil
}

// RenameRoom names the open or private room with id name, or fails with
// reason Taken when another has its NameKey, or NoRoom when there is no
// such room: a direct room has no name to change.
func (s *Store) RenameRoom(ctx context.Context, id int64, name string) (chat.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	r, err := scanRoom(s.pool.QueryRow(ctx, `
		UPDATE rooms r SET name = $1, name_key = $2 WHERE r.id = $3 AND r.kind <> 'direct'
		RETURNING `+roomColumns, name, nameKey(name), id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return chat.Room{}, chat.Fail(chat.NoRoom)
	case violated(err, uniqueViolation, "rooms_name_key"):
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: name}
	case err != nil:
		return chat.Room{}, wrap("rename room", err, chat.Unreachable)
	}
	return r, nil
}

// SetArchived archives or restores the room with id, or fails with
// reason NoRoom.
func (s *Store) SetArchived(ctx context.Context, id int64, archived bool) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE rooms SET archived = $1 WHERE id = $2`, archived, id)
	return wrap("set archived", oneRow(tag.RowsAffected(), err, chat.NoRoom), chat.Unreachable)
}

// oneRow returns err, or reason as an error when the statement changed
// no row (n).
func oneRow(n int64, err error, reason chat.Reason) error {
	if err == nil && n == 0 {
		return chat.Fail(reason)
	}
	return err
}
