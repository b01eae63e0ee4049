package stomp

import "bytes"

// escaping is how header names and values are escaped in one frame.
type escaping uint8

const (
	// escNone is 1.0, and CONNECT, CONNECTED and STOMP frames in every
	// version: no escapes at all.
	escNone escaping = iota
	// esc11 is 1.1: \n, \c and \\.
	esc11
	// esc12 is 1.2: \r, \n, \c and \\.
	esc12
)

// escapingOf returns the escaping of a frame of command in version.
func escapingOf(version, command string) escaping {
	switch command {
	case CONNECT, CONNECTED, STOMP:
		return escNone
	}
	switch version {
	case V10:
		return escNone
	case V11:
		return esc11
	}
	return esc12
}

// unescape appends b with its escapes undone to dst. When b holds an
// escape that esc does not define, or ends in a lone backslash, it
// returns that escape as bad.
func unescape(dst, b []byte, esc escaping) (out, bad []byte) {
	if esc == escNone {
		return append(dst, b...), nil
	}
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			return append(dst, b...), nil
		}
		dst = append(dst, b[:i]...)
		if i+1 == len(b) {
			return dst, b[i:]
		}
		switch b[i+1] {
		case 'n':
			dst = append(dst, '\n')
		case 'c':
			dst = append(dst, ':')
		case '\\':
			dst = append(dst, '\\')
		case 'r':
			if esc != esc12 {
				return dst, b[i : i+2]
			}
			dst = append(dst, '\r')
		default:
			return dst, b[i : i+2]
		}
		b = b[i+2:]
	}
}

// appendEscaped appends s, a header name when key is set or a value
// otherwise, escaped as esc says. What esc cannot express (CR and LF
// without escapes, CR in 1.1, a colon in an unescaped name) is written as
// a space, so that the frame stays one well-formed frame; hxchat never
// sends such headers.
func appendEscaped(dst []byte, s string, esc escaping, key bool) []byte {
	if !needsEscape(s, esc, key) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' && esc != escNone:
			dst = append(dst, '\\', 'n')
		case c == '\r' && esc == esc12:
			dst = append(dst, '\\', 'r')
		case c == ':' && esc != escNone:
			dst = append(dst, '\\', 'c')
		case c == '\\' && esc != escNone:
			dst = append(dst, '\\', '\\')
		case c == '\n' || c == '\r' || c == ':' && key:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// needsEscape reports whether appendEscaped has to change any byte of s.
func needsEscape(s string, esc escaping, key bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r':
			return true
		case ':':
			if esc != escNone || key {
				return true
			}
		case '\\':
			if esc != escNone {
				return true
			}
		}
	}
	return false
}
