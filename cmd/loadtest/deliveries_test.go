package main

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/views"
)

// bigroomFrames renders n frames as the hub sends a busy room's readers:
// batch single-message fragments joined into one frame (the hub's writer
// joins what queued up), each message one of r's, Seq 1 upwards.
func bigroomFrames(t testing.TB, r *run, n, batch int) [][]byte {
	t.Helper()
	frames := make([][]byte, n)
	for i := range frames {
		var frame []byte
		for k := range batch {
			seq := int64(i*batch + k + 1)
			m := &r.msgs[seq-1]
			m.sched = time.Duration(seq) * time.Millisecond
			author := chat.User{ID: seq%200 + 1, Name: "member" + strconv.FormatInt(seq%200+1, 10)}
			b, err := views.Fragments{}.Messages(r.rooms[0].id, []chat.Message{{
				Room: r.rooms[0].id, Seq: seq, Author: author, Body: r.body(m), CreatedAt: time.Unix(1.7e9, 0),
			}})
			if err != nil {
				t.Fatal(err)
			}
			frame = append(frame, b...)
		}
		frames[i] = frame
	}
	return frames
}

// BenchmarkHandleFrame is the tool's own CPU per delivery in -preset
// bigroom, apart from the socket reads: it feeds realistic frames through
// a client's handle, clients in turn seeing the same Seqs, so that, as
// with a thousand readers of one room, most find each Seq already noted
// by another connection. cpu-ns/delivery is the process's CPU time, which
// other programs on the machine do not inflate as they do the wall time.
// The parallel run has a reader on every core, as the tool has: what
// the readers share (the room's record, the histograms, the counters)
// costs more there than alone.
func BenchmarkHandleFrame(b *testing.B) {
	const batch, nframes = 24, 64
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			r := testRun(0, batch*nframes)
			r.id, r.bodyPrefix = "1a2b3c4d", "lt-1a2b3c4d-"
			frames := bigroomFrames(b, r, nframes, batch)
			size := 0
			for _, f := range frames {
				size += len(f)
			}
			// Each client takes every frame once, in order; the next
			// client takes over after the last.
			clients := make([]*client, b.N/nframes+runtime.GOMAXPROCS(0)+1)
			for i := range clients {
				clients[i] = newClient(r, i, r.rooms[0], nil)
				clients[i].start, clients[i].last = 0, 0
			}
			var next atomic.Int64
			read := func(more func() bool) {
				for c := clients[next.Add(1)-1]; ; c = clients[next.Add(1)-1] {
					for _, f := range frames {
						if !more() {
							return
						}
						c.handle(b.Context(), f)
					}
				}
			}
			b.SetBytes(int64(size / nframes))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := selfCPU()
			if parallel {
				b.RunParallel(func(pb *testing.PB) { read(pb.Next) })
			} else {
				n := 0
				read(func() bool { n++; return n <= b.N })
			}
			cpu = selfCPU() - cpu
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/delivery")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*batch), "cpu-ns/delivery")
			if got, want := r.count.deliveries.Load(), int64(b.N*batch); got != want {
				b.Fatalf("deliveries: got %d, want %d; errors %v", got, want, r.errs.samples())
			}
			if n := r.errs.count(); n > 0 {
				b.Fatalf("%d errors: %v", n, r.errs.samples())
			}
		})
	}
}
