package stomp_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hxchat/stomp"
)

// frame returns a frame of cmd with body and the header entries kv, key
// and value in turn.
func frame(cmd, body string, kv ...string) *stomp.Frame {
	f := &stomp.Frame{Command: cmd}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	if body != "" {
		f.Body = []byte(body)
	}
	return f
}

// decode feeds the pieces to a new Decoder in turn and returns the frames
// it decoded, up to its first error.
func decode(version string, lim stomp.Limits, pieces ...[]byte) ([]*stomp.Frame, error) {
	d := stomp.NewDecoder(version, lim)
	var frames []*stomp.Frame
	for _, p := range pieces {
		d.Feed(p)
		for {
			f, err := d.Next()
			if err != nil {
				return frames, err
			}
			if f == nil {
				break
			}
			frames = append(frames, f)
		}
	}
	return frames, nil
}

// sameFrames reports whether a and b hold equal frames.
func sameFrames(a, b []*stomp.Frame) bool {
	return slices.EqualFunc(a, b, func(x, y *stomp.Frame) bool {
		return x.Command == y.Command && slices.Equal(x.Headers, y.Headers) && bytes.Equal(x.Body, y.Body)
	})
}

// format shows frames in a test failure.
func format(frames []*stomp.Frame) string {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, "{%s %q %q} ", f.Command, f.Headers, f.Body)
	}
	return b.String()
}

// reason returns err's Reason, or its text when it is no FrameError.
func reason(err error) string {
	if err == nil {
		return ""
	}
	var fe *stomp.FrameError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return "not a FrameError: " + err.Error()
}

type decodeCase struct {
	name    string
	version string // V12 when empty
	lim     stomp.Limits
	in      string
	want    []*stomp.Frame
	// err is the Reason of the error expected after the frames in want.
	err     string
	kind    stomp.Kind
	command string
	receipt string
}

var small = stomp.Limits{MaxFrame: 64, MaxBody: 16, MaxHeaders: 3, MaxHeaderLine: 16}

var decodeCases = []decodeCase{
	{
		name: "SEND with content-length",
		in:   "SEND\ndestination:/app/chat.message\ncontent-type:application/json\ncontent-length:5\n\nhello\x00",
		want: []*stomp.Frame{frame("SEND", "hello", "destination", "/app/chat.message", "content-type", "application/json", "content-length", "5")},
	},
	{
		name: "body without content-length ends at the first NUL",
		in:   "SEND\ndestination:/q\n\nhello\x00SEND\n\nagain\x00",
		want: []*stomp.Frame{frame("SEND", "hello", "destination", "/q"), frame("SEND", "again")},
	},
	{
		name: "content-length body holds NUL",
		in:   "SEND\ncontent-length:5\n\na\x00b\x00c\x00",
		want: []*stomp.Frame{frame("SEND", "a\x00b\x00c", "content-length", "5")},
	},
	{
		name: "content-length with leading zeros",
		in:   "SEND\ncontent-length:003\n\nabc\x00",
		want: []*stomp.Frame{frame("SEND", "abc", "content-length", "003")},
	},
	{
		name: "content-length 0",
		in:   "SEND\ncontent-length:0\n\n\x00",
		want: []*stomp.Frame{frame("SEND", "", "content-length", "0")},
	},
	{
		name: "CRLF lines",
		in:   "MESSAGE\r\ndestination:/t\r\nmessage-id:1\r\n\r\nhi\x00\r\n",
		want: []*stomp.Frame{frame("MESSAGE", "hi", "destination", "/t", "message-id", "1")},
	},
	{
		name: "repeated headers are all kept",
		in:   "SEND\nfoo:1\nfoo:2\n\n\x00",
		want: []*stomp.Frame{frame("SEND", "", "foo", "1", "foo", "2")},
	},
	{
		name: "heart-beats before, between and after frames",
		in:   "\n\r\n\nSEND\n\na\x00\n\n\r\nSEND\n\nb\x00\n\r\n",
		want: []*stomp.Frame{frame("SEND", "a"), frame("SEND", "b")},
	},
	{
		name: "heart-beats alone",
		in:   "\n\n\r\n\n",
	},
	{
		name: "frame without headers or body",
		in:   "DISCONNECT\nreceipt:77\n\n\x00",
		want: []*stomp.Frame{frame("DISCONNECT", "", "receipt", "77")},
	},
	{
		name: "empty value and a raw colon in a value",
		in:   "SEND\nempty:\nurl:http://x\n\n\x00",
		want: []*stomp.Frame{frame("SEND", "", "empty", "", "url", "http://x")},
	},
	{
		name: "spaces are kept",
		in:   "SEND\n k : v \n\n\x00",
		want: []*stomp.Frame{frame("SEND", "", " k ", " v ")},
	},
	{
		name: "1.2 escapes in names and values",
		in:   "SEND\na\\cb:c\\\\d\\ne\\rf\n\n\x00",
		want: []*stomp.Frame{frame("SEND", "", "a:b", "c\\d\ne\rf")},
	},
	{
		name:    "1.1 escapes",
		version: stomp.V11,
		in:      "SEND\nk:a\\nb\\cc\\\\\n\n\x00",
		want:    []*stomp.Frame{frame("SEND", "", "k", "a\nb:c\\")},
	},
	{
		name:    "1.0 has no escapes",
		version: stomp.V10,
		in:      "SEND\nk:a\\tb\\n:\\\n\n\x00",
		want:    []*stomp.Frame{frame("SEND", "", "k", "a\\tb\\n:\\")},
	},
	{
		name: "CONNECT headers are not unescaped",
		in:   "CONNECT\naccept-version:1.2\nlogin:ana@example.com\npasscode:p\\t:w\\\n\n\x00",
		want: []*stomp.Frame{frame("CONNECT", "", "accept-version", "1.2", "login", "ana@example.com", "passcode", "p\\t:w\\")},
	},
	{
		name: "STOMP headers are not unescaped",
		in:   "STOMP\naccept-version:1.1,1.2\nhost:a\\b\n\n\x00",
		want: []*stomp.Frame{frame("STOMP", "", "accept-version", "1.1,1.2", "host", "a\\b")},
	},
	{
		name:    "CONNECTED headers are not unescaped",
		version: stomp.V11,
		in:      "CONNECTED\nversion:1.1\nserver:hx\\chat\n\n\x00",
		want:    []*stomp.Frame{frame("CONNECTED", "", "version", "1.1", "server", "hx\\chat")},
	},
	{
		name: "limits reached but not exceeded",
		lim:  small,
		// A 16-byte header line (and one of 16 bytes before its CRLF), 3
		// headers, a 16-byte body, a 64-byte frame.
		in: "SEND\nk:0123456789abcd\nk:0123456789abcd\r\nk:x\n\n0123456789abcdef\x00",
		want: []*stomp.Frame{frame("SEND", "0123456789abcdef",
			"k", "0123456789abcd", "k", "0123456789abcd", "k", "x")},
	},
	{
		name: "content-length body at the limits",
		lim:  stomp.Limits{MaxFrame: 41, MaxBody: 16},
		in:   "SEND\ncontent-length:16\n\n0123456789abcdef\x00",
		want: []*stomp.Frame{frame("SEND", "0123456789abcdef", "content-length", "16")},
	},
}

// splits returns ways to cut in into pieces: whole, in two at every byte
// boundary (at every 97th for long inputs), and a byte at a time.
func splits(in []byte) [][][]byte {
	out := [][][]byte{{in}}
	step := 1
	if len(in) > 1000 {
		step = 97
	}
	for i := 0; i <= len(in); i += step {
		out = append(out, [][]byte{in[:i], in[i:]})
	}
	var bytewise [][]byte
	for i := range in {
		bytewise = append(bytewise, in[i:i+1])
	}
	return append(out, bytewise)
}

func TestDecode(t *testing.T) {
	runDecodeCases(t, decodeCases)
}

// runDecodeCases decodes each case's input split in every way of splits,
// and checks that every way gives the frames and error wanted.
func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			version := tc.version
			if version == "" {
				version = stomp.V12
			}
			for _, pieces := range splits([]byte(tc.in)) {
				got, err := decode(version, tc.lim, pieces...)
				if !sameFrames(got, tc.want) {
					t.Fatalf("%d pieces: got frames %s, want %s", len(pieces), format(got), format(tc.want))
				}
				if got, want := reason(err), tc.err; got != want {
					t.Fatalf("%d pieces: got error %q, want %q", len(pieces), got, want)
				}
				if err == nil {
					continue
				}
				var fe *stomp.FrameError
				errors.As(err, &fe)
				if fe.Kind != tc.kind || fe.Command != tc.command || fe.Receipt != tc.receipt {
					t.Fatalf("%d pieces: got kind %d, command %q, receipt %q; want %d, %q, %q",
						len(pieces), fe.Kind, fe.Command, fe.Receipt, tc.kind, tc.command, tc.receipt)
				}
			}
		})
	}
}

func TestDecodeEveryCommand(t *testing.T) {
	for _, cmd := range []string{"CONNECT", "STOMP", "CONNECTED", "SEND", "SUBSCRIBE", "UNSUBSCRIBE",
		"ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT", "MESSAGE", "RECEIPT", "ERROR"} {
		got, err := decode(stomp.V12, stomp.Limits{}, []byte(cmd+"\nk:v\n\n\x00"))
		if want := []*stomp.Frame{frame(cmd, "", "k", "v")}; err != nil || !sameFrames(got, want) {
			t.Errorf("%s: got %s, %v; want %s", cmd, format(got), err, format(want))
		}
	}
}

// A stream of several frames of every kind decodes the same however it
// is split into WebSocket messages.
func TestDecodeSplitStream(t *testing.T) {
	in := []byte("\nCONNECT\r\naccept-version:1.2\r\nhost:chat\r\n\r\n\x00\n" +
		"SUBSCRIBE\nid:sub-0\ndestination:/topic/room.5\nack:client-individual\n\n\x00" +
		"SEND\ndestination:/app/chat.message\ncontent-type:application/json\ncontent-length:9\nreceipt:r\\c1\n\n{\"a\":\"\x00\"}\x00\r\n\n" +
		"SEND\ndestination:/app/chat.message\n\nno length\x00\n" +
		"DISCONNECT\nreceipt:bye\n\n\x00\n")
	want := []*stomp.Frame{
		frame("CONNECT", "", "accept-version", "1.2", "host", "chat"),
		frame("SUBSCRIBE", "", "id", "sub-0", "destination", "/topic/room.5", "ack", "client-individual"),
		frame("SEND", "{\"a\":\"\x00\"}", "destination", "/app/chat.message", "content-type", "application/json", "content-length", "9", "receipt", "r:1"),
		frame("SEND", "no length", "destination", "/app/chat.message"),
		frame("DISCONNECT", "", "receipt", "bye"),
	}
	for _, pieces := range splits(in) {
		got, err := decode(stomp.V12, stomp.Limits{}, pieces...)
		if err != nil || !sameFrames(got, want) {
			t.Fatalf("%d pieces: got %s, %v; want %s", len(pieces), format(got), err, format(want))
		}
	}
}

// A decoder returns frames only once they are complete, keeps a partial
// one, and applies a new version from the next frame on.
func TestDecoderIncremental(t *testing.T) {
	d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	d.Feed([]byte("CONNECT\naccept-version:1.0\n\n\x00SEND\nk:a\\"))
	f, err := d.Next()
	if err != nil || f == nil || f.Command != "CONNECT" {
		t.Fatalf("got %v, %v; want the CONNECT frame", f, err)
	}
	d.SetVersion(stomp.V10) // applies to the SEND, whose command line is not read yet
	if f, err := d.Next(); f != nil || err != nil {
		t.Fatalf("got %v, %v; want nothing yet", f, err)
	}
	if !d.Pending() {
		t.Fatalf("got Pending false inside a frame")
	}
	d.Feed([]byte("tb\n\nbody\x00\n"))
	f, err = d.Next()
	if want := frame("SEND", "body", "k", "a\\tb"); err != nil || !sameFrames([]*stomp.Frame{f}, []*stomp.Frame{want}) {
		t.Fatalf("got %v, %v; want %s", f, err, format([]*stomp.Frame{want}))
	}
	if f, err := d.Next(); f != nil || err != nil || d.Pending() {
		t.Fatalf("got %v, %v, pending %v; want nothing left", f, err, d.Pending())
	}
	if got, want := d.Version(), stomp.V10; got != want {
		t.Fatalf("got version %s, want %s", got, want)
	}
}

// After an error a decoder stays stopped.
func TestDecoderErrorIsFinal(t *testing.T) {
	d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	d.Feed([]byte("FOO\n\n\x00"))
	_, first := d.Next()
	d.Feed([]byte("SEND\n\n\x00"))
	f, err := d.Next()
	if f != nil || err != first || first == nil {
		t.Fatalf("got %v, %v; want nil and the first error %v", f, err, first)
	}
	if got, want := err.Error(), "stomp: unknown command FOO"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestLimitsDefaults(t *testing.T) {
	got := stomp.NewDecoder(stomp.V12, stomp.Limits{MaxHeaders: 10}).Limits()
	want := stomp.Limits{MaxFrame: 65536, MaxBody: 49152, MaxHeaders: 10, MaxHeaderLine: 8192}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// A content-length is checked before the body is allocated: claiming a
// large body costs nothing.
func TestDecodeDoesNotTrustContentLength(t *testing.T) {
	in := []byte("SEND\ncontent-length:" + strconv.Itoa(1<<30) + "\n\n")
	const runs = 100
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := decode(stomp.V12, stomp.Limits{}, in); err == nil {
			t.Fatal("got no error")
		}
	}
	runtime.ReadMemStats(&after)
	if got := (after.TotalAlloc - before.TotalAlloc) / runs; got > 4096 {
		t.Fatalf("got %d bytes allocated per refused frame, want at most 4096", got)
	}
}
