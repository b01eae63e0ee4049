package stomp

import "strconv"

// Kind says what sort of rule a refused frame broke.
type Kind int

const (
	// Malformed is a frame that breaks the grammar: an unknown command, a
	// header line without a colon, an undefined escape, a bad
	// content-length, a missing NUL, a body where none is allowed.
	Malformed Kind = iota + 1
	// TooLarge is a frame over one of the Decoder's Limits.
	TooLarge
)

// FrameError is why a Decoder refused its input, or why a negotiation
// header could not be read. After a FrameError a connection is beyond
// repair: the server sends an ERROR frame and closes it.
type FrameError struct {
	// Kind is the sort of rule broken.
	Kind Kind
	// Reason says exactly what was wrong, in one line of printable ASCII
	// that can be an ERROR frame's message header as it is, e.g.
	// "content-length 99999999 over the 49152-byte body limit".
	Reason string
	// Command is the refused frame's command, when it was read.
	Command string
	// Receipt is the refused frame's receipt header, when it was read
	// before the error: the ERROR frame then carries it as receipt-id.
	Receipt string
}

// Error returns the reason, prefixed by the package name.
func (e *FrameError) Error() string {
	return "stomp: " + e.Reason
}

// maxShown is how many bytes of a peer's input an error message quotes.
const maxShown = 32

// show returns up to maxShown bytes of b for an error message: as they
// are when they are printable ASCII, quoted otherwise, so that a reason
// never holds a control character, an EOL or invalid UTF-8.
func show(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	cut := len(b) > maxShown
	if cut {
		b = b[:maxShown]
	}
	s := string(b)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' {
			s = strconv.QuoteToASCII(s)
			break
		}
	}
	if cut {
		s += "..."
	}
	return s
}
