package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// frameSeeds are frames a page sends, or might: htmx's websocket
// extension sends form fields as strings (an array when a name repeats)
// plus a HEADERS object.
var frameSeeds = []string{
	`{"body":"hello","token":"tok1","HEADERS":{"HX-Request":"true","HX-Trigger":"send","HX-Trigger-Name":null,"HX-Target":"send","HX-Current-URL":"http://localhost/chat/rooms/1"}}`,
	`{"after":"42","HEADERS":{"HX-Request":"true","HX-Trigger":"resume","HX-Trigger-Name":null,"HX-Target":"resume","HX-Current-URL":"http://localhost/chat/rooms/1"}}`,
	`{"after":"0"}`,
	`{"body":"","token":""}`,
	`{"body":["a","b"],"token":"t"}`,
	`{"after":["1","2"]}`,
	`[]`,
	`[{"body":"x","token":"t"}]`,
	`42`,
	`-1`,
	`null`,
	`"body"`,
	`{}`,
	`{"body":{"nested":{"deeper":[1,2,{"x":null}]}},"token":"t"}`,
	`{"after":"99999999999999999999999999"}`,
	`{"after":"-9223372036854775808"}`,
	`{"after":"9223372036854775807"}`,
	`{"after":1e400}`,
	`{"after":"1e3"}`,
	`{"body":"\ud800","token":"t"}`,
	"{\"body\":\"\xff\xfe\",\"token\":\"t\"}",
	"{\"body\":\"caf\xc3\",\"token\":\"\xc0\xaf\"}",
	`{"body":"a","token":"t","after":"1"}`,
	`{"BODY":"upper","Token":"mixed"}`,
	`{"body":"first","body":"second","token":"t"}`,
	`{"body":null,"token":"t"}`,
	`{"after":null}`,
	`{"body":"x","token":"t"} trailing`,
	strings.Repeat(`[`, 10000),
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range frameSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			if fr != (frame{}) {
				t.Errorf("decodeFrame(%q): error %v with frame %+v, want the zero frame", data, err, fr)
			}
			return
		}
		if fr.Resume {
			if fr.After < 0 {
				t.Errorf("decodeFrame(%q): resume after %d, want >= 0", data, fr.After)
			}
			if fr.Body != "" || fr.Token != "" {
				t.Errorf("decodeFrame(%q): resume with body %q token %q", data, fr.Body, fr.Token)
			}
			return
		}
		// A send: its text is what JSON carries, so it survives a round
		// trip through the form htmx sends.
		if !utf8.ValidString(fr.Body) || !utf8.ValidString(fr.Token) {
			t.Errorf("decodeFrame(%q): invalid UTF-8 in %+v", data, fr)
		}
		again, err := json.Marshal(map[string]string{"body": fr.Body, "token": fr.Token})
		if err != nil {
			t.Fatalf("re-encode %+v: %v", fr, err)
		}
		back, err := decodeFrame(again)
		if err != nil || back != fr {
			t.Errorf("round trip of %+v via %s: got %+v, %v", fr, again, back, err)
		}
	})
}

func TestDecodeFrame(t *testing.T) {
	cases := []struct {
		name    string
		data    string
		want    frame
		wantErr bool
	}{
		{name: "send", data: frameSeeds[0], want: frame{Body: "hello", Token: "tok1"}},
		{name: "resume", data: frameSeeds[1], want: frame{Resume: true, After: 42}},
		{name: "resume from nothing", data: `{"after":"0"}`, want: frame{Resume: true}},
		{name: "resume, largest", data: `{"after":"9223372036854775807"}`, want: frame{Resume: true, After: 1<<63 - 1}},
		{name: "empty send", data: `{"body":"","token":""}`, want: frame{}},
		{name: "escapes", data: `{"body":"a\nb \u003cp\u003e \u00e9","token":"t"}`, want: frame{Body: "a\nb <p> é", Token: "t"}},
		{name: "invalid UTF-8 becomes U+FFFD", data: "{\"body\":\"\xff\",\"token\":\"t\"}", want: frame{Body: "\uFFFD", Token: "t"}},
		{name: "lone surrogate becomes U+FFFD", data: `{"body":"\ud800","token":"t"}`, want: frame{Body: "\uFFFD", Token: "t"}},
		{name: "keys in any case", data: `{"BODY":"b","Token":"t"}`, want: frame{Body: "b", Token: "t"}},
		{name: "last duplicate key wins", data: `{"body":"1","body":"2","token":"t"}`, want: frame{Body: "2", Token: "t"}},
		{name: "extra fields ignored", data: `{"body":"b","token":"t","name":"x"}`, want: frame{Body: "b", Token: "t"}},

		{name: "not JSON", data: `{body`, wantErr: true},
		{name: "empty", data: ``, wantErr: true},
		{name: "trailing data", data: `{"body":"b","token":"t"} x`, wantErr: true},
		{name: "array", data: `[{"body":"b","token":"t"}]`, wantErr: true},
		{name: "number", data: `42`, wantErr: true},
		{name: "string", data: `"body"`, wantErr: true},
		{name: "null", data: `null`, wantErr: true},
		{name: "empty object", data: `{}`, wantErr: true},
		{name: "headers only", data: `{"HEADERS":{"HX-Request":"true"}}`, wantErr: true},
		{name: "repeated body", data: `{"body":["a","b"],"token":"t"}`, wantErr: true},
		{name: "repeated token", data: `{"body":"b","token":["t","u"]}`, wantErr: true},
		{name: "nested body", data: `{"body":{"x":"y"},"token":"t"}`, wantErr: true},
		{name: "numeric body", data: `{"body":7,"token":"t"}`, wantErr: true},
		{name: "null body", data: `{"body":null,"token":"t"}`, wantErr: true},
		{name: "body without token", data: `{"body":"b"}`, wantErr: true},
		{name: "token without body", data: `{"token":"t"}`, wantErr: true},
		{name: "resume and send", data: `{"after":"1","body":"b","token":"t"}`, wantErr: true},
		{name: "numeric after", data: `{"after":1}`, wantErr: true},
		{name: "negative after", data: `{"after":"-1"}`, wantErr: true},
		{name: "after not a number", data: `{"after":"one"}`, wantErr: true},
		{name: "after in exponent form", data: `{"after":"1e3"}`, wantErr: true},
		{name: "after too large", data: `{"after":"9223372036854775808"}`, wantErr: true},
		{name: "after huge", data: `{"after":"99999999999999999999999999"}`, wantErr: true},
		{name: "after empty", data: `{"after":""}`, wantErr: true},
		{name: "after null", data: `{"after":null}`, wantErr: true},
		{name: "repeated after", data: `{"after":["1","2"]}`, wantErr: true},
		{name: "deep nesting", data: strings.Repeat(`[`, 10000), wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeFrame([]byte(tc.data))
			if (err != nil) != tc.wantErr {
				t.Fatalf("decodeFrame(%q): error %v, want error %v", tc.data, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("decodeFrame(%q): got %+v, want %+v", tc.data, got, tc.want)
			}
		})
	}
}
