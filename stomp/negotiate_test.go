package stomp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hxchat/stomp"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept string
		want   string
		ok     bool
	}{
		{"", "1.0", true}, // no accept-version: a 1.0 client
		{"1.0", "1.0", true},
		{"1.1", "1.1", true},
		{"1.2", "1.2", true},
		{"1.0,1.1,1.2", "1.2", true},
		{"1.2,1.0", "1.2", true},
		{"1.1, 1.0", "1.1", true},
		{"1.0,2.0", "1.0", true},
		{"2.0", "", false},
		{"1.3,0.9", "", false},
		{"abc", "", false},
	}
	for _, tc := range tests {
		got, ok := stomp.Negotiate(tc.accept)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Negotiate(%q): got %q, %v; want %q, %v", tc.accept, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNegotiateHeartBeat(t *testing.T) {
	const s = time.Second
	tests := []struct {
		client             string
		serverCx, serverCy time.Duration
		send, receive      time.Duration
	}{
		{"", 10 * s, 10 * s, 0, 0},
		{"0,0", 10 * s, 10 * s, 0, 0},
		{"5000,5000", 10 * s, 10 * s, 10 * s, 10 * s},
		{"20000,30000", 10 * s, 10 * s, 30 * s, 20 * s},
		{"20000,0", 10 * s, 10 * s, 0, 20 * s},
		{"0,30000", 10 * s, 10 * s, 30 * s, 0},
		{"1000,1000", 0, 0, 0, 0},
		{"1000,1000", 10 * s, 0, 10 * s, 0},
		{"1000, 2000", 0, 500 * time.Millisecond, 0, 1 * s},
	}
	for _, tc := range tests {
		send, receive, err := stomp.NegotiateHeartBeat(tc.client, tc.serverCx, tc.serverCy)
		if err != nil || send != tc.send || receive != tc.receive {
			t.Errorf("NegotiateHeartBeat(%q, %v, %v): got %v, %v, %v; want %v, %v",
				tc.client, tc.serverCx, tc.serverCy, send, receive, err, tc.send, tc.receive)
		}
	}
}

func TestNegotiateHeartBeatMalformed(t *testing.T) {
	for _, v := range []string{"abc", "1000", "1000,", ",1000", "-1,0", "1,2,3", "1.5,2", "99999999999999999999,0", "9223372036855,0"} {
		_, _, err := stomp.NegotiateHeartBeat(v, time.Second, time.Second)
		var fe *stomp.FrameError
		if !errors.As(err, &fe) || fe.Kind != stomp.Malformed || !strings.HasPrefix(fe.Reason, "malformed heart-beat ") {
			t.Errorf("NegotiateHeartBeat(%q): got %v, want a malformed heart-beat FrameError", v, err)
		}
	}
}

func TestFormatHeartBeat(t *testing.T) {
	if got, want := stomp.FormatHeartBeat(10*time.Second, 0), "10000,0"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
