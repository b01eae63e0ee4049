package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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
		used *time.Time
	)
	err := row.Scan(append([]any{&t.ID, &t.User, &t.Name, &t.CreatedAt, &used}, extra...)...)
	t.CreatedAt = t.CreatedAt.UTC()
	if used != nil {
		t.LastUsed = used.UTC()
	}
	return t, err
}

// CreateToken stores t with digest unless t.User holds max tokens
// already (reason TooManyTokens); a zero CreatedAt is now. An unknown
// user, or a person without an account, fails with reason NoMember.
func (s *Store) CreateToken(ctx context.Context, t chat.Token, digest string, max int) (chat.Token, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	t.CreatedAt, t.LastUsed = stamp(t.CreatedAt), time.Time{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The person's row, locked, makes two CreateTokens of theirs take
		// turns, so that both cannot count 19 and make the 21st. NO KEY
		// UPDATE leaves the rows that point to the person (their
		// messages' foreign keys take KEY SHARE) free to come and go.
		var account bool
		err := tx.QueryRow(ctx, `SELECT email_key IS NOT NULL FROM users WHERE id = $1 FOR NO KEY UPDATE`, t.User).Scan(&account)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && !account {
			return chat.Fail(chat.NoMember)
		} else if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE user_id = $1`, t.User).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return &chat.Error{Reason: chat.TooManyTokens, Limit: max}
		}
		return tx.QueryRow(ctx,
			`INSERT INTO tokens (user_id, name, digest, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			t.User, t.Name, digest, t.CreatedAt).Scan(&t.ID)
	})
	if err != nil {
		return chat.Token{}, wrap("create token", err, chat.Unreachable)
	}
	return t, nil
}

// Token returns the token with id and its account, or reason SignedOut.
func (s *Store) Token(ctx context.Context, id int64) (chat.Token, chat.Account, error) {
	return s.token(ctx, "token", `t.id = $1`, id)
}

// TokenByDigest returns the token whose secret has digest and its
// account, or reason SignedOut.
func (s *Store) TokenByDigest(ctx context.Context, digest string) (chat.Token, chat.Account, error) {
	return s.token(ctx, "token by digest", `t.digest = $1`, digest)
}

// token returns the one token where holds, with its account; a
// deactivated account's too, marked.
func (s *Store) token(ctx context.Context, op, where string, arg any) (chat.Token, chat.Account, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var a chat.Account
	t, err := scanToken(s.pool.QueryRow(ctx, `
		SELECT `+tokenColumns+`, `+accountColumns+`
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE `+where, arg),
		&a.ID, &a.Name, &a.Email, &a.Admin, &a.Deactivated, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Token{}, chat.Account{}, chat.Fail(chat.SignedOut)
	}
	if err != nil {
		return chat.Token{}, chat.Account{}, wrap(op, err, chat.Unreachable)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return t, a, nil
}

// Tokens returns the tokens of user, the newest first.
func (s *Store) Tokens(ctx context.Context, user int64) ([]chat.Token, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens t
		WHERE t.user_id = $1 ORDER BY t.id DESC`, user)
	if err != nil {
		return nil, wrap("tokens", err, chat.Unreachable)
	}
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, wrap("tokens", err, chat.Unreachable)
	}
	return tokens, nil
}

// TouchToken sets the LastUsed of the token with id, or fails with
// reason SignedOut when there is none.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used = $1 WHERE id = $2`, stamp(at), id)
	return wrap("touch token", oneRow(tag.RowsAffected(), err, chat.SignedOut), chat.Unreachable)
}

// DeleteTokens deletes the tokens of user with the given ids, or all of
// user's tokens when ids is empty, and returns the IDs deleted, sorted.
// The tokens of other users are never deleted, whatever ids holds.
func (s *Store) DeleteTokens(ctx context.Context, user int64, ids ...int64) ([]int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	query, args := `DELETE FROM tokens WHERE user_id = $1`, []any{user}
	if len(ids) > 0 {
		query, args = query+` AND id = ANY($2)`, append(args, ids)
	}
	rows, err := s.pool.Query(ctx, query+` RETURNING id`, args...)
	if err != nil {
		return nil, wrap("delete tokens", err, chat.Unreachable)
	}
	deleted, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, wrap("delete tokens", err, chat.Unreachable)
	}
	slices.Sort(deleted)
	return deleted, nil
}
