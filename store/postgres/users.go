package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

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
		INSERT INTO users (id, name)
		SELECT id, 'member' || id FROM (SELECT nextval(pg_get_serial_sequence('users', 'id')) AS id) AS next
		RETURNING id, name`).Scan(&u.ID, &u.Name)
	if err != nil {
		return chat.User{}, wrap("create user", err, chat.Unreachable)
	}
	return u, nil
}

// RenameUser makes name the display name of the member with id, or fails
// with code NotFound.
func (s *Store) RenameUser(ctx context.Context, id int64, name string) (chat.User, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	u := chat.User{ID: id}
	err := s.pool.QueryRow(ctx,
		`UPDATE users SET name = $1 WHERE id = $2 RETURNING name`, name, id).Scan(&u.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.User{}, chat.Fail(chat.NoMember)
	}
	if err != nil {
		return chat.User{}, wrap("rename user", err, chat.Unreachable)
	}
	return u, nil
}
