package stomp

// Default limits of a Decoder; the package comment says why these.
const (
	// DefaultMaxFrame is the largest frame, 64 KiB.
	DefaultMaxFrame = 64 << 10
	// DefaultMaxBody is the largest body, 48 KiB.
	DefaultMaxBody = 48 << 10
	// DefaultMaxHeaders is the most header entries in one frame.
	DefaultMaxHeaders = 64
	// DefaultMaxHeaderLine is the longest header line, 8 KiB.
	DefaultMaxHeaderLine = 8 << 10
)

// Limits bound what a Decoder accepts and therefore what it allocates. A
// field left zero (or negative) takes its default.
type Limits struct {
	// MaxFrame is the largest frame in bytes, from the first byte of its
	// command to its NUL; the EOLs of heart-beats between frames do not
	// count (default DefaultMaxFrame, 64 KiB).
	MaxFrame int
	// MaxBody is the largest body in bytes (default DefaultMaxBody,
	// 48 KiB).
	MaxBody int
	// MaxHeaders is the most header entries a frame may have, repeated
	// ones included (default DefaultMaxHeaders, 64).
	MaxHeaders int
	// MaxHeaderLine is the longest header line in bytes, before
	// unescaping and without its EOL (default DefaultMaxHeaderLine,
	// 8 KiB).
	MaxHeaderLine int
}

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxFrame <= 0 {
		l.MaxFrame = DefaultMaxFrame
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxHeaderLine <= 0 {
		l.MaxHeaderLine = DefaultMaxHeaderLine
	}
	return l
}
