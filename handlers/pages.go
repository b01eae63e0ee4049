package handlers

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/views"
)

// rooms lists the rooms.
func (h *Handler) rooms(c echo.Context) error {
	return h.renderRooms(c, http.StatusOK, views.RoomForm{}, views.NameForm{})
}

// renderRooms renders the room list with its two forms as given; an
// empty name form shows the viewer's name.
func (h *Handler) renderRooms(c echo.Context, status int, form views.RoomForm, name views.NameForm) error {
	rooms, err := h.svc.Rooms(c.Request().Context())
	if err != nil {
		return err
	}
	l := h.layout(c, "Rooms")
	form.CSRF, name.CSRF = l.CSRF, l.CSRF
	if name.Name == "" && name.Err == nil {
		name.Name = l.Me.Name
	}
	return render(c, status, views.Rooms(views.RoomsPage{
		Layout:   l,
		Rooms:    rooms,
		Form:     form,
		NameForm: name,
	}))
}

// createRoom creates a room and goes there; a refused name comes back
// with its error and what was typed.
func (h *Handler) createRoom(c echo.Context) error {
	name := c.FormValue("name")
	r, err := h.svc.CreateRoom(c.Request().Context(), clientKey(c), name)
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.Conflict || code == chat.TooMany {
		form := views.RoomForm{Name: name, Err: err}
		if isHTMX(c) {
			form.CSRF = h.layout(c, "").CSRF
			return render(c, formStatus(err), views.RoomFormView(form))
		}
		return h.renderRooms(c, formStatus(err), form, views.NameForm{})
	} else if err != nil {
		return err
	}
	return redirect(c, "/chat/rooms/"+strconv.FormatInt(r.ID, 10))
}

// room shows a room with its newest messages.
func (h *Handler) room(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.svc.Room(ctx, id)
	if err != nil {
		return err
	}
	page, err := h.svc.History(ctx, id, 0, h.cfg.PageSize)
	if err != nil {
		return err
	}
	l := h.layout(c, r.Name)
	online := h.hub.Online(id)
	shown := online[:min(len(online), chat.MaxOnlineShown)]
	return render(c, http.StatusOK, views.Room(views.RoomPage{
		Layout:       l,
		Room:         r,
		Page:         page,
		Online:       shown,
		OnlineHidden: len(online) - len(shown),
		Send:         views.SendForm{Room: id, Token: h.cfg.Token()},
		NameForm:     views.NameForm{CSRF: l.CSRF, Name: l.Me.Name},
	}))
}

// older answers "Load older" with the page before ?before=.
func (h *Handler) older(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	before, err := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	if err != nil || before <= 0 {
		return chat.Fail(chat.OutOfRange, chat.FieldBefore)
	}
	ctx := c.Request().Context()
	if _, err := h.svc.Room(ctx, id); err != nil {
		return err
	}
	page, err := h.svc.History(ctx, id, before, h.cfg.PageSize)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Older(id, page))
}

// rename changes the viewer's display name and re-signs their cookie.
func (h *Handler) rename(c echo.Context) error {
	name := c.FormValue("name")
	u, err := h.svc.Rename(c.Request().Context(), user(c), name)
	csrf := h.layout(c, "").CSRF
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.Conflict || code == chat.TooMany {
		form := views.NameForm{CSRF: csrf, Name: name, Err: err}
		if !isHTMX(c) {
			return h.renderRooms(c, formStatus(err), views.RoomForm{}, form)
		}
		return render(c, formStatus(err), views.NameFormView(form))
	} else if err != nil {
		return err
	}
	if err := h.cookies.write(c, u); err != nil {
		return err
	}
	c.Set(userKey, u)
	h.hub.Rename(u)
	if !isHTMX(c) {
		return redirect(c, safeBack(c))
	}
	return render(c, http.StatusOK, views.Renamed(views.NameForm{CSRF: csrf, Name: u.Name, Saved: true}, u))
}

// formStatus is the status of a form sent back with its error: 429 for
// a limit, 422 for a value refused.
func formStatus(err error) int {
	if chat.ErrorCode(err) == chat.TooMany {
		return http.StatusTooManyRequests
	}
	return http.StatusUnprocessableEntity
}

// clientKey is the key the limits of an anonymous person are kept under:
// their client address, since a new cookie makes a new person.
func clientKey(c echo.Context) string { return "addr:" + clientNetwork(c.RealIP()) }

// clientNetwork is the part of a client address one client holds: an
// IPv4 address, or an IPv6 /64, since a host is handed a whole /64 and
// picks addresses from it at will.
func clientNetwork(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Is4() || ip.Is4In6() {
		return addr
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// redirect sends the browser to url: with HX-Redirect for htmx, 303 for
// a plain form.
func redirect(c echo.Context, url string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// safeBack is the page a plain form came from, when it is one of ours.
func safeBack(c echo.Context) string {
	if ref := c.Request().Referer(); ref != "" {
		if u, err := c.Request().URL.Parse(ref); err == nil && u.Host == c.Request().Host {
			return u.RequestURI()
		}
	}
	return "/chat/rooms"
}

// member is who opens a websocket to room.
func member(c echo.Context, room int64) hub.Member {
	return hub.Member{Room: room, User: user(c)}
}
