package stomp

import (
	"math"
	"strings"
	"time"
)

// Negotiate picks the version of a session from a CONNECT frame's
// accept-version header: the highest of 1.0, 1.1 and 1.2 that the client
// lists. A client that sends no accept-version (acceptVersion is empty)
// speaks 1.0, as the specification says. ok is false when the client
// lists none of the three: the server then answers with an ERROR frame
// whose version header is SupportedVersions, and closes.
func Negotiate(acceptVersion string) (version string, ok bool) {
	if strings.TrimSpace(acceptVersion) == "" {
		return V10, true
	}
	for v := range strings.SplitSeq(acceptVersion, ",") {
		switch strings.TrimSpace(v) {
		case V12:
			version = V12
		case V11:
			if version != V12 {
				version = V11
			}
		case V10:
			if version == "" {
				version = V10
			}
		}
	}
	return version, version != ""
}

// maxMillis is the longest heart-beat interval a time.Duration holds, in
// milliseconds.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// ParseHeartBeat reads a heart-beat header value, "cx,cy" in
// milliseconds: the least interval at which the sender can send
// heart-beats and the interval at which it wants to receive them, 0 for
// never. An empty value is "0,0". Spaces around a number are tolerated; an
// error is a *FrameError.
func ParseHeartBeat(value string) (send, receive time.Duration, err error) {
	if value == "" {
		return 0, 0, nil
	}
	x, y, ok := strings.Cut(value, ",")
	if ok {
		var okx, oky bool
		send, okx = millis(x)
		receive, oky = millis(y)
		ok = okx && oky
	}
	if !ok {
		return 0, 0, &FrameError{
			Kind:   Malformed,
			Reason: "malformed heart-beat " + show([]byte(value)) + ": want two numbers of milliseconds such as 10000,10000",
		}
	}
	return send, receive, nil
}

// millis reads a heart-beat interval: a number of milliseconds no larger
// than a time.Duration holds.
func millis(s string) (time.Duration, bool) {
	n, ok := parseLength(strings.TrimSpace(s))
	if !ok || int64(n) > maxMillis {
		return 0, false
	}
	return time.Duration(n) * time.Millisecond, true
}

// NegotiateHeartBeat settles the heart-beats of a session from the
// heart-beat header of the client's CONNECT frame (empty when it sent
// none) and the server's own offer: serverCx, the least interval at which
// the server can send, and serverCy, the interval at which it wants to
// hear from the client, 0 meaning never. The server sends its offer in
// CONNECTED as FormatHeartBeat(serverCx, serverCy).
//
// As the specification says, send, the interval at which the server must
// send something, is 0 when either the server cannot send or the client
// wants none, else the larger of serverCx and the client's cy; receive,
// the interval at which the client will send, is 0 when either the
// client cannot send or the server wants none, else the larger of the
// client's cx and serverCy. A server closes a client silent for a few
// receive intervals. 1.0 has no heart-beats: do not call this for it.
func NegotiateHeartBeat(client string, serverCx, serverCy time.Duration) (send, receive time.Duration, err error) {
	cx, cy, err := ParseHeartBeat(client)
	if err != nil {
		return 0, 0, err
	}
	if serverCx > 0 && cy > 0 {
		send = max(serverCx, cy)
	}
	if cx > 0 && serverCy > 0 {
		receive = max(cx, serverCy)
	}
	return send, receive, nil
}
