package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/stomp"
)

// SockJSPrefix is where the SockJS endpoint is mounted: the tutorial's
// address, so that its page chats with hxchat unchanged but for the host.
const SockJSPrefix = "/stomp-chat"

// SockJSServer makes the handler of the SockJS endpoint.
type SockJSServer interface {
	SockJS(cfg stomp.SockJSConfig) http.Handler
}

// ServeSockJS mounts SockJSPrefix, STOMP through SockJS, on e, in open and
// accounts mode alike. Every request is refused with 403 when it comes
// from a page of another origin than the allowed ones, before SockJS
// sees it; a session's identity comes from its first request, as
// /ws/stomp's comes from its handshake.
func (h *Handler) ServeSockJS(e *echo.Echo, s SockJSServer) {
	sj := s.SockJS(stomp.SockJSConfig{
		Prefix:      SockJSPrefix,
		CheckOrigin: h.originAllowed,
		Peer: func(r *http.Request) (stomp.Peer, error) {
			// The first request may have ended already (an xhr poll
			// answered at once): its context must not end the lookups.
			r = r.WithContext(context.WithoutCancel(r.Context()))
			return h.stompPeer(e.NewContext(r, nil))
		},
	})
	serve := func(c echo.Context) error {
		if !h.originAllowed(c.Request()) {
			return chat.Fail(chat.WrongOrigin)
		}
		sj.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	e.Any(SockJSPrefix, serve)
	e.Any(SockJSPrefix+"/*", serve)
}
