package stomp

import (
	"strconv"
	"time"
)

// Protocol versions. Anything a Decoder or Encode does not know as "1.0"
// or "1.1" is read and written as 1.2.
const (
	V10 = "1.0"
	V11 = "1.1"
	V12 = "1.2"
)

// SupportedVersions is the value of the version header of the ERROR frame
// sent to a client that accepts none of them, as the specification asks.
const SupportedVersions = "1.0,1.1,1.2"

// Subprotocols are the WebSocket subprotocols of STOMP, most preferred
// first, for the upgrader's Subprotocols; a client offering none of them
// is served all the same.
var Subprotocols = []string{"v12.stomp", "v11.stomp", "v10.stomp"}

// HeartBeat is what either side sends when it has nothing else to say: an
// EOL between frames.
const HeartBeat = "\n"

// Commands of STOMP 1.0, 1.1 and 1.2. A client sends CONNECT (or, from
// 1.1, STOMP) first; the server answers CONNECTED and later sends MESSAGE,
// RECEIPT and ERROR.
const (
	CONNECT     = "CONNECT"
	STOMP       = "STOMP"
	CONNECTED   = "CONNECTED"
	SEND        = "SEND"
	SUBSCRIBE   = "SUBSCRIBE"
	UNSUBSCRIBE = "UNSUBSCRIBE"
	ACK         = "ACK"
	NACK        = "NACK"
	BEGIN       = "BEGIN"
	COMMIT      = "COMMIT"
	ABORT       = "ABORT"
	DISCONNECT  = "DISCONNECT"
	MESSAGE     = "MESSAGE"
	RECEIPT     = "RECEIPT"
	ERROR       = "ERROR"
)

// maxCommand is the length of the longest command, UNSUBSCRIBE: a longer
// command line is refused before its end arrives.
const maxCommand = len(UNSUBSCRIBE)

// command returns the command that b spells, as one of the constants so
// that reading it allocates nothing, and whether b is a command at all.
func command(b []byte) (string, bool) {
	switch string(b) { // compared in place, without a conversion
	case CONNECT:
		return CONNECT, true
	case STOMP:
		return STOMP, true
	case CONNECTED:
		return CONNECTED, true
	case SEND:
		return SEND, true
	case SUBSCRIBE:
		return SUBSCRIBE, true
	case UNSUBSCRIBE:
		return UNSUBSCRIBE, true
	case ACK:
		return ACK, true
	case NACK:
		return NACK, true
	case BEGIN:
		return BEGIN, true
	case COMMIT:
		return COMMIT, true
	case ABORT:
		return ABORT, true
	case DISCONNECT:
		return DISCONNECT, true
	case MESSAGE:
		return MESSAGE, true
	case RECEIPT:
		return RECEIPT, true
	case ERROR:
		return ERROR, true
	}
	return "", false
}

// headerName returns b as a string, without allocating for the names
// that every frame carries.
func headerName(b []byte) string {
	switch string(b) {
	case "destination":
		return "destination"
	case "content-type":
		return "content-type"
	case HeaderContentLength:
		return HeaderContentLength
	case HeaderReceipt:
		return HeaderReceipt
	case "id":
		return "id"
	case "ack":
		return "ack"
	case "subscription":
		return "subscription"
	case "message-id":
		return "message-id"
	case "transaction":
		return "transaction"
	case "accept-version":
		return "accept-version"
	case "heart-beat":
		return "heart-beat"
	case "host":
		return "host"
	case "login":
		return "login"
	case "passcode":
		return "passcode"
	}
	return string(b)
}

// hasBody reports whether frames of command may carry a body: the
// specification allows one on SEND, MESSAGE and ERROR only.
func hasBody(command string) bool {
	return command == SEND || command == MESSAGE || command == ERROR
}

// Header names the codec itself reads or writes.
const (
	HeaderContentLength = "content-length"
	HeaderReceipt       = "receipt"
)

// Header is one header entry of a frame.
type Header struct {
	Key   string
	Value string
}

// Frame is one STOMP frame.
type Frame struct {
	// Command is the frame's command, one of the constants above.
	Command string
	// Headers are the header entries in the order they were received or
	// are to be sent. A key may repeat; only its first entry counts, as
	// the specification says, and Get returns that one.
	Headers []Header
	// Body is the frame's body, nil when empty.
	Body []byte
}

// Get returns the value of the first header entry with key.
func (f *Frame) Get(key string) (string, bool) {
	for _, h := range f.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return "", false
}

// Set gives key the value: it replaces the first entry with key and
// removes any later ones, or adds an entry when there is none.
func (f *Frame) Set(key, value string) {
	for i := range f.Headers {
		if f.Headers[i].Key == key {
			f.Headers[i].Value = value
			f.Headers = append(f.Headers[:i+1], deleted(f.Headers[i+1:], key)...)
			return
		}
	}
	f.Add(key, value)
}

// Add appends an entry, after any entries with the same key, which
// therefore still win.
func (f *Frame) Add(key, value string) {
	f.Headers = append(f.Headers, Header{Key: key, Value: value})
}

// Del removes every entry with key.
func (f *Frame) Del(key string) {
	f.Headers = deleted(f.Headers, key)
}

// deleted returns hs without the entries with key, reusing its array.
func deleted(hs []Header, key string) []Header {
	out := hs[:0]
	for _, h := range hs {
		if h.Key != key {
			out = append(out, h)
		}
	}
	clear(hs[len(out):])
	return out
}

// FormatHeartBeat returns the value of a heart-beat header: the least
// interval at which this side can send and the interval at which it wants
// to receive, in whole milliseconds, 0 meaning never.
func FormatHeartBeat(send, receive time.Duration) string {
	return strconv.FormatInt(send.Milliseconds(), 10) + "," + strconv.FormatInt(receive.Milliseconds(), 10)
}
