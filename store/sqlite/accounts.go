package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"hxchat/chat"
)

// accountColumns are the columns scanAccount reads, in its order, of
// users aliased u. An account is a user with an email.
const accountColumns = `u.id, u.name, coalesce(u.email, ''), u.admin, u.deactivated, u.created_at`

// scanAccount reads one row of accountColumns, followed by the columns
// extra points to.
func scanAccount(row scanner, extra ...any) (chat.Account, error) {
	var (
		a  chat.Account
		at int64
	)
	err := row.Scan(append([]any{&a.ID, &a.Name, &a.Email, &a.Admin, &a.Deactivated, &at}, extra...)...)
	a.CreatedAt = fromNanos(at)
	return a, err
}

// CreateAccount stores a new account. An email or a display name taken
// already (by EmailKey, and by NameKey among every person, with or
// without an account) fails with reason Taken, the email first; with
// a.First, an account existing already fails with reason SetupDone. The
// checks and the insert are one transaction on the single writer, which
// BEGIN IMMEDIATE makes exclusive across processes too, so of two first
// accounts at once exactly one is stored.
func (s *Store) CreateAccount(ctx context.Context, a chat.NewAccount) (chat.Account, error) {
	at, err := nanos(stamp(a.At))
	if err != nil {
		return chat.Account{}, err
	}
	acc := chat.Account{User: chat.User{Name: a.Name}, Email: a.Email, Admin: a.Admin, CreatedAt: fromNanos(at)}
	defer s.boundWAL()
	// Each is refused when its query finds a row, in this order.
	type check struct {
		query string
		args  []any
		err   error
	}
	var checks []check
	if a.First {
		checks = append(checks, check{`SELECT 1 FROM users WHERE email_key IS NOT NULL`, nil, chat.Fail(chat.SetupDone)})
	}
	checks = append(checks,
		check{`SELECT 1 FROM users WHERE email_key = ?`, []any{chat.EmailKey(a.Email)},
			&chat.Error{Reason: chat.Taken, Field: chat.FieldEmail, Value: a.Email}},
		check{`SELECT 1 FROM users WHERE name_key = ?`, []any{nameKey(a.Name)},
			&chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: a.Name}},
	)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range checks {
			var found bool
			err := tx.QueryRowContext(ctx, `SELECT EXISTS (`+c.query+`)`, c.args...).Scan(&found)
			if err != nil {
				return err
			}
			if found {
				return c.err
			}
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO users (name, name_key, email, email_key, password_hash, admin, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.Name, nameKey(a.Name), a.Email, chat.EmailKey(a.Email), a.Hash, bit(a.Admin), at)
		if err != nil {
			return err
		}
		acc.ID, err = res.LastInsertId()
		return err
	})
	s.noteWrite(err)
	if err != nil {
		return chat.Account{}, wrap("create account", err)
	}
	return acc, nil
}

// Account returns the account with id, or reason NoMember, also for a
// person without an account.
func (s *Store) Account(ctx context.Context, id int64) (chat.Account, error) {
	return s.account(ctx, "account", `u.id = ?`, id)
}

// AccountByName returns the account whose display name has the NameKey
// of name, or reason NoMember.
func (s *Store) AccountByName(ctx context.Context, name string) (chat.Account, error) {
	return s.account(ctx, "account by name", `u.name_key = ?`, nameKey(name))
}

// account returns the one account where holds, with arg, or reason
// NoMember; op names the caller in errors.
func (s *Store) account(ctx context.Context, op, where string, arg any) (chat.Account, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	a, err := scanAccount(s.read.QueryRowContext(ctx,
		`SELECT `+accountColumns+` FROM users u WHERE u.email_key IS NOT NULL AND `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Account{}, chat.Fail(chat.NoMember)
	}
	if err != nil {
		return chat.Account{}, wrap(op, err)
	}
	return a, nil
}

// Credentials returns the account whose email has the EmailKey of email
// and its password hash, or reason NoMember. A deactivated account is
// returned too: whether it may sign in is the caller's to decide.
func (s *Store) Credentials(ctx context.Context, email string) (chat.Account, string, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var hash string
	a, err := scanAccount(s.read.QueryRowContext(ctx,
		`SELECT `+accountColumns+`, u.password_hash FROM users u WHERE u.email_key = ?`, chat.EmailKey(email)), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Account{}, "", chat.Fail(chat.NoMember)
	}
	if err != nil {
		return chat.Account{}, "", wrap("credentials", err)
	}
	return a, hash, nil
}

// Accounts returns up to limit accounts with ID > after, by ID, from
// users_accounts: the people of open mode, who have no email, are not
// even read.
func (s *Store) Accounts(ctx context.Context, after int64, limit int) ([]chat.Account, error) {
	if limit <= 0 {
		return []chat.Account{}, nil // SQLite reads a negative LIMIT as no limit
	}
	s.readers.RLock()
	defer s.readers.RUnlock()
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+accountColumns+` FROM users u WHERE u.email_key IS NOT NULL AND u.id > ? ORDER BY u.id LIMIT ?`,
		after, limit)
	if err != nil {
		return nil, wrap("accounts", err)
	}
	defer rows.Close()
	accounts := []chat.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, wrap("accounts", err)
		}
		accounts = append(accounts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("accounts", err)
	}
	return accounts, nil
}

// HasAccounts reports whether any account exists.
func (s *Store) HasAccounts(ctx context.Context) (bool, error) {
	s.readers.RLock()
	defer s.readers.RUnlock()
	var ok bool
	err := s.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM users WHERE email_key IS NOT NULL)`).Scan(&ok)
	if err != nil {
		return false, wrap("has accounts", err)
	}
	return ok, nil
}

// SetPassword replaces the password hash of the account with id, or
// fails with reason NoMember.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.setAccount(ctx, "set password", `password_hash = ?`, hash, id)
}

// SetAdmin makes the account with id an administrator or not, or fails
// with reason NoMember.
func (s *Store) SetAdmin(ctx context.Context, id int64, admin bool) error {
	return s.setAccount(ctx, "set admin", `admin = ?`, bit(admin), id)
}

// SetDeactivated deactivates or reactivates the account with id, or
// fails with reason NoMember. Its sessions stay: the caller deletes
// them (DeleteSessions), and Session tells that the account is
// deactivated.
func (s *Store) SetDeactivated(ctx context.Context, id int64, deactivated bool) error {
	return s.setAccount(ctx, "set deactivated", `deactivated = ?`, bit(deactivated), id)
}

// setAccount sets, to v, a column of the account with id; op names the
// caller in errors.
func (s *Store) setAccount(ctx context.Context, op, set string, v any, id int64) error {
	defer s.boundWAL()
	res, err := s.write.ExecContext(ctx,
		`UPDATE users SET `+set+` WHERE id = ? AND email_key IS NOT NULL`, v, id)
	s.noteWrite(err)
	return wrap(op, oneRow(res, err, chat.NoMember))
}
