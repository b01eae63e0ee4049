package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/views"
)

// accountPage shows the viewer's account and sessions.
func (h *Handler) accountPage(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, views.PasswordForm{}, views.NameForm{})
}

// renderAccount renders /account with its forms as given.
func (h *Handler) renderAccount(c echo.Context, status int, pw views.PasswordForm, name views.NameForm) error {
	a := account(c)
	sessions, err := h.svc.Sessions(c.Request().Context(), a)
	if err != nil {
		return err
	}
	rows := make([]views.SessionRow, len(sessions))
	for i, s := range sessions {
		rows[i] = views.SessionRow{Session: s, Current: s.ID == sessionID(c)}
	}
	l := h.layout(c, "Your account")
	pw.CSRF, name.CSRF = l.CSRF, l.CSRF
	if name.Name == "" && name.Err == nil {
		name.Name = a.Name
	}
	return render(c, status, views.Account(views.AccountPage{
		Layout: l, Account: a, Sessions: rows, Password: pw, NameForm: name,
	}))
}

// changePassword sets a new password and ends the viewer's other
// sessions.
func (h *Handler) changePassword(c echo.Context) error {
	err := h.svc.ChangePassword(c.Request().Context(), account(c), c.FormValue("current"), c.FormValue("password"), sessionID(c))
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.TooMany {
		return h.renderAccount(c, formStatus(err), views.PasswordForm{Err: err}, views.NameForm{})
	} else if err != nil {
		return err
	}
	return h.renderAccount(c, http.StatusOK, views.PasswordForm{Saved: true}, views.NameForm{})
}

// endSession signs out one of the viewer's sessions.
func (h *Handler) endSession(c echo.Context) error {
	id := c.Param("id")
	if err := h.svc.SignOut(c.Request().Context(), account(c), id); err != nil {
		return err
	}
	if id == sessionID(c) {
		h.clearSession(c)
		return redirect(c, "/login?signed_out=1")
	}
	return redirect(c, "/account")
}

// endAllSessions signs out every session of the viewer, this one too.
func (h *Handler) endAllSessions(c echo.Context) error {
	if err := h.svc.SignOut(c.Request().Context(), account(c)); err != nil {
		return err
	}
	h.clearSession(c)
	return redirect(c, "/login?signed_out=1")
}
