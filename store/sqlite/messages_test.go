package sqlite_test

import (
	"testing"

	"hxchat/chat"
	"hxchat/store/storetest"
)

// BenchmarkAddMessage measures storing one message; posts into one room
// from several goroutines queue for the single writer connection.
func BenchmarkAddMessage(b *testing.B) {
	storetest.BenchAddMessage(b, func(b *testing.B) chat.Store { return MustOpen(b, tempPath(b)) })
}

// BenchmarkRoomsFor measures a page of the room list among 10,000 rooms.
func BenchmarkRoomsFor(b *testing.B) {
	storetest.BenchRoomsFor(b, func(b *testing.B) chat.Store { return MustOpen(b, tempPath(b)) })
}
