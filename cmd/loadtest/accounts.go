package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"
)

// In accounts mode the tool sets up the new server it started as its
// owner would: the setup link from the server's log creates the first
// account, an administrator, whose /admin page shows the invitation
// link; every simulated person then creates an account with it. Each
// person's cookie jar ends up holding its own session cookie, which its
// page loads, sockets and "Load older" carry as open mode's carry the
// identity cookie.

// loadPassword is every simulated account's password: hxchat wants at
// least 10 characters.
const loadPassword = "load-password-not-secret"

// adminName is the first account's display name; the people are
// personName(i).
const adminName = "load-admin"

func personName(i int) string  { return "load-p" + strconv.Itoa(i) }
func personEmail(i int) string { return "p" + strconv.Itoa(i) + "@load.invalid" }

// inviteLink finds the invitation code in /admin's invitation field.
var inviteLink = regexp.MustCompile(`value="[^"]*/join/([A-Za-z0-9_-]+)"`)

// setUpAccounts creates the first account as admin, through the setup
// link the started server logged, and returns the invitation code shown
// on /admin.
func (r *run) setUpAccounts(ctx context.Context, admin *person) (string, error) {
	link, err := r.srv.setupLink(ctx)
	if err != nil {
		return "", fmt.Errorf("setup link: %w", err)
	}
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		return "", fmt.Errorf("setup link %q: no token", link)
	}
	r.logf("setting up the first account through the setup link")
	_, err = admin.submit(ctx, r.base, "/setup?token="+url.QueryEscape(u.Query().Get("token")), url.Values{
		"name": {adminName}, "email": {"admin@load.invalid"}, "password": {loadPassword},
	})
	if err != nil {
		return "", fmt.Errorf("setup: %w", err)
	}
	page, err := admin.get(ctx, r.base.String()+"/admin")
	if err != nil {
		return "", fmt.Errorf("admin page: %w", err)
	}
	code, err := parseInvitation(page)
	if err != nil {
		return "", fmt.Errorf("admin page: %w", err)
	}
	return code, nil
}

// parseInvitation reads the invitation code off the admin page.
func parseInvitation(page []byte) (string, error) {
	m := inviteLink.FindSubmatch(page)
	if m == nil {
		return "", errors.New("no invitation link")
	}
	return string(m[1]), nil
}

// signupResult is what the signups measured.
type signupResult struct {
	// Accounts is how many people signed up, Failed how many could not.
	Accounts, Failed int
	// Took is the whole phase; Each the time of one signup (the form's
	// page and its post), which includes its wait for the server's
	// password hashing.
	Took time.Duration
	Each quantiles
}

// rate is the signups a second over the phase.
func (s *signupResult) rate() float64 {
	return float64(s.Accounts) / max(s.Took.Seconds(), 1e-9)
}

// signUp gives every simulated person an account through the
// invitation, at most SignupConcurrency at once. A failed signup is an
// error of the run; the person's page then fails to load too.
func (r *run) signUp(ctx context.Context, code string, res *result) error {
	r.logf("signing up %d people, %d at once", len(r.clients), r.opt.SignupConcurrency)
	each := newLatency()
	var failed atomic.Int64
	began := time.Now()
	r.parallel(ctx, r.opt.SignupConcurrency, r.clients, func(c *client) {
		t0 := time.Now()
		_, err := c.who.submit(ctx, c.base, "/join/"+code, url.Values{
			"name": {personName(c.id)}, "email": {personEmail(c.id)}, "password": {loadPassword},
		})
		if err != nil {
			failed.Add(1)
			if ctx.Err() == nil {
				r.errs.add("conn %d: sign up: %v", c.id, err)
			}
			return
		}
		each.record(c.id, time.Since(t0))
	})
	s := &signupResult{Failed: int(failed.Load()), Took: time.Since(began), Each: each.summary()}
	s.Accounts = len(r.clients) - s.Failed
	res.Signup = s
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if s.Accounts == 0 {
		return fmt.Errorf("no one could sign up: %v", r.errs.samples())
	}
	r.logf("%d people signed up in %v (%.1f/s)", s.Accounts, s.Took.Round(time.Millisecond), s.rate())
	return nil
}

// makeTokens gives the person of every STOMP client a personal access
// token, made on /account/tokens as its owner makes one, which the
// client signs in with (-stomp-auth). The tokens are made after the
// signups, untimed: a token costs a SHA-256, not a password hash.
func (r *run) makeTokens(ctx context.Context) error {
	var cs []*client
	for _, c := range r.clients {
		if c.kind == kindSTOMP {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	r.logf("making an access token for each of %d STOMP clients", len(cs))
	var made atomic.Int64
	r.parallel(ctx, r.opt.SignupConcurrency, cs, func(c *client) {
		secret, err := c.who.createToken(ctx, c.base, "load")
		if err != nil {
			if ctx.Err() == nil {
				r.errs.add("conn %d: access token: %v", c.id, err)
			}
			return
		}
		c.secret = secret
		made.Add(1)
	})
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if made.Load() == 0 {
		return fmt.Errorf("no STOMP client got an access token: %v", r.errs.samples())
	}
	return nil
}

// newTokenSecret finds the secret /account/tokens shows once, just
// after a token is made.
var newTokenSecret = regexp.MustCompile(`<code id="new-token"[^>]*>\s*([^<\s]+)\s*</code>`)

// createToken makes an access token named name on /account/tokens, as a
// person does there (the page's form, with its csrf token), and returns
// the secret the answer shows.
func (p *person) createToken(ctx context.Context, base *url.URL, name string) (string, error) {
	page, err := p.get(ctx, base.String()+"/account/tokens")
	if err != nil {
		return "", err
	}
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		return "", errors.New("GET /account/tokens: no form with a csrf token")
	}
	form := url.Values{"name": {name}, "_csrf": {html.UnescapeString(string(m[1]))}}
	_, body, err := p.send(ctx, base, "/account/tokens", form, http.StatusOK)
	if err != nil {
		return "", err
	}
	s := newTokenSecret.FindSubmatch(body)
	if s == nil {
		return "", errors.New("POST /account/tokens: the answer shows no new token")
	}
	return html.UnescapeString(string(s[1])), nil
}
