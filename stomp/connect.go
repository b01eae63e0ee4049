package stomp

import (
	"context"
	"strconv"

	"hxchat/chat"
	"hxchat/hub"
)

// connect answers a CONNECT or STOMP frame: it agrees on a version and
// heart-beats, finds out who the client is, takes a connection slot and
// says CONNECTED. It returns false when the session cannot start.
func (c *conn) connect(f *Frame) bool {
	receipt, _ := f.Get(HeaderReceipt)
	accept, _ := f.Get("accept-version")
	version, ok := Negotiate(accept)
	if !ok {
		msg := "no common version: the server speaks " + SupportedVersions
		c.close(closeProtocol, msg, [][]byte{errorFrame(V12, msg, receipt, Header{"version", SupportedVersions})})
		return false
	}
	var send, hear = c.srv.cfg.HeartBeat, c.srv.cfg.HeartBeat
	if version == V10 {
		send, hear = 0, 0 // 1.0 has no heart-beats
	} else {
		hb, _ := f.Get("heart-beat")
		var err error
		if send, hear, err = NegotiateHeartBeat(hb, send, hear); err != nil {
			c.fail(closeProtocol, err.(*FrameError).Reason, receipt)
			return false
		}
	}
	a, session, perr := c.identify(f)
	if perr == nil {
		key := "addr:" + c.peer.Addr // as the handlers key an anonymous person
		if !c.srv.svc.Open() {
			key = chat.PersonKey(a.User)
		}
		release, err := c.srv.svc.Connect(key)
		if err != nil {
			msg := "too many connections at once"
			if e := chat.AsError(err); e != nil && e.Limit > 0 {
				msg += ": " + strconv.Itoa(e.Limit) + " at most"
			}
			perr = refuse(hub.ClosePolicy, msg)
		}
		c.release = release
	}
	if perr != nil {
		c.fail(perr.code, perr.message, receipt)
		return false
	}
	c.version, c.account, c.session = version, a, session
	c.sendEvery, c.hearEvery = send, hear
	c.dec.SetVersion(version)
	c.connected.Store(true)

	out := &Frame{Command: CONNECTED, Headers: make([]Header, 0, 5)}
	out.Add("version", version)
	if version != V10 {
		out.Add("heart-beat", FormatHeartBeat(c.srv.cfg.HeartBeat, c.srv.cfg.HeartBeat))
	}
	out.Add("server", "hxchat/"+c.srv.cfg.Version)
	out.Add("session", c.id)
	out.Add("user-name", a.Name)
	_ = c.write([][]byte{Encode(version, out)})
	return true
}

// identify returns who the session belongs to and its session key: the
// handshake's identity when it had one; else, in accounts mode, the
// CONNECT's login and passcode; in open mode a new anonymous person.
func (c *conn) identify(f *Frame) (chat.Account, string, *protocolError) {
	svc := c.srv.svc
	if c.peer.Account.ID != 0 {
		return c.peer.Account, c.peer.Session, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
	defer cancel()
	if svc.Open() {
		if err := svc.AllowNewPerson(c.peer.Addr); err != nil {
			return chat.Account{}, "", refuse(hub.ClosePolicy, "too many new people from this address; try again later")
		}
		u, err := svc.NewUser(ctx)
		if err != nil {
			return chat.Account{}, "", c.failed("new person", err)
		}
		return chat.Account{User: u}, "", nil
	}
	login, _ := f.Get("login")
	passcode, _ := f.Get("passcode")
	if login == "" && passcode == "" {
		return chat.Account{}, "", refuse(hub.ClosePolicy,
			"authentication required: CONNECT with login (your email) and passcode (a personal access token)")
	}
	a, session, err := svc.TokenSignIn(ctx, login, passcode, c.peer.Addr)
	switch chat.ErrorCode(err) {
	case "":
		return a, session, nil
	case chat.Invalid:
		return chat.Account{}, "", refuse(hub.ClosePolicy, "authentication failed: wrong login or passcode")
	case chat.TooMany:
		msg := "too many failed sign-ins; try again later"
		if e := chat.AsError(err); e != nil && e.Wait > 0 {
			msg = "too many failed sign-ins; try again in " + strconv.Itoa(int(e.Wait.Seconds()+0.5)) + " s"
		}
		return chat.Account{}, "", refuse(hub.ClosePolicy, msg)
	}
	return chat.Account{}, "", c.failed("token sign-in", err)
}
