package chat_test

import (
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/store/sqlite"
)

// MustToken makes a token named name for acct and returns it with its
// secret.
func (a *accounts) MustToken(t *testing.T, acct chat.Account, name string) (chat.Token, string) {
	t.Helper()
	tok, secret, err := a.svc.CreateToken(t.Context(), acct, name)
	if err != nil {
		t.Fatalf("CreateToken(%s, %q): %v", acct.Name, name, err)
	}
	return tok, secret
}

func TestCreateToken(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	tests := []struct {
		name, typed string
		want        string
		err         *chat.Error
	}{
		{"trimmed", "  CI   bot ", "CI bot", nil},
		{"longest", strings.Repeat("b", chat.MaxTokenName), strings.Repeat("b", chat.MaxTokenName), nil},
		{"empty", " ", "", chat.Fail(chat.Empty, chat.FieldTokenName)},
		{"too long", strings.Repeat("b", chat.MaxTokenName+1), "",
			&chat.Error{Reason: chat.TooLong, Field: chat.FieldTokenName, Limit: chat.MaxTokenName, Length: chat.MaxTokenName + 1}},
		{"control", "bot\x07", "", chat.Fail(chat.ControlCharacters, chat.FieldTokenName)},
		{"bidi override", "bot\u202e", "", &chat.Error{Reason: chat.Disallowed, Field: chat.FieldTokenName, Value: "U+202E"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, secret, err := a.svc.CreateToken(ctx, a.admin, tt.typed)
			if tt.err != nil {
				if !sameError(err, tt.err) || secret != "" {
					t.Errorf("CreateToken(%q): got %q, %v; want no secret and %v", tt.typed, secret, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateToken(%q): %v", tt.typed, err)
			}
			if tok.Name != tt.want || tok.User != a.admin.ID || !tok.CreatedAt.Equal(now) || !tok.LastUsed.IsZero() {
				t.Errorf("CreateToken(%q): got %+v; want %q, Ada's, made now, never used", tt.typed, tok, tt.want)
			}
			// 32 bytes of base64url: 43 characters after the prefix.
			rest, ok := strings.CutPrefix(secret, chat.TokenPrefix)
			if !ok || len(rest) != 43 || strings.Trim(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Errorf("secret %q: want %q and 43 base64url characters", secret, chat.TokenPrefix)
			}
		})
	}
	tokens, err := a.svc.Tokens(ctx, a.admin)
	if err != nil || len(tokens) != 2 || tokens[0].ID <= tokens[1].ID {
		t.Errorf("Tokens: got %+v, %v; want the 2 made, newest first", tokens, err)
	}
	if _, s1, _ := a.svc.CreateToken(ctx, a.admin, "one"); s1 == "" {
		t.Fatal("no secret")
	} else if _, s2, _ := a.svc.CreateToken(ctx, a.admin, "one"); s2 == s1 {
		t.Errorf("two tokens of one name share the secret %q", s1)
	}
}

func TestTokenLimit(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	for i := range chat.MaxTokens {
		a.MustToken(t, bob, "bot "+strconv.Itoa(i))
	}
	_, secret, err := a.svc.CreateToken(ctx, bob, "one too many")
	if want := (&chat.Error{Reason: chat.TooManyTokens, Limit: chat.MaxTokens}); !sameError(err, want) || secret != "" {
		t.Errorf("token %d: got %q, %v; want %v", chat.MaxTokens+1, secret, err, want)
	}
	a.MustToken(t, a.admin, "Ada's own")
	tokens, _ := a.svc.Tokens(ctx, bob)
	if err := a.svc.RevokeToken(ctx, bob, tokens[0].ID); err != nil {
		t.Fatal(err)
	}
	a.MustToken(t, bob, "in the revoked one's place")
}

func TestTokensNotInOpenMode(t *testing.T) {
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := chat.NewService(slog.New(slog.NewTextHandler(io.Discard, nil)), st, broker{&recorder{}}, nil, chat.Limits{}, chat.OpenMode())
	u, err := svc.NewUser(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	me := chat.Account{User: u}
	if _, _, err := svc.CreateToken(t.Context(), me, "bot"); reason(err) != chat.NotAllowed {
		t.Errorf("CreateToken in open mode: got %v, want %s", err, chat.NotAllowed)
	}
	if _, err := svc.Tokens(t.Context(), me); reason(err) != chat.NotAllowed {
		t.Errorf("Tokens in open mode: got %v, want %s", err, chat.NotAllowed)
	}
	if _, _, err := svc.BearerSignIn(t.Context(), chat.TokenPrefix+strings.Repeat("a", 43), "192.0.2.1"); reason(err) != chat.WrongPassword {
		t.Errorf("BearerSignIn in open mode: got %v, want %s", err, chat.WrongPassword)
	}
}

func TestTokenSignIn(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	cy, _ := a.MustJoin(t, "Cy")
	dee, _ := a.MustJoin(t, "Dee")
	bobTok, bobSecret := a.MustToken(t, bob, "Bob's bot")
	_, cySecret := a.MustToken(t, cy, "Cy's bot")
	revoked, revokedSecret := a.MustToken(t, bob, "revoked")
	if err := a.svc.RevokeToken(ctx, bob, revoked.ID); err != nil {
		t.Fatal(err)
	}
	_, deeSecret := a.MustToken(t, dee, "Dee's bot")
	if err := a.svc.SetDeactivated(ctx, a.admin, dee.ID, true); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, email, secret string
		// ok: the sign-in works, as Bob with his token.
		ok bool
	}{
		{"right", "bob@example.com", bobSecret, true},
		{"email in other case", " BOB@example.com", bobSecret, true},
		{"wrong secret", "bob@example.com", bobSecret[:len(bobSecret)-1] + "x", false},
		{"no prefix", "bob@example.com", strings.TrimPrefix(bobSecret, chat.TokenPrefix), false},
		{"empty", "bob@example.com", "", false},
		{"too long", "bob@example.com", bobSecret + strings.Repeat("a", 64), false},
		{"a session's token", "bob@example.com", strings.Repeat("a", 43), false},
		{"another person's secret", "bob@example.com", cySecret, false},
		{"another person's email", "cy@example.com", bobSecret, false},
		{"unknown email", "nobody@example.com", bobSecret, false},
		{"revoked", "bob@example.com", revokedSecret, false},
		{"deactivated", "dee@example.com", deeSecret, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An address each, and the email's tries back, so that the
			// failures stay under the limits.
			addr := "192.0.2." + strconv.Itoa(i+1)
			a.clock.Add(time.Hour)
			got, session, err := a.svc.TokenSignIn(ctx, tt.email, tt.secret, addr)
			if tt.ok {
				if err != nil || got.ID != bob.ID || session != chat.TokenSession(bobTok.ID) {
					t.Errorf("TokenSignIn: got %d, %q, %v; want Bob (%d), %q", got.ID, session, err, bob.ID, chat.TokenSession(bobTok.ID))
				}
				return
			}
			if reason(err) != chat.WrongPassword || got.ID != 0 || session != "" {
				t.Errorf("TokenSignIn: got %d, %q, %v; want %s, as a wrong password", got.ID, session, err, chat.WrongPassword)
			}
		})
	}

	t.Run("bearer", func(t *testing.T) {
		got, session, err := a.svc.BearerSignIn(ctx, bobSecret, "198.51.100.1")
		if err != nil || got.ID != bob.ID || session != chat.TokenSession(bobTok.ID) {
			t.Errorf("BearerSignIn: got %d, %q, %v; want Bob, %q", got.ID, session, err, chat.TokenSession(bobTok.ID))
		}
		for what, secret := range map[string]string{"revoked": revokedSecret, "deactivated": deeSecret, "wrong": bobSecret + "x"} {
			if got, _, err := a.svc.BearerSignIn(ctx, secret, "198.51.100.1"); reason(err) != chat.WrongPassword || got.ID != 0 {
				t.Errorf("BearerSignIn of a %s secret: got %d, %v; want %s", what, got.ID, err, chat.WrongPassword)
			}
		}
	})
}

func TestTokenSignInLimits(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	_, secret := a.MustToken(t, bob, "bot")
	for i := range 5 {
		if _, _, err := a.svc.TokenSignIn(ctx, "bob@example.com", secret+"x", "192.0.2.1"); reason(err) != chat.WrongPassword {
			t.Fatalf("failure %d: got %v, want %s", i+1, err, chat.WrongPassword)
		}
	}
	// The email's limit is SignIn's too: the password is refused, and
	// the right secret, from anywhere.
	_, _, err := a.svc.SignIn(ctx, chat.Credentials{Email: "bob@example.com", Password: password}, "198.51.100.7")
	if e := chat.AsError(err); e == nil || e.Reason != chat.TooManySignIns || e.Wait <= 0 || e.Wait > 3*time.Minute {
		t.Errorf("password sign-in after 5 wrong secrets: got %v, want %s with a wait of up to 3 minutes", err, chat.TooManySignIns)
	}
	if _, _, err := a.svc.TokenSignIn(ctx, "bob@example.com", secret, "198.51.100.7"); reason(err) != chat.TooManySignIns {
		t.Errorf("the right secret after 5 wrong ones: got %v, want %s", err, chat.TooManySignIns)
	}
	a.clock.Add(3 * time.Minute)
	if _, _, err := a.svc.TokenSignIn(ctx, "bob@example.com", secret, "198.51.100.7"); err != nil {
		t.Errorf("the right secret after the wait: %v", err)
	}

	// Wrong passwords count against token sign-ins the same way.
	for range 5 {
		_, _, _ = a.svc.SignIn(ctx, chat.Credentials{Email: "ada@example.com", Password: "wrong password"}, "192.0.2.2")
	}
	if _, _, err := a.svc.TokenSignIn(ctx, "ada@example.com", secret, "198.51.100.8"); reason(err) != chat.TooManySignIns {
		t.Errorf("a token sign-in after 5 wrong passwords: got %v, want %s", err, chat.TooManySignIns)
	}

	// One address guessing bearer secrets is stopped after 20, and so
	// are its sign-ins of any kind.
	for i := range 20 {
		if _, _, err := a.svc.BearerSignIn(ctx, chat.TokenPrefix+strconv.Itoa(i), "203.0.113.9"); reason(err) != chat.WrongPassword {
			t.Fatalf("address failure %d: got %v", i+1, err)
		}
	}
	if _, _, err := a.svc.BearerSignIn(ctx, secret, "203.0.113.9"); reason(err) != chat.TooManySignIns {
		t.Errorf("21st bearer sign-in from one address: got %v, want %s", err, chat.TooManySignIns)
	}
	if _, _, err := a.svc.TokenSignIn(ctx, "bob@example.com", secret, "203.0.113.9"); reason(err) != chat.TooManySignIns {
		t.Errorf("a login sign-in from that address: got %v, want %s", err, chat.TooManySignIns)
	}
	if _, _, err := a.svc.BearerSignIn(ctx, secret, "203.0.113.10"); err != nil {
		t.Errorf("a bearer sign-in from another address: %v", err)
	}
}

func TestTokenLastUsed(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	tok, secret := a.MustToken(t, a.admin, "bot")
	lastUsed := func() time.Time {
		t.Helper()
		tokens, err := a.svc.Tokens(ctx, a.admin)
		if err != nil || len(tokens) != 1 {
			t.Fatalf("Tokens: got %+v, %v", tokens, err)
		}
		return tokens[0].LastUsed
	}
	first := a.clock.Now()
	steps := []struct {
		name    string
		advance time.Duration
		want    time.Time
	}{
		{"first use", 0, first},
		{"again within the minute", 59 * time.Second, first},
		{"a minute after the first", time.Second, first.Add(time.Minute)},
	}
	for _, st := range steps {
		a.clock.Add(st.advance)
		if _, _, err := a.svc.BearerSignIn(ctx, secret, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(st.want) {
			t.Errorf("%s: LastUsed %v, want %v", st.name, got, st.want)
		}
	}
	if err := a.svc.ChangePassword(ctx, a.admin, password, "another password", ""); err != nil {
		t.Fatal(err)
	}
	if _, session, err := a.svc.TokenSignIn(ctx, "ada@example.com", secret, "192.0.2.1"); err != nil || session != chat.TokenSession(tok.ID) {
		t.Errorf("the token after a password change: got %q, %v; want it to work", session, err)
	}
}

func TestRevokeToken(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	tok, secret := a.MustToken(t, bob, "bot")
	kept, keptSecret := a.MustToken(t, bob, "kept")

	// Another person's token is not theirs to revoke, nor to learn of.
	if err := a.svc.RevokeToken(ctx, a.admin, tok.ID); reason(err) != chat.NoToken {
		t.Errorf("Ada revokes Bob's token: got %v, want %s", err, chat.NoToken)
	}
	if a.rec.last(chat.EventSignedOut) != nil {
		t.Errorf("published after a refused revocation: %+v", a.rec.last(chat.EventSignedOut))
	}
	if err := a.svc.RevokeToken(ctx, bob, tok.ID); err != nil {
		t.Fatal(err)
	}
	ev := a.rec.last(chat.EventSignedOut)
	if ev == nil || ev.Ended.User != bob.ID || !slices.Equal(ev.Ended.Sessions, []string{"token:" + strconv.FormatInt(tok.ID, 10)}) {
		t.Errorf("published: got %+v, want Bob's %q ended", ev, chat.TokenSession(tok.ID))
	}
	if _, _, err := a.svc.BearerSignIn(ctx, secret, "192.0.2.1"); reason(err) != chat.WrongPassword {
		t.Errorf("a revoked token: got %v, want %s", err, chat.WrongPassword)
	}
	if err := a.svc.RevokeToken(ctx, bob, tok.ID); reason(err) != chat.NoToken {
		t.Errorf("revoking twice: got %v, want %s", err, chat.NoToken)
	}
	if tokens, err := a.svc.Tokens(ctx, bob); err != nil || len(tokens) != 1 || tokens[0].ID != kept.ID {
		t.Errorf("Tokens after revoking one: got %+v, %v; want only %q", tokens, err, kept.Name)
	}
	if _, _, err := a.svc.BearerSignIn(ctx, keptSecret, "192.0.2.1"); err != nil {
		t.Errorf("the other token: %v", err)
	}
}

func TestDeactivateEndsTokens(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, bobTok := a.MustJoin(t, "Bob")
	_, bobSession, _ := a.svc.Authenticate(ctx, bobTok)
	t1, secret := a.MustToken(t, bob, "one")
	t2, _ := a.MustToken(t, bob, "two")
	if err := a.svc.SetDeactivated(ctx, a.admin, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	ev := a.rec.last(chat.EventSignedOut)
	want := []string{bobSession.ID, chat.TokenSession(t1.ID), chat.TokenSession(t2.ID)}
	if ev == nil || ev.Ended.User != bob.ID || !sameSet(ev.Ended.Sessions, want) {
		t.Errorf("published: got %+v, want Bob's session and both tokens' %q ended", ev, want)
	}
	// Reactivated, the account has its password, not its tokens: an
	// account taken over comes back without what was made with it.
	if err := a.svc.SetDeactivated(ctx, a.admin, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.TokenSignIn(ctx, "bob@example.com", secret, "192.0.2.1"); reason(err) != chat.WrongPassword {
		t.Errorf("a token after deactivation and reactivation: got %v, want %s", err, chat.WrongPassword)
	}
	if tokens, err := a.svc.Tokens(ctx, bob); err != nil || len(tokens) != 0 {
		t.Errorf("Tokens after deactivation: got %+v, %v; want none", tokens, err)
	}
}

// sameSet reports whether got and want hold the same strings, in any
// order.
func sameSet(got, want []string) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

func TestRecheckToken(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	cy, _ := a.MustJoin(t, "Cy")
	room, err := a.svc.CreateRoomOf(ctx, bob, chat.PersonKey(bob.User), "Team", chat.RoomPrivate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.AddMember(ctx, bob, room.ID, "Cy"); err != nil {
		t.Fatal(err)
	}
	bobTok, _ := a.MustToken(t, bob, "Bob's bot")
	cyTok, _ := a.MustToken(t, cy, "Cy's bot")
	revoked, _ := a.MustToken(t, bob, "revoked")
	if err := a.svc.RevokeToken(ctx, bob, revoked.ID); err != nil {
		t.Fatal(err)
	}
	bobs, cys := chat.TokenSession(bobTok.ID), chat.TokenSession(cyTok.ID)

	check := func(user int64, session string) chat.Reason {
		t.Helper()
		r, err := a.svc.Recheck(ctx, room.ID, user, session)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name    string
		user    int64
		session string
		want    chat.Reason
	}{
		{"a member's live token", bob.ID, bobs, ""},
		{"another person's token", cy.ID, bobs, chat.SignedOut},
		{"a revoked token", bob.ID, chat.TokenSession(revoked.ID), chat.SignedOut},
		{"a token never made", bob.ID, chat.TokenSession(revoked.ID + 1000), chat.SignedOut},
		{"not a number", bob.ID, "token:x", chat.SignedOut},
		{"a non-member's token", a.admin.ID, chat.TokenSession(a.MustTokenID(t, a.admin)), chat.Removed},
	}
	for _, tt := range tests {
		if got := check(tt.user, tt.session); got != tt.want {
			t.Errorf("%s: Recheck got %q, want %q", tt.name, got, tt.want)
		}
	}
	if err := a.svc.RemoveMember(ctx, bob, room.ID, cy.ID); err != nil {
		t.Fatal(err)
	}
	if got := check(cy.ID, cys); got != chat.Removed {
		t.Errorf("a removed member's token: got %q, want %s", got, chat.Removed)
	}
	if err := a.svc.SetDeactivated(ctx, a.admin, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := check(bob.ID, bobs); got != chat.SignedOut {
		t.Errorf("a deactivated member's token: got %q, want %s", got, chat.SignedOut)
	}
}

// MustTokenID makes a token for acct and returns its ID.
func (a *accounts) MustTokenID(t *testing.T, acct chat.Account) int64 {
	t.Helper()
	tok, _ := a.MustToken(t, acct, "bot")
	return tok.ID
}

func TestTokenSession(t *testing.T) {
	if got := chat.TokenSession(42); got != "token:42" {
		t.Errorf("TokenSession(42): got %q, want %q", got, "token:42")
	}
}
