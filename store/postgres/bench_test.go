package postgres_test

import (
	"testing"

	"hxchat/chat"
	"hxchat/store/postgres/pgtest"
	"hxchat/store/storetest"
)

// BenchmarkAddMessage measures storing one message; posts into one room
// queue for the room's row lock, posts into different rooms do not.
func BenchmarkAddMessage(b *testing.B) {
	storetest.BenchAddMessage(b, func(b *testing.B) chat.Store { return MustOpen(b, pgtest.Schema(b)) })
}

// BenchmarkRoomsFor measures a page of the room list among 10,000 rooms.
func BenchmarkRoomsFor(b *testing.B) {
	storetest.BenchRoomsFor(b, func(b *testing.B) chat.Store { return MustOpen(b, pgtest.Schema(b)) })
}
