package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Personal access tokens let a program (a bot, a native app) connect as a
// person without their password: STOMP's CONNECT takes the person's email
// as login and the token's secret as passcode, a WebSocket handshake the
// secret as a bearer token. The secret is shown once, when the token is
// made; the store keeps only its digest, as it does a session's.

// Limits of tokens.
const (
	// MaxTokens is how many tokens one account may hold: enough for a
	// bot per purpose, few enough that a list of them fits a page.
	MaxTokens = 20
	// MaxTokenName is the longest token name, in characters.
	MaxTokenName = 60
	// TokenPrefix starts every token's secret, so that a secret pasted
	// into the wrong place (a log, a repository) is recognisable, and
	// told apart from a session's token.
	TokenPrefix = "hxc_"
	// maxSecret is the longest secret worth looking up: the prefix and
	// 43 characters of base64url, with room to spare. A longer one is
	// refused before its digest is computed.
	maxSecret = 64
	// tokenSessionPrefix starts the session key of a connection a token
	// authenticated (TokenSession).
	tokenSessionPrefix = "token:"
)

// Token is a personal access token: a name a person gave it and when it
// was made and last used. Its secret is not kept.
type Token struct {
	// ID is assigned by the store; TokenSession(ID) is the session key
	// of the connections the token authenticated.
	ID, User int64
	// Name says what the token is for ("CI bot"); 1 to MaxTokenName
	// characters, cleaned as display names are.
	Name string
	// CreatedAt is when the token was made; LastUsed when it last signed
	// in, to the minute, zero when it never did.
	CreatedAt, LastUsed time.Time
}

// TokenStore is the part of Store that keeps personal access tokens.
type TokenStore interface {
	// CreateToken stores t with the digest of its secret, unless t.User
	// holds max tokens already (reason TooManyTokens); an unknown user
	// fails with reason NoMember. It returns t with its ID.
	CreateToken(ctx context.Context, t Token, digest string, max int) (Token, error)
	// Token returns the token with id and its account, or reason
	// SignedOut when there is none. A deactivated account's token is
	// returned too, with Deactivated set.
	Token(ctx context.Context, id int64) (Token, Account, error)
	// TokenByDigest returns the token whose secret has digest and its
	// account, or reason SignedOut when there is none.
	TokenByDigest(ctx context.Context, digest string) (Token, Account, error)
	// Tokens returns user's tokens, the newest first.
	Tokens(ctx context.Context, user int64) ([]Token, error)
	// TouchToken sets a token's LastUsed, or fails with reason SignedOut
	// when there is no such token.
	TouchToken(ctx context.Context, id int64, at time.Time) error
	// DeleteTokens deletes the tokens of user with the given ids, or all
	// of user's tokens when ids is empty, and returns the IDs deleted,
	// in increasing order. A token of another user is never deleted.
	DeleteTokens(ctx context.Context, user int64, ids ...int64) ([]int64, error)
}

// TokenSession is the session key of a connection authenticated by the
// token with id: what Member.Session holds for it, what an Ended event
// names when the token is revoked, and what Recheck understands. A
// browser session's key is a digest in base64url, which has no colon, so
// the two never meet.
func TokenSession(id int64) string { return tokenSessionPrefix + strconv.FormatInt(id, 10) }

// tokenOfSession returns the token ID of a session key made by
// TokenSession.
func tokenOfSession(session string) (int64, bool) {
	digits, ok := strings.CutPrefix(session, tokenSessionPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

// newSecret returns a new token secret (TokenPrefix and 32 random bytes
// in base64url) and its digest, which is all the store keeps.
func newSecret() (secret, digest string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, Digest(secret)
}

// CreateToken makes a token named name for a and returns it with its
// secret, which is shown to a this once and never again.
func (s *Service) CreateToken(ctx context.Context, a Account, name string) (Token, string, error) {
	if s.open || a.ID == 0 {
		return Token{}, "", Fail(NotAllowed)
	}
	name, err := cleanName(name, FieldTokenName, MaxTokenName)
	if err != nil {
		return Token{}, "", err
	}
	secret, digest := newSecret()
	t, err := s.store.CreateToken(ctx, Token{User: a.ID, Name: name, CreatedAt: s.now().UTC()}, digest, MaxTokens)
	if err != nil {
		return Token{}, "", err
	}
	s.log.Info("token created", "user", a.ID, "token", t.ID)
	return t, secret, nil
}

// Tokens returns a's tokens, the newest first.
func (s *Service) Tokens(ctx context.Context, a Account) ([]Token, error) {
	if s.open || a.ID == 0 {
		return nil, Fail(NotAllowed)
	}
	return s.store.Tokens(ctx, a.ID)
}

// RevokeToken deletes a's token id and closes the connections it
// authenticated, on every instance. Another person's token, or one that
// is gone already, fails with reason NoToken and is left as it is.
func (s *Service) RevokeToken(ctx context.Context, a Account, id int64) error {
	if s.open || a.ID == 0 {
		return Fail(NotAllowed)
	}
	deleted, err := s.store.DeleteTokens(ctx, a.ID, id)
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		return Fail(NoToken)
	}
	s.publishEnded(ctx, a.ID, tokenSessions(deleted))
	s.log.Info("token revoked", "user", a.ID, "token", id)
	return nil
}

// tokenSessions returns the session keys of the tokens with ids.
func tokenSessions(ids []int64) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = TokenSession(id)
	}
	return keys
}

// TokenSignIn signs a program in with a person's email and one of their
// tokens' secret (STOMP's login and passcode), and returns the account
// and the session key of the connection, TokenSession of the token.
// Failures count against the same limits as SignIn's, of the email and
// of the client address addr, and fail the same way, with reason
// WrongPassword: a wrong email, a wrong or revoked secret, another
// person's secret and a deactivated account are not told apart.
func (s *Service) TokenSignIn(ctx context.Context, email, secret, addr string) (Account, string, error) {
	emailKey, addrKey := "email:"+EmailKey(email), "addr:"+addr
	if err := s.signInsLeft(s.signInEmail.Wait(emailKey), s.signInAddr.Wait(addrKey)); err != nil {
		return Account{}, "", err
	}
	a, session, err := s.tokenSignIn(ctx, secret, func(a Account) bool { return EmailKey(a.Email) == EmailKey(email) })
	if ErrorCode(err) == Invalid {
		s.signInEmail.Spend(emailKey)
		s.signInAddr.Spend(addrKey)
	}
	return a, session, err
}

// BearerSignIn signs a program in with a token's secret alone (an
// Authorization: Bearer header), as TokenSignIn does; failures count
// against the client address addr.
func (s *Service) BearerSignIn(ctx context.Context, secret, addr string) (Account, string, error) {
	addrKey := "addr:" + addr
	if err := s.signInsLeft(s.signInAddr.Wait(addrKey)); err != nil {
		return Account{}, "", err
	}
	a, session, err := s.tokenSignIn(ctx, secret, func(Account) bool { return true })
	if ErrorCode(err) == Invalid {
		s.signInAddr.Spend(addrKey)
	}
	return a, session, err
}

// tokenSignIn finds the token of secret and its account, which must be
// active and pass owner, and notes the token's use, to the minute. Any
// failure to match is reason WrongPassword; a store that fails is its
// own error, and counts against nobody.
func (s *Service) tokenSignIn(ctx context.Context, secret string, owner func(Account) bool) (Account, string, error) {
	if s.open || !strings.HasPrefix(secret, TokenPrefix) || len(secret) > maxSecret {
		return Account{}, "", Fail(WrongPassword)
	}
	t, a, err := s.store.TokenByDigest(ctx, Digest(secret))
	if code := ErrorCode(err); code == Unauthenticated {
		return Account{}, "", Fail(WrongPassword)
	} else if err != nil {
		return Account{}, "", err
	}
	if a.Deactivated || t.User != a.ID || !owner(a) {
		return Account{}, "", Fail(WrongPassword)
	}
	if now := s.now().UTC(); now.Sub(t.LastUsed) >= seenEvery {
		if err := s.store.TouchToken(ctx, t.ID, now); err != nil {
			s.log.Warn("noting a token's use", "err", err)
		}
	}
	return a, TokenSession(t.ID), nil
}

// recheckToken tells whether the connection of user authenticated by
// the token of session may stay open: the account, when the token still
// exists, is user's, and the account is active; reason SignedOut when
// not.
func (s *Service) recheckToken(ctx context.Context, user, id int64) (Account, Reason, error) {
	t, a, err := s.store.Token(ctx, id)
	if code := ErrorCode(err); code == Unauthenticated {
		return Account{}, SignedOut, nil
	} else if err != nil {
		return Account{}, "", err
	}
	if t.User != user || a.Deactivated {
		return Account{}, SignedOut, nil
	}
	return a, "", nil
}
