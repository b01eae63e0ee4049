package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hxchat/chat"
)

// CreateUser stores a new member named "member" + their ID, in one
// statement: it draws the ID from the identity's sequence first, which
// never hands out a number twice, so the names stay unique across
// instances and restarts.
func (s *Store) CreateUser(ctx context.Context) (chat.User, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var u chat.User
	err := s.pool.QueryRow(ctx, `
		INSERT INTO users (id, name, name_key)
		SELECT id, 'member' || id, 'member' || id FROM (SELECT nextval(pg_get_serial_sequence('users', 'id')) AS id) AS next
		RETURNING id, name`).Scan(&u.ID, &u.Name)
	if err != nil {
		return chat.User{}, wrap("create user", err, chat.Unreachable)
	}
	return u, nil
}

// RenameUser makes name the display name of the member with id, or fails
// with code NotFound, or Conflict when another member's name has its key.
func (s *Store) RenameUser(ctx context.Context, id int64, name string) (chat.User, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	u := chat.User{ID: id}
	err := s.pool.QueryRow(ctx,
		`UPDATE users SET name = $1, name_key = $2 WHERE id = $3 RETURNING name`, name, nameKey(name), id).Scan(&u.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.User{}, chat.Fail(chat.NoMember)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == uniqueViolation {
		return chat.User{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: name}
	}
	if err != nil {
		return chat.User{}, wrap("rename user", err, chat.Unreachable)
	}
	return u, nil
}
