package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/views"
)

// peoplePageSize is how many people /people shows at once.
const peoplePageSize = 100

// members shows a room's members page.
func (h *Handler) members(c echo.Context) error {
	return h.renderMembers(c, http.StatusOK, "", nil)
}

// renderMembers renders the members page with the add form's name and
// error.
func (h *Handler) renderMembers(c echo.Context, status int, name string, formErr error) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	a := account(c)
	r, people, err := h.svc.Members(c.Request().Context(), a, id)
	if code := chat.ErrorCode(err); code == chat.NotFound && a.Admin {
		// An administrator manages a private room without being in it.
		if r, people, err = h.svc.ManagedMembers(c.Request().Context(), a, id); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	l := h.layout(c, "Members")
	return render(c, status, views.Members(views.MembersPage{
		Layout: l, Room: r, Title: roomTitle(r, a.User), Members: people,
		CanManage: chat.CanManage(a, r), Name: name, Err: formErr,
	}))
}

// addMember adds a person, named in the form, to a private room.
func (h *Handler) addMember(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	_, err = h.svc.AddMember(c.Request().Context(), account(c), id, name)
	if chat.ErrorCode(err) == chat.Invalid || chat.AsError(err) != nil && chat.AsError(err).Reason == chat.NoMember {
		return h.renderMembers(c, http.StatusUnprocessableEntity, name, err)
	} else if err != nil {
		return err
	}
	return redirect(c, "/chat/rooms/"+strconv.FormatInt(id, 10)+"/members")
}

// removeMember removes a person from a private room.
func (h *Handler) removeMember(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	person, err := strconv.ParseInt(c.Param("user"), 10, 64)
	if err != nil || person <= 0 {
		return chat.Fail(chat.NoMember)
	}
	if err := h.svc.RemoveMember(c.Request().Context(), account(c), id, person); err != nil {
		return err
	}
	return redirect(c, "/chat/rooms/"+strconv.FormatInt(id, 10)+"/members")
}

// people lists everyone with an account.
func (h *Handler) people(c echo.Context) error {
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	people, err := h.svc.People(c.Request().Context(), account(c), after, peoplePageSize+1)
	if err != nil {
		return err
	}
	p := views.PeoplePage{Layout: h.layout(c, "People")}
	if len(people) > peoplePageSize {
		people = people[:peoplePageSize]
		p.More = "/people?after=" + strconv.FormatInt(people[len(people)-1].ID, 10)
	}
	p.People = people
	return render(c, http.StatusOK, views.People(p))
}

// message opens the direct conversation with a person, starting it
// when there is none.
func (h *Handler) message(c echo.Context) error {
	id, err := personParam(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Direct(c.Request().Context(), account(c), id)
	if err != nil {
		return err
	}
	return redirect(c, "/chat/rooms/"+strconv.FormatInt(r.ID, 10))
}

// roomTitle is a room's heading: its name or, for a direct room, the
// names of the people in it besides the viewer.
func roomTitle(r chat.Room, me chat.User) string {
	if r.Kind != chat.RoomDirect {
		return r.Name
	}
	return views.DirectTitle(r.People, me)
}
