package stomp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"hxchat/chat"
	"hxchat/hub"
)

// Transactions are held in memory until COMMIT, so they are bounded.
const (
	// maxTransactions is how many transactions a session may hold open.
	maxTransactions = 16
	// maxTransactionFrames is how many frames one transaction may hold:
	// with frames of at most 64 KiB, 4 MiB per transaction at worst.
	maxTransactionFrames = 64
)

// sendBody is the JSON body of a SEND to PublishMessage or AppMessage.
type sendBody struct {
	// ChatRoomID is the room, a string ("5") or a number (5).
	ChatRoomID json.RawMessage `json:"chatRoomId"`
	// Message is the text to post.
	Message string `json:"message"`
	// Token, when set, makes a resent SEND (the same token and text)
	// post once: 1 to 64 letters, digits, - or _. Without it every SEND
	// posts.
	Token string `json:"token"`
	// A writer is ignored: the author is the session's person, always.
}

// send answers a SEND. A refused message (empty, too long, too fast, to
// a room the person may not write in, unreadable) is told on
// ErrorsQueue, and the session goes on.
func (c *conn) send(f *Frame) *protocolError {
	dest, ok := f.Get("destination")
	if !ok {
		return refuse(closeProtocol, "SEND without a destination header")
	}
	switch dest {
	case PublishJoin:
		return nil
	case PublishMessage, AppMessage:
	default:
		return refuse(closeProtocol, "unknown destination "+strconv.Quote(dest))
	}
	receipt := header(f, HeaderReceipt)
	var body sendBody
	if err := json.Unmarshal(f.Body, &body); err != nil {
		return c.refuseSend("", chat.Fail(chat.Unreadable), receipt)
	}
	room, ok := roomID(body.ChatRoomID)
	if !ok {
		return c.refuseSend(string(body.ChatRoomID), chat.Fail(chat.NoRoom), receipt)
	}
	roomText := strconv.FormatInt(room, 10)
	ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
	reason, err := c.srv.svc.Recheck(ctx, room, c.account.ID, c.session)
	cancel()
	switch {
	case err != nil:
		c.logInternal("check access", err)
		return c.refuseSend(roomText, err, receipt)
	case reason == chat.SignedOut:
		return refuse(hub.ClosePolicy, "signed out")
	case reason == chat.Archived:
		return c.refuseSend(roomText, chat.Fail(chat.Archived), receipt)
	case reason != "":
		return c.refuseSend(roomText, chat.Fail(chat.NoRoom), receipt)
	}
	token := body.Token
	if token == "" {
		token = randomToken()
	}
	// The message was sent: it is stored even if the connection drops
	// now.
	ctx, cancel = context.WithTimeout(context.WithoutCancel(c.ctx), requestTimeout)
	defer cancel()
	_, _, err = c.srv.svc.Post(ctx, chat.Post{Room: room, Author: c.account.User, Body: body.Message, Token: token})
	if err != nil {
		c.logInternal("post message", err)
		return c.refuseSend(roomText, err, receipt)
	}
	return nil
}

// refuseSend tells the client, on ErrorsQueue, why a SEND was refused,
// and returns errRefused: the session goes on, and the SEND's receipt is
// not answered, since a RECEIPT says that the message was stored.
func (c *conn) refuseSend(room string, err error, receipt string) *protocolError {
	c.report(room, err, receipt)
	return errRefused
}

// roomID reads a chatRoomId: a JSON string or number holding a room ID.
func roomID(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		return parseID(s)
	}
	return parseID(string(raw))
}

// logInternal logs err when it is the server's fault.
func (c *conn) logInternal(what string, err error) {
	if chat.ErrorCode(err) == chat.Internal {
		c.srv.log.Error("stomp: "+what, "user", c.account.ID, "err", err)
	}
}

// report tells the session's ErrorsQueue subscriptions that a SEND about
// room was refused with err; without one, the refusal goes unsaid.
func (c *conn) report(room string, err error, receipt string) {
	c.mu.Lock()
	var subs []*subscription
	for _, s := range c.subs {
		if s.dest == ErrorsQueue {
			subs = append(subs, s)
		}
	}
	c.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	reason := chat.Reason(chat.Internal)
	if e := chat.AsError(err); e != nil {
		reason = e.Reason
	}
	if len(room) > 32 {
		room = room[:32] // what a client sent, quoted back only so far
	}
	body, jerr := json.Marshal(ErrorBody{
		Type: TypeError, Reason: string(reason), Message: describe(err), ChatRoomID: room, Receipt: receipt,
	})
	if jerr != nil {
		return
	}
	id := strconv.AppendUint([]byte("e-"), c.notes.Add(1), 10)
	tail := [][]byte{appendTail(nil, id, body)}
	for _, s := range subs {
		_ = s.Send(tail)
	}
}

// randomToken returns a token that makes a SEND post once: 16 random
// bytes, base64url.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// transaction answers BEGIN, COMMIT and ABORT. A transaction's SENDs,
// ACKs and NACKs wait in memory until COMMIT, which applies them in
// order, or ABORT, which drops them.
func (c *conn) transaction(f *Frame) *protocolError {
	tx, ok := f.Get("transaction")
	if !ok {
		return refuse(closeProtocol, f.Command+" without a transaction header")
	}
	frames, open := c.tx[tx]
	switch {
	case f.Command == BEGIN && open:
		return refuse(closeProtocol, "transaction "+strconv.Quote(tx)+" has begun already")
	case f.Command == BEGIN && len(c.tx) >= maxTransactions:
		return refuse(hub.ClosePolicy, "more than "+strconv.Itoa(maxTransactions)+" open transactions")
	case f.Command == BEGIN:
		if c.tx == nil {
			c.tx = map[string][]*Frame{}
		}
		c.tx[tx] = nil
		return nil
	case !open:
		return refuse(closeProtocol, f.Command+" of "+strconv.Quote(tx)+", no open transaction")
	}
	delete(c.tx, tx)
	if f.Command == COMMIT {
		for _, f := range frames {
			// A refused SEND of the transaction is told on its own; the
			// others still take effect.
			if perr := c.apply(f); perr != nil && perr != errRefused {
				return perr
			}
		}
	}
	return nil
}

// inTransaction keeps f for the COMMIT of transaction tx.
func (c *conn) inTransaction(tx string, f *Frame) *protocolError {
	frames, open := c.tx[tx]
	switch {
	case !open:
		return refuse(closeProtocol, f.Command+" in "+strconv.Quote(tx)+", no open transaction")
	case len(frames) >= maxTransactionFrames:
		return refuse(hub.ClosePolicy, "more than "+strconv.Itoa(maxTransactionFrames)+" frames in one transaction")
	}
	c.tx[tx] = append(frames, f)
	return nil
}
