package sqlite_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/store/storetest"
)

// BenchmarkAddMessage measures storing one message in one room, the write
// on every post: serially, and from GOMAXPROCS goroutines at once, which
// queue for the single writer connection.
func BenchmarkAddMessage(b *testing.B) {
	at := time.Date(2025, time.March, 14, 15, 9, 26, 0, time.UTC)
	message := func(room int64, n int64) chat.Message {
		return chat.Message{
			Room:      room,
			Author:    chat.User{ID: 1, Name: "member1"},
			Body:      "The quick brown fox jumps over the lazy dog.",
			Token:     strconv.FormatInt(n, 36),
			CreatedAt: at,
		}
	}

	b.Run("serial", func(b *testing.B) {
		s := MustOpen(b, tempPath(b))
		room := storetest.MustCreateRoom(b, s, "Bench")
		var n int64
		for b.Loop() {
			n++
			if _, _, err := s.AddMessage(b.Context(), message(room.ID, n)); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("parallel", func(b *testing.B) {
		s := MustOpen(b, tempPath(b))
		room := storetest.MustCreateRoom(b, s, "Bench")
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.AddMessage(b.Context(), message(room.ID, n.Add(1))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
