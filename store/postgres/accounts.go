package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"hxchat/chat"
)

// accountColumns are the columns scanAccount reads, in its order, of
// users aliased u. An account is a user with an email.
const accountColumns = `u.id, u.name, coalesce(u.email, ''), u.admin, u.deactivated, u.created_at`

// scanAccount reads one row of accountColumns, followed by the columns
// extra points to.
func scanAccount(row scanner, extra ...any) (chat.Account, error) {
	var a chat.Account
	err := row.Scan(append([]any{&a.ID, &a.Name, &a.Email, &a.Admin, &a.Deactivated, &a.CreatedAt}, extra...)...)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// firstAccountLock is the advisory lock that first accounts take in
// turn, on every instance. The key is the current schema's, as for the
// migrations' lock.
const firstAccountLock = `SELECT pg_advisory_xact_lock(hashtextextended('hxchat first account ' || current_schema(), 0))`

// CreateAccount stores a new account. An email or a display name taken
// already (by EmailKey, and by NameKey among every person, with or
// without an account) fails with reason Taken, the email first; with
// a.First, an account existing already fails with reason SetupDone.
//
// Two first accounts at once would each find no account under READ
// COMMITTED and both be stored, so a first account takes a lock, held
// until its transaction ends, before it looks: the second waits for the
// first to commit, then finds its account.
func (s *Store) CreateAccount(ctx context.Context, a chat.NewAccount) (chat.Account, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	acc := chat.Account{User: chat.User{Name: a.Name}, Email: a.Email, Admin: a.Admin, CreatedAt: stamp(a.At)}
	emailTaken := &chat.Error{Reason: chat.Taken, Field: chat.FieldEmail, Value: a.Email}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var found bool
		if a.First {
			if _, err := tx.Exec(ctx, firstAccountLock); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx,
				`SELECT EXISTS (SELECT 1 FROM users WHERE email_key IS NOT NULL)`).Scan(&found); err != nil {
				return err
			}
			if found {
				return chat.Fail(chat.SetupDone)
			}
		}
		// Looked up first so that, when both are taken, the email is
		// what the person hears about, as from the SQLite store.
		if err := tx.QueryRow(ctx,
			`SELECT EXISTS (SELECT 1 FROM users WHERE email_key = $1)`, chat.EmailKey(a.Email)).Scan(&found); err != nil {
			return err
		}
		if found {
			return emailTaken
		}
		return tx.QueryRow(ctx, `
			INSERT INTO users (name, name_key, email, email_key, password_hash, admin, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			a.Name, nameKey(a.Name), a.Email, chat.EmailKey(a.Email), a.Hash, a.Admin, acc.CreatedAt).Scan(&acc.ID)
	})
	switch {
	case violated(err, uniqueViolation, "users_email_key"):
		return chat.Account{}, emailTaken
	case violated(err, uniqueViolation, "users_name_key"):
		return chat.Account{}, &chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: a.Name}
	case err != nil:
		return chat.Account{}, wrap("create account", err, chat.Unreachable)
	}
	return acc, nil
}

// Account returns the account with id, or reason NoMember, also for a
// person without an account.
func (s *Store) Account(ctx context.Context, id int64) (chat.Account, error) {
	return s.account(ctx, "account", `u.id = $1`, id)
}

// AccountByName returns the account whose display name has the NameKey
// of name, or reason NoMember.
func (s *Store) AccountByName(ctx context.Context, name string) (chat.Account, error) {
	return s.account(ctx, "account by name", `u.name_key = $1`, nameKey(name))
}

// account returns the one account where holds, with arg, or reason
// NoMember; op names the caller in errors.
func (s *Store) account(ctx context.Context, op, where string, arg any) (chat.Account, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	a, err := scanAccount(s.pool.QueryRow(ctx,
		`SELECT `+accountColumns+` FROM users u WHERE u.email_key IS NOT NULL AND `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Account{}, chat.Fail(chat.NoMember)
	}
	if err != nil {
		return chat.Account{}, wrap(op, err, chat.Unreachable)
	}
	return a, nil
}

// Credentials returns the account whose email has the EmailKey of email
// and its password hash, or reason NoMember. A deactivated account is
// returned too: whether it may sign in is the caller's to decide.
func (s *Store) Credentials(ctx context.Context, email string) (chat.Account, string, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var hash string
	a, err := scanAccount(s.pool.QueryRow(ctx,
		`SELECT `+accountColumns+`, u.password_hash FROM users u WHERE u.email_key = $1`, chat.EmailKey(email)), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.Account{}, "", chat.Fail(chat.NoMember)
	}
	if err != nil {
		return chat.Account{}, "", wrap("credentials", err, chat.Unreachable)
	}
	return a, hash, nil
}

// Accounts returns up to limit accounts with ID > after, by ID, from
// users_accounts: the people of open mode, who have no email, are not
// even read.
func (s *Store) Accounts(ctx context.Context, after int64, limit int) ([]chat.Account, error) {
	if limit <= 0 {
		return []chat.Account{}, nil
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx,
		`SELECT `+accountColumns+` FROM users u WHERE u.email_key IS NOT NULL AND u.id > $1 ORDER BY u.id LIMIT $2`,
		after, limit)
	if err != nil {
		return nil, wrap("accounts", err, chat.Unreachable)
	}
	accounts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chat.Account, error) { return scanAccount(row) })
	if err != nil {
		return nil, wrap("accounts", err, chat.Unreachable)
	}
	return accounts, nil
}

// HasAccounts reports whether any account exists.
func (s *Store) HasAccounts(ctx context.Context) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email_key IS NOT NULL)`).Scan(&ok)
	if err != nil {
		return false, wrap("has accounts", err, chat.Unreachable)
	}
	return ok, nil
}

// SetPassword replaces the password hash of the account with id, or
// fails with reason NoMember.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.setAccount(ctx, "set password", `password_hash = $1`, hash, id)
}

// SetAdmin makes the account with id an administrator or not, or fails
// with reason NoMember.
func (s *Store) SetAdmin(ctx context.Context, id int64, admin bool) error {
	return s.setAccount(ctx, "set admin", `admin = $1`, admin, id)
}

// SetDeactivated deactivates or reactivates the account with id, or
// fails with reason NoMember. Its sessions stay: the caller deletes
// them (DeleteSessions), and Session tells that the account is
// deactivated.
func (s *Store) SetDeactivated(ctx context.Context, id int64, deactivated bool) error {
	return s.setAccount(ctx, "set deactivated", `deactivated = $1`, deactivated, id)
}

// setAccount sets, to v, a column of the account with id; op names the
// caller in errors.
func (s *Store) setAccount(ctx context.Context, op, set string, v any, id int64) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE users SET `+set+` WHERE id = $2 AND email_key IS NOT NULL`, v, id)
	return wrap(op, oneRow(tag.RowsAffected(), err, chat.NoMember), chat.Unreachable)
}
