package stomp

import (
	"math"
	"strconv"
)

// Encode returns f as one complete frame, to be sent as one WebSocket
// message; see AppendFrame.
func Encode(version string, f *Frame) []byte {
	n := len(f.Command) + len(f.Body) + len("\ncontent-length:65536\n\n\x00")
	for _, h := range f.Headers {
		n += len(h.Key) + len(h.Value) + 2
	}
	return AppendFrame(make([]byte, 0, n), version, f)
}

// AppendFrame appends f, encoded for version, to dst and returns the
// extended buffer. Header names and values are escaped as version and
// the command say (see the package comment); lines end in LF.
//
// A frame with a body, and every MESSAGE and ERROR frame, goes out with a
// content-length header, so that a body may hold NUL and a peer need not
// search for the end: when f has none, one is added after the other
// headers, and when its first content-length does not state the length of
// Body, its value is corrected.
func AppendFrame(dst []byte, version string, f *Frame) []byte {
	esc := escapingOf(version, f.Command)
	dst = append(dst, f.Command...)
	dst = append(dst, '\n')
	seen := false
	for _, h := range f.Headers {
		if h.Key == HeaderContentLength && !seen {
			seen = true
			if n, ok := parseLength(h.Value); !ok || n != len(f.Body) {
				dst = appendContentLength(dst, len(f.Body))
				continue
			}
		}
		dst = appendEscaped(dst, h.Key, esc, true)
		dst = append(dst, ':')
		dst = appendEscaped(dst, h.Value, esc, false)
		dst = append(dst, '\n')
	}
	if !seen && (len(f.Body) > 0 || f.Command == MESSAGE || f.Command == ERROR) {
		dst = appendContentLength(dst, len(f.Body))
	}
	dst = append(dst, '\n')
	dst = append(dst, f.Body...)
	return append(dst, 0)
}

// appendContentLength appends a content-length header line for n bytes.
func appendContentLength(dst []byte, n int) []byte {
	dst = append(dst, HeaderContentLength...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\n')
}

// parseLength reads a content-length value: one or more ASCII digits,
// nothing else (no sign, no space). A value too large for an int reads as
// math.MaxInt, which is over every limit.
func parseLength[S ~string | ~[]byte](s S) (n int, ok bool) {
	if len(s) == 0 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt-9)/10 {
			n = math.MaxInt
			continue
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
