package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/views"
)

// got is an event as the tests compare it.
type got struct {
	typ, data, id string
	hasID         bool
}

// readEvents reads every event of stream through a reader with a buffer
// of size bytes (bufio's least is 16, so that long lines are split).
func readAllEvents(t *testing.T, stream string, size int) ([]got, *eventReader) {
	t.Helper()
	r := newEventReader(size)
	r.reset(strings.NewReader(stream))
	var evs []got
	for {
		ev, err := r.next()
		if errors.Is(err, io.EOF) {
			return evs, r
		}
		if err != nil {
			t.Fatalf("%q: %v", stream, err)
		}
		evs = append(evs, got{string(ev.typ), string(ev.data), string(ev.id), ev.hasID})
	}
}

func TestEventReader(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tt := range []struct {
		name, stream string
		want         []got
		lastID       string
		retry        time.Duration
	}{
		{"one data line", "data: a\n\n", []got{{data: "a"}}, "", defaultRetry},
		{"data lines joined with LF", "data: a\ndata: b\ndata: c\n\n", []got{{data: "a\nb\nc"}}, "", defaultRetry},
		{"id", "id: 42\ndata: x\n\n", []got{{data: "x", id: "42", hasID: true}}, "42", defaultRetry},
		{"id kept by the events after", "id: 4\ndata: x\n\ndata: y\n\n", []got{{data: "x", id: "4", hasID: true}, {data: "y", id: "4"}}, "4", defaultRetry},
		{"id of an event without data", "id: 5\n\ndata: y\n\n", []got{{data: "y", id: "5"}}, "5", defaultRetry},
		{"empty id resets it", "id: 5\ndata: x\n\nid\ndata: y\n\n", []got{{data: "x", id: "5", hasID: true}, {data: "y", hasID: true}}, "", defaultRetry},
		{"id with NUL ignored", "id: 3\n\nid: 7\x00\ndata: z\n\n", []got{{data: "z", id: "3"}}, "3", defaultRetry},
		{"comments", ": keep-alive\n\n:\ndata: a\n: between\ndata: b\n\n", []got{{data: "a\nb"}}, "", defaultRetry},
		{"retry", "retry: 1500\n\n", nil, "", 1500 * time.Millisecond},
		{"retry not all digits", "retry: 15x\n\nretry:\n\nretry: -1\n\n", nil, "", defaultRetry},
		{"event type", "event: end\ndata: end\n\n", []got{{typ: "end", data: "end"}}, "", defaultRetry},
		{"type for one event only", "event: end\ndata: a\n\ndata: b\n\n", []got{{typ: "end", data: "a"}, {data: "b"}}, "", defaultRetry},
		{"CR LF", "id: 1\r\ndata:x\r\ndata:  y\r\n\r\n", []got{{data: "x\n y", id: "1", hasID: true}}, "1", defaultRetry},
		{"no space after the colon", "data:x\n\n", []got{{data: "x"}}, "", defaultRetry},
		{"field without a colon", "data\n\n", []got{{data: ""}}, "", defaultRetry},
		{"unknown fields", "foo: bar\ndata: a\nidx: 3\n\n", []got{{data: "a"}}, "", defaultRetry},
		{"line longer than the buffer", "data: " + long + "\ndata: " + long + "\n\n", []got{{data: long + "\n" + long}}, "", defaultRetry},
		{"broken off at the end", "data: a\n\nid: 9\ndata: b", []got{{data: "a"}}, "", defaultRetry},
		{"broken off after the data", "data: a\n", nil, "", defaultRetry},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evs, r := readAllEvents(t, tt.stream, 16)
			if fmt.Sprint(evs) != fmt.Sprint(tt.want) {
				t.Errorf("events: got %+v, want %+v", evs, tt.want)
			}
			if string(r.lastID) != tt.lastID || r.retry != tt.retry {
				t.Errorf("last event ID %q, retry %v; want %q, %v", r.lastID, r.retry, tt.lastID, tt.retry)
			}
		})
	}
}

// TestEventReaderNextStream: a reconnection's stream starts with the
// last event ID of the streams before, which its events without an id
// keep (the server opens every stream with a retry field, an event of
// its own); a new EventSource starts with none.
func TestEventReaderNextStream(t *testing.T) {
	r := newEventReader(16)
	r.reset(strings.NewReader("retry: 50\n\nid: 7\ndata: a\n\nid: 8\ndata: b"))
	for {
		if _, err := r.next(); err != nil {
			break
		}
	}
	r.reset(strings.NewReader("retry: 1000\n\n: keep-alive\n\ndata: c\n\n"))
	ev, err := r.next()
	if err != nil || string(ev.data) != "c" || ev.hasID || string(ev.id) != "7" {
		t.Errorf("next stream's event: %q, id %q (own: %v), %v; want c, 7 (not its own)", ev.data, ev.id, ev.hasID, err)
	}
	if string(r.lastID) != "7" || r.retry != time.Second {
		t.Errorf("last event ID %q, retry %v; want 7, 1s", r.lastID, r.retry)
	}
	r.forget()
	r.reset(strings.NewReader("data: d\n\n"))
	if ev, err := r.next(); err != nil || len(ev.id) != 0 || len(r.lastID) != 0 || r.retry != defaultRetry {
		t.Errorf("a new EventSource: id %q, last event ID %q, retry %v, %v; want none, the default", ev.id, r.lastID, r.retry, err)
	}
}

// hookedReader hands out its stream a few bytes at a time, calling
// before ahead of each read, as hookedConn does on a socket.
type hookedReader struct {
	rest   []byte
	chunk  int
	before func()
}

func (h *hookedReader) Read(p []byte) (int, error) {
	h.before()
	if len(h.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), h.chunk)], h.rest)
	h.rest = h.rest[n:]
	return n, nil
}

// TestEventReaderRelease keeps the data of the events returned until a
// release, which comes, as in a run, before each read from the
// connection, in the middle of an event or of a line.
func TestEventReaderRelease(t *testing.T) {
	var stream strings.Builder
	var want []string
	for i := range 50 {
		d := fmt.Sprintf("event %d %s", i, strings.Repeat("y", i))
		fmt.Fprintf(&stream, "id: %d\ndata: %s\ndata: second line\n\n", i, d)
		want = append(want, d+"\nsecond line")
	}
	for _, chunk := range []int{1, 7, 64, 1000} {
		r := newEventReader(16)
		var kept [][]byte // the data returned since the last release
		var got []string
		h := &hookedReader{rest: []byte(stream.String()), chunk: chunk, before: func() {
			for _, d := range kept {
				got = append(got, string(d))
			}
			kept = kept[:0]
			r.release()
		}}
		r.reset(h)
		for {
			ev, err := r.next()
			if err != nil {
				break
			}
			kept = append(kept, ev.data)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("chunks of %d: got %q, want %q", chunk, got, want)
		}
		if string(r.lastID) != "49" {
			t.Errorf("chunks of %d: last event ID %q, want 49", chunk, r.lastID)
		}
	}
}

// TestEventReaderKeepsLittle: after a big event, a reader goes back to a
// data buffer of a few read buffers, as a thousand of them share the
// machine.
func TestEventReaderKeepsLittle(t *testing.T) {
	big := "data: " + strings.Repeat("z", 1<<16) + "\n\n"
	r := newEventReader(4096)
	r.reset(strings.NewReader(big + "data: small\n\n"))
	if ev, err := r.next(); err != nil || len(ev.data) != 1<<16 {
		t.Fatalf("big event: %d bytes, %v", len(ev.data), err)
	}
	r.release()
	if ev, err := r.next(); err != nil || string(ev.data) != "small" {
		t.Fatalf("small event: %q, %v", ev.data, err)
	}
	if c := cap(r.data); c > keepData*4096 {
		t.Errorf("data buffer kept %d bytes after a release, want at most %d", c, keepData*4096)
	}
	if c := cap(r.long); c > keepData*4096 {
		t.Errorf("long-line buffer kept %d bytes, want at most %d", c, keepData*4096)
	}
}

// TestServerEvents reads events as the server's own encoder writes
// them, which the page's fragments parse out of.
func TestServerEvents(t *testing.T) {
	enc := handlers.SSEEncoder(views.Fragments{})
	var stream bytes.Buffer
	stream.WriteString("retry: 2345\n\n")
	add := func(frames [][]byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			stream.Write(f)
		}
	}
	add(enc.Messages(7, []chat.Message{msg(12, "two\nlines"), msg(13, "a\r\nb <c>")}))
	add(enc.Presence(chat.Presence{Room: 7, Online: []chat.User{{ID: 1, Name: "ann"}}, Total: 1, Joined: []chat.User{{ID: 1, Name: "ann"}}}))
	stream.WriteString(": keep-alive\n\n")
	add(enc.Log(7, chat.Page{Messages: []chat.Message{msg(12, "x"), msg(13, "y")}, More: true}))
	add(enc.Ended(chat.SignedOut))

	evs, r := readAllEvents(t, stream.String(), 4096)
	if r.retry != 2345*time.Millisecond || string(r.lastID) != "13" {
		t.Errorf("retry %v, last event ID %q; want 2.345s, 13", r.retry, r.lastID)
	}
	if len(evs) != 4 {
		t.Fatalf("got %d events, want 4: %+v", len(evs), evs)
	}
	var f fragment
	parse := func(i int) {
		t.Helper()
		if err := parseFragment([]byte(evs[i].data), &f); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	parse(0)
	if !evs[0].hasID || evs[0].id != "13" || len(f.items) != 2 || f.items[1].seq != 13 || f.replaced {
		t.Errorf("messages: id %q (%v), items %+v, replaced %v", evs[0].id, evs[0].hasID, f.items, f.replaced)
	}
	// Data lines are joined with LF, so a message shows its text as
	// typed (CR LF is a line end, as an HTML parser reads it).
	if got := string(f.items[0].body); got != "two\nlines" {
		t.Errorf("a message of two lines shows %q", got)
	}
	if got := string(f.items[1].body); got != "a\nb &lt;c&gt;" {
		t.Errorf("a message with CR LF shows %q", got)
	}
	parse(1)
	if evs[1].hasID || !f.presence || len(f.items) != 0 {
		t.Errorf("presence: has id %v, presence %v, items %d", evs[1].hasID, f.presence, len(f.items))
	}
	parse(2)
	if !evs[2].hasID || evs[2].id != "13" || !f.replaced || len(f.items) != 2 || f.olderBefore != 12 {
		t.Errorf("log: id %q (%v), replaced %v, items %d, older before %d", evs[2].id, evs[2].hasID, f.replaced, len(f.items), f.olderBefore)
	}
	parse(3)
	if evs[3].hasID || f.refusal != views.ErrorText(chat.Fail(chat.SignedOut)) {
		t.Errorf("ended: has id %v, alert %q", evs[3].hasID, f.refusal)
	}
}

func BenchmarkEventReader(b *testing.B) {
	const batch = 24
	r := testRun(0, batch)
	r.id, r.bodyPrefix = "1a2b3c4d", "lt-1a2b3c4d-"
	stream := sseBatch(b, r, batch)
	rd := newEventReader(64 << 10)
	var f fragment
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		rd.reset(bytes.NewReader(stream))
		for {
			ev, err := rd.next()
			if err != nil {
				break
			}
			if err := parseFragment(ev.data, &f); err != nil || len(f.items) != 1 {
				b.Fatal(err)
			}
		}
		rd.release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/delivery")
}

// sseBatch is what the server writes a bigroom reader of an event
// stream in one go: batch messages, an event each.
func sseBatch(t testing.TB, r *run, batch int) []byte {
	t.Helper()
	enc := handlers.SSEEncoder(views.Fragments{})
	var out []byte
	for k := range batch {
		m := &r.msgs[k]
		ev, err := enc.Messages(1, []chat.Message{{
			Room: 1, Seq: int64(k + 1), Author: chat.User{ID: 3, Name: "member3"}, Body: r.body(m), CreatedAt: time.Unix(1.7e9, 0),
		}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev[0]...)
	}
	return out
}

// BenchmarkReadEvents reads event streams as a busy room's server writes
// them (24 events, a message each, a write) through a real loopback
// socket, with each read buffer size, releasing the events' data before
// each read as a client does. The server writes as fast as the socket
// takes them, so the reader is always behind, as -preset bigroom's
// readers are. cpu-ns/event includes the writer's CPU, which is the
// same for every size.
func BenchmarkReadEvents(b *testing.B) {
	const batch = 24
	r := testRun(0, batch)
	r.id, r.bodyPrefix = "1a2b3c4d", "lt-1a2b3c4d-"
	write := sseBatch(b, r, batch)
	for _, size := range []int{4 << 10, 16 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("buffer=%dKiB", size>>10), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			writes := (b.N + batch - 1) / batch
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				for range writes {
					if _, err := conn.Write(write); err != nil {
						return
					}
				}
			}()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			var reads atomic.Int64
			rd := newEventReader(size)
			rd.reset(&hookedConn{Conn: conn, before: func() { reads.Add(1); rd.release() }})
			b.SetBytes(int64(len(write) / batch))
			b.ResetTimer()
			cpu := selfCPU()
			for range writes * batch {
				if _, err := rd.next(); err != nil {
					b.Fatal(err)
				}
			}
			cpu = selfCPU() - cpu
			b.StopTimer()
			n := float64(writes * batch)
			b.ReportMetric(float64(reads.Load())/n, "reads/event")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/event")
		})
	}
}
