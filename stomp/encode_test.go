package stomp_test

import (
	"testing"

	"hxchat/stomp"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name    string
		version string
		f       *stomp.Frame
		want    string
	}{
		{
			name:    "MESSAGE gets a content-length",
			version: stomp.V12,
			f:       frame("MESSAGE", `{"a":1}`, "destination", "/topic/room.5", "subscription", "sub-0", "message-id", "5-42", "content-type", "application/json"),
			want:    "MESSAGE\ndestination:/topic/room.5\nsubscription:sub-0\nmessage-id:5-42\ncontent-type:application/json\ncontent-length:7\n\n{\"a\":1}\x00",
		},
		{
			name:    "empty MESSAGE and ERROR bodies get content-length 0",
			version: stomp.V12,
			f:       frame("ERROR", "", "message", "bad frame"),
			want:    "ERROR\nmessage:bad frame\ncontent-length:0\n\n\x00",
		},
		{
			name:    "a frame without body gets none",
			version: stomp.V12,
			f:       frame("RECEIPT", "", "receipt-id", "77"),
			want:    "RECEIPT\nreceipt-id:77\n\n\x00",
		},
		{
			name:    "any body gets a content-length",
			version: stomp.V10,
			f:       frame("SEND", "a\x00b", "destination", "/q"),
			want:    "SEND\ndestination:/q\ncontent-length:3\n\na\x00b\x00",
		},
		{
			name:    "a right content-length stays where it is",
			version: stomp.V12,
			f:       frame("SEND", "abc", "content-length", "003", "destination", "/q"),
			want:    "SEND\ncontent-length:003\ndestination:/q\n\nabc\x00",
		},
		{
			name:    "a wrong content-length is corrected, later ones kept",
			version: stomp.V12,
			f:       frame("SEND", "abc", "content-length", "9", "content-length", "x"),
			want:    "SEND\ncontent-length:3\ncontent-length:x\n\nabc\x00",
		},
		{
			name:    "1.2 escapes",
			version: stomp.V12,
			f:       frame("MESSAGE", "", "a:b", "c\\d\ne\rf"),
			want:    "MESSAGE\na\\cb:c\\\\d\\ne\\rf\ncontent-length:0\n\n\x00",
		},
		{
			name:    "1.1 escapes, without CR",
			version: stomp.V11,
			f:       frame("RECEIPT", "", "a:b", "c\\d\ne\rf"),
			want:    "RECEIPT\na\\cb:c\\\\d\\ne f\n\n\x00",
		},
		{
			name:    "1.0 has no escapes",
			version: stomp.V10,
			f:       frame("RECEIPT", "", "a:b", "c\\d:\ne\rf"),
			want:    "RECEIPT\na b:c\\d: e f\n\n\x00",
		},
		{
			name:    "CONNECTED has no escapes",
			version: stomp.V12,
			f:       frame("CONNECTED", "", "version", "1.2", "server", "hx\\chat:1"),
			want:    "CONNECTED\nversion:1.2\nserver:hx\\chat:1\n\n\x00",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(stomp.Encode(tc.version, tc.f)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			prefix := []byte("\n")
			if got := string(stomp.AppendFrame(prefix, tc.version, tc.f)); got != "\n"+tc.want {
				t.Fatalf("AppendFrame: got %q, want %q", got, "\n"+tc.want)
			}
		})
	}
}

// What each version can carry survives Encode and a Decoder unchanged,
// but for the content-length that Encode adds.
func TestRoundTrip(t *testing.T) {
	common := []*stomp.Frame{
		frame("SEND", "", "destination", "/app/chat.message"),
		frame("SEND", "{\"message\":\"a\x00b\"}", "destination", "/app/chat.message", "content-type", "application/json"),
		frame("SUBSCRIBE", "", "id", "0", "destination", "/topic/room.5", "after-seq", "41", "id", "ignored"),
		frame("MESSAGE", "x", "destination", "/topic/room.5", "message-id", "5-42", "url", "http://a:b"),
		frame("ERROR", "details\n", "message", "unknown command FOO"),
		frame("CONNECT", "", "login", "ana", "passcode", "a\\b:c"),
		frame("CONNECTED", "", "version", "1.2", "heart-beat", "10000,10000"),
		frame("RECEIPT", "", "receipt-id", ""),
	}
	special := map[string][]*stomp.Frame{
		stomp.V10: {frame("SEND", "", "k", "a\\t:b")},
		stomp.V11: {frame("SEND", "", "a:b\\", "c\nd:\\")},
		stomp.V12: {frame("SEND", "", "a:b\r\\", "c\r\nd:\\")},
	}
	for _, version := range []string{stomp.V10, stomp.V11, stomp.V12} {
		t.Run(version, func(t *testing.T) {
			for _, f := range append(common, special[version]...) {
				got, err := decode(version, stomp.Limits{}, stomp.Encode(version, f))
				want := withLength(f)
				if err != nil || !sameFrames(got, []*stomp.Frame{want}) {
					t.Errorf("got %s, %v; want %s", format(got), err, format([]*stomp.Frame{want}))
				}
			}
		})
	}
}

// withLength returns f as a Decoder reads it back from Encode: with the
// content-length header that Encode adds.
func withLength(f *stomp.Frame) *stomp.Frame {
	if _, ok := f.Get("content-length"); ok || len(f.Body) == 0 && f.Command != "MESSAGE" && f.Command != "ERROR" {
		return f
	}
	g := *f
	g.Headers = append(g.Headers[:len(g.Headers):len(g.Headers)], stomp.Header{Key: "content-length", Value: itoa(len(f.Body))})
	return &g
}
