package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/views"
)

// tokensPage shows the viewer's access tokens and the form that makes
// one.
func (h *Handler) tokensPage(c echo.Context) error {
	return h.renderTokens(c, http.StatusOK, views.TokensPage{})
}

// renderTokens renders /account/tokens over what p holds already (a new
// token's secret, a refused form).
func (h *Handler) renderTokens(c echo.Context, status int, p views.TokensPage) error {
	a := account(c)
	tokens, err := h.svc.Tokens(c.Request().Context(), a)
	if err != nil {
		return err
	}
	p.Layout = h.layout(c, "Access tokens")
	p.Form.CSRF = p.CSRF
	p.Email, p.Tokens = a.Email, tokens
	return render(c, status, views.Tokens(p))
}

// createToken makes a token and shows its secret, this once. The answer
// is not to be kept by the browser or anything between: the page holds
// the secret, and going back to it must not show it again.
func (h *Handler) createToken(c echo.Context) error {
	name := c.FormValue("name")
	t, secret, err := h.svc.CreateToken(c.Request().Context(), account(c), name)
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.TooMany {
		return h.renderTokens(c, formStatus(err), views.TokensPage{Form: views.TokenForm{Name: name, Err: err}})
	} else if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return h.renderTokens(c, http.StatusOK, views.TokensPage{Created: t, Secret: secret})
}

// revokeToken revokes one of the viewer's tokens, closing what it
// opened.
func (h *Handler) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return chat.Fail(chat.NoToken)
	}
	if err := h.svc.RevokeToken(c.Request().Context(), account(c), id); err != nil {
		return err
	}
	return redirect(c, "/account/tokens")
}
