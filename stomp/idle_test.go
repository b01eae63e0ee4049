package stomp_test

import (
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"hxchat/hub"
	"hxchat/stomp"
)

// BenchmarkIdleSession measures what an idle STOMP session subscribed to
// a room holds on the server, in the terms of hub's
// BenchmarkIdleConnection (an idle htmx page), to compare the two:
// goroutines and goroutine stack bytes per connection. On the 2-core
// machine on 2026-12-03 (-benchtime 500x) both held one goroutine and
// about 2 KiB of stack (2,032 bytes a STOMP session, 2,097 an htmx page):
// a session's read loop is the hub's Socket.ReadLoop, and its heart-beats
// come from one loop for all sessions.
func BenchmarkIdleSession(b *testing.B) {
	s := mustStart(b, options{hubCfg: hub.Config{PresenceWait: time.Hour, WriteInterval: time.Millisecond}})
	runtime.GC()
	g0, s0 := runtime.NumGoroutine(), stackBytes()
	dest := stomp.TopicDestination(s.general.ID)
	for i := 0; b.Loop(); i++ {
		c := s.dial(b, nil)
		c.connect()
		c.receipt(frame(stomp.SUBSCRIBE, "", "id", strconv.Itoa(i), "destination", dest))
	}
	b.StopTimer()
	// The hub's writers end a WriteInterval after their last write.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine()-g0 > b.N && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	runtime.GC()
	g, st := runtime.NumGoroutine()-g0, stackBytes()-s0
	b.ReportMetric(float64(g)/float64(b.N), "goroutines/conn")
	b.ReportMetric(float64(st)/float64(b.N), "stack-B/conn")
}

// stackBytes is the memory held by goroutine stacks.
func stackBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
