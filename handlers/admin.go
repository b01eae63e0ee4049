package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/views"
)

// adminPageSize is how many people, rooms and audit entries /admin shows
// at once.
const adminPageSize = 100

// adminOnly lets administrators through; to anyone else the admin pages
// do not exist.
func adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !account(c).Admin {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// adminPage shows /admin.
func (h *Handler) adminPage(c echo.Context) error {
	return h.renderAdmin(c, http.StatusOK, views.AdminPage{})
}

// renderAdmin renders /admin over what p holds already (a reset link, a
// room's error).
func (h *Handler) renderAdmin(c echo.Context, status int, p views.AdminPage) error {
	ctx := c.Request().Context()
	a := account(c)
	after, _ := strconv.ParseInt(c.QueryParam("people_after"), 10, 64)
	people, err := h.svc.Accounts(ctx, a, after, adminPageSize+1)
	if err != nil {
		return err
	}
	if len(people) > adminPageSize {
		people = people[:adminPageSize]
		p.MorePeople = "/admin?people_after=" + strconv.FormatInt(people[len(people)-1].ID, 10)
	}
	afterKey, afterID := h.roomCursor(c, "rooms_after")
	rooms, err := h.svc.AllRooms(ctx, a, afterKey, afterID, adminPageSize+1)
	if err != nil {
		return err
	}
	if len(rooms) > adminPageSize {
		rooms = rooms[:adminPageSize]
		p.MoreRooms = "/admin?rooms_after=" + strconv.FormatInt(rooms[len(rooms)-1].ID, 10)
	}
	audit, err := h.svc.AuditLog(ctx, a, 0, adminPageSize)
	if err != nil {
		return err
	}
	code, err := h.svc.Invitation(ctx)
	if err != nil {
		return err
	}
	p.Layout = h.layout(c, "Administration")
	p.InviteURL = h.origin(c) + "/join/" + code
	p.People, p.Rooms, p.Audit = people, rooms, audit
	return render(c, status, views.Admin(p))
}

// origin is the server's address as the browser sees it, for links to
// pass on.
func (h *Handler) origin(c echo.Context) string {
	scheme := "http"
	if h.secure(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host
}

// resetInvitation replaces the invitation link.
func (h *Handler) resetInvitation(c echo.Context) error {
	if err := h.svc.ResetInvitation(c.Request().Context(), account(c)); err != nil {
		return err
	}
	return redirect(c, "/admin")
}

// personParam parses the :id of a person.
func personParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, chat.Fail(chat.NoMember)
	}
	return id, nil
}

// adminPerson runs one of the administrator's actions on a person.
func (h *Handler) adminPerson(do func(c echo.Context, admin chat.Account, person int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := personParam(c)
		if err != nil {
			return err
		}
		if err := do(c, account(c), id); err != nil {
			return err
		}
		return redirect(c, "/admin")
	}
}

// deactivate, reactivate, makeAdmin and removeAdmin change an account.
func (h *Handler) deactivate(c echo.Context, a chat.Account, id int64) error {
	return h.svc.SetDeactivated(c.Request().Context(), a, id, true)
}

func (h *Handler) reactivate(c echo.Context, a chat.Account, id int64) error {
	return h.svc.SetDeactivated(c.Request().Context(), a, id, false)
}

func (h *Handler) makeAdmin(c echo.Context, a chat.Account, id int64) error {
	return h.svc.SetAdmin(c.Request().Context(), a, id, true)
}

func (h *Handler) removeAdmin(c echo.Context, a chat.Account, id int64) error {
	return h.svc.SetAdmin(c.Request().Context(), a, id, false)
}

// resetLink makes a password-reset link for a person and shows it once.
func (h *Handler) resetLink(c echo.Context) error {
	id, err := personParam(c)
	if err != nil {
		return err
	}
	p, tok, err := h.svc.ResetLink(c.Request().Context(), account(c), id)
	if err != nil {
		return err
	}
	return h.renderAdmin(c, http.StatusOK, views.AdminPage{ResetFor: p.User, ResetURL: h.origin(c) + "/reset/" + tok})
}

// renameRoom renames a room from /admin.
func (h *Handler) renameRoom(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	_, err = h.svc.RenameRoom(c.Request().Context(), account(c), id, name)
	if code := chat.ErrorCode(err); code == chat.Invalid || code == chat.Conflict {
		return h.renderAdmin(c, formStatus(err), views.AdminPage{RoomErr: err, RoomErrID: id, RoomErrName: name})
	} else if err != nil {
		return err
	}
	return redirect(c, "/admin")
}

// archiveRoom and restoreRoom archive a room or bring it back.
func (h *Handler) archiveRoom(c echo.Context) error { return h.setArchived(c, true) }

func (h *Handler) restoreRoom(c echo.Context) error { return h.setArchived(c, false) }

func (h *Handler) setArchived(c echo.Context, archived bool) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := h.svc.SetArchived(c.Request().Context(), account(c), id, archived); err != nil {
		return err
	}
	return redirect(c, "/admin")
}
