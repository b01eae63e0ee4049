package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Sign-in limits: failed sign-ins per email and per client address. A
// person who mistypes gets five tries, then one every three minutes; one
// address trying many emails gets twenty, then one every 45 seconds.
const (
	signInsPerEmail     = 5
	signInEmailInterval = 3 * time.Minute
	signInsPerAddr      = 20
	signInAddrInterval  = 45 * time.Second
)

// Lifetimes of what the service hands out.
const (
	// SessionIdle is how long a session lasts unused: a browser not
	// seen for that long signs in again.
	SessionIdle = 90 * 24 * time.Hour
	// ResetLinkTTL is how long a password-reset link works.
	ResetLinkTTL = 24 * time.Hour
	// seenEvery is how stale a session's LastSeen may get before a request
	// writes it again: to the minute, so that reading pages costs no
	// write each.
	seenEvery = time.Minute
	// maxDevice is the most of a User-Agent kept as a session's device.
	maxDevice = 200
)

// Names under which the store keeps the service's secrets.
const (
	secretSetup      = "setup"
	secretInvitation = "invitation"
)

// Credentials are what a person types to get an account or a session.
type Credentials struct {
	Name, Email, Password string
	// Device describes the client (its User-Agent).
	Device string
}

// token returns a new unguessable token (32 random bytes, base64url) and
// its digest, which is all the store keeps.
func token() (tok, digest string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok = base64.RawURLEncoding.EncodeToString(b)
	return tok, Digest(tok)
}

// Digest is the SHA-256 of a token, base64url: a session's ID, a link's
// key in the store.
func Digest(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NeedsSetup reports whether no account exists yet: every page then
// points to the setup link in the server's log.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	if s.open || s.setUp.Load() {
		return false, nil
	}
	has, err := s.store.HasAccounts(ctx)
	if err != nil {
		return false, err
	}
	if has {
		s.setUp.Store(true)
	}
	return !has, nil
}

// SetupToken returns the one-time setup token, made on first use and
// kept in the store until the first account is created with it.
func (s *Service) SetupToken(ctx context.Context) (string, error) {
	return s.secretToken(ctx, secretSetup)
}

// secretToken returns the token the store keeps under name, storing a new
// one first when there is none.
func (s *Service) secretToken(ctx context.Context, name string) (string, error) {
	b, err := s.store.Secret(ctx, name, func() ([]byte, error) {
		tok, _ := token()
		return []byte(tok), nil
	})
	return string(b), err
}

// matchToken reports whether tok is the token kept under name, in time
// that does not depend on where they differ: reason LinkExpired when it
// is not.
func (s *Service) matchToken(ctx context.Context, name, tok string) error {
	want, err := s.secretToken(ctx, name)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(tok), nonEmpty(want)) != 1 {
		return Fail(LinkExpired)
	}
	return nil
}

// CheckSetup reports whether tok is the setup token, with reason
// LinkExpired when it is not (or the first account exists).
func (s *Service) CheckSetup(ctx context.Context, tok string) error {
	if pending, err := s.NeedsSetup(ctx); err != nil {
		return err
	} else if !pending {
		return Fail(LinkExpired)
	}
	return s.matchToken(ctx, secretSetup, tok)
}

// Setup creates the first account, an administrator, with the setup
// token from the server's log, and signs it in.
func (s *Service) Setup(ctx context.Context, tok string, c Credentials) (Account, string, error) {
	if pending, err := s.NeedsSetup(ctx); err != nil {
		return Account{}, "", err
	} else if !pending {
		return Account{}, "", Fail(SetupDone)
	}
	if err := s.CheckSetup(ctx, tok); err != nil {
		return Account{}, "", err
	}
	a, err := s.createAccount(ctx, c, true)
	if err != nil {
		return Account{}, "", err
	}
	s.setUp.Store(true)
	if _, err := s.store.DeleteSecret(ctx, secretSetup); err != nil {
		s.log.Warn("forgetting the setup token", "err", err)
	}
	s.log.Info("first account created", "user", a.ID)
	return s.startSession(ctx, a, c.Device)
}

// nonEmpty is a token as bytes, never empty, so that an empty
// token never matches.
func nonEmpty(tok string) []byte {
	if tok == "" {
		return []byte{0}
	}
	return []byte(tok)
}

// Invitation returns the invitation code that /join/CODE takes.
func (s *Service) Invitation(ctx context.Context) (string, error) {
	return s.secretToken(ctx, secretInvitation)
}

// ResetInvitation replaces the invitation code: links with the old one
// stop working.
func (s *Service) ResetInvitation(ctx context.Context, admin Account) error {
	if !admin.Admin {
		return Fail(NotAllowed)
	}
	tok, _ := token()
	if err := s.store.SetSecret(ctx, secretInvitation, []byte(tok)); err != nil {
		return err
	}
	s.audit(ctx, admin, "reset_invitation", "")
	return nil
}

// CheckInvitation reports whether code is the current invitation code.
func (s *Service) CheckInvitation(ctx context.Context, code string) error {
	return s.matchToken(ctx, secretInvitation, code)
}

// Join creates an account with the invitation code and signs it in.
func (s *Service) Join(ctx context.Context, code string, c Credentials) (Account, string, error) {
	if err := s.CheckInvitation(ctx, code); err != nil {
		return Account{}, "", err
	}
	a, err := s.createAccount(ctx, c, false)
	if err != nil {
		return Account{}, "", err
	}
	return s.startSession(ctx, a, c.Device)
}

// createAccount validates c and stores the account; first makes it the
// first account, an administrator.
func (s *Service) createAccount(ctx context.Context, c Credentials, first bool) (Account, error) {
	name, err := cleanName(c.Name, FieldDisplayName, MaxDisplayName)
	if err != nil {
		return Account{}, err
	}
	if numberedName(name) {
		return Account{}, &Error{Reason: Taken, Field: FieldDisplayName, Value: name}
	}
	email, err := cleanEmail(c.Email)
	if err != nil {
		return Account{}, err
	}
	if err := checkPassword(c.Password); err != nil {
		return Account{}, err
	}
	hash, err := s.hash(ctx, c.Password)
	if err != nil {
		return Account{}, err
	}
	return s.store.CreateAccount(ctx, NewAccount{
		Name: name, Email: email, Hash: hash, Admin: first, First: first, At: s.now().UTC(),
	})
}

// cleanEmail checks that email is one plain address.
func cleanEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", Fail(Empty, FieldEmail)
	}
	if n := utf8.RuneCountInString(email); n > MaxEmail {
		return "", &Error{Reason: TooLong, Field: FieldEmail, Limit: MaxEmail, Length: n}
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "", &Error{Reason: BadEmail, Field: FieldEmail, Value: email}
	}
	return email, nil
}

// SignIn checks an email and password and starts a session. Failures
// count against the email and the client address addr; over either
// limit, SignIn refuses with the time to wait, before checking anything.
// A wrong email costs the same hashing as a wrong password, so the time
// taken does not tell whether an account exists.
func (s *Service) SignIn(ctx context.Context, c Credentials, addr string) (Account, string, error) {
	emailKey, addrKey := "email:"+EmailKey(c.Email), "addr:"+addr
	if err := s.signInsLeft(s.signInEmail.Wait(emailKey), s.signInAddr.Wait(addrKey)); err != nil {
		return Account{}, "", err
	}
	if len(c.Password) > MaxPassword {
		c.Password = c.Password[:MaxPassword]
	}
	a, hash, err := s.store.Credentials(ctx, c.Email)
	if code := ErrorCode(err); code != "" && code != NotFound {
		return Account{}, "", err
	}
	if err != nil {
		hash = s.dummyHash()
	}
	ok, verr := s.verify(ctx, hash, c.Password)
	if verr != nil && err == nil {
		return Account{}, "", verr
	}
	if err != nil || !ok || a.Deactivated {
		s.signInEmail.Spend(emailKey)
		s.signInAddr.Spend(addrKey)
		return Account{}, "", Fail(WrongPassword)
	}
	return s.startSession(ctx, a, c.Device)
}

// signInsLeft refuses, counted, with the longest of waits, when any of
// them is not over: the time until a failed sign-in's key may try again.
func (s *Service) signInsLeft(waits ...time.Duration) error {
	if wait := slices.Max(waits); wait > 0 {
		s.refused[LimitSignIns].Add(1)
		return &Error{Reason: TooManySignIns, Wait: wait}
	}
	return nil
}

// startSession stores a new session for a and returns its token, which
// only the client keeps.
func (s *Service) startSession(ctx context.Context, a Account, device string) (Account, string, error) {
	tok, id := token()
	now := s.now().UTC()
	if len(device) > maxDevice {
		device = strings.ToValidUTF8(device[:maxDevice], "")
	}
	if err := s.store.CreateSession(ctx, Session{ID: id, User: a.ID, Device: device, CreatedAt: now, LastSeen: now}); err != nil {
		return Account{}, "", err
	}
	return a, tok, nil
}

// Authenticate returns the account and session a session token belongs
// to, or reason SignedOut. It notes when the session was last used, to
// the minute.
func (s *Service) Authenticate(ctx context.Context, tok string) (Account, Session, error) {
	if tok == "" || len(tok) > 64 {
		return Account{}, Session{}, Fail(SignedOut)
	}
	sess, a, err := s.store.Session(ctx, Digest(tok))
	if err != nil {
		return Account{}, Session{}, err
	}
	now := s.now().UTC()
	if a.Deactivated || now.Sub(sess.LastSeen) > SessionIdle {
		return Account{}, Session{}, Fail(SignedOut)
	}
	if now.Sub(sess.LastSeen) >= seenEvery {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			s.log.Warn("noting a session's use", "err", err)
		}
		sess.LastSeen = now
	}
	return a, sess, nil
}

// Sessions returns a's sessions, the most recently seen first.
func (s *Service) Sessions(ctx context.Context, a Account) ([]Session, error) {
	return s.store.Sessions(ctx, a.ID)
}

// SignOut ends sessions of a (all of them when ids is empty) and closes
// their live connections on every instance.
func (s *Service) SignOut(ctx context.Context, a Account, ids ...string) error {
	ended, err := s.store.DeleteSessions(ctx, a.ID, ids...)
	if err != nil {
		return err
	}
	s.publishEnded(ctx, a.ID, ended)
	return nil
}

// publishEnded tells every hub to close the connections of the ended
// sessions of user.
func (s *Service) publishEnded(ctx context.Context, user int64, ended []string) {
	if len(ended) == 0 {
		return
	}
	ev := Event{Kind: EventSignedOut, Ended: &Ended{User: user, Sessions: ended}}
	if err := s.broker.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.log.Error("publish signed-out sessions", "user", user, "err", err)
	}
}

// ChangePassword sets a's password after checking the current one, and
// ends every other session of a. Wrong current passwords count as failed
// sign-ins of a's email, so that a session in someone else's hands cannot
// guess its way to the password.
func (s *Service) ChangePassword(ctx context.Context, a Account, current, next string, keep string) error {
	emailKey := "email:" + EmailKey(a.Email)
	if err := s.signInsLeft(s.signInEmail.Wait(emailKey)); err != nil {
		return err
	}
	_, hash, err := s.store.Credentials(ctx, a.Email)
	if err != nil {
		return err
	}
	if ok, err := s.verify(ctx, hash, current); err != nil {
		return err
	} else if !ok {
		s.signInEmail.Spend(emailKey)
		return &Error{Reason: WrongPassword, Field: FieldPassword}
	}
	return s.setPassword(ctx, a.ID, next, keep)
}

// setPassword stores a new password for user and ends their sessions
// but keep.
func (s *Service) setPassword(ctx context.Context, user int64, password, keep string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, user, hash); err != nil {
		return err
	}
	sessions, err := s.store.Sessions(ctx, user)
	if err != nil {
		return err
	}
	var others []string
	for _, x := range sessions {
		if x.ID != keep {
			others = append(others, x.ID)
		}
	}
	if len(others) == 0 {
		return nil
	}
	ended, err := s.store.DeleteSessions(ctx, user, others...)
	if err != nil {
		return err
	}
	s.publishEnded(ctx, user, ended)
	return nil
}

// ResetLink makes a one-time link for person to choose a new password,
// valid for ResetLinkTTL, and returns its token.
func (s *Service) ResetLink(ctx context.Context, admin Account, person int64) (Account, string, error) {
	if !admin.Admin {
		return Account{}, "", Fail(NotAllowed)
	}
	p, err := s.store.Account(ctx, person)
	if err != nil {
		return Account{}, "", err
	}
	tok, digest := token()
	if err := s.store.CreateLink(ctx, digest, p.ID, s.now().UTC().Add(ResetLinkTTL)); err != nil {
		return Account{}, "", err
	}
	s.audit(ctx, admin, "reset_link", subject(p.User))
	return p, tok, nil
}

// CheckReset returns whom a reset link's token is for, without using it,
// or reason LinkExpired.
func (s *Service) CheckReset(ctx context.Context, tok string) (Account, error) {
	user, err := s.store.Link(ctx, Digest(tok), s.now().UTC())
	if err != nil {
		return Account{}, err
	}
	return s.store.Account(ctx, user)
}

// Reset sets a new password with a reset link's token, ends every
// session of its person and signs them in afresh.
func (s *Service) Reset(ctx context.Context, tok, password, device string) (Account, string, error) {
	if err := checkPassword(password); err != nil {
		return Account{}, "", err
	}
	user, err := s.store.TakeLink(ctx, Digest(tok), s.now().UTC())
	if err != nil {
		return Account{}, "", err
	}
	if err := s.setPassword(ctx, user, password, ""); err != nil {
		return Account{}, "", err
	}
	a, err := s.store.Account(ctx, user)
	if err != nil {
		return Account{}, "", err
	}
	if a.Deactivated {
		return Account{}, "", Fail(WrongPassword)
	}
	return s.startSession(ctx, a, device)
}

// hash hashes password, at most maxHashing at a time: each takes 19 MiB
// and tens of milliseconds of a core.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	if err := s.acquireHashing(ctx); err != nil {
		return "", err
	}
	defer s.releaseHashing()
	return s.hasher.Hash(password)
}

// verify checks password against hash under the same cap as hash.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	if err := s.acquireHashing(ctx); err != nil {
		return false, err
	}
	defer s.releaseHashing()
	return Verify(hash, password)
}

func (s *Service) acquireHashing(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseHashing() { <-s.hashing }

// dummyHash is a hash of nothing anyone types, checked against when an
// email has no account, so that it costs what a real check costs.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		tok, _ := token()
		s.dummy, _ = s.hasher.Hash(tok)
	})
	return s.dummy
}
