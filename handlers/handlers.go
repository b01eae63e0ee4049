// Package handlers is hxchat's HTTP surface: Echo routes for the pages,
// the forms and the websocket endpoint. Handlers are thin: they read the
// request, call chat.Service, and render a views component.
package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/static"
	"hxchat/views"
)

// Config is what the handlers need besides the service and the hub.
type Config struct {
	// Secret signs the identity cookie; at least 32 bytes.
	Secret []byte
	// AllowedOrigins lists the origins ("https://chat.example.com") whose
	// pages may open websockets besides the server's own.
	AllowedOrigins []string
	// Token returns a new, unguessable form token (default: 16 random
	// bytes, base64url).
	Token func() string
	// Ready are the dependencies /readyz checks, in the order it lists
	// them.
	Ready []Check
	// StaticDir, when set, serves /static from this directory instead of
	// the embedded files, so that rebuilt CSS shows without a restart.
	StaticDir string
	// PageSize is how many messages a page shows (default 50).
	PageSize int
	// Dev serves the component gallery at /dev/gallery; off, that
	// address is a 404 like any other unknown page.
	Dev bool
	// Open is open mode: anonymous people with numbered names in a signed
	// cookie, no accounts and no admin pages.
	Open bool
	// TrustedProxies are the networks (CIDR) of load balancers whose
	// X-Forwarded-For names the client. Without them a request's client
	// is the address it came from.
	TrustedProxies []string
	// SSEFormat is the hub format of the encoder the hub was given for
	// event streams (SSEEncoder's index among hub.New's encoders).
	SSEFormat hub.Format
}

// MaxBody is the largest request body read: a form holds at most a room
// or display name, far below it. A bigger body is refused (413) before
// anything parses it.
const MaxBody = "64K"

// Check is one dependency that /readyz reports on.
type Check struct {
	// Name is how /readyz lists the dependency ("store", "broker").
	Name string
	// Ping returns nil when the dependency works.
	Ping func(context.Context) error
}

// Handler serves hxchat over HTTP.
type Handler struct {
	log     *slog.Logger
	svc     *chat.Service
	hub     *hub.Hub
	cfg     Config
	cookies *identity
	// proxies are TrustedProxies, parsed.
	proxies []*net.IPNet
}

// New returns the handlers for svc and hub.
func New(log *slog.Logger, svc *chat.Service, h *hub.Hub, cfg Config) (*Handler, error) {
	if cfg.Token == nil {
		cfg.Token = randomToken
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	id, err := newIdentity(cfg.Secret)
	if err != nil {
		return nil, err
	}
	var proxies []*net.IPNet
	for _, cidr := range cfg.TrustedProxies {
		if _, n, err := net.ParseCIDR(cidr); err == nil {
			proxies = append(proxies, n)
		}
	}
	return &Handler{log: log, svc: svc, hub: h, cfg: cfg, cookies: id, proxies: proxies}, nil
}

// contentSecurityPolicy allows only the server's own scripts, styles and
// sockets: no inline script, no eval.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// Register installs the middleware, the error handler and every route on
// e.
func (h *Handler) Register(e *echo.Echo) {
	e.HTTPErrorHandler = h.handleError
	e.IPExtractor = clientAddress(h.proxies)
	e.Use(
		middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
			LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogError: true,
			HandleError: true,
			LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
				level := slog.LevelInfo
				if v.Status >= 500 {
					level = slog.LevelError
				}
				h.log.LogAttrs(c.Request().Context(), level, "request",
					slog.String("method", v.Method), slog.String("uri", v.URI),
					slog.Int("status", v.Status), slog.Duration("latency", v.Latency))
				return nil
			},
		}),
		middleware.Recover(),
		middleware.SecureWithConfig(middleware.SecureConfig{
			XSSProtection:         "0",
			ContentTypeNosniff:    "nosniff",
			XFrameOptions:         "DENY",
			ReferrerPolicy:        "same-origin",
			ContentSecurityPolicy: contentSecurityPolicy,
		}),
		middleware.BodyLimit(MaxBody),
	)

	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	h.serveStatic(e, static.FS)

	if h.cfg.Dev {
		e.GET("/dev/gallery", h.gallery)
		e.GET("/dev/gallery/:name", h.gallerySample)
	}

	app := e.Group("", tokenNotInAddress, h.csrf())
	if h.cfg.Open {
		h.registerOpen(app)
		return
	}
	h.registerAccounts(app)
}

// registerOpen installs the routes of open mode. identify is on each
// route rather than the group, so that an address with no page (which
// the group answers too) gives nobody an identity.
func (h *Handler) registerOpen(app *echo.Group) {
	app.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/chat/rooms") })
	app.GET("/chat/rooms", h.rooms, h.recognize)
	app.POST("/chat/rooms", h.createRoom, h.identify)
	app.GET("/chat/rooms/:id", h.room, h.identify)
	app.GET("/chat/rooms/:id/messages", h.older, h.identify)
	app.POST("/chat/rooms/:id/messages", h.post, h.identify)
	app.GET("/sse/chat", h.stream, h.identify)
	app.POST("/me/name", h.rename, h.identify)
	app.GET("/ws/chat", h.socket, h.identify)
}

// registerAccounts installs the routes of accounts mode: until the first
// account exists every page leads to /setup; after that, everything but
// signing in, joining and resetting a password needs a session.
func (h *Handler) registerAccounts(app *echo.Group) {
	app.GET("/setup", h.setup)
	app.POST("/setup", h.createFirst)

	open := app.Group("", h.awaitSetup)
	open.GET("/login", h.loginPage)
	open.POST("/login", h.login)
	open.GET("/join/:code", h.joinPage)
	open.POST("/join/:code", h.join)
	open.GET("/reset/:token", h.resetPage)
	open.POST("/reset/:token", h.reset)

	in := open.Group("", h.signedIn)
	in.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/chat/rooms") })
	in.POST("/logout", h.logout)
	in.GET("/chat/rooms", h.rooms)
	in.POST("/chat/rooms", h.createRoom)
	in.GET("/chat/rooms/:id", h.room)
	in.GET("/chat/rooms/:id/messages", h.older)
	in.POST("/chat/rooms/:id/messages", h.post)
	in.GET("/sse/chat", h.stream)
	in.GET("/ws/chat", h.socket)
	in.GET("/chat/rooms/:id/members", h.members)
	in.POST("/chat/rooms/:id/members", h.addMember)
	in.POST("/chat/rooms/:id/members/:user/remove", h.removeMember)
	in.POST("/me/name", h.rename)
	in.GET("/people", h.people)
	in.POST("/people/:id/message", h.message)
	in.GET("/account", h.accountPage)
	in.POST("/account/password", h.changePassword)
	in.POST("/account/sessions/end", h.endAllSessions)
	in.POST("/account/sessions/:id/end", h.endSession)
	in.GET("/account/tokens", h.tokensPage)
	in.POST("/account/tokens", h.createToken)
	in.POST("/account/tokens/:id/revoke", h.revokeToken)

	admin := in.Group("/admin", adminOnly)
	admin.GET("", h.adminPage)
	admin.POST("/invitation", h.resetInvitation)
	admin.POST("/people/:id/deactivate", h.adminPerson(h.deactivate))
	admin.POST("/people/:id/reactivate", h.adminPerson(h.reactivate))
	admin.POST("/people/:id/admin", h.adminPerson(h.makeAdmin))
	admin.POST("/people/:id/member", h.adminPerson(h.removeAdmin))
	admin.POST("/people/:id/reset", h.resetLink)
	admin.POST("/rooms/:id/rename", h.renameRoom)
	admin.POST("/rooms/:id/archive", h.archiveRoom)
	admin.POST("/rooms/:id/restore", h.restoreRoom)
}

// csrf checks the anti-forgery token of every form. Over HTTPS its
// cookie carries the __Host- prefix, as the session's does, so that no
// other host of the same site can plant a token of its choosing.
func (h *Handler) csrf() echo.MiddlewareFunc {
	config := func(name string, secure bool) echo.MiddlewareFunc {
		return middleware.CSRFWithConfig(middleware.CSRFConfig{
			TokenLookup:    "form:_csrf",
			CookieName:     name,
			CookiePath:     "/",
			CookieHTTPOnly: true,
			CookieSecure:   secure,
			CookieSameSite: http.SameSiteLaxMode,
			// A missing token is as forbidden as a wrong one.
			ErrorHandler: func(error, echo.Context) error { return chat.Fail(chat.CrossSite) },
		})
	}
	plain, secure := config("hxchat_csrf", false), config("__Host-hxchat_csrf", true)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		plainNext, secureNext := plain(next), secure(next)
		return func(c echo.Context) error {
			if h.secure(c) {
				return secureNext(c)
			}
			return plainNext(c)
		}
	}
}

// ServeMetrics serves metrics at /metrics on e, to requests from this
// machine only that no proxy forwarded: behind a load balancer on the same
// host every request comes from loopback, but carries its client in a
// forwarding header.
func (h *Handler) ServeMetrics(e *echo.Echo, metrics http.Handler) {
	e.GET("/metrics", func(c echo.Context) error {
		r := c.Request()
		addr, err := netip.ParseAddrPort(r.RemoteAddr)
		forwarded := r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != ""
		if err != nil || !addr.Addr().IsLoopback() || forwarded {
			return echo.ErrNotFound
		}
		metrics.ServeHTTP(c.Response(), r)
		return nil
	})
}

// clientAddress is how a request's client address is found: the address
// the request came from or, when that is one of the trusted proxies, the
// nearest untrusted address in its X-Forwarded-For.
func clientAddress(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// tokenNotInAddress refuses a request that carries the anti-forgery token
// in its address, where logs, histories and Referer headers would keep
// it: the token belongs in the form's body.
func tokenNotInAddress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.QueryParams().Has("_csrf") {
			return chat.Fail(chat.CrossSite)
		}
		return next(c)
	}
}

// render writes component with status, rendering into a buffer first so
// that a failed render becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, component templ.Component) error {
	var buf bytes.Buffer
	if err := component.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// handleError renders the error page for any failed request and logs
// only what is the server's fault.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		status = he.Code
	} else if code := chat.ErrorCode(err); code != chat.Internal {
		status = statusOf(code)
	}
	if status >= 500 {
		h.log.Error("request failed", "method", c.Request().Method, "uri", c.Request().RequestURI, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	page := views.ErrorPage{Layout: h.layout(c, ""), Status: status, Err: err}
	if rerr := render(c, status, views.Error(page)); rerr != nil {
		h.log.Error("render error page", "err", rerr)
		_ = c.NoContent(status)
	}
}

// statusOf maps a domain error code to an HTTP status.
func statusOf(code chat.Code) int {
	switch code {
	case chat.Invalid:
		return http.StatusUnprocessableEntity
	case chat.Conflict:
		return http.StatusConflict
	case chat.NotFound:
		return http.StatusNotFound
	case chat.Forbidden:
		return http.StatusForbidden
	case chat.Unauthenticated:
		return http.StatusUnauthorized
	case chat.TooMany:
		return http.StatusTooManyRequests
	case chat.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// layout fills what every page needs.
func (h *Handler) layout(c echo.Context, title string) views.Layout {
	u, _ := c.Get(userKey).(chat.User)
	csrf, _ := c.Get("csrf").(string)
	a, signedIn := c.Get(accountKey).(chat.Account)
	return views.Layout{Title: title, Me: u, CSRF: csrf, SignedIn: signedIn, Admin: a.Admin}
}

// isHTMX reports whether htmx sent the request.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// idParam parses the :id path parameter; anything but a positive number
// is a room that does not exist.
func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, chat.Fail(chat.NoRoom)
	}
	return id, nil
}

// randomToken returns 16 random bytes as base64url.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// healthz says the process is up.
func (h *Handler) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// readyz checks every dependency and says which are down.
func (h *Handler) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status, body := http.StatusOK, ""
	for _, check := range h.cfg.Ready {
		if err := check.Ping(ctx); err != nil {
			status = http.StatusServiceUnavailable
			body += check.Name + ": " + err.Error() + "\n"
			continue
		}
		body += check.Name + ": ok\n"
	}
	return c.String(status, body)
}
