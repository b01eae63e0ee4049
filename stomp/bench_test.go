package stomp_test

import (
	"testing"

	"hxchat/stomp"
)

// chatBody is the JSON of a typical chat message, as MESSAGE frames carry
// it to STOMP clients.
const chatBody = `{"type":"CHAT","chatRoomId":"5","writer":"Ana","message":"Shall we move the stand-up to half past ten tomorrow?","id":"01JD8ZK5M3Q4W7YB2C9T6X0VRE","seq":42,"sentAt":"2026-12-03T10:15:30Z"}`

func BenchmarkEncodeMessage(b *testing.B) {
	f := frame("MESSAGE", chatBody,
		"destination", "/topic/room.5",
		"subscription", "sub-0",
		"message-id", "5-42",
		"content-type", "application/json")
	buf := stomp.AppendFrame(nil, stomp.V12, f)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = stomp.AppendFrame(buf[:0], stomp.V12, f)
	}
}

func BenchmarkDecode(b *testing.B) {
	in := stomp.Encode(stomp.V12, frame("SEND", `{"chatRoomId":"5","message":"Shall we move the stand-up to half past ten tomorrow?"}`,
		"destination", "/app/chat.message",
		"content-type", "application/json",
		"receipt", "r-17"))
	d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d.Feed(in)
		if f, err := d.Next(); f == nil || err != nil {
			b.Fatalf("got %v, %v", f, err)
		}
	}
}
