package hub

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Stream is an HTTP response the hub took over from the server, whose
// body never ends: server-sent events, for pages that cannot open a
// websocket. Like a Socket it costs one goroutine of the smallest stack
// while idle (see Wait), where an HTTP handler held open would keep the
// server's goroutine, its deeper stack and its 4 KiB buffers for as long
// as the page stays (BenchmarkIdleStream).
//
// The body is delimited by the connection's close (HTTP/1.1, section
// 3.3.3 of RFC 9112), so that what is written is the events and nothing
// else. A server that cannot hand over its connection (HTTP/2) is told so
// by OpenStream's error.
type Stream struct {
	hub  *Hub
	conn net.Conn
	idleReader
	// wmu serializes writes; closed is set, under it, once the stream is
	// closed.
	wmu    sync.Mutex
	closed bool
}

// ErrNoStream is OpenStream's error when the server cannot hand over the
// request's connection; nothing was written.
var ErrNoStream = errors.New("hub: the connection cannot be taken over for a stream")

// OpenStream answers the request with status 200 and the headers set on
// w, then takes over its connection, on which the returned Stream writes
// the body. The caller sets Content-Type and the rest first.
func (h *Hub) OpenStream(w http.ResponseWriter, r *http.Request) (*Stream, error) {
	hj := &hijacker{ResponseWriter: w}
	header := w.Header().Clone()
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, errors.Join(ErrNoStream, err)
	}
	br := hj.br
	if br == nil {
		// The client sent more than its request; the server's buffer
		// holds it, and Wait ends the stream on it.
		br = brw.Reader
	}
	s := &Stream{hub: h, conn: conn, idleReader: idleReader{br: br, raw: hj.raw}}
	// The server's deadlines were for reading the request; the stream's
	// writes set their own, and the stream reads nothing.
	_ = conn.SetDeadline(time.Time{})
	header.Del("Content-Length")
	header.Del("Transfer-Encoding")
	header.Set("Connection", "close")
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	if err := header.Write(&head); err != nil {
		conn.Close()
		return nil, err
	}
	head.WriteString("\r\n")
	if err := s.write(head.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// Wait blocks until the peer closes the connection, or sends anything
// (an event stream's client sends nothing after its request), or the
// stream is closed. The goroutine waiting here is the one that lives as
// long as the stream, at the smallest stack Go gives: it only waits for
// the socket to turn readable (idleWait).
func (s *Stream) Wait() {
	s.idleWait()
	_, _ = s.br.ReadByte()
}

// Send writes frames, one after the other, in one system call.
func (s *Stream) Send(frames [][]byte) error {
	bp := s.hub.getWriteBuf()
	defer s.hub.putWriteBuf(bp)
	buf := (*bp)[:0]
	for _, f := range frames {
		buf = append(buf, f...)
	}
	*bp = buf
	return s.write(buf)
}

// write writes b within WriteWait.
func (s *Stream) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return errClosed
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.hub.cfg.WriteWait))
	_, err := s.conn.Write(b)
	return err
}

// Close writes last, unless it is empty, and closes the connection,
// which ends the body. Only the first call does anything.
func (s *Stream) Close(last []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return
	}
	if len(last) > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.hub.cfg.WriteWait))
		_, _ = s.conn.Write(last)
	}
	s.closed = true
	s.conn.Close()
}
