package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"hxchat/chat"
	"hxchat/stomp"
)

// STOMPServer runs STOMP sessions on the connections /ws/stomp upgrades.
type STOMPServer interface {
	// Serve upgrades the request and runs a session for p; an error
	// means it answered nothing yet.
	Serve(w http.ResponseWriter, r *http.Request, p stomp.Peer) error
}

// ServeSTOMP mounts /ws/stomp, STOMP over a plain WebSocket, on e, in
// open and accounts mode alike. The STOMP session authenticates the
// CONNECT frame; the handler passes on what the handshake carries:
// an Authorization: Bearer token, or a same-origin page's session
// cookie (the identity cookie in open mode). Without either, the CONNECT
// must sign in, or in open mode is given a new anonymous person.
func (h *Handler) ServeSTOMP(e *echo.Echo, s STOMPServer) {
	e.GET("/ws/stomp", func(c echo.Context) error {
		if !h.originAllowed(c.Request()) {
			return chat.Fail(chat.WrongOrigin)
		}
		p, err := h.stompPeer(c)
		if err != nil {
			return err
		}
		return s.Serve(c.Response(), c.Request(), p)
	})
}

// stompPeer finds out who a /ws/stomp handshake says the client is.
func (h *Handler) stompPeer(c echo.Context) (stomp.Peer, error) {
	r := c.Request()
	p := stomp.Peer{Addr: clientNetwork(c.RealIP())}
	if h.cfg.Open {
		if u, ok := h.cookies.read(r); ok {
			p.Account = chat.Account{User: u}
		}
		return p, nil
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return p, chat.Fail(chat.SignedOut)
		}
		a, session, err := h.svc.BearerSignIn(r.Context(), strings.TrimSpace(secret), p.Addr)
		if code := chat.ErrorCode(err); code == chat.Invalid {
			// A wrong or revoked token: nobody is signed in.
			return p, chat.Fail(chat.SignedOut)
		} else if err != nil {
			return p, err
		}
		p.Account, p.Session = a, session
		return p, nil
	}
	if tok := h.sessionToken(c); tok != "" {
		a, sess, err := h.svc.Authenticate(r.Context(), tok)
		switch chat.ErrorCode(err) {
		case "":
			p.Account, p.Session = a, sess.ID
		case chat.Unauthenticated:
			// An ended session: the CONNECT may still sign in.
		default:
			return p, err
		}
	}
	return p, nil
}
