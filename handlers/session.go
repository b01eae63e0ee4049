package handlers

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
)

// The session cookie. Over HTTPS it carries the __Host- prefix, which
// browsers accept only from a secure origin, for the whole site, with no
// Domain: no subdomain and no plain-HTTP page can set or shadow it.
const (
	sessionCookie       = "hxchat_session"
	secureSessionCookie = "__Host-hxchat_session"
	// accountKey and sessionKey are where signedIn leaves the account
	// and the session ID in the Echo context.
	accountKey = "account"
	sessionKey = "session"
)

// secure reports whether the browser reached the server over HTTPS: the
// connection is TLS, or a trusted proxy says it took the request over
// HTTPS. A client's own X-Forwarded-Proto is not believed.
func (h *Handler) secure(c echo.Context) bool {
	r := c.Request()
	if r.TLS != nil {
		return true
	}
	if !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	return h.trusted(net.ParseIP(host))
}

// trusted reports whether ip is one of the trusted proxies.
func (h *Handler) trusted(ip net.IP) bool {
	for _, n := range h.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// sessionName is the name of the session cookie for the request's
// scheme.
func (h *Handler) sessionName(c echo.Context) string {
	if h.secure(c) {
		return secureSessionCookie
	}
	return sessionCookie
}

// sessionToken returns the session token the request carries, if any.
// Over HTTPS only the __Host- cookie counts: one without the prefix may
// have been set by another subdomain or a forged plain-HTTP answer, and
// would sign the browser in to whatever session its setter chose.
func (h *Handler) sessionToken(c echo.Context) string {
	if k, err := c.Request().Cookie(h.sessionName(c)); err == nil {
		return k.Value
	}
	return ""
}

// setSession gives the browser its session token: HttpOnly, so no script
// reads it; SameSite=Lax, so no other site's form sends it; a browser
// session's lifetime is the server's to end, so no expiry is set beyond
// what the server keeps.
func (h *Handler) setSession(c echo.Context, tok string) {
	c.SetCookie(&http.Cookie{
		Name: h.sessionName(c), Value: tok, Path: "/", MaxAge: int(sessionMaxAge.Seconds()),
		HttpOnly: true, Secure: h.secure(c), SameSite: http.SameSiteLaxMode,
	})
}

// clearSession deletes the session cookie from the browser.
func (h *Handler) clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: h.sessionName(c), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure(c), SameSite: http.SameSiteLaxMode,
	})
}

// signedIn lets through requests with a live session and sends the rest
// to /login, coming back to where they were going once signed in.
func (h *Handler) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, sess, err := h.svc.Authenticate(c.Request().Context(), h.sessionToken(c))
		if chat.ErrorCode(err) == chat.Unauthenticated {
			if h.sessionToken(c) != "" {
				h.clearSession(c)
			}
			return h.toLogin(c)
		} else if err != nil {
			return err
		}
		c.Set(accountKey, a)
		c.Set(sessionKey, sess.ID)
		c.Set(userKey, a.User)
		return next(c)
	}
}

// toLogin answers a request that needs a session: a page goes to /login
// and back; anything else (htmx, a form, "Load older") is told 401 and,
// for htmx, redirected.
func (h *Handler) toLogin(c echo.Context) error {
	r := c.Request()
	if c.IsWebSocket() {
		if h.sessionToken(c) != "" {
			// A page whose session ended: it shows why and does not
			// reconnect.
			return h.refuse(c, chat.Fail(chat.SignedOut))
		}
		return chat.Fail(chat.SignedOut)
	}
	if isEventStream(c) {
		if h.sessionToken(c) != "" {
			// As for a socket: the page shows why, and stops trying.
			return h.refuseStream(c, chat.Fail(chat.SignedOut))
		}
		return chat.Fail(chat.SignedOut)
	}
	login := "/login"
	if r.Method == http.MethodGet && !isHTMX(c) {
		login += "?next=" + url.QueryEscape(r.URL.RequestURI())
		return c.Redirect(http.StatusSeeOther, login)
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", login)
	}
	return chat.Fail(chat.SignedOut)
}

// account returns the request's account, set by signedIn; in open mode
// the anonymous person, as an account without email.
func account(c echo.Context) chat.Account {
	if a, ok := c.Get(accountKey).(chat.Account); ok {
		return a
	}
	return chat.Account{User: user(c)}
}

// sessionID returns the request's session ID, set by signedIn.
func sessionID(c echo.Context) string {
	s, _ := c.Get(sessionKey).(string)
	return s
}

// localPath returns next when it is a path on this server, else the room
// list: a sign-in link must not send anyone elsewhere.
func localPath(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/chat/rooms"
	}
	return next
}
