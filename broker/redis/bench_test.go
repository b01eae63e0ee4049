package redis_test

import (
	"context"
	"testing"

	"hxchat/broker/redis/redistest"
	"hxchat/chat"
)

// BenchmarkPublish measures Publish of a message event: the local
// delivery, the JSON encoding and the PUBLISH round trip, with another
// instance subscribed. Its numbers back publishTimeout and the pool size.
func BenchmarkPublish(b *testing.B) {
	url, prefix := redistest.URL(b), redistest.Prefix(b)
	pub := run(b, "a", url, prefix, discard{})
	run(b, "b", url, prefix, discard{})
	ev := message(1, 1)
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if err := pub.Publish(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := pub.Publish(context.Background(), ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// discard is a sink that drops everything.
type discard struct{}

func (discard) Deliver(chat.Event) {}
func (discard) Resync()            {}
