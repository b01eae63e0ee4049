package stomp

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// fuzzLimits are small, so that the fuzzer reaches every limit.
var fuzzLimits = Limits{MaxFrame: 256, MaxBody: 128, MaxHeaders: 4, MaxHeaderLine: 32}

// roomy limits let a re-encoded frame, whose escapes and content-length
// make it longer, decode again.
var roomy = Limits{MaxFrame: 1 << 20, MaxBody: 1 << 20, MaxHeaders: 1 << 10, MaxHeaderLine: 1 << 20}

// FuzzDecode checks that decoding never panics, never holds buffers
// beyond the limits, gives the same frames and error however the input
// is split, and that every frame it decodes encodes to bytes that decode
// to the same frame.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"SEND\ndestination:/app/chat.message\ncontent-type:application/json\ncontent-length:5\n\nhello\x00",
		"SEND\ndestination:/q\n\nhello\x00\n\r\nSEND\n\nagain\x00",
		"SEND\ncontent-length:5\n\na\x00b\x00c\x00",
		"MESSAGE\r\ndestination:/t\r\nmessage-id:1\r\n\r\nhi\x00\r\n",
		"SEND\na\\cb:c\\\\d\\ne\\rf\nk:1\nk:2\n\n\x00",
		"CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:a\npasscode:p\\t:w\nheart-beat:10000,10000\n\n\x00",
		"CONNECTED\nversion:1.2\nserver:hxchat\n\n\x00",
		"ERROR\nreceipt-id:7\nmessage:bad\ncontent-length:0\n\n\x00",
		"SUBSCRIBE\nid:0\ndestination:/topic/room.5\nack:client\n\nx\x00",
		"SEND\ncontent-length:99999999\n\n",
		"SEND\ncontent-length:2\n\nabc\x00",
		"FOO\n\n\x00",
		"SEND\nk:a\rb\n\n\x00",
	} {
		for mode := range uint8(6) {
			f.Add([]byte(seed), mode, uint16(len(seed)/2))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, split uint16) {
		version := []string{V10, V11, V12}[mode%3]
		lim := Limits{}
		if mode&4 != 0 {
			lim = fuzzLimits
		}
		whole, werr := decodeChecked(t, version, lim, data)
		at := int(split) % (len(data) + 1)
		step := 1 + int(split)%7
		var pieces [][]byte
		for i := 0; i < len(data); i += step {
			pieces = append(pieces, data[i:min(i+step, len(data))])
		}
		for _, cut := range [][][]byte{{data[:at], data[at:]}, pieces} {
			got, err := decodeChecked(t, version, lim, cut...)
			if !equalFrames(got, whole) || errText(err) != errText(werr) {
				t.Fatalf("split into %d pieces: got %s, %v; whole: %s, %v", len(cut), dump(got...), err, dump(whole...), werr)
			}
		}
		lim = lim.withDefaults()
		for _, fr := range whole {
			if len(fr.Body) > lim.MaxBody || len(fr.Headers) > lim.MaxHeaders {
				t.Fatalf("decoded %s, over the limits %+v", dump(fr), lim)
			}
			enc := Encode(version, fr)
			again, err := decodeChecked(t, version, roomy, enc)
			if want := expectedBack(fr); err != nil || !equalFrames(again, []*Frame{want}) {
				t.Fatalf("%s encoded as %q decodes to %s, %v; want %s", dump(fr), enc, dump(again...), err, dump(want))
			}
		}
	})
}

// decodeChecked decodes pieces in turn like a connection's read loop,
// checking after every step that the decoder's buffers stay within lim.
func decodeChecked(t *testing.T, version string, lim Limits, pieces ...[]byte) ([]*Frame, error) {
	t.Helper()
	d := NewDecoder(version, lim)
	l := d.Limits()
	var frames []*Frame
	for _, p := range pieces {
		d.Feed(p)
		for {
			f, err := d.Next()
			if c := cap(d.line); c > l.MaxHeaderLine+1 {
				t.Fatalf("line buffer of %d bytes, over the %d-byte line limit", c, l.MaxHeaderLine)
			}
			if c := cap(d.scratch); c > l.MaxHeaderLine {
				t.Fatalf("scratch buffer of %d bytes, over the %d-byte line limit", c, l.MaxHeaderLine)
			}
			if c := cap(d.body); c > l.MaxBody {
				t.Fatalf("body buffer of %d bytes, over the %d-byte body limit", c, l.MaxBody)
			}
			if d.size > l.MaxFrame {
				t.Fatalf("frame of %d bytes held, over the %d-byte frame limit", d.size, l.MaxFrame)
			}
			if err != nil {
				var fe *FrameError
				if !errors.As(err, &fe) || fe.Kind == 0 || fe.Reason == "" {
					t.Fatalf("got %#v, want a FrameError with a kind and reason", err)
				}
				for _, c := range []byte(fe.Reason) {
					if c < 0x20 || c >= 0x7f {
						t.Fatalf("reason %q holds byte %#x", fe.Reason, c)
					}
				}
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

// expectedBack returns f as it decodes after Encode: with the
// content-length header that Encode adds.
func expectedBack(f *Frame) *Frame {
	if _, ok := f.Get(HeaderContentLength); ok || len(f.Body) == 0 && f.Command != MESSAGE && f.Command != ERROR {
		return f
	}
	g := *f
	g.Headers = append(slices.Clip(g.Headers), Header{HeaderContentLength, strconv.Itoa(len(f.Body))})
	return &g
}

func equalFrames(a, b []*Frame) bool {
	return slices.EqualFunc(a, b, func(x, y *Frame) bool {
		return x.Command == y.Command && slices.Equal(x.Headers, y.Headers) && bytes.Equal(x.Body, y.Body)
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func dump(frames ...*Frame) string {
	s := ""
	for _, f := range frames {
		s += fmt.Sprintf("{%s %q %q} ", f.Command, f.Headers, f.Body)
	}
	return s
}
