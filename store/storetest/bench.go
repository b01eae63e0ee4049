package storetest

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/chat"
)

// BenchAddMessage measures storing one message, the write on every post,
// on stores that open returns empty: serially into one room; from
// GOMAXPROCS goroutines into one room, where posts queue for whatever
// orders a room's messages (a single writer, a row lock); from as many
// goroutines into a room each, where they need not; and from 64
// goroutines into a room each, the posts that a busy server has in
// flight at once (request handlers, not CPUs, decide how many), where a
// store can write several in one transaction.
func BenchAddMessage(b *testing.B, open func(b *testing.B) chat.Store) {
	at := time.Date(2025, time.March, 14, 15, 9, 26, 0, time.UTC)
	message := func(room, n int64) chat.Message {
		return chat.Message{
			Room:      room,
			Author:    chat.User{ID: 1, Name: "member1"},
			Body:      "The quick brown fox jumps over the lazy dog.",
			Token:     strconv.FormatInt(n, 36),
			CreatedAt: at,
		}
	}
	b.Run("serial", func(b *testing.B) {
		s := open(b)
		room := MustCreateRoom(b, s, "Bench")
		var n int64
		for b.Loop() {
			n++
			if _, _, err := s.AddMessage(b.Context(), message(room.ID, n)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel-one-room", func(b *testing.B) {
		s := open(b)
		room := MustCreateRoom(b, s, "Bench")
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
	b.Run("parallel-own-rooms", func(b *testing.B) { benchOwnRooms(b, open(b), message) })
	b.Run("64-posters-own-rooms", func(b *testing.B) {
		// SetParallelism multiplies GOMAXPROCS; round up to at least 64.
		b.SetParallelism((posters + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		benchOwnRooms(b, open(b), message)
	})
}

// posters is how many goroutines 64-posters-own-rooms runs at least, and
// how many post at once in the ManyPosters tests: enough for group commit
// to write many messages in one transaction.
const posters = 64

// benchOwnRooms stores messages from b.RunParallel's goroutines into a
// room each.
func benchOwnRooms(b *testing.B, s chat.Store, message func(room, n int64) chat.Message) {
	var n, rooms atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		room := MustCreateRoom(b, s, "Bench "+strconv.FormatInt(rooms.Add(1), 10))
		for pb.Next() {
			if _, _, err := s.AddMessage(b.Context(), message(room.ID, n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
