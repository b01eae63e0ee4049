package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// A STOMP client reads its socket with a wsReader, not gorilla's
// NextReader: the server sends each MESSAGE frame as a websocket message
// of its own, a million a second in -preset bigroom -transport stomp,
// and NextReader allocates a reader for each message, whose bytes are
// then copied out of gorilla's buffer, where a wsReader hands out each
// message in place, in its read buffer. gorilla still dials, and writes
// (its WriteMessage and WriteControl, which the reader answers pings and
// closes with), as for an htmx client.
//
// A wsReader reads what gorilla's reading does: frames from a server,
// unmasked and without extensions (the tool offers none), control frames
// between the frames of a message, and pings answered, a close answered
// with its code and returned as a *websocket.CloseError, and anything
// else gorilla refuses (reserved bits, a masked frame, a bad opcode, a
// fragmented control frame, a continuation out of place, a bad close
// code) answered with 1002 and returned as an error; a message over the
// read limit is answered with 1009 and returns websocket.ErrReadLimit.

// controlWait bounds the write of a pong or a close, as gorilla's does.
const controlWait = time.Second

// handshakeBuffer is gorilla's read buffer for a connection a wsReader
// reads, which it keeps for the connection's life but uses only for the
// handshake's answer (a line longer than the buffer is read in parts).
const handshakeBuffer = 256

// wsReader reads the messages a server sends on one websocket, in place.
type wsReader struct {
	conn net.Conn
	ws   *websocket.Conn
	// before runs ahead of every read from conn, when every message
	// that arrived so far has been handled: the moment to hand what the
	// client gathered to the run's shared records in one go.
	before func()
	// limit is the longest message accepted.
	limit int
	// buf[r:w] is what was read and not yet handed out.
	buf  []byte
	r, w int
	// msg assembles a message fragmented over frames, or longer than buf.
	msg []byte
}

// newWSReader returns a reader with a read buffer of size bytes, for
// messages of up to limit bytes, that runs before ahead of every read.
func newWSReader(size, limit int, before func()) *wsReader {
	return &wsReader{buf: make([]byte, size), limit: limit, before: before}
}

// reset starts reading conn, ws's connection, on which got has arrived
// already.
func (rd *wsReader) reset(conn net.Conn, ws *websocket.Conn, got []byte) {
	if len(got) > len(rd.buf) {
		rd.buf = make([]byte, len(got))
	}
	rd.conn, rd.ws = conn, ws
	rd.r, rd.w = 0, copy(rd.buf, got)
	rd.msg = rd.msg[:0]
}

// fill reads until at least n bytes (at most len(rd.buf)) are unread.
func (rd *wsReader) fill(n int) error {
	for rd.w-rd.r < n {
		// What is left of a frame is a few hundred bytes at most: moved
		// to the front, it leaves the read all the buffer.
		rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r = 0
		rd.before()
		m, err := rd.conn.Read(rd.buf[rd.w:])
		rd.w += m
		if err != nil && rd.w < n {
			return err
		}
	}
	return nil
}

// Opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0
	opText         = 1
	opBinary       = 2
	opClose        = 8
	opPing         = 9
	opPong         = 10
)

// next returns the next text or binary message. It is valid until the
// next call: it lies in the read buffer (or, fragmented or long, in
// rd.msg).
func (rd *wsReader) next() ([]byte, error) {
	if cap(rd.msg) > 2*len(rd.buf) {
		rd.msg = nil // a long message before was handled
	}
	rd.msg = rd.msg[:0]
	inMessage := false
	for {
		if err := rd.fill(2); err != nil {
			return nil, err
		}
		b0, b1 := rd.buf[rd.r], rd.buf[rd.r+1]
		final, op := b0&0x80 != 0, int(b0&0x0f)
		hdr, n := 2, uint64(b1&0x7f)
		switch n {
		case 126:
			hdr = 4
		case 127:
			hdr = 10
		}
		var bad []string
		if b0&0x70 != 0 {
			bad = append(bad, "RSV bits set")
		}
		switch op {
		case opClose, opPing, opPong:
			if n > 125 {
				bad = append(bad, "len > 125 for control")
			}
			if !final {
				bad = append(bad, "FIN not set on control")
			}
		case opText, opBinary:
			if inMessage {
				bad = append(bad, "data before FIN")
			}
		case opContinuation:
			if !inMessage {
				bad = append(bad, "continuation after FIN")
			}
		default:
			bad = append(bad, "bad opcode "+strconv.Itoa(op))
		}
		if b1&0x80 != 0 {
			bad = append(bad, "bad MASK")
		}
		if len(bad) > 0 {
			return nil, rd.protocolError(bad...)
		}
		if err := rd.fill(hdr); err != nil {
			return nil, err
		}
		switch hdr {
		case 4:
			n = uint64(binary.BigEndian.Uint16(rd.buf[rd.r+2:]))
		case 10:
			n = binary.BigEndian.Uint64(rd.buf[rd.r+2:])
		}

		if op >= opClose {
			if err := rd.fill(hdr + int(n)); err != nil {
				return nil, err
			}
			payload := rd.buf[rd.r+hdr : rd.r+hdr+int(n)]
			rd.r += hdr + int(n)
			if err := rd.control(op, payload); err != nil {
				return nil, err
			}
			continue
		}

		if n > uint64(rd.limit-len(rd.msg)) {
			_ = rd.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseMessageTooBig, ""), time.Now().Add(controlWait))
			return nil, websocket.ErrReadLimit
		}
		if final && !inMessage && hdr+int(n) <= len(rd.buf) {
			if err := rd.fill(hdr + int(n)); err != nil {
				return nil, err
			}
			p := rd.buf[rd.r+hdr : rd.r+hdr+int(n)]
			rd.r += hdr + int(n)
			return p, nil
		}
		rd.r += hdr
		for left := int(n); left > 0; {
			if err := rd.fill(1); err != nil {
				return nil, err
			}
			k := min(left, rd.w-rd.r)
			rd.msg = append(rd.msg, rd.buf[rd.r:rd.r+k]...)
			rd.r += k
			left -= k
		}
		if final {
			return rd.msg, nil
		}
		inMessage = true
	}
}

// control handles a control frame as gorilla's default handlers do.
func (rd *wsReader) control(op int, payload []byte) error {
	switch op {
	case opPing:
		err := rd.ws.WriteControl(websocket.PongMessage, payload, time.Now().Add(controlWait))
		var ne net.Error
		if err == nil || err == websocket.ErrCloseSent || errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	case opClose:
		code, text := websocket.CloseNoStatusReceived, ""
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
			if !validCloseCode(code) {
				return rd.protocolError("bad close code " + strconv.Itoa(code))
			}
			text = string(payload[2:])
			if !utf8.ValidString(text) {
				return rd.protocolError("invalid utf8 payload in close frame")
			}
		}
		_ = rd.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(controlWait))
		return &websocket.CloseError{Code: code, Text: text}
	}
	return nil // a pong
}

// validCloseCode reports whether a peer may send code (gorilla's list).
func validCloseCode(code int) bool {
	switch code {
	case websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseProtocolError,
		websocket.CloseUnsupportedData, websocket.CloseInvalidFramePayloadData,
		websocket.ClosePolicyViolation, websocket.CloseMessageTooBig, websocket.CloseMandatoryExtension,
		websocket.CloseInternalServerErr, websocket.CloseServiceRestart, websocket.CloseTryAgainLater:
		return true
	}
	return code >= 3000 && code <= 4999
}

// protocolError closes the socket with 1002, as gorilla does for a frame
// it refuses, and returns the error the read ends with.
func (rd *wsReader) protocolError(what ...string) error {
	msg := strings.Join(what, ", ")
	data := websocket.FormatCloseMessage(websocket.CloseProtocolError, msg)
	_ = rd.ws.WriteControl(websocket.CloseMessage, data[:min(len(data), 125)], time.Now().Add(controlWait))
	return errors.New("websocket: " + msg)
}

// captureConn keeps what is read from a connection while gorilla dials.
type captureConn struct {
	net.Conn
	got []byte
}

func (c *captureConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.got = append(c.got, p[:n]...)
	return n, err
}

// errHandshakeEnd is a handshake answer whose end was not found.
var errHandshakeEnd = errors.New("websocket: no CR LF CR LF after the handshake's answer")

// dialWS opens a websocket with d, as d.DialContext does, and sets in to
// read it. gorilla reads the handshake's answer through a buffer, which
// may hold what the server sent after it; whatever followed the answer's
// blank line (http.ReadResponse reads a 101 up to there, and no further)
// is handed to in.
func dialWS(ctx context.Context, d websocket.Dialer, url string, h http.Header, in *wsReader) (*websocket.Conn, *http.Response, error) {
	dial := d.NetDialContext
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	var cc *captureConn
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc = &captureConn{Conn: conn}
		return cc, nil
	}
	d.ReadBufferSize = handshakeBuffer
	ws, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		return nil, resp, err
	}
	end := bytes.Index(cc.got, []byte("\r\n\r\n"))
	if end < 0 {
		ws.Close()
		return nil, resp, errHandshakeEnd
	}
	in.reset(cc.Conn, ws, cc.got[end+4:])
	cc.got = nil
	return ws, resp, nil
}
