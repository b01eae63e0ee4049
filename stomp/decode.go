package stomp

import (
	"bytes"
	"strconv"
)

// state is where in a frame a Decoder is.
type state uint8

const (
	// inCommand is between frames or inside a command line; an empty line
	// there is a heart-beat.
	inCommand state = iota
	// inHeaders is inside the header lines.
	inHeaders
	// inBody is inside the body.
	inBody
	// atNUL is after a body of content-length bytes, before its NUL.
	atNUL
)

// Decoder reads frames from a byte stream that arrives in pieces, such as
// the WebSocket messages of one connection: Feed it each piece and call
// Next until it returns no frame. A frame may span pieces and a piece may
// hold several frames; heart-beats between frames are skipped.
//
// A Decoder is not safe for concurrent use: it belongs to the read loop of
// one connection.
type Decoder struct {
	lim     Limits
	version string
	// in is the input fed and not yet read; it is the caller's memory.
	in []byte
	// err is the error that stopped the decoder, returned ever after.
	err error

	st state
	// line holds the beginning of a line whose EOL has not arrived yet,
	// at most MaxHeaderLine+1 bytes.
	line []byte
	// scratch is where header names and values are unescaped.
	scratch []byte
	// size counts the bytes of the current frame read so far.
	size int
	// frame is the frame being read, from its command line on.
	frame *Frame
	// esc is how the current frame's headers are escaped.
	esc escaping
	// length is the current frame's content-length, or -1 without one.
	length int
	// body holds the current frame's body read so far.
	body []byte
}

// NewDecoder returns a Decoder that reads frames of version within lim. A
// server starts with V12, whose rules read a CONNECT frame of any version
// (CONNECT headers are never escaped), and calls SetVersion once the
// version is agreed.
func NewDecoder(version string, lim Limits) *Decoder {
	return &Decoder{lim: lim.withDefaults(), version: version}
}

// SetVersion sets the version of the frames that follow: it applies from
// the next frame whose command line has not been read yet.
func (d *Decoder) SetVersion(version string) { d.version = version }

// Version returns the version frames are read as.
func (d *Decoder) Version() string { return d.version }

// Limits returns the limits in force, defaults filled in.
func (d *Decoder) Limits() Limits { return d.lim }

// Feed hands the decoder the next piece of the stream. It keeps p, not a
// copy, until Next has returned no frame, so p must not change till then;
// of what Next cannot finish, it copies only the unfinished line or body,
// into buffers bounded by the limits. Feeding again before Next returned
// no frame appends p to the unread input, which then is copied.
func (d *Decoder) Feed(p []byte) {
	if d.err != nil || len(p) == 0 {
		return
	}
	if len(d.in) == 0 {
		d.in = p
		return
	}
	d.in = append(d.in[:len(d.in):len(d.in)], p...)
}

// Pending reports whether bytes of an unfinished frame (or of a
// heart-beat's CRLF) are held: a stream that ends now ends inside a frame.
func (d *Decoder) Pending() bool {
	return d.st != inCommand || len(d.line) > 0 || len(d.in) > 0
}

// Next returns the next complete frame of the input fed so far, or nil
// when the input holds no more complete frames (then Feed the next piece).
// An error is a *FrameError and is final: Next returns it ever after, and
// the connection should get an ERROR frame and be closed.
func (d *Decoder) Next() (*Frame, error) {
	for d.err == nil {
		switch d.st {
		case inCommand:
			line, ok := d.readLine(maxCommand)
			if !ok {
				return nil, d.err
			}
			if len(line) == 0 { // a heart-beat
				d.size = 0
				continue
			}
			cmd, ok := command(line)
			if !ok {
				d.fail(Malformed, "unknown command "+show(line))
				break
			}
			// Room for the headers of a usual SEND, MESSAGE or SUBSCRIBE,
			// so that they take one allocation rather than four.
			d.frame = &Frame{Command: cmd, Headers: make([]Header, 0, min(8, d.lim.MaxHeaders))}
			d.esc = escapingOf(d.version, cmd)
			d.st = inHeaders
		case inHeaders:
			line, ok := d.readLine(d.lim.MaxHeaderLine)
			if !ok {
				return nil, d.err
			}
			if len(line) == 0 {
				d.startBody()
			} else {
				d.header(line)
			}
		case inBody:
			if f, more := d.readBody(); !more {
				return f, d.err
			}
		case atNUL:
			if len(d.in) == 0 {
				return nil, nil
			}
			if d.in[0] != 0 {
				d.fail(Malformed, "frame not terminated by NUL after content-length "+strconv.Itoa(d.length))
				break
			}
			d.in = d.in[1:]
			d.size++
			return d.finish(d.body), nil
		}
	}
	return nil, d.err
}

// readLine returns the next line of the input without its EOL (LF or
// CRLF), or false when the input ends before the line's EOL (which keeps
// the line's beginning) or the line is over max bytes.
//
// Of the line and frame limits it reports the one that the input crosses
// first, so that the error does not depend on where the stream was split
// into pieces.
func (d *Decoder) readLine(max int) ([]byte, bool) {
	i := bytes.IndexByte(d.in, '\n')
	piece := d.in
	if i >= 0 {
		piece = d.in[:i]
	}
	// max+1: before its LF, a line's last byte may be the CR of a CRLF.
	if room := max + 1 - len(d.line); len(piece) > room && room <= d.lim.MaxFrame-d.size {
		d.lineTooLong(max, piece)
		return nil, false
	}
	if i < 0 {
		if !d.count(len(piece)) {
			return nil, false
		}
		d.line = appendCapped(d.line, piece, max+1)
		d.in = nil
		return nil, false
	}
	d.in = d.in[i+1:]
	if !d.count(i + 1) {
		return nil, false
	}
	line := piece
	if len(d.line) > 0 {
		d.line = appendCapped(d.line, line, max+1)
		line, d.line = d.line, d.line[:0] // line is used before d.line grows again
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > max && d.st != inCommand { // a command line is checked by name
		d.lineTooLong(max, nil)
		return nil, false
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		d.fail(Malformed, "CR not followed by LF in line "+show(line))
		return nil, false
	}
	return line, true
}

// lineTooLong fails for a line over max bytes, whose first bytes are in
// d.line followed by rest.
func (d *Decoder) lineTooLong(max int, rest []byte) {
	if d.st == inCommand {
		// Quote as much as every split of the input holds: max+2 bytes.
		line := append(d.line[:len(d.line):len(d.line)], rest...)
		d.fail(Malformed, "unknown command "+show(line[:min(len(line), max+2)])+"...")
		return
	}
	d.fail(TooLarge, "header line over "+strconv.Itoa(max)+" bytes")
}

// count adds n bytes to the current frame's size, and fails when that
// takes it over the frame limit.
func (d *Decoder) count(n int) bool {
	d.size += n
	if d.size > d.lim.MaxFrame {
		d.fail(TooLarge, "frame over the "+strconv.Itoa(d.lim.MaxFrame)+"-byte frame limit")
		return false
	}
	return true
}

// header adds the header entry of line to the current frame.
func (d *Decoder) header(line []byte) {
	colon := bytes.IndexByte(line, ':')
	switch {
	case colon < 0:
		d.fail(Malformed, "header line without a colon: "+show(line))
		return
	case colon == 0:
		d.fail(Malformed, "header line without a name: "+show(line))
		return
	case len(d.frame.Headers) == d.lim.MaxHeaders:
		d.fail(TooLarge, "more than "+strconv.Itoa(d.lim.MaxHeaders)+" headers")
		return
	}
	key, bad := d.unescape(line[:colon], true)
	if bad != nil {
		d.fail(Malformed, "undefined escape "+show(bad)+" in a header name")
		return
	}
	value, bad := d.unescape(line[colon+1:], false)
	if bad != nil {
		d.fail(Malformed, "undefined escape "+show(bad)+" in header "+show([]byte(key)))
		return
	}
	d.frame.Headers = append(d.frame.Headers, Header{Key: key, Value: value})
}

// unescape returns b unescaped as the current frame's escaping says, or
// the offending escape.
func (d *Decoder) unescape(b []byte, key bool) (string, []byte) {
	if d.esc != escNone && bytes.IndexByte(b, '\\') >= 0 {
		if cap(d.scratch) < len(b) { // unescaping never lengthens
			d.scratch = make([]byte, 0, len(b))
		}
		var bad []byte
		d.scratch, bad = unescape(d.scratch[:0], b, d.esc)
		if bad != nil {
			return "", bad
		}
		b = d.scratch
	}
	if key {
		return headerName(b), nil
	}
	return string(b), nil
}

// startBody reads the content-length of the frame whose headers have just
// ended and sets up reading its body.
func (d *Decoder) startBody() {
	f := d.frame
	d.length = -1
	d.st = inBody
	v, ok := f.Get(HeaderContentLength)
	if !ok {
		return
	}
	n, ok := parseLength(v)
	switch {
	case !ok:
		d.fail(Malformed, "invalid content-length "+show([]byte(v)))
	case n > 0 && !hasBody(f.Command):
		d.fail(Malformed, f.Command+" frame must not have a body")
	case n > d.lim.MaxBody:
		d.fail(TooLarge, "content-length "+show([]byte(v))+" over the "+strconv.Itoa(d.lim.MaxBody)+"-byte body limit")
	case d.size+n+1 > d.lim.MaxFrame:
		d.fail(TooLarge, "content-length "+strconv.Itoa(n)+" makes a frame of "+strconv.Itoa(d.size+n+1)+
			" bytes, over the "+strconv.Itoa(d.lim.MaxFrame)+"-byte frame limit")
	default:
		d.length = n
		if n > 0 {
			d.body = make([]byte, 0, n)
		}
	}
}

// readBody reads as much of the current body as the input holds. It
// returns more when the frame continues (with a content-length, its NUL
// is still to come) and otherwise the frame, nil when the input ended
// first or on an error.
func (d *Decoder) readBody() (f *Frame, more bool) {
	if d.length >= 0 {
		n := min(d.length-len(d.body), len(d.in))
		d.body = append(d.body, d.in[:n]...) // within the capacity of length
		d.in = d.in[n:]
		d.size += n // counted against the frame limit in startBody
		if len(d.body) < d.length {
			return nil, false
		}
		d.st = atNUL
		return nil, true
	}
	max := d.lim.MaxBody
	if !hasBody(d.frame.Command) {
		max = 0
	}
	end := bytes.IndexByte(d.in, 0)
	n := end
	if end < 0 {
		n = len(d.in)
	}
	// Of the body and frame limits, report the one the input crosses
	// first, whatever the split.
	if room := max - len(d.body); n > room && room <= d.lim.MaxFrame-d.size {
		if max == 0 {
			d.fail(Malformed, d.frame.Command+" frame must not have a body")
		} else {
			d.fail(TooLarge, "body over the "+strconv.Itoa(max)+"-byte body limit")
		}
		return nil, false
	}
	if !d.count(n) {
		return nil, false
	}
	if end < 0 {
		d.body = appendCapped(d.body, d.in, max)
		d.in = nil
		return nil, false
	}
	var body []byte
	if len(d.body) == 0 {
		body = bytes.Clone(d.in[:end])
	} else {
		body = append(d.body, d.in[:end]...)
	}
	d.in = d.in[end+1:]
	if !d.count(1) {
		return nil, false
	}
	return d.finish(body), false
}

// finish returns the current frame with body, and readies the decoder for
// the next one.
func (d *Decoder) finish(body []byte) *Frame {
	f := d.frame
	if len(body) > 0 {
		f.Body = body
	}
	d.frame, d.body, d.st, d.size = nil, nil, inCommand, 0
	return f
}

// fail stops the decoder with a FrameError of kind for reason.
func (d *Decoder) fail(kind Kind, reason string) {
	e := &FrameError{Kind: kind, Reason: reason}
	if d.frame != nil {
		e.Command = d.frame.Command
		e.Receipt, _ = d.frame.Get(HeaderReceipt)
	}
	d.err = e
	d.in, d.line, d.scratch, d.body, d.frame = nil, nil, nil, nil, nil
}

// appendCapped appends p to buf, growing it to at most limit bytes of
// capacity (the caller has checked that len(buf)+len(p) <= limit), where
// append could grow it to twice what is needed.
func appendCapped(buf, p []byte, limit int) []byte {
	if need := len(buf) + len(p); need > cap(buf) {
		c := min(max(2*cap(buf), need, 512), limit)
		grown := make([]byte, len(buf), c)
		copy(grown, buf)
		buf = grown
	}
	return append(buf, p...)
}
