package stomp_test

import (
	"slices"
	"strconv"
	"testing"

	"hxchat/stomp"
)

func itoa(n int) string { return strconv.Itoa(n) }

func TestFrameHeaders(t *testing.T) {
	f := frame("SEND", "", "a", "1", "b", "2", "a", "3")
	if got, ok := f.Get("a"); got != "1" || !ok {
		t.Fatalf("Get: got %q, %v; want the first entry, 1", got, ok)
	}
	if got, ok := f.Get("c"); got != "" || ok {
		t.Fatalf("Get: got %q, %v; want none", got, ok)
	}
	f.Add("b", "4")
	if got, _ := f.Get("b"); got != "2" {
		t.Fatalf("after Add: got %q, want the first entry, 2", got)
	}
	f.Set("a", "5")
	if want := []stomp.Header{{"a", "5"}, {"b", "2"}, {"b", "4"}}; !slices.Equal(f.Headers, want) {
		t.Fatalf("after Set: got %q, want %q", f.Headers, want)
	}
	f.Set("c", "6")
	f.Del("b")
	if want := []stomp.Header{{"a", "5"}, {"c", "6"}}; !slices.Equal(f.Headers, want) {
		t.Fatalf("after Set and Del: got %q, want %q", f.Headers, want)
	}
}
