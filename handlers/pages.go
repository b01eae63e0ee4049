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

// roomsPageSize is how many rooms the room list shows at once; "More
// rooms" fetches the next as many.
const roomsPageSize = 50

// directShown is how many direct conversations the room list shows.
const directShown = 50

// rooms lists the rooms; with ?after=ID, the page after that room, as
// list items for htmx or a whole page without it.
func (h *Handler) rooms(c echo.Context) error {
	if isHTMX(c) && c.QueryParam("after") != "" {
		list, err := h.roomList(c)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.RoomListItems(list))
	}
	return h.renderRooms(c, http.StatusOK, views.RoomForm{}, views.NameForm{})
}

// roomList reads the page of rooms that ?after= asks for.
func (h *Handler) roomList(c echo.Context) (views.RoomList, error) {
	afterKey, afterID := h.roomCursor(c, "after")
	rooms, err := h.svc.RoomList(c.Request().Context(), account(c), afterKey, afterID, roomsPageSize+1)
	if err != nil {
		return views.RoomList{}, err
	}
	list := views.RoomList{Rooms: rooms}
	if len(rooms) > roomsPageSize {
		list.Rooms = rooms[:roomsPageSize]
		list.More = "/chat/rooms?after=" + strconv.FormatInt(list.Rooms[roomsPageSize-1].ID, 10)
	}
	return list, nil
}

// roomCursor reads a room list's cursor from the query parameter param:
// the ID of the last room shown, whose name orders what comes next. An
// unknown room starts from the beginning.
func (h *Handler) roomCursor(c echo.Context, param string) (string, int64) {
	id, err := strconv.ParseInt(c.QueryParam(param), 10, 64)
	if err != nil || id <= 0 {
		return "", 0
	}
	r, err := h.svc.Room(c.Request().Context(), id)
	if err != nil {
		return "", 0
	}
	return chat.NameKey(r.Name), r.ID
}

// renderRooms renders the room list with its two forms as given; an
// empty name form shows the viewer's name.
func (h *Handler) renderRooms(c echo.Context, status int, form views.RoomForm, name views.NameForm) error {
	list, err := h.roomList(c)
	if err != nil {
		return err
	}
	direct, err := h.svc.DirectRooms(c.Request().Context(), account(c), directShown)
	if err != nil {
		return err
	}
	l := h.layout(c, "Rooms")
	form.CSRF, name.CSRF = l.CSRF, l.CSRF
	form.Kinds = !h.cfg.Open
	if name.Name == "" && name.Err == nil {
		name.Name = l.Me.Name
	}
	return render(c, status, views.Rooms(views.RoomsPage{
		Layout:   l,
		Rooms:    list,
		Direct:   direct,
		Form:     form,
		NameForm: name,
	}))
}

// limitKey is the key the viewer's limits are kept under: their account
// or, in open mode, their client address, since a new cookie makes a new
// person.
func (h *Handler) limitKey(c echo.Context) string {
	if h.cfg.Open {
		return clientKey(c)
	}
	return chat.PersonKey(account(c).User)
}

// createRoom creates a room and goes there; a refused name comes back
// with its error and what was typed.
func (h *Handler) createRoom(c echo.Context) error {
	name := c.FormValue("name")
	kind := chat.RoomKind(c.FormValue("kind"))
	r, err := h.svc.CreateRoomOf(c.Request().Context(), account(c), h.limitKey(c), name, kind)
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.Conflict || code == chat.TooMany {
		form := views.RoomForm{Name: name, Err: err, Kinds: !h.cfg.Open, Private: kind == chat.RoomPrivate}
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

// room shows a room with its newest messages or, with ?before=SEQ (the
// "Load older" link without script), the page before SEQ. ?transport=
// opens it in compatibility mode (sse) or on the websocket (ws) and keeps
// the choice for the browser.
func (h *Handler) room(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var before int64
	if v := c.QueryParam("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			return chat.Fail(chat.OutOfRange, chat.FieldBefore)
		}
	}
	return h.renderRoom(c, http.StatusOK, id, before, views.SendForm{Token: h.cfg.Token()})
}

// renderRoom renders room id with status, showing the page before
// before (0: the newest) and send as the message form.
func (h *Handler) renderRoom(c echo.Context, status int, id, before int64, send views.SendForm) error {
	ctx := c.Request().Context()
	a := account(c)
	r, err := h.svc.Enter(ctx, a, id)
	if err != nil {
		return err
	}
	page, err := h.svc.History(ctx, id, before, h.cfg.PageSize)
	if err != nil {
		return err
	}
	title := roomTitle(r, a.User)
	l := h.layout(c, title)
	online := h.hub.Online(id)
	shown := online[:min(len(online), chat.MaxOnlineShown)]
	transport := h.transport(c)
	send.Room, send.CSRF, send.Transport = id, l.CSRF, transport
	return render(c, status, views.Room(views.RoomPage{
		Layout:       l,
		Room:         r,
		Page:         page,
		Online:       shown,
		OnlineHidden: len(online) - len(shown),
		Send:         send,
		NameForm:     views.NameForm{CSRF: l.CSRF, Name: l.Me.Name},
		Title:        title,
		Members:      !h.cfg.Open && !r.Open(),
		Transport:    transport,
		History:      before > 0,
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
	if _, err := h.svc.Enter(ctx, account(c), id); err != nil {
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
	if h.cfg.Open {
		if err := h.cookies.write(c, u); err != nil {
			return err
		}
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
	return hub.Member{Room: room, User: user(c), Session: sessionID(c)}
}
