package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/views"
)

// postTimeout bounds storing one message.
const postTimeout = 10 * time.Second

// socket upgrades /ws/chat?room=ID for a page of that room. The Origin is
// checked before the upgrade, so a page elsewhere gets a 403.
func (h *Handler) socket(c echo.Context) error {
	r, err := h.enterLive(c)
	if err != nil {
		return err
	}
	id := r.ID
	if r.Archived {
		return h.refuse(c, chat.Fail(chat.Archived))
	}
	release, err := h.svc.Connect(h.limitKey(c))
	if err != nil {
		// Said over the socket, where the page shows it, and closed with a
		// code the page does not reconnect after.
		return h.refuse(c, err)
	}
	// A page resumes once per (re)connection; a few a second is more than
	// htmx's backoff ever sends.
	resumes := rate.NewLimiter(rate.Every(time.Second), 5)
	// The fresh form after a send carries the browser's anti-forgery
	// token, which a post without script needs.
	csrf := h.layout(c, "").CSRF
	recv := func(cl *hub.Client, data []byte) { h.receive(cl, data, resumes, csrf) }
	// The connection goes on after this handler returns.
	done, err := h.hub.Attach(c.Response(), c.Request(), member(c, id), recv)
	if err != nil {
		release()
		// The upgrader has answered the request already.
		h.log.Debug("websocket upgrade", "err", err)
		return nil
	}
	go func() {
		<-done
		release()
	}()
	return nil
}

// enterLive admits a live connection (a websocket or an event stream) to
// the room ?room= names: from a trusted origin, while the server is not
// shutting down, for a viewer who may enter the room.
func (h *Handler) enterLive(c echo.Context) (chat.Room, error) {
	if !h.originAllowed(c.Request()) {
		return chat.Room{}, chat.Fail(chat.WrongOrigin)
	}
	if h.hub.Closing() {
		// Refused before any work, so that a crowd reconnecting during a
		// restart costs nothing.
		return chat.Room{}, chat.Fail(chat.Restarting)
	}
	id, err := strconv.ParseInt(c.QueryParam("room"), 10, 64)
	if err != nil || id <= 0 {
		return chat.Room{}, chat.Fail(chat.NoRoom)
	}
	return h.svc.Enter(c.Request().Context(), account(c), id)
}

// refuse upgrades the request only to show the page why it is refused,
// then closes the socket.
func (h *Handler) refuse(c echo.Context, why error) error {
	data, err := views.Bytes(c.Request().Context(), views.SendFailed(why))
	if err != nil {
		return err
	}
	if err := h.hub.Refuse(c.Response(), c.Request(), data); err != nil {
		h.log.Debug("websocket refusal", "err", err)
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
func (h *Handler) receive(cl *hub.Client, data []byte, resumes *rate.Limiter, csrf string) {
	f, err := decodeFrame(data)
	if err != nil {
		h.reply(cl, views.SendFailed(chat.Fail(chat.Unreadable)))
		return
	}
	m := cl.Member()
	if f.Resume {
		// A resume costs a read of the store: a flood of them is dropped.
		if resumes.Allow() {
			cl.Resume(f.After)
			// The socket is open: the page's hint that live updates
			// are not getting through goes.
			h.reply(cl, views.Live())
		}
		return
	}
	// The message was sent: it is stored even if the socket drops now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cl.Context()), postTimeout)
	defer cancel()
	_, _, err = h.svc.Post(ctx, chat.Post{
		Room: m.Room, Author: m.User, Body: f.Body, Token: f.Token,
	})
	switch code := chat.ErrorCode(err); code {
	case "":
		h.reply(cl, views.Sent(views.SendForm{Room: m.Room, Token: h.cfg.Token(), CSRF: csrf}))
	case chat.Internal:
		h.log.Error("post message", "room", m.Room, "user", m.User.ID, "err", err)
		fallthrough
	default:
		h.reply(cl, views.SendFailed(err))
	}
}

// reply renders component for cl alone.
func (h *Handler) reply(cl *hub.Client, component templ.Component) {
	if cl.Context().Err() != nil {
		return // the socket is gone
	}
	data, err := views.Bytes(cl.Context(), component)
	if err != nil {
		h.log.Error("render reply", "err", err)
		return
	}
	cl.Reply(data)
}
