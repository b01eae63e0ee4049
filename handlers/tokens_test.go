package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"hxchat/chat"
)

// copyNow is what the page says beside a new token's secret.
const copyNow = "Copy this token now: it will not be shown again."

// tokenPath is where the token with id is revoked.
func tokenPath(id int64) string { return "/account/tokens/" + strconv.FormatInt(id, 10) + "/revoke" }

// MustTokens returns the tokens of the browser's person from the store.
func (b *browser) MustTokens(t *testing.T) []chat.Token {
	t.Helper()
	tokens, err := b.s.store.Tokens(t.Context(), b.me.ID)
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	return tokens
}

// createToken sends the create form of /account/tokens with name.
func (b *browser) createToken(t *testing.T, name string) response {
	t.Helper()
	csrf := b.MustFormCSRF(t, "/account/tokens")
	return b.MustPost(t, "/account/tokens", url.Values{"_csrf": {csrf}, "name": {name}})
}

// codes returns the text of every <code> of doc.
func codes(doc *html.Node) []string {
	var out []string
	for _, c := range all(doc, tag(atom.Code)) {
		out = append(out, textOf(c))
	}
	return out
}

func TestTokensPage(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)

	r := ada.MustGet(t, "/account")
	link := first(r.doc(t), and(tag(atom.A), hasAttr("href", "/account/tokens")))
	if got := textOf(link); got != "Access tokens" {
		t.Errorf("/account: link to /account/tokens reads %q, want %q", got, "Access tokens")
	}

	r = ada.MustGet(t, "/account/tokens")
	if r.status != http.StatusOK {
		t.Fatalf("GET /account/tokens: got %d, want 200", r.status)
	}
	doc := r.doc(t)
	if got := attr(labelled(doc, "Name"), "name"); got != "name" {
		t.Errorf("field labelled Name: got name %q, want name", got)
	}
	if got := attr(labelled(doc, "Name"), "maxlength"); got != strconv.Itoa(chat.MaxTokenName) {
		t.Errorf("field labelled Name: maxlength %q, want %d", got, chat.MaxTokenName)
	}
	if b := button(doc, "Create token"); b == nil || attr(b, "type") != "submit" {
		t.Errorf("no submit button named %q", "Create token")
	}
	if got := mainText(t, r); !strings.Contains(got, "You have no access tokens.") || !strings.Contains(got, emailOf("Ada")) {
		t.Errorf("page without tokens: got %q, want it to say there are none and name the login %s", got, emailOf("Ada"))
	}
	if codes(doc) != nil || strings.Contains(r.body, copyNow) {
		t.Errorf("page without a new token shows a secret: %q", codes(doc))
	}

	// Not signed in: to /login and back.
	r = s.newBrowser(t).MustGet(t, "/account/tokens")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Faccount%2Ftokens" {
		t.Errorf("signed out: got %d to %q, want 303 to /login and back", r.status, r.header.Get("Location"))
	}
}

func TestCreateToken(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)

	r := ada.createToken(t, "  Deploy   bot ")
	if r.status != http.StatusOK {
		t.Fatalf("create: got %d, want 200; body %s", r.status, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("create: Cache-Control %q, want no-store: the answer holds the secret", got)
	}
	doc := r.doc(t)
	shown := codes(doc)
	if len(shown) != 1 || !strings.HasPrefix(shown[0], chat.TokenPrefix) {
		t.Fatalf("create: <code> elements %q, want one holding the secret", shown)
	}
	secret := shown[0]
	if got := textOf(byID(doc, attr(byID(doc, "new-token"), "aria-describedby"))); got != copyNow {
		t.Errorf("beside the secret: got %q, want %q", got, copyNow)
	}
	tokens := ada.MustTokens(t)
	if len(tokens) != 1 || tokens[0].Name != "Deploy bot" {
		t.Fatalf("stored tokens: got %+v, want one named %q", tokens, "Deploy bot")
	}
	if !strings.Contains(mainText(t, r), "Deploy bot") || button(doc, "Revoke") == nil {
		t.Errorf("create: the new token is not listed with a Revoke button")
	}

	// The secret signs in as Ada, the store knows only its digest.
	a, session, err := s.svc.TokenSignIn(t.Context(), emailOf("Ada"), secret, "192.0.2.1")
	if err != nil || a.ID != ada.me.ID || session != chat.TokenSession(tokens[0].ID) {
		t.Errorf("TokenSignIn with the shown secret: got %d, %q, %v; want Ada", a.ID, session, err)
	}
	if got, _, err := s.store.TokenByDigest(t.Context(), chat.Digest(secret)); err != nil || got.ID != tokens[0].ID {
		t.Errorf("TokenByDigest(the secret's digest): got %+v, %v", got, err)
	}

	// Shown once: the page again has the token, not its secret.
	r = ada.MustGet(t, "/account/tokens")
	if strings.Contains(r.body, secret) || strings.Contains(r.body, copyNow) {
		t.Errorf("the page after creating shows the secret again")
	}
	if got := mainText(t, r); !strings.Contains(got, "Deploy bot") || !strings.Contains(got, "Last used") {
		t.Errorf("the page after creating: got %q, want the token, now used", got)
	}
}

func TestCreateTokenRefused(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	tests := []struct {
		name, typed string
		status      int
		// id is the element that says what is wrong.
		id, want string
	}{
		{"empty", "   ", http.StatusUnprocessableEntity, "token-name-error", "Name can't be empty."},
		{"too long", strings.Repeat("x", chat.MaxTokenName+1), http.StatusUnprocessableEntity, "token-name-error",
			fmt.Sprintf("Name can be at most %d characters; this one has %d.", chat.MaxTokenName, chat.MaxTokenName+1)},
	}
	for _, tt := range tests {
		r := ada.createToken(t, tt.typed)
		doc := r.doc(t)
		if r.status != tt.status || textOf(byID(doc, tt.id)) != tt.want {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, r.status, textOf(byID(doc, tt.id)), tt.status, tt.want)
		}
		if attr(labelled(doc, "Name"), "aria-invalid") != "true" {
			t.Errorf("%s: the Name field is not marked invalid", tt.name)
		}
		if codes(doc) != nil {
			t.Errorf("%s: a refused form shows %q", tt.name, codes(doc))
		}
	}
	if got := ada.MustTokens(t); len(got) != 0 {
		t.Errorf("tokens after refusals: got %+v, want none", got)
	}

	for i := range chat.MaxTokens {
		if _, _, err := s.svc.CreateToken(t.Context(), ada.me, "bot "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	r := ada.createToken(t, "One more")
	want := fmt.Sprintf("You have %d access tokens, the most one account may. Revoke one you no longer use first.", chat.MaxTokens)
	doc := r.doc(t)
	if r.status != http.StatusTooManyRequests || textOf(byID(doc, "token-error")) != want {
		t.Errorf("token %d: got %d %q, want 429 %q", chat.MaxTokens+1, r.status, textOf(byID(doc, "token-error")), want)
	}
	if got := attr(labelled(doc, "Name"), "value"); got != "One more" {
		t.Errorf("refused form: Name holds %q, want the typed %q", got, "One more")
	}
}

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	bob := s.MustJoin(t, "Bob")
	mine, secret, err := s.svc.CreateToken(t.Context(), ada.me, "Ada's bot")
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := s.svc.CreateToken(t.Context(), ada.me, "kept")
	if err != nil {
		t.Fatal(err)
	}
	bobs, _, err := s.svc.CreateToken(t.Context(), bob.me, "Bob's bot")
	if err != nil {
		t.Fatal(err)
	}
	csrf := ada.MustFormCSRF(t, "/account/tokens")
	form := url.Values{"_csrf": {csrf}}

	// Each revoke form posts to its token's address.
	doc := ada.MustGet(t, "/account/tokens").doc(t)
	if got := len(all(doc, and(tag(atom.Form), hasAttr("action", tokenPath(mine.ID))))); got != 1 {
		t.Errorf("revoke forms for %q: got %d, want 1", mine.Name, got)
	}

	r := ada.MustPost(t, tokenPath(mine.ID), form)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/tokens" {
		t.Errorf("revoke: got %d to %q, want 303 to /account/tokens", r.status, r.header.Get("Location"))
	}
	if got := ada.MustTokens(t); len(got) != 1 || got[0].ID != kept.ID {
		t.Errorf("Ada's tokens after revoking one: got %+v, want %q alone", got, kept.Name)
	}
	if _, _, err := s.svc.BearerSignIn(t.Context(), secret, "192.0.2.1"); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.WrongPassword {
		t.Errorf("the revoked secret: got %v, want %s", err, chat.WrongPassword)
	}

	for _, tt := range []struct{ name, path string }{
		{"revoked already", tokenPath(mine.ID)},
		{"another person's", tokenPath(bobs.ID)},
		{"not a number", "/account/tokens/x/revoke"},
	} {
		if r := ada.MustPost(t, tt.path, form); r.status != http.StatusNotFound {
			t.Errorf("revoke %s: got %d, want 404", tt.name, r.status)
		}
	}
	if got := bob.MustTokens(t); len(got) != 1 {
		t.Errorf("Bob's tokens after Ada tried his: got %+v, want his one", got)
	}
}

func TestTokenFormsNeedCSRF(t *testing.T) {
	t.Parallel()
	s, ada := accountStack(t)
	tok, _, err := s.svc.CreateToken(t.Context(), ada.me, "bot")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		path string
		form url.Values
	}{
		{"create without a token", "/account/tokens", url.Values{"name": {"forged"}}},
		{"create with a wrong token", "/account/tokens", url.Values{"_csrf": {"forged"}, "name": {"forged"}}},
		{"revoke without a token", tokenPath(tok.ID), url.Values{}},
		{"revoke with a wrong token", tokenPath(tok.ID), url.Values{"_csrf": {"forged"}}},
	} {
		if r := ada.MustPost(t, tt.path, tt.form); r.status != http.StatusForbidden {
			t.Errorf("%s: got %d, want 403", tt.name, r.status)
		}
	}
	if got := ada.MustTokens(t); len(got) != 1 || got[0].ID != tok.ID {
		t.Errorf("tokens after forged forms: got %+v, want the one made before", got)
	}
}

func TestNoTokensInOpenMode(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	b := s.newBrowser(t)
	csrf := b.MustCSRF(t)
	if r := b.MustGet(t, "/account/tokens"); r.status != http.StatusNotFound {
		t.Errorf("GET /account/tokens in open mode: got %d, want 404", r.status)
	}
	for _, path := range []string{"/account/tokens", tokenPath(1)} {
		if r := b.MustPost(t, path, url.Values{"_csrf": {csrf}, "name": {"bot"}}); r.status != http.StatusNotFound {
			t.Errorf("POST %s in open mode: got %d, want 404", path, r.status)
		}
	}
	for _, route := range s.routes {
		if strings.HasPrefix(route.Path, "/account/tokens") {
			t.Errorf("open mode registers %s %s", route.Method, route.Path)
		}
	}
}
