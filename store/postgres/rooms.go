package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hxchat/chat"
)

// CreateRoom stores a new room named name, created at now. A name that
// differs from a stored one only in case fails with code Conflict.
func (s *Store) CreateRoom(ctx context.Context, name string, now time.Time) (chat.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	r := chat.Room{Name: name, CreatedAt: stamp(now)}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO rooms (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING id`,
		name, nameKey(name), r.CreatedAt).Scan(&r.ID)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == uniqueViolation {
		return chat.Room{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: name}
	}
	if err != nil {
		return chat.Room{}, wrap("create room", err, chat.Unreachable)
	}
	return r, nil
}

// nameKey is the form of a name that must be unique: chat.NameKey, the
// same in both stores whatever the database's collation.
func nameKey(name string) string { return chat.NameKey(name) }

// Room returns the room with id, or an error with code NotFound.
func (s *Store) Room(ctx context.Context, id int64) (chat.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var r chat.Room
	err := s.pool.QueryRow(ctx,
		`SELECT id, name, created_at FROM rooms WHERE id = $1`, id).Scan(&r.ID, &r.Name, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Room{}, chat.Fail(chat.NoRoom)
	}
	if err != nil {
		return chat.Room{}, wrap("room", err, chat.Unreachable)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// Rooms returns every room in order of creation, which is order of ID:
// the identity column only counts up.
func (s *Store) Rooms(ctx context.Context) ([]chat.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at FROM rooms ORDER BY id`)
	if err != nil {
		return nil, wrap("rooms", err, chat.Unreachable)
	}
	rooms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Room, error) {
		var r chat.Room
		err := row.Scan(&r.ID, &r.Name, &r.CreatedAt)
		r.CreatedAt = r.CreatedAt.UTC()
		return r, err
	})
	if err != nil {
		return nil, wrap("rooms", err, chat.Unreachable)
	}
	return rooms, nil
}
