package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hxchat/chat"
)

// tokenColumns are the columns scanToken reads, in its order, of tokens
// aliased t.
const tokenColumns = `t.id, t.user_id, t.name, t.created_at, t.last_used`

// scanToken reads one row of tokenColumns, followed by the columns extra
// points to.
func scanToken(row scanner, extra ...any) (chat.Token, error) {
	var (
		t    chat.Token
		at   int64
		used sql.NullInt64
	)
	err := row.Scan(append([]any{&t.ID, &t.User, &t.Name, &at, &used}, extra...)...)
	t.CreatedAt = fromNanos(at)
	if used.Valid {
		t.LastUsed = fromNanos(used.Int64)
	}
	return t, err
}

// CreateToken stores t with digest unless t.User holds max tokens
// already (reason TooManyTokens); a zero CreatedAt is now. An unknown
// user, or a person without an account, fails with reason NoMember.
func (s *Store) CreateToken(ctx context.Context, t chat.Token, digest string, max int) (chat.Token, error) {
	at, err := nanos(stamp(t.CreatedAt))
	if err != nil {
		return chat.Token{}, err
	}
	t.CreatedAt, t.LastUsed = fromNanos(at), time.Time{}
	defer s.boundWAL()
	// The count and the insert share the writer's transaction, which
	// holds the write lock from BEGIN: no other token can come between.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var account bool
		err := tx.QueryRowContext(ctx, `SELECT email_key IS NOT NULL FROM users WHERE id = ?`, t.User).Scan(&account)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !account {
			return chat.Fail(chat.NoMember)
		} else if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE user_id = ?`, t.User).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return &chat.Error{Reason: chat.TooManyTokens, Limit: max}
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO tokens (user_id, name, digest, created_at) VALUES (?, ?, ?, ?)`,
			t.User, t.Name, digest, at)
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	s.noteWrite(err)
	if err != nil {
		return chat.Token{}, wrap("create token", err)
	}
	return t, nil
}

// Token returns the token with id and its account, or reason SignedOut.
func (s *Store) Token(ctx context.Context, id int64) (chat.Token, chat.Account, error) {
	return s.token(ctx, "token", `t.id = ?`, id)
}

// TokenByDigest returns the token whose secret has digest and its
// account, or reason SignedOut.
func (s *Store) TokenByDigest(ctx context.Context, digest string) (chat.Token, chat.Account, error) {
	return s.token(ctx, "token by digest", `t.digest = ?`, digest)
}

// token returns the one token where holds, with its account; a
// deactivated account's too, marked.
func (s *Store) token(ctx context.Context, op, where string, arg any) (chat.Token, chat.Account, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var (
		a  chat.Account
		at int64
	)
	t, err := scanToken(s.read.QueryRowContext(ctx, `
		SELECT `+tokenColumns+`, `+accountColumns+`
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE `+where, arg),
		&a.ID, &a.Name, &a.Email, &a.Admin, &a.Deactivated, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Token{}, chat.Account{}, chat.Fail(chat.SignedOut)
	}
	if err != nil {
		return chat.Token{}, chat.Account{}, wrap(op, err)
	}
	a.CreatedAt = fromNanos(at)
	return t, a, nil
}

// Tokens returns the tokens of user, the newest first.
func (s *Store) Tokens(ctx context.Context, user int64) ([]chat.Token, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens t
		WHERE t.user_id = ? ORDER BY t.id DESC`, user)
	if err != nil {
		return nil, wrap("tokens", err)
	}
	defer rows.Close()
	tokens := []chat.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, wrap("tokens", err)
		}
		tokens = append(tokens, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("tokens", err)
	}
	return tokens, nil
}

// TouchToken sets the LastUsed of the token with id, or fails with
// reason SignedOut when there is none.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	usedAt, err := nanos(stamp(at))
	if err != nil {
		return err
	}
	defer s.boundWAL()
	res, err := s.write.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, usedAt, id)
	s.noteWrite(err)
	return wrap("touch token", oneRow(res, err, chat.SignedOut))
}

// DeleteTokens deletes the tokens of user with the given ids, or all of
// user's tokens when ids is empty, and returns the IDs deleted, sorted.
// The tokens of other users are never deleted, whatever ids holds.
func (s *Store) DeleteTokens(ctx context.Context, user int64, ids ...int64) ([]int64, error) {
	return deleteOwned(ctx, s, "tokens", user, ids)
}
