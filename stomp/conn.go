package stomp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// closeProtocol is the WebSocket close code after a frame that broke the
// protocol (1002, Protocol Error).
const closeProtocol = 1002

// requestTimeout bounds what one frame asks of the service.
const requestTimeout = 10 * time.Second

// errClosed is what writing to a closed session returns.
var errClosed = errors.New("stomp: connection closed")

// conn is one STOMP session: the frames of one connection, read by one
// read loop, and the subscriptions it made, written by the hub's writers
// of each and by the read loop, serialized by wmu.
type conn struct {
	srv *Server
	t   Transport
	// peer is what the handshake said.
	peer Peer
	// id is the session header of CONNECTED.
	id string
	// dec is the read loop's.
	dec *Decoder
	// ctx ends when the session does; svc calls on its behalf use it.
	ctx    context.Context
	cancel context.CancelFunc
	// opened is when the connection was upgraded.
	opened time.Time

	// Set by CONNECT on the read loop before connected is set, and
	// never changed after, so that whoever saw connected set reads them
	// without a lock: version is the agreed version, account and session
	// who the session belongs to, sendEvery and hearEvery the agreed
	// heart-beats (0: none), release gives back its connection slot.
	version              string
	account              chat.Account
	session              string
	sendEvery, hearEvery time.Duration
	release              func()
	connected            atomic.Bool

	// lastHeard, lastSent and lastPing are when the peer last sent a
	// message, when the session last wrote one and last pinged, in Unix
	// nanoseconds.
	lastHeard, lastSent, lastPing atomic.Int64
	// acks numbers the ack ids of the session; the last one issued is
	// its value.
	acks atomic.Uint64
	// notes numbers the messages of /user/queue/errors.
	notes atomic.Uint64

	// mu guards subs, which the read loop changes and the heart loop and
	// ACKs read.
	mu   sync.Mutex
	subs map[string]*subscription
	// tx holds the frames of each open transaction; the read loop's.
	tx map[string][]*Frame

	// wmu serializes writes, so that a note goes out just before the
	// close with nothing after it; closed is set under it, and gone
	// closed with it.
	wmu    sync.Mutex
	closed bool
	gone   chan struct{}
	// done is set as the session starts closing, for a lock-free look;
	// ending once the heart loop decided to close it, so that a close
	// held up by a stuck write is not started again every tick.
	done, ending atomic.Bool
}

func newConn(s *Server, t Transport, p Peer) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	now := time.Now()
	c := &conn{
		srv: s, t: t, peer: p, id: newSessionID(),
		dec: NewDecoder(V12, s.cfg.Limits),
		ctx: ctx, cancel: cancel, opened: now,
		subs: map[string]*subscription{},
		gone: make(chan struct{}),
	}
	c.lastHeard.Store(now.UnixNano())
	c.lastSent.Store(now.UnixNano())
	c.lastPing.Store(now.UnixNano())
	return c
}

// run is the read loop: it reads frames until the connection closes,
// then ends the session.
func (c *conn) run() {
	defer c.srv.sessions.Done()
	err := c.t.Read(c.receive)
	if code := hub.CloseCode(err); code == hub.CloseTooBig {
		c.fail(code, "WebSocket message over the server's limit", "")
	}
	c.close(hub.CloseNormal, "", nil)
	c.end()
}

// end takes the session's subscriptions out of their rooms and gives
// back its connection slot, once the connection is closed.
func (c *conn) end() {
	c.mu.Lock()
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	for _, s := range subs {
		s.leave()
	}
	if c.release != nil {
		c.release()
	}
	c.cancel()
	c.srv.remove(c)
}

// receive handles one message of the transport: a piece of the frame
// stream. It returns false once the session is over.
func (c *conn) receive(data []byte) bool {
	c.lastHeard.Store(time.Now().UnixNano())
	if c.done.Load() {
		return false
	}
	c.dec.Feed(data)
	for {
		f, err := c.dec.Next()
		if err != nil {
			// A Decoder's errors are *FrameError, always.
			fe := err.(*FrameError)
			code := closeProtocol
			if fe.Kind == TooLarge {
				code = hub.CloseTooBig
			}
			c.fail(code, fe.Reason, fe.Receipt)
			return false
		}
		if f == nil {
			return true
		}
		if !c.handle(f) {
			return false
		}
	}
}

// handle acts on one frame; false ends the session.
func (c *conn) handle(f *Frame) bool {
	receipt, hasReceipt := f.Get(HeaderReceipt)
	var perr *protocolError
	switch {
	case !c.connected.Load():
		if f.Command != CONNECT && f.Command != STOMP {
			c.fail(closeProtocol, f.Command+" frame before CONNECT", receipt)
			return false
		}
		return c.connect(f)
	case f.Command == DISCONNECT:
		if hasReceipt {
			c.receipt(receipt)
		}
		c.close(hub.CloseNormal, "", nil)
		return false
	default:
		perr = c.dispatch(f)
	}
	switch {
	case perr == errRefused:
		return true
	case perr != nil:
		c.fail(perr.code, perr.message, receipt)
		return false
	}
	if hasReceipt {
		c.receipt(receipt)
	}
	return true
}

// dispatch acts on a frame of a connected session.
func (c *conn) dispatch(f *Frame) *protocolError {
	switch f.Command {
	case SEND, ACK, NACK:
		if tx, ok := f.Get("transaction"); ok {
			return c.inTransaction(tx, f)
		}
		return c.apply(f)
	case SUBSCRIBE:
		return c.subscribe(f)
	case UNSUBSCRIBE:
		return c.unsubscribe(f)
	case BEGIN, COMMIT, ABORT:
		return c.transaction(f)
	case CONNECT, STOMP:
		return refuse(closeProtocol, "already connected")
	}
	return refuse(closeProtocol, "a client does not send "+f.Command)
}

// apply acts on a SEND, ACK or NACK, outside a transaction or at its
// commit.
func (c *conn) apply(f *Frame) *protocolError {
	if f.Command == SEND {
		return c.send(f)
	}
	return c.ack(f)
}

// protocolError is a frame the session cannot go on after: it is told in
// an ERROR frame, and the connection closed with code.
type protocolError struct {
	code    int
	message string
}

// errRefused is what a refused SEND returns: the client was told why on
// ErrorsQueue, the session goes on, and no RECEIPT answers the SEND.
var errRefused = &protocolError{}

func refuse(code int, message string) *protocolError {
	return &protocolError{code: code, message: message}
}

// failed turns an error of the service that the session cannot go on
// after into a protocolError.
func (c *conn) failed(what string, err error) *protocolError {
	if errors.Is(err, hub.ErrShuttingDown) || chat.ErrorCode(err) == chat.Unavailable {
		return refuse(hub.CloseRestart, "server unavailable; try again")
	}
	c.srv.log.Error("stomp: "+what, "user", c.account.ID, "err", err)
	return refuse(hub.CloseInternal, "server error; try again")
}

// write sends frames, unless the session is closed.
func (c *conn) write(frames [][]byte) error {
	return c.transmit(func() error { return c.t.Send(frames) })
}

// writeParts sends frames made of per consecutive parts each, through a
// transport that can (see partsSender), unless the session is closed.
func (c *conn) writeParts(ps partsSender, parts [][]byte, per int) error {
	return c.transmit(func() error { return ps.SendParts(parts, per) })
}

// transmit runs a write of the transport's, unless the session is
// closed.
func (c *conn) transmit(write func() error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return errClosed
	}
	c.lastSent.Store(time.Now().UnixNano())
	err := write()
	if err != nil {
		// The transport failed: nothing more can be said on it.
		go c.close(hub.CloseAbnormal, "", nil)
	}
	return err
}

// ver returns the version frames are encoded in: the agreed one, or,
// until CONNECTED went out, 1.0's, which escapes nothing. A client reads
// an ERROR that answers its CONNECT before it knows the version, and
// clients (stompjs among them) then undo no escapes: "failed: wrong
// login" must not reach them as "failed\c wrong login".
func (c *conn) ver() string {
	if c.connected.Load() {
		return c.version
	}
	return V10
}

// receipt answers a frame's receipt header.
func (c *conn) receipt(id string) {
	f := &Frame{Command: RECEIPT, Headers: []Header{{"receipt-id", id}}}
	_ = c.write([][]byte{Encode(c.ver(), f)})
}

// fail sends an ERROR frame saying message (with receipt-id when the
// refused frame asked for a receipt), then closes the connection with
// code.
func (c *conn) fail(code int, message, receipt string) {
	c.close(code, message, [][]byte{errorFrame(c.ver(), message, receipt)})
}

// errorFrame encodes an ERROR frame.
func errorFrame(version, message, receipt string, extra ...Header) []byte {
	f := &Frame{Command: ERROR, Headers: make([]Header, 0, 3+len(extra))}
	f.Add("message", message)
	if receipt != "" {
		f.Add("receipt-id", receipt)
	}
	f.Headers = append(f.Headers, extra...)
	f.Add("content-type", "text/plain;charset=utf-8")
	f.Body = []byte(message + "\n")
	return Encode(version, f)
}

// maxCloseText is the longest text of a WebSocket close frame: its
// payload holds 125 bytes, two of them the code.
const maxCloseText = 123

// close ends the connection: note first, then the close with code and
// text. Only the first call does anything; the read loop then ends the
// session.
func (c *conn) close(code int, text string, note [][]byte) {
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return
	}
	c.closed = true
	close(c.gone)
	c.done.Store(true)
	if len(note) > 0 {
		_ = c.t.Send(note)
	}
	c.wmu.Unlock()
	if len(text) > maxCloseText {
		text = strings.ToValidUTF8(text[:maxCloseText], "")
	}
	c.t.Close(code, text)
}
