package chat_test

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/store/sqlite"
)

// cheap hashes passwords fast: the tests check the rules, not argon2id's
// cost.
var cheap = chat.WithHasher(chat.Hasher{Memory: 64, Time: 1, Threads: 1})

// clock is a test's clock, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// accounts is a service in accounts mode, set up with an administrator.
type accounts struct {
	svc   *chat.Service
	rec   *recorder
	clock *clock
	admin chat.Account
	// adminToken is the administrator's session token.
	adminToken string
}

const password = "correct horse battery"

// MustAccounts returns a service in accounts mode on an in-memory SQLite
// store whose first account, an administrator named Ada, is set up.
func MustAccounts(t *testing.T, opts ...chat.Option) *accounts {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := &accounts{rec: &recorder{}, clock: &clock{t: now}}
	a.svc = chat.NewService(slog.New(slog.NewTextHandler(io.Discard, nil)), st, broker{a.rec}, a.clock.Now, chat.Limits{}, append([]chat.Option{cheap}, opts...)...)
	tok, err := a.svc.SetupToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	a.admin, a.adminToken, err = a.svc.Setup(t.Context(), tok, chat.Credentials{Name: "Ada", Email: "ada@example.com", Password: password})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return a
}

// MustJoin creates an account through the invitation link and returns
// it with its session token.
func (a *accounts) MustJoin(t *testing.T, name string) (chat.Account, string) {
	t.Helper()
	code, err := a.svc.Invitation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	acct, tok, err := a.svc.Join(t.Context(), code, chat.Credentials{Name: name, Email: strings.ToLower(name) + "@example.com", Password: password})
	if err != nil {
		t.Fatalf("Join %s: %v", name, err)
	}
	return acct, tok
}

// reason returns the Reason of err, "" when it has none.
func reason(err error) chat.Reason {
	if e := chat.AsError(err); e != nil {
		return e.Reason
	}
	return ""
}

func TestHashAndVerify(t *testing.T) {
	h := chat.Hasher{Memory: 64, Time: 1, Threads: 1}
	hash, err := h.Hash("s3cret password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q: want argon2id in PHC form with its parameters", hash)
	}
	if again, _ := h.Hash("s3cret password"); again == hash {
		t.Error("two hashes of one password are equal: want a fresh salt each")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{"s3cret password", true}, {"s3cret passwore", false}, {"", false}} {
		if got, err := chat.Verify(hash, tc.password); err != nil || got != tc.want {
			t.Errorf("Verify(%q): got %v, %v; want %v", tc.password, got, err, tc.want)
		}
	}
	if _, err := chat.Verify("$2a$10$bcrypt", "x"); err == nil {
		t.Error("Verify of a hash that is not argon2id: want an error")
	}
	def, err := chat.Hasher{}.Hash("x")
	if err != nil || !strings.Contains(def, "$m=19456,t=2,p=1$") {
		t.Errorf("default hash %q: want OWASP's m=19456,t=2,p=1", def)
	}
}

func TestSetup(t *testing.T) {
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := chat.NewService(slog.New(slog.NewTextHandler(io.Discard, nil)), st, broker{&recorder{}}, nil, chat.Limits{}, cheap)
	ctx := t.Context()
	if pending, err := svc.NeedsSetup(ctx); err != nil || !pending {
		t.Fatalf("NeedsSetup on an empty store: got %v, %v; want true", pending, err)
	}
	tok, err := svc.SetupToken(ctx)
	if err != nil || len(tok) < 40 {
		t.Fatalf("SetupToken: got %q, %v; want a long random token", tok, err)
	}
	if again, _ := svc.SetupToken(ctx); again != tok {
		t.Errorf("SetupToken again: got %q, want the same %q until used", again, tok)
	}
	creds := chat.Credentials{Name: "Ada", Email: "ada@example.com", Password: password}
	for _, bad := range []string{"", "x", tok + "x", strings.ToUpper(tok)} {
		if _, _, err := svc.Setup(ctx, bad, creds); reason(err) != chat.LinkExpired {
			t.Errorf("Setup with token %q: got %v, want %s", bad, err, chat.LinkExpired)
		}
	}
	weak := creds
	weak.Password = "short"
	if _, _, err := svc.Setup(ctx, tok, weak); reason(err) != chat.WeakPassword {
		t.Errorf("Setup with a 5-character password: got %v, want %s", err, chat.WeakPassword)
	}
	a, session, err := svc.Setup(ctx, tok, creds)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if !a.Admin || a.Name != "Ada" || a.Email != "ada@example.com" {
		t.Errorf("first account: got %+v, want Ada, an administrator", a)
	}
	if got, _, err := svc.Authenticate(ctx, session); err != nil || got.ID != a.ID {
		t.Errorf("Authenticate the setup's session: got %+v, %v", got, err)
	}
	if pending, _ := svc.NeedsSetup(ctx); pending {
		t.Error("NeedsSetup after setup: got true")
	}
	if _, _, err := svc.Setup(ctx, tok, chat.Credentials{Name: "Eve", Email: "eve@example.com", Password: password}); reason(err) != chat.SetupDone {
		t.Errorf("second Setup with the used token: got %v, want %s", err, chat.SetupDone)
	}
}

func TestSignIn(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	good := chat.Credentials{Email: "ADA@example.com ", Password: password, Device: "Firefox"}
	got, tok, err := a.svc.SignIn(ctx, good, "192.0.2.1")
	if err != nil || got.ID != a.admin.ID || tok == "" {
		t.Fatalf("SignIn (email in other case, trailing space): got %+v, %q, %v", got, tok, err)
	}
	for _, c := range []chat.Credentials{
		{Email: "ada@example.com", Password: password + "!"},
		{Email: "nobody@example.com", Password: password},
		{Email: "", Password: ""},
	} {
		if _, _, err := a.svc.SignIn(ctx, c, "192.0.2.2"); reason(err) != chat.WrongPassword {
			t.Errorf("SignIn %+v: got %v, want %s", c, err, chat.WrongPassword)
		}
	}
}

func TestSignInLimits(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	wrong := chat.Credentials{Email: "ada@example.com", Password: "wrong password"}
	for i := range 5 {
		if _, _, err := a.svc.SignIn(ctx, wrong, "192.0.2.1"); reason(err) != chat.WrongPassword {
			t.Fatalf("failure %d: got %v, want %s", i+1, err, chat.WrongPassword)
		}
	}
	// Now even the right password is refused, from any address, with a
	// time to wait.
	right := chat.Credentials{Email: "ada@example.com", Password: password}
	_, _, err := a.svc.SignIn(ctx, right, "198.51.100.7")
	if e := chat.AsError(err); e == nil || e.Reason != chat.TooManySignIns || e.Wait <= 0 || e.Wait > 3*time.Minute {
		t.Fatalf("sixth sign-in: got %v, want %s with a wait of up to 3 minutes", err, chat.TooManySignIns)
	}
	if got := a.svc.Refused()["sign_ins"]; got != 1 {
		t.Errorf("refusals counted: got %d, want 1", got)
	}
	a.clock.Add(3 * time.Minute)
	if _, _, err := a.svc.SignIn(ctx, right, "198.51.100.7"); err != nil {
		t.Errorf("sign-in after the wait: %v", err)
	}

	// One address trying many emails is stopped after 20 failures.
	for i := range 20 {
		c := chat.Credentials{Email: "guess" + string(rune('a'+i)) + "@example.com", Password: "wrong password"}
		if _, _, err := a.svc.SignIn(ctx, c, "203.0.113.9"); reason(err) != chat.WrongPassword {
			t.Fatalf("address failure %d: got %v", i+1, err)
		}
	}
	if _, _, err := a.svc.SignIn(ctx, right, "203.0.113.9"); reason(err) != chat.TooManySignIns {
		t.Errorf("21st sign-in from one address: got %v, want %s", err, chat.TooManySignIns)
	}
}

func TestSessions(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, bobTok := a.MustJoin(t, "Bob")
	_, phone, err := a.svc.SignIn(ctx, chat.Credentials{Email: "bob@example.com", Password: password, Device: "Phone"}, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", "forged", strings.Repeat("a", 43), bobTok + "x"} {
		if _, _, err := a.svc.Authenticate(ctx, tok); reason(err) != chat.SignedOut {
			t.Errorf("Authenticate(%q): got %v, want %s", tok, err, chat.SignedOut)
		}
	}
	_, phoneSession, err := a.svc.Authenticate(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	if phoneSession.ID == phone || phoneSession.ID != chat.Digest(phone) {
		t.Errorf("session ID: got %q, want the token's digest, never the token", phoneSession.ID)
	}
	sessions, err := a.svc.Sessions(ctx, bob)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("Sessions: got %v, %v; want 2", sessions, err)
	}

	// LastSeen moves, to the minute.
	a.clock.Add(2 * time.Minute)
	if _, s, _ := a.svc.Authenticate(ctx, phone); !s.LastSeen.Equal(a.clock.Now()) {
		t.Errorf("LastSeen after use: got %v, want %v", s.LastSeen, a.clock.Now())
	}

	// Signing out one session ends it alone, and tells every hub.
	if err := a.svc.SignOut(ctx, bob, phoneSession.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Authenticate(ctx, phone); reason(err) != chat.SignedOut {
		t.Errorf("signed-out session: got %v, want %s", err, chat.SignedOut)
	}
	if _, _, err := a.svc.Authenticate(ctx, bobTok); err != nil {
		t.Errorf("the other session: %v", err)
	}
	ev := a.rec.last(chat.EventSignedOut)
	if ev == nil || ev.Ended.User != bob.ID || !slices.Equal(ev.Ended.Sessions, []string{phoneSession.ID}) {
		t.Errorf("published: got %+v, want the phone's session of %d", ev, bob.ID)
	}

	// Another person cannot end Bob's session.
	_, bobSession, _ := a.svc.Authenticate(ctx, bobTok)
	if err := a.svc.SignOut(ctx, a.admin, bobSession.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Authenticate(ctx, bobTok); err != nil {
		t.Errorf("Bob's session after Ada asked to end it: %v, want it alive", err)
	}

	// Unused for longer than SessionIdle, a session ends.
	a.clock.Add(chat.SessionIdle + time.Minute)
	if _, _, err := a.svc.Authenticate(ctx, bobTok); reason(err) != chat.SignedOut {
		t.Errorf("session idle for %v: got %v, want %s", chat.SessionIdle, err, chat.SignedOut)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, laptop := a.MustJoin(t, "Bob")
	_, phone, _ := a.svc.SignIn(ctx, chat.Credentials{Email: "bob@example.com", Password: password}, "192.0.2.1")
	_, keep, _ := a.svc.Authenticate(ctx, laptop)
	if err := a.svc.ChangePassword(ctx, bob, "wrong password", "new password 123", keep.ID); reason(err) != chat.WrongPassword {
		t.Errorf("change with a wrong current password: got %v, want %s", err, chat.WrongPassword)
	}
	if err := a.svc.ChangePassword(ctx, bob, password, "new password 123", keep.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Authenticate(ctx, phone); reason(err) != chat.SignedOut {
		t.Errorf("other session after a password change: got %v, want %s", err, chat.SignedOut)
	}
	if _, _, err := a.svc.Authenticate(ctx, laptop); err != nil {
		t.Errorf("the session that changed it: %v", err)
	}
	if _, _, err := a.svc.SignIn(ctx, chat.Credentials{Email: "bob@example.com", Password: "new password 123"}, "192.0.2.1"); err != nil {
		t.Errorf("sign-in with the new password: %v", err)
	}
}

func TestInvitation(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	code, err := a.svc.Invitation(ctx)
	if err != nil || len(code) < 40 {
		t.Fatalf("Invitation: %q, %v", code, err)
	}
	creds := chat.Credentials{Name: "Cy", Email: "cy@example.com", Password: password}
	if _, _, err := a.svc.Join(ctx, "guess", creds); reason(err) != chat.LinkExpired {
		t.Errorf("Join with a wrong code: got %v, want %s", err, chat.LinkExpired)
	}
	for _, tc := range []struct {
		name string
		c    chat.Credentials
		want chat.Reason
	}{
		{"taken email", chat.Credentials{Name: "Other", Email: "Ada@Example.com", Password: password}, chat.Taken},
		{"taken name", chat.Credentials{Name: "ADA", Email: "x@example.com", Password: password}, chat.Taken},
		{"numbered name", chat.Credentials{Name: "member12", Email: "x@example.com", Password: password}, chat.Taken},
		{"bidi override", chat.Credentials{Name: "Ad\u202ea", Email: "x@example.com", Password: password}, chat.Disallowed},
		{"not an email", chat.Credentials{Name: "X", Email: "x at example", Password: password}, chat.BadEmail},
		{"email with a name", chat.Credentials{Name: "X", Email: "X <x@example.com>", Password: password}, chat.BadEmail},
		{"short password", chat.Credentials{Name: "X", Email: "x@example.com", Password: "123456789"}, chat.WeakPassword},
	} {
		if _, _, err := a.svc.Join(ctx, code, tc.c); reason(err) != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
		}
	}
	if _, _, err := a.svc.Join(ctx, code, creds); err != nil {
		t.Fatalf("Join: %v", err)
	}
	bob, _ := a.MustJoin(t, "Bob")
	if err := a.svc.ResetInvitation(ctx, bob); reason(err) != chat.NotAllowed {
		t.Errorf("ResetInvitation by a member: got %v, want %s", err, chat.NotAllowed)
	}
	if err := a.svc.ResetInvitation(ctx, a.admin); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Join(ctx, code, chat.Credentials{Name: "Dee", Email: "dee@example.com", Password: password}); reason(err) != chat.LinkExpired {
		t.Errorf("Join with the replaced code: got %v, want %s", err, chat.LinkExpired)
	}
}

func TestResetLink(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, bobTok := a.MustJoin(t, "Bob")
	if _, _, err := a.svc.ResetLink(ctx, bob, a.admin.ID); reason(err) != chat.NotAllowed {
		t.Errorf("ResetLink by a member: got %v, want %s", err, chat.NotAllowed)
	}
	_, tok, err := a.svc.ResetLink(ctx, a.admin, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Reset(ctx, tok, "short", ""); reason(err) != chat.WeakPassword {
		t.Errorf("Reset to a short password: got %v, want %s", err, chat.WeakPassword)
	}
	got, _, err := a.svc.Reset(ctx, tok, "brand new password", "")
	if err != nil || got.ID != bob.ID {
		t.Fatalf("Reset: got %+v, %v", got, err)
	}
	if _, _, err := a.svc.Authenticate(ctx, bobTok); reason(err) != chat.SignedOut {
		t.Errorf("Bob's old session after a reset: got %v, want %s", err, chat.SignedOut)
	}
	if _, _, err := a.svc.Reset(ctx, tok, "another new password", ""); reason(err) != chat.LinkExpired {
		t.Errorf("the link used twice: got %v, want %s", err, chat.LinkExpired)
	}

	_, late, _ := a.svc.ResetLink(ctx, a.admin, bob.ID)
	a.clock.Add(chat.ResetLinkTTL + time.Second)
	if _, _, err := a.svc.Reset(ctx, late, "another new password", ""); reason(err) != chat.LinkExpired {
		t.Errorf("a link past %v: got %v, want %s", chat.ResetLinkTTL, err, chat.LinkExpired)
	}
}

func TestDeactivate(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, bobTok := a.MustJoin(t, "Bob")
	if err := a.svc.SetDeactivated(ctx, bob, a.admin.ID, true); reason(err) != chat.NotAllowed {
		t.Errorf("a member deactivating: got %v, want %s", err, chat.NotAllowed)
	}
	if err := a.svc.SetDeactivated(ctx, a.admin, a.admin.ID, true); reason(err) != chat.NotAllowed {
		t.Errorf("an administrator deactivating themself: got %v, want %s", err, chat.NotAllowed)
	}
	if err := a.svc.SetDeactivated(ctx, a.admin, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.Authenticate(ctx, bobTok); reason(err) != chat.SignedOut {
		t.Errorf("a deactivated account's session: got %v, want %s", err, chat.SignedOut)
	}
	if ev := a.rec.last(chat.EventSignedOut); ev == nil || ev.Ended.User != bob.ID || len(ev.Ended.Sessions) != 1 {
		t.Errorf("published: got %+v, want Bob's session ended", ev)
	}
	if _, _, err := a.svc.SignIn(ctx, chat.Credentials{Email: "bob@example.com", Password: password}, "192.0.2.1"); reason(err) != chat.WrongPassword {
		t.Errorf("sign-in of a deactivated account: got %v, want %s", err, chat.WrongPassword)
	}
	if err := a.svc.SetDeactivated(ctx, a.admin, bob.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.svc.SignIn(ctx, chat.Credentials{Email: "bob@example.com", Password: password}, "192.0.2.1"); err != nil {
		t.Errorf("sign-in after reactivation: %v", err)
	}
	log, err := a.svc.AuditLog(ctx, a.admin, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
		if e.Actor.ID != a.admin.ID {
			t.Errorf("audit entry %+v: want Ada as the actor", e)
		}
	}
	if want := []string{"reactivate", "deactivate"}; !slices.Equal(actions, want) {
		t.Errorf("audit log: got %v, want %v (newest first)", actions, want)
	}
}

// last returns the newest event of kind, or nil.
func (r *recorder) last(kind chat.EventKind) *chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Kind == kind {
			ev := r.events[i]
			return &ev
		}
	}
	return nil
}

func TestPasswordChangeGuessesLimited(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, tok := a.MustJoin(t, "Bob")
	_, s, _ := a.svc.Authenticate(ctx, tok)
	for i := range 5 {
		if err := a.svc.ChangePassword(ctx, bob, "guess number "+string(rune('a'+i)), "new password 123", s.ID); reason(err) != chat.WrongPassword {
			t.Fatalf("guess %d: got %v, want %s", i+1, err, chat.WrongPassword)
		}
	}
	if err := a.svc.ChangePassword(ctx, bob, password, "new password 123", s.ID); reason(err) != chat.TooManySignIns {
		t.Errorf("the right password after 5 wrong guesses: got %v, want %s", err, chat.TooManySignIns)
	}
}

func TestCheckResetLeavesTheLink(t *testing.T) {
	a := MustAccounts(t)
	ctx := t.Context()
	bob, _ := a.MustJoin(t, "Bob")
	_, tok, err := a.svc.ResetLink(ctx, a.admin, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, err := a.svc.CheckReset(ctx, tok); err != nil || got.ID != bob.ID {
			t.Errorf("CheckReset: got %+v, %v; want Bob, the link unused", got, err)
		}
	}
	if _, err := a.svc.CheckReset(ctx, tok+"x"); reason(err) != chat.LinkExpired {
		t.Errorf("CheckReset of a wrong token: got %v, want %s", err, chat.LinkExpired)
	}
	if _, _, err := a.svc.Reset(ctx, tok, "brand new password", ""); err != nil {
		t.Errorf("Reset after CheckReset: %v", err)
	}
	if _, err := a.svc.CheckReset(ctx, tok); reason(err) != chat.LinkExpired {
		t.Errorf("CheckReset of a used link: got %v, want %s", err, chat.LinkExpired)
	}
}
