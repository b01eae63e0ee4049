package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/views"
)

// socket upgrades /ws/chat?room=ID for a page of that room. The Origin is
// checked before the upgrade, so a page elsewhere gets a 403.
func (h *Handler) socket(c echo.Context) error {
	if !h.originAllowed(c.Request()) {
		return chat.Errorf(chat.Forbidden, "This page may not connect to the chat.")
	}
	id, err := strconv.ParseInt(c.QueryParam("room"), 10, 64)
	if err != nil || id <= 0 {
		return chat.Errorf(chat.NotFound, "No such room.")
	}
	if _, err := h.svc.Room(c.Request().Context(), id); err != nil {
		return err
	}
	limiter := h.svc.NewLimiter()
	recv := func(cl *hub.Client, data []byte) { h.receive(cl, data, limiter) }
	if err := h.hub.Serve(c.Response(), c.Request(), member(c, id), recv); err != nil {
		// The upgrader has answered the request already.
		h.log.Debug("websocket upgrade", "err", err)
	}
	return nil
}

// originAllowed reports whether a websocket request comes from a page
// the server trusts: its own origin or one of AllowedOrigins. Clients that
// are not browsers send no Origin and are let through.
func (h *Handler) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(h.cfg.AllowedOrigins, func(o string) bool {
		return strings.EqualFold(strings.TrimSuffix(o, "/"), origin)
	})
}

// receive handles one frame from a page: a resume when the socket opens,
// or a message to post. A refused message gets an alert for the sender
// alone and leaves their form, and so their text, untouched.
func (h *Handler) receive(cl *hub.Client, data []byte, limiter *rate.Limiter) {
	f, err := decodeFrame(data)
	if err != nil {
		h.reply(cl, views.SendFailed("That message could not be read. Reload the page and send it again."))
		return
	}
	m := cl.Member()
	if f.Resume {
		// A resume costs a read of the store; a page sends one per
		// (re)connection, so a flood of them counts against the same limit
		// as messages.
		if limiter.Allow() {
			cl.Resume(f.After)
		}
		return
	}
	_, _, err = h.svc.Post(cl.Context(), chat.Post{
		Room: m.Room, Author: m.User, Body: f.Body, Token: f.Token, Limiter: limiter,
	})
	switch code := chat.ErrorCode(err); code {
	case "":
		h.reply(cl, views.Sent(views.SendForm{Room: m.Room, Token: h.cfg.Token()}))
	case chat.Internal:
		h.log.Error("post message", "room", m.Room, "user", m.User.ID, "err", err)
		fallthrough
	default:
		h.reply(cl, views.SendFailed(chat.ErrorMessage(err)))
	}
}

// reply renders component for cl alone.
func (h *Handler) reply(cl *hub.Client, component templ.Component) {
	data, err := views.Bytes(cl.Context(), component)
	if err != nil {
		h.log.Error("render reply", "err", err)
		return
	}
	cl.Reply(data)
}
