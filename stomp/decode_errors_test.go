package stomp_test

import (
	"strings"
	"testing"

	"hxchat/stomp"
)

// Each rule a frame can break, and the reason a client reads in the ERROR
// frame's message header.
var decodeErrorCases = []decodeCase{
	{
		name: "header line over the limit",
		lim:  small,
		in:   "SEND\nk:0123456789abcde\n\n\x00",
		err:  "header line over 16 bytes", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "header line over the default limit",
		in:   "SEND\nreceipt:9\nk:" + strings.Repeat("x", 8191) + "\n\n\x00",
		err:  "header line over 8192 bytes", kind: stomp.TooLarge, command: "SEND", receipt: "9",
	},
	{
		name: "header line over the limit before its EOL arrives",
		lim:  small,
		in:   "SEND\nk:0123456789abcdef",
		err:  "header line over 16 bytes", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "more headers than the limit",
		lim:  small,
		in:   "SEND\na:1\nb:2\nc:3\nd:4\n\n\x00",
		err:  "more than 3 headers", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "more headers than the default limit",
		in:   "SEND\n" + strings.Repeat("k:v\n", 65) + "\n\x00",
		err:  "more than 64 headers", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "unknown command",
		in:   "FOO\n\n\x00",
		err:  "unknown command FOO", kind: stomp.Malformed,
	},
	{
		name: "lower-case command",
		in:   "send\n\n\x00",
		err:  "unknown command send", kind: stomp.Malformed,
	},
	{
		name: "command line too long for any command, before its EOL",
		in:   "SUBSCRIBEXXXXXXXXXXXXXXXXXXXX",
		err:  "unknown command SUBSCRIBEXXXX...", kind: stomp.Malformed,
	},
	{
		name: "stray NUL between frames",
		in:   "SEND\n\na\x00\x00\n",
		want: []*stomp.Frame{frame("SEND", "a")},
		err:  `unknown command "\x00"`, kind: stomp.Malformed,
	},
	{
		name: "frames before an error are returned",
		in:   "SEND\n\na\x00FOO\n\n\x00",
		want: []*stomp.Frame{frame("SEND", "a")},
		err:  "unknown command FOO", kind: stomp.Malformed,
	},
	{
		name: "undefined escape in a value",
		in:   "SEND\nreceipt:r-1\ndestination:/a\\tb\n\n\x00",
		err:  `undefined escape \t in header destination`, kind: stomp.Malformed, command: "SEND", receipt: "r-1",
	},
	{
		name: "undefined escape in a name",
		in:   "SEND\nde\\st:x\n\n\x00",
		err:  `undefined escape \s in a header name`, kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "backslash at the end of a value",
		in:   "SEND\nk:ab\\\n\n\x00",
		err:  `undefined escape \ in header k`, kind: stomp.Malformed, command: "SEND",
	},
	{
		name:    `\r is undefined in 1.1`,
		version: stomp.V11,
		in:      "SEND\nk:a\\rb\n\n\x00",
		err:     `undefined escape \r in header k`, kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "header line without a colon",
		in:   "SEND\nnocolon\n\n\x00",
		err:  "header line without a colon: nocolon", kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "header line without a name",
		in:   "SEND\n:v\n\n\x00",
		err:  "header line without a name: :v", kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "CR not followed by LF",
		in:   "SEND\nk:a\rb\n\n\x00",
		err:  `CR not followed by LF in line "k:a\rb"`, kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "content-length not a number",
		in:   "SEND\ncontent-length:abc\n\nabc\x00",
		err:  "invalid content-length abc", kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "negative content-length",
		in:   "SEND\ncontent-length:-1\n\n\x00",
		err:  "invalid content-length -1", kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "content-length with a space",
		in:   "SEND\ncontent-length: 1\n\na\x00",
		err:  "invalid content-length  1", kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "empty content-length",
		in:   "SEND\ncontent-length:\n\n\x00",
		err:  `invalid content-length ""`, kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "content-length over the body limit, before the body arrives",
		in:   "SEND\nreceipt:r1\ncontent-length:99999999\n\n",
		err:  "content-length 99999999 over the 49152-byte body limit", kind: stomp.TooLarge, command: "SEND", receipt: "r1",
	},
	{
		name: "content-length beyond any integer",
		in:   "SEND\ncontent-length:99999999999999999999999\n\n",
		err:  "content-length 99999999999999999999999 over the 49152-byte body limit", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "content-length making the frame too large",
		lim:  stomp.Limits{MaxFrame: 64, MaxBody: 1000},
		in:   "SEND\ncontent-length:60\n\n",
		err:  "content-length 60 makes a frame of 85 bytes, over the 64-byte frame limit", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "body over the limit without content-length",
		lim:  small,
		in:   "SEND\n\n0123456789abcdefg",
		err:  "body over the 16-byte body limit", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "frame over the limit",
		lim:  small,
		in:   "SEND\na:0123456789abcd\nb:0123456789abcd\nc:0123456789abcd\n\n0123456\x00",
		err:  "frame over the 64-byte frame limit", kind: stomp.TooLarge, command: "SEND",
	},
	{
		name: "frame not terminated by NUL",
		in:   "SEND\ncontent-length:2\n\nabc\x00",
		err:  "frame not terminated by NUL after content-length 2", kind: stomp.Malformed, command: "SEND",
	},
	{
		name: "SUBSCRIBE with a body",
		in:   "SUBSCRIBE\nid:1\n\nxyz\x00",
		err:  "SUBSCRIBE frame must not have a body", kind: stomp.Malformed, command: "SUBSCRIBE",
	},
	{
		name: "SUBSCRIBE with a content-length body",
		in:   "SUBSCRIBE\nid:1\ncontent-length:3\n\nxyz\x00",
		err:  "SUBSCRIBE frame must not have a body", kind: stomp.Malformed, command: "SUBSCRIBE",
	},
}

func TestDecodeErrors(t *testing.T) {
	runDecodeCases(t, decodeErrorCases)
}
