package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/views"
)

// sessionMaxAge is how long the browser keeps the session cookie; the
// server ends an unused session after the same time.
const sessionMaxAge = chat.SessionIdle

// awaitSetup sends every page to /setup until the first account exists.
func (h *Handler) awaitSetup(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		pending, err := h.svc.NeedsSetup(c.Request().Context())
		if err != nil {
			return err
		}
		if pending {
			return redirect(c, "/setup")
		}
		return next(c)
	}
}

// setup shows the setup form to the holder of the setup token, and to
// everyone else where to find it.
func (h *Handler) setup(c echo.Context) error {
	ctx := c.Request().Context()
	pending, err := h.svc.NeedsSetup(ctx)
	if err != nil {
		return err
	}
	if !pending {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	l := h.layout(c, "Set up hxchat")
	tok := c.QueryParam("token")
	if tok == "" {
		return render(c, http.StatusOK, views.Setup(views.SetupPage{Layout: l}))
	}
	if err := h.svc.CheckSetup(ctx, tok); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Setup(views.SetupPage{Layout: l, Form: &views.AccountForm{
		CSRF: l.CSRF, Action: "/setup?token=" + tok,
	}}))
}

// createFirst creates the first account from the setup form.
func (h *Handler) createFirst(c echo.Context) error {
	creds := credentials(c)
	_, tok, err := h.svc.Setup(c.Request().Context(), c.QueryParam("token"), creds)
	if chat.ErrorCode(err) == chat.Invalid || chat.ErrorCode(err) == chat.Conflict && chat.AsError(err).Reason == chat.Taken {
		l := h.layout(c, "Set up hxchat")
		return render(c, formStatus(err), views.Setup(views.SetupPage{Layout: l, Form: &views.AccountForm{
			CSRF: l.CSRF, Action: "/setup?token=" + c.QueryParam("token"), Name: creds.Name, Email: creds.Email, Err: err,
		}}))
	} else if err != nil {
		return err
	}
	h.setSession(c, tok)
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// credentials reads the fields of an account or sign-in form.
func credentials(c echo.Context) chat.Credentials {
	return chat.Credentials{
		Name: c.FormValue("name"), Email: c.FormValue("email"), Password: c.FormValue("password"),
		Device: c.Request().UserAgent(),
	}
}

// loginPage shows the sign-in form.
func (h *Handler) loginPage(c echo.Context) error {
	if a, _, err := h.svc.Authenticate(c.Request().Context(), h.sessionToken(c)); err == nil && a.ID != 0 {
		return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
	}
	l := h.layout(c, "Sign in")
	return render(c, http.StatusOK, views.Login(views.LoginPage{
		Layout: l, Next: localPath(c.QueryParam("next")), SignedOut: c.QueryParam("signed_out") != "",
	}))
}

// login signs in with an email and password.
func (h *Handler) login(c echo.Context) error {
	creds := credentials(c)
	next := localPath(c.FormValue("next"))
	_, tok, err := h.svc.SignIn(c.Request().Context(), creds, clientNetwork(c.RealIP()))
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.TooMany {
		if code == chat.TooMany {
			c.Response().Header().Set("Retry-After", retryAfter(err))
		}
		l := h.layout(c, "Sign in")
		return render(c, formStatus(err), views.Login(views.LoginPage{Layout: l, Email: creds.Email, Next: next, Err: err}))
	} else if err != nil {
		return err
	}
	h.setSession(c, tok)
	return c.Redirect(http.StatusSeeOther, next)
}

// retryAfter is a Retry-After header value for a TooManySignIns error.
func retryAfter(err error) string {
	secs := 1
	if e := chat.AsError(err); e != nil && e.Wait > 0 {
		secs = int(e.Wait.Seconds()) + 1
	}
	return strconv.Itoa(secs)
}

// logout ends the request's session and its live connections.
func (h *Handler) logout(c echo.Context) error {
	if err := h.svc.SignOut(c.Request().Context(), account(c), sessionID(c)); err != nil {
		return err
	}
	h.clearSession(c)
	return redirect(c, "/login?signed_out=1")
}

// joinPage shows the invitation's account form.
func (h *Handler) joinPage(c echo.Context) error {
	code := c.Param("code")
	if err := h.svc.CheckInvitation(c.Request().Context(), code); err != nil {
		return err
	}
	l := h.layout(c, "Join hxchat")
	return render(c, http.StatusOK, views.Join(views.JoinPage{Layout: l, Form: views.AccountForm{CSRF: l.CSRF, Action: "/join/" + code}}))
}

// join creates an account with an invitation.
func (h *Handler) join(c echo.Context) error {
	code := c.Param("code")
	creds := credentials(c)
	_, tok, err := h.svc.Join(c.Request().Context(), code, creds)
	if chat.ErrorCode(err) == chat.Invalid || chat.ErrorCode(err) == chat.Conflict {
		l := h.layout(c, "Join hxchat")
		return render(c, formStatus(err), views.Join(views.JoinPage{Layout: l, Form: views.AccountForm{
			CSRF: l.CSRF, Action: "/join/" + code, Name: creds.Name, Email: creds.Email, Err: err,
		}}))
	} else if err != nil {
		return err
	}
	h.setSession(c, tok)
	return c.Redirect(http.StatusSeeOther, "/chat/rooms")
}

// resetPage shows the form that sets a new password with a reset link.
func (h *Handler) resetPage(c echo.Context) error {
	p, err := h.svc.CheckReset(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	l := h.layout(c, "Choose a new password")
	return render(c, http.StatusOK, views.Reset(views.ResetPage{Layout: l, Action: "/reset/" + c.Param("token"), Person: p.User}))
}

// reset sets a new password with a reset link and signs in.
func (h *Handler) reset(c echo.Context) error {
	_, tok, err := h.svc.Reset(c.Request().Context(), c.Param("token"), c.FormValue("password"), c.Request().UserAgent())
	if chat.ErrorCode(err) == chat.Invalid {
		l := h.layout(c, "Choose a new password")
		return render(c, formStatus(err), views.Reset(views.ResetPage{Layout: l, Action: "/reset/" + c.Param("token"), Err: err}))
	} else if err != nil {
		return err
	}
	h.setSession(c, tok)
	return c.Redirect(http.StatusSeeOther, "/chat/rooms")
}
