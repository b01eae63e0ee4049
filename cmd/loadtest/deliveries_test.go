package main

import (
	"strconv"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/views"
)

// bigroomFrames renders n frames as the hub sends a busy room's readers:
// batch single-message fragments joined into one frame (the write loop
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
// other programs on the machine do not inflate as they do the wall
// time.
func BenchmarkHandleFrame(b *testing.B) {
	const batch, nframes = 24, 64
	r := testRun(0, batch*nframes)
	r.id, r.bodyPrefix = "1a2b3c4d", "lt-1a2b3c4d-"
	frames := bigroomFrames(b, r, nframes, batch)
	bytes := 0
	for _, f := range frames {
		bytes += len(f)
	}
	clients := make([]*client, b.N/nframes+1)
	for i := range clients {
		clients[i] = newClient(r, i, r.rooms[0], nil)
		clients[i].start, clients[i].last = 0, 0
	}
	b.SetBytes(int64(bytes / nframes))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := selfCPU()
	for i := range b.N {
		clients[i/nframes].handle(b.Context(), frames[i%nframes])
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
}
