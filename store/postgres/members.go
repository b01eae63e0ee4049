package postgres

import (
	"cmp"
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// IsMember reports whether user was added to room.
func (s *Store) IsMember(ctx context.Context, room, user int64) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var ok bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2)`, room, user).Scan(&ok)
	if err != nil {
		return false, wrap("is member", err, chat.Unreachable)
	}
	return ok, nil
}

// Members returns the people added to room, by name; none for an
// unknown room.
func (s *Store) Members(ctx context.Context, room int64) ([]chat.User, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx,
		`SELECT u.id, u.name FROM room_members m JOIN users u ON u.id = m.user_id WHERE m.room_id = $1`, room)
	if err != nil {
		return nil, wrap("members", err, chat.Unreachable)
	}
	people, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.User, error) {
		var u chat.User
		err := row.Scan(&u.ID, &u.Name)
		return u, err
	})
	if err != nil {
		return nil, wrap("members", err, chat.Unreachable)
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
	ctx, cancel := bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx,
		`INSERT INTO room_members (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, room, user)
	switch {
	case violated(err, foreignKeyViolation, "room_members_room_id_fkey"):
		return chat.Fail(chat.NoRoom)
	case violated(err, foreignKeyViolation, "room_members_user_id_fkey"):
		return chat.Fail(chat.NoMember)
	}
	return wrap("add member", err, chat.Unreachable)
}

// RemoveMember removes user from room and reports whether they were a
// member.
func (s *Store) RemoveMember(ctx context.Context, room, user int64) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM room_members WHERE room_id = $1 AND user_id = $2`, room, user)
	if err != nil {
		return false, wrap("remove member", err, chat.Unreachable)
	}
	return tag.RowsAffected() > 0, nil
}
