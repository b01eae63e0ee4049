package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/stomp"
)

// A STOMP client (-transport stomp, or a third of each room with
// -transport mixed) is a native or bot client of /ws/stomp: STOMP 1.2 over a plain
// websocket (subprotocol v12.stomp), framed with the project's own codec
// (whose reading of a MESSAGE the client repeats in place, stompread.go)
// and read with the tool's own websocket reader (wsread.go).
// Like an htmx client it first loads its room's page, for the Seq it
// starts from; then it sends CONNECT (in accounts mode with its email and
// a personal access token), SUBSCRIBEs to /user/queue/errors and to its
// room with after-seq set to the newest Seq it holds, on every open, so
// that a reconnect misses nothing, and posts each message as a SEND with
// a receipt: the RECEIPT says it is stored, a MESSAGE on the errors queue
// naming the receipt says it was refused. Every MESSAGE of the room goes
// through the same checks as an htmx client's fragments (once, in Seq
// order, the same message under a Seq for everyone) and the same latency
// histogram, read off the same body.

// Ways a STOMP client signs in in accounts mode (-stomp-auth).
const (
	authPasscode = "passcode" // CONNECT's login (email) and passcode (token)
	authBearer   = "bearer"   // Authorization: Bearer on the handshake
)

// The subscription ids the tool gives its two subscriptions.
const (
	subRoom   = "room"
	subErrors = "errors"
)

// stompHandshakeWait bounds the wait for CONNECTED.
const stompHandshakeWait = 15 * time.Second

// transportOf returns what connection i of a run with rooms rooms speaks
// (a client kind): the transport's, or (mixed) htmx, STOMP and SSE in
// turn over the members of each room, so that each room has a third of
// each, and so do its senders and slow readers (connection i is member
// i/rooms of room i%rooms; the first connections post and the last are
// slow).
func transportOf(transport string, i, rooms int) int {
	switch transport {
	case transportSTOMP:
		return kindSTOMP
	case transportSSE:
		return kindSSE
	case transportMixed:
		return (i / rooms) % kinds
	}
	return kindHTMX
}

// dialSTOMP opens /ws/stomp as a native client does: no cookies, no
// Origin, subprotocol v12.stomp, and in accounts mode with -stomp-auth
// bearer the token in an Authorization header. c.stompIn reads it.
func (c *client) dialSTOMP(ctx context.Context) (*websocket.Conn, error) {
	rcvbuf := 0
	if c.slow {
		rcvbuf = c.r.sc.SlowRcvBuf
	}
	d := websocket.Dialer{
		NetDialContext:   c.r.src.dialer(rcvbuf),
		HandshakeTimeout: 15 * time.Second,
		WriteBufferSize:  2048,
		WriteBufferPool:  &c.r.writeBufs,
		Subprotocols:     []string{"v12.stomp"},
	}
	h := http.Header{}
	if c.secret != "" && c.r.opt.STOMPAuth == authBearer {
		h.Set("Authorization", "Bearer "+c.secret)
	}
	if c.stompIn == nil {
		c.stompIn = newWSReader(readBufferSize(c.r.sc), maxPage, c.flushPending)
		c.sent = headsOf(c.room.id)
	}
	ws, resp, err := dialWS(ctx, d, "ws://"+c.base.Host+"/ws/stomp", h, c.stompIn)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err == nil && ws.Subprotocol() != "v12.stomp" {
		c.r.errs.add("conn %d: /ws/stomp chose subprotocol %q, want v12.stomp (offered alone)", c.id, ws.Subprotocol())
	}
	return ws, err
}

// serveSTOMP runs one open STOMP socket: CONNECT, the two SUBSCRIBEs
// (the room's from the newest Seq held), then reading until it closes;
// it returns the close code.
func (c *client) serveSTOMP(ctx context.Context, ws *websocket.Conn) int {
	l := &link{ws: ws, down: make(chan struct{})}
	defer close(l.down)
	defer ws.Close()
	c.stompErr = ""
	dec := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	if code, ok := c.connectSTOMP(l, dec); !ok {
		return code
	}
	c.amu.Lock()
	after := c.last
	c.amu.Unlock()
	for _, f := range []*stomp.Frame{
		{Command: stomp.SUBSCRIBE, Headers: []stomp.Header{{Key: "id", Value: subErrors}, {Key: "destination", Value: stomp.ErrorsQueue}}},
		{Command: stomp.SUBSCRIBE, Headers: []stomp.Header{
			{Key: "id", Value: subRoom}, {Key: "destination", Value: stomp.RoomDestination(c.room.id)},
			{Key: "after-seq", Value: strconv.FormatInt(after, 10)},
		}},
	} {
		if err := l.write(stomp.Encode(stomp.V12, f)); err != nil {
			return websocket.CloseAbnormalClosure
		}
	}
	if !c.opening(l) {
		return websocket.CloseGoingAway
	}

	code := c.readSTOMP(ctx, c.stompIn, dec)

	c.mu.Lock()
	c.cur = nil
	c.up = make(chan struct{})
	c.mu.Unlock()
	return code
}

// connectSTOMP sends CONNECT and waits for CONNECTED; ok is false when
// the session did not start, with the socket's close code.
func (c *client) connectSTOMP(l *link, dec *stomp.Decoder) (code int, ok bool) {
	f := &stomp.Frame{Command: stomp.CONNECT, Headers: []stomp.Header{
		{Key: "accept-version", Value: stomp.V12},
		{Key: "host", Value: c.base.Hostname()},
		{Key: "heart-beat", Value: "0,0"},
	}}
	if c.secret != "" && c.r.opt.STOMPAuth == authPasscode {
		f.Add("login", personEmail(c.id))
		f.Add("passcode", c.secret)
	}
	if err := l.write(stomp.Encode(stomp.V12, f)); err != nil {
		return websocket.CloseAbnormalClosure, false
	}
	// No heart-beats were asked for: the server pings below STOMP, and
	// the reader answers while the socket is read.
	in := c.stompIn
	_ = in.conn.SetReadDeadline(time.Now().Add(stompHandshakeWait))
	for {
		msg, err := in.next()
		if err != nil {
			if c.stompErr == "" && !errors.As(err, new(*websocket.CloseError)) {
				c.r.errs.add("conn %d: no CONNECTED within %v: %v", c.id, stompHandshakeWait, err)
			}
			return closeCode(err), false
		}
		dec.Feed(msg)
		connected := false
		for {
			f, err := dec.Next()
			if err != nil {
				c.r.errs.add("conn %d: unreadable STOMP frame from the server: %v", c.id, err)
				return websocket.CloseProtocolError, false
			}
			if f == nil {
				break
			}
			if f.Command == stomp.CONNECTED && !connected {
				connected = true
				if v, _ := f.Get("version"); v != stomp.V12 {
					c.r.errs.add("conn %d: CONNECTED with version %q, want 1.2 (the only one offered)", c.id, v)
				}
				continue
			}
			c.frameSTOMP(f, 0)
		}
		if connected {
			_ = in.conn.SetReadDeadline(time.Time{})
			return 0, true
		}
		// An ERROR (noted by frameSTOMP) is followed by the close.
	}
}

// closeCode is the close code a read error stands for: the peer's, or
// 1006 for a connection that just failed.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return websocket.CloseAbnormalClosure
}

// sendSTOMP is the SEND of text, m's body, asking for receipt. Its token
// (the run and the message's index) makes a resend of it post once, as
// an htmx page's form token does, even from another connection.
func (c *client) sendSTOMP(m *message, text, receipt string) []byte {
	body, _ := json.Marshal(struct {
		ChatRoomID string `json:"chatRoomId"`
		Message    string `json:"message"`
		Token      string `json:"token"`
	}{strconv.FormatInt(c.room.id, 10), text, "lt-" + c.r.id + "-" + strconv.Itoa(m.idx)})
	return stomp.Encode(stomp.V12, &stomp.Frame{Command: stomp.SEND, Headers: []stomp.Header{
		{Key: "destination", Value: stomp.PublishMessage},
		{Key: "content-type", Value: "application/json"},
		{Key: stomp.HeaderReceipt, Value: receipt},
	}, Body: body})
}

// receiptOf names the attempt-th send of m, so that a late RECEIPT of
// an earlier attempt is not taken for this one's.
func receiptOf(m *message, attempt int) string {
	return "m" + strconv.Itoa(m.idx) + "." + strconv.Itoa(attempt)
}
