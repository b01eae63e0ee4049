package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"hxchat/chat"
)

const (
	// cookieName is the identity cookie.
	cookieName = "hxchat_id"
	// cookieMaxAge keeps people recognised for a year of not visiting.
	cookieMaxAge = 365 * 24 * time.Hour
	// userKey is where identify leaves the chat.User in the Echo context.
	userKey = "user"
)

// identity signs and checks the cookie that says who a browser is.
type identity struct {
	codec *securecookie.SecureCookie
}

// newIdentity returns an identity signing with secret (HMAC-SHA256).
func newIdentity(secret []byte) (*identity, error) {
	if len(secret) < 32 {
		return nil, errors.New("handlers: the cookie secret must be at least 32 bytes")
	}
	codec := securecookie.New(secret, nil)
	codec.MaxAge(int(cookieMaxAge.Seconds()))
	codec.SetSerializer(securecookie.JSONEncoder{})
	return &identity{codec: codec}, nil
}

// cookieValue is what the identity cookie carries.
type cookieValue struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// read returns the user a request's cookie names, if it carries a valid
// one.
func (id *identity) read(r *http.Request) (chat.User, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return chat.User{}, false
	}
	var v cookieValue
	if err := id.codec.Decode(cookieName, c.Value, &v); err != nil || v.ID <= 0 {
		return chat.User{}, false
	}
	return chat.User{ID: v.ID, Name: v.Name}, true
}

// write sets the cookie naming u.
func (id *identity) write(c echo.Context, u chat.User) error {
	value, err := id.codec.Encode(cookieName, cookieValue{ID: u.ID, Name: u.Name})
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name:     cookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   int(cookieMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   c.Scheme() == "https",
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// identify makes sure every request has a user: the one its cookie names
// or, on a first visit, a new member with a fresh cookie.
func (h *Handler) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, ok := h.cookies.read(c.Request())
		if !ok {
			if err := h.svc.AllowNewPerson(clientNetwork(c.RealIP())); err != nil {
				return err
			}
			var err error
			if u, err = h.svc.NewUser(c.Request().Context()); err != nil {
				return err
			}
			if err := h.cookies.write(c, u); err != nil {
				return err
			}
		}
		c.Set(userKey, u)
		return next(c)
	}
}

// recognize, in open mode, names the request's user when its cookie
// does, and gives nobody an identity: a page that only shows (the room
// list) creates no one.
func (h *Handler) recognize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u, ok := h.cookies.read(c.Request()); ok {
			c.Set(userKey, u)
		}
		return next(c)
	}
}

// user returns the request's user, set by identify.
func user(c echo.Context) chat.User {
	u, _ := c.Get(userKey).(chat.User)
	return u
}
