package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/views"
)

// post stores a message sent without the websocket: by htmx's POST from
// a page in compatibility mode, or by the browser itself from a page
// without script. The message reaches every page, the sender's too,
// through the hub; the answer is the sender's alone. A resend of the same
// form with the same text finds the message stored the first time.
func (h *Handler) post(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.svc.Enter(ctx, account(c), id)
	if err != nil {
		return err
	}
	body, token := c.FormValue("body"), c.FormValue("token")
	if r.Archived {
		err = chat.Fail(chat.Archived)
	} else {
		_, _, err = h.svc.Post(ctx, chat.Post{Room: id, Author: user(c), Body: body, Token: token})
	}
	switch code := chat.ErrorCode(err); {
	case code == "":
		if isHTMX(c) {
			return render(c, http.StatusOK, views.Sent(views.SendForm{
				Room: id, Token: h.cfg.Token(), CSRF: h.layout(c, "").CSRF, Transport: views.TransportSSE,
			}))
		}
		return c.Redirect(http.StatusSeeOther, "/chat/rooms/"+strconv.FormatInt(id, 10))
	case code == chat.Internal:
		return err
	case isHTMX(c):
		// The form, and the text in it, stay as they are.
		return render(c, formStatus(err), views.SendFailed(err))
	}
	// The page again, with the alert and the text typed, in the same form:
	// sent again unchanged, it is stored once.
	return h.renderRoom(c, formStatus(err), id, 0, views.SendForm{Token: token, Body: body, Err: err})
}

// transportCookie keeps a browser's choice of compatibility mode.
const transportCookie = "hxchat_transport"

// transport is how the room page should get its live updates: as
// ?transport= says, which the browser then keeps in a cookie, or as the
// cookie says.
func (h *Handler) transport(c echo.Context) views.Transport {
	cookie := func(value string, maxAge time.Duration) {
		c.SetCookie(&http.Cookie{
			Name: transportCookie, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
			HttpOnly: true, Secure: h.secure(c), SameSite: http.SameSiteLaxMode,
		})
	}
	switch views.Transport(c.QueryParam("transport")) {
	case views.TransportSSE:
		cookie(string(views.TransportSSE), 365*24*time.Hour)
		return views.TransportSSE
	case views.TransportWS:
		if _, err := c.Cookie(transportCookie); err == nil {
			cookie("", -time.Second)
		}
		return views.TransportWS
	}
	if ck, err := c.Cookie(transportCookie); err == nil && views.Transport(ck.Value) == views.TransportSSE {
		return views.TransportSSE
	}
	return views.TransportWS
}
