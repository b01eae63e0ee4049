package hub

import (
	"encoding/binary"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Socket is a websocket upgraded by the hub, for any transport: the htmx
// pages' (Attach) and STOMP's (Upgrade). It reads with the least memory
// an idle connection can hold (see ReadLoop) and serializes writes, so
// that the subscriptions sharing it may write from their own writers.
type Socket struct {
	hub  *Hub
	conn *websocket.Conn
	idleReader
	// lastHeard is when the peer last sent a frame or a pong, in Unix
	// nanoseconds.
	lastHeard atomic.Int64
	// wmu serializes writes; closed is set, under it, once the socket is
	// closed.
	wmu    sync.Mutex
	closed bool
}

// Upgrade upgrades the request to a websocket, offering protocols as
// subprotocols, for a transport of the caller's (the hub's own pages use
// Attach). The caller checks the Origin first. When the upgrade fails,
// Upgrade has answered the request already.
func (h *Hub) Upgrade(w http.ResponseWriter, r *http.Request, protocols []string) (*Socket, error) {
	up := h.upgrader
	up.Subprotocols = protocols
	return h.upgrade(w, r, &up)
}

// upgrade upgrades with up through a hijacker, which gives the socket a
// read buffer of the hub's (see idleWait).
func (h *Hub) upgrade(w http.ResponseWriter, r *http.Request, up *websocket.Upgrader) (*Socket, error) {
	hj := &hijacker{ResponseWriter: w}
	ws, err := up.Upgrade(hj, r, nil)
	if err != nil {
		return nil, err
	}
	s := &Socket{hub: h, conn: ws, idleReader: idleReader{br: hj.br, raw: hj.raw}}
	// The upgrade was the first thing heard.
	s.heard()
	return s, nil
}

// Subprotocol is the subprotocol the upgrade agreed on, or "".
func (s *Socket) Subprotocol() string { return s.conn.Subprotocol() }

// errStopped is ReadLoop's error when its handler asked it to stop.
var errStopped = errors.New("hub: reading stopped")

// ReadLoop hands every message received to handle, one at a time and in
// order, until handle returns false (nil) or the socket fails or closes
// (the read error; websocket.ErrReadLimit for a message over MaxFrame,
// which CloseCode maps to CloseTooBig).
//
// The goroutine running it is the one that lives as long as the
// connection, and it stays at the smallest stack Go gives a goroutine
// (2 KiB; BenchmarkIdleConnection): it only waits for the socket
// (idleWait) and drops pongs (skipPong), both shallow calls. Reading a
// message through gorilla/websocket goes about 1.2 KiB deep, enough to
// double a stack for good (a stack shrinks only when it uses under a
// quarter), so that and handling the message happen on a goroutine of
// their own, which takes its grown stack with it.
//
// It sets no read deadline either, for the same reason: moving one arms
// a runtime timer. The rooms instead drop a subscriber whose wire has
// heard nothing, pongs included, for PongWait (see room.ping).
func (s *Socket) ReadLoop(handle func(data []byte) bool) error {
	s.conn.SetReadLimit(s.hub.cfg.MaxFrame)
	s.conn.SetPongHandler(s.pong)
	for {
		s.idleWait()
		if s.skipPong() {
			continue
		}
		if err := s.readOne(handle); err != nil {
			if err == errStopped {
				return nil
			}
			return err
		}
	}
}

// readOne reads the next message and hands it to handle, on a goroutine
// of its own, and waits for both.
func (s *Socket) readOne(handle func([]byte) bool) error {
	done := make(chan error)
	go func() {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			done <- err
			return
		}
		s.heard()
		if !handle(data) {
			err = errStopped
		}
		done <- err
	}()
	return <-done
}

// CloseCode is the code to close with after ReadLoop returned err.
func CloseCode(err error) int {
	if errors.Is(err, websocket.ErrReadLimit) {
		return CloseTooBig
	}
	return CloseNormal
}

// expectedClose reports whether err is a peer closing as peers do.
func expectedClose(err error) bool {
	return err == nil || !websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived)
}

// skipPong drops a pong at the head of the read buffer, noting it as
// heard, and reports whether it did. Left to gorilla/websocket, a pong
// would be handled inside its wait for the next message, deep in the
// read loop's stack (see ReadLoop). A pong from a browser is one
// unfragmented frame: FIN and opcode 0xA, then the mask bit and a
// length of at most 125, the 4-byte mask and the payload. Anything else
// is left to gorilla/websocket.
func (s *Socket) skipPong() bool {
	if s.br == nil {
		return false
	}
	h, err := s.br.Peek(2)
	if err != nil || h[0] != 0x8A || h[1]&0x80 == 0 || h[1]&0x7F > 125 {
		return false
	}
	n := 2 + 4 + int(h[1]&0x7F)
	if _, err := s.br.Peek(n); err != nil {
		return false
	}
	_, _ = s.br.Discard(n)
	s.heard()
	return true
}

// pong is the pong handler: a pong is something heard.
func (s *Socket) pong(string) error {
	s.heard()
	return nil
}

// heard notes that the peer sent something.
func (s *Socket) heard() { s.lastHeard.Store(time.Now().UnixNano()) }

// LastHeard is when the peer last sent a message or a pong.
func (s *Socket) LastHeard() time.Time { return time.Unix(0, s.lastHeard.Load()) }

// Send writes each frame as one text message, all in one system call.
func (s *Socket) Send(frames [][]byte) error { return s.SendParts(frames, 1) }

// sendJoined writes frames joined into one text message, in one system
// call: htmx swaps a message's top-level elements one by one.
func (s *Socket) sendJoined(frames [][]byte) error {
	if len(frames) == 0 {
		return nil
	}
	return s.SendParts(frames, len(frames))
}

// SendParts writes len(parts)/per text messages, each made of per
// consecutive parts, all in one system call: a transport whose messages
// share most of their bytes (STOMP's MESSAGE frames, one tail encoded for
// every subscriber behind each subscription's own headers) sends them
// without first copying each message together.
//
// It frames the messages itself and writes them to the connection in one
// call, where gorilla/websocket would make a system call of each message:
// a busy room sends a subscriber dozens of messages per write, and the
// calls, not the copies, are what fan-out spends its time on. Server
// frames are simple (RFC 6455, section 5.2: no mask, and no compression
// was agreed). gorilla/websocket's own writes (pongs, a close it answers)
// cannot land inside these bytes: a connection's Write calls do not
// interleave, and this is one call.
func (s *Socket) SendParts(parts [][]byte, per int) error {
	if per <= 0 || len(parts)%per != 0 {
		return errors.New("hub: SendParts: parts do not divide into messages")
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return errClosed
	}
	bp := s.hub.getWriteBuf()
	defer s.hub.putWriteBuf(bp)
	buf := (*bp)[:0]
	for i := 0; i < len(parts); i += per {
		n := 0
		for _, p := range parts[i : i+per] {
			n += len(p)
		}
		buf = appendTextHeader(buf, n)
		for _, p := range parts[i : i+per] {
			buf = append(buf, p...)
		}
	}
	*bp = buf
	nc := s.conn.NetConn()
	_ = nc.SetWriteDeadline(time.Now().Add(s.hub.cfg.WriteWait))
	_, err := nc.Write(buf)
	return err
}

// appendTextHeader appends the header of an unmasked, final text frame
// holding n bytes.
func appendTextHeader(dst []byte, n int) []byte {
	const finText = 0x81
	switch {
	case n < 126:
		return append(dst, finText, byte(n))
	case n <= 0xFFFF:
		return append(dst, finText, 126, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, finText, 127), uint64(n))
}

// writeBuffersKept is how many idle write buffers the hub keeps: as
// many as writes that run at once on a busy instance, 4 MiB or more.
const writeBuffersKept = 64

// maxKeptWriteBuf is the largest write buffer kept for another write; a
// larger one (a whole log re-rendered) is let go.
const maxKeptWriteBuf = 256 << 10

// getWriteBuf returns an idle write buffer, or a new one of 64 KiB, which
// holds a batch of queued fragments.
//
// Idle buffers are kept in a bounded free list rather than a sync.Pool,
// which every garbage collection empties: in a busy room a thousand
// writers each take a buffer several times a second, and making them
// anew after every collection brought on the next one sooner, in which
// each writer that allocates is parked until marking ends.
func (h *Hub) getWriteBuf() *[]byte {
	select {
	case b := <-h.writeBufs:
		return b
	default:
		b := make([]byte, 0, 64<<10)
		return &b
	}
}

// putWriteBuf keeps b for another write, when there is room.
func (h *Hub) putWriteBuf(b *[]byte) {
	if cap(*b) > maxKeptWriteBuf {
		return
	}
	select {
	case h.writeBufs <- b:
	default:
	}
}

// errClosed is what writing to a closed socket returns.
var errClosed = errors.New("hub: socket closed")

// Ping sends a ping, which the peer answers with a pong.
func (s *Socket) Ping() error {
	return s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.hub.cfg.WriteWait))
}

// Close sends a close frame with code and text (none for CloseAbnormal:
// the connection failed) and closes the socket. Only the first call does
// anything.
func (s *Socket) Close(code int, text string) { s.close(code, text, nil) }

// close is Close sending note, text messages, first.
func (s *Socket) close(code int, text string, note [][]byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	deadline := time.Now().Add(s.hub.cfg.WriteWait)
	_ = s.conn.SetWriteDeadline(deadline)
	for _, f := range note {
		if err := s.conn.WriteMessage(websocket.TextMessage, f); err != nil {
			break
		}
	}
	if code != CloseAbnormal {
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), deadline)
	}
	s.conn.Close()
}

// pageFormat is the format of the pages connected through Attach: that
// of the first encoder given to New.
const pageFormat Format = 0

// pageWire is the wire of a page connected through Attach: it reads the
// first format, and its frames are joined into one message per write.
type pageWire struct{ *Socket }

func (pageWire) Format() Format                               { return pageFormat }
func (w pageWire) Send(frames [][]byte) error                 { return w.sendJoined(frames) }
func (w pageWire) Close(code int, text string, note [][]byte) { w.close(code, text, note) }

// sendFramed writes b, whole websocket messages framed once for every
// page, as it is.
func (w pageWire) sendFramed(b []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.closed {
		return errClosed
	}
	nc := w.conn.NetConn()
	_ = nc.SetWriteDeadline(time.Now().Add(w.hub.cfg.WriteWait))
	_, err := nc.Write(b)
	return err
}

// framedWire is a wire that writes events framed once for all its kind,
// with no copy of its own: the hub's pages.
type framedWire interface {
	sendFramed(b []byte) error
}
