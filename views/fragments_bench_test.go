package views_test

import (
	"strings"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/views"
)

// BenchmarkMessagesFragment renders the fragment that shows new messages,
// for one message and for the 25 a busy room (1,000 a second) gathers in
// one 40 ms write interval, and reports its bytes per message: what every
// member's page receives for each message, over any transport.
func BenchmarkMessagesFragment(b *testing.B) {
	body := strings.Repeat("lorem ipsum ", 17)[:200]
	at := time.Date(2026, time.December, 4, 10, 30, 0, 0, time.UTC)
	for _, n := range []int{1, 25} {
		msgs := make([]chat.Message, n)
		for i := range msgs {
			msgs[i] = chat.Message{
				Room: 7, Seq: int64(12340 + i), Author: chat.User{ID: 42, Name: "Chandra"},
				Body: body, CreatedAt: at,
			}
		}
		b.Run(strings.Repeat("x", 0)+map[int]string{1: "one", 25: "tick"}[n], func(b *testing.B) {
			var size int
			for b.Loop() {
				frag, err := views.Fragments{}.Messages(7, msgs)
				if err != nil {
					b.Fatal(err)
				}
				size = len(frag)
			}
			b.ReportMetric(float64(size)/float64(n), "B/message")
		})
	}
}
