package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hxchat/chat"
	sqlite3 "modernc.org/sqlite/lib"
)

// CreateUser stores a new member named "member" + their ID. The ID comes
// from AUTOINCREMENT, which never reuses a number, so the names stay
// unique across restarts.
func (s *Store) CreateUser(ctx context.Context) (chat.User, error) {
	defer s.boundWAL()
	var u chat.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The name depends on the ID, which only the insert reveals.
		if err := tx.QueryRowContext(ctx,
			`INSERT INTO users (name, created_at) VALUES ('', ?) RETURNING id`, time.Now().UnixNano()).Scan(&u.ID); err != nil {
			return err
		}
		u.Name = fmt.Sprintf("member%d", u.ID)
		_, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, name_key = ? WHERE id = ?`, u.Name, nameKey(u.Name), u.ID)
		return err
	})
	s.noteWrite(err)
	if err != nil {
		return chat.User{}, wrap("create user", err)
	}
	return u, nil
}

// RenameUser makes name the display name of the member with id, or fails
// with code NotFound, or Conflict when another member's name has its key.
func (s *Store) RenameUser(ctx context.Context, id int64, name string) (chat.User, error) {
	defer s.boundWAL()
	// Exec, not QueryRow with RETURNING: see Store.write.
	res, err := s.write.ExecContext(ctx, `UPDATE users SET name = ?, name_key = ? WHERE id = ?`, name, nameKey(name), id)
	s.noteWrite(err)
	if code(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return chat.User{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: name}
	}
	if err != nil {
		return chat.User{}, wrap("rename user", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return chat.User{}, wrap("rename user", err)
	}
	if n == 0 {
		return chat.User{}, chat.Fail(chat.NoMember)
	}
	return chat.User{ID: id, Name: name}, nil
}
