package main

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/stomp"
	"hxchat/views"
)

// wsText frames b as one unmasked, final text message, as the hub frames
// what it writes (hub.Socket.SendParts).
func wsText(dst, b []byte) []byte {
	switch n := len(b); {
	case n < 126:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x81, 126, byte(n>>8), byte(n))
	default:
		dst = binary.BigEndian.AppendUint64(append(dst, 0x81, 127), uint64(n))
	}
	return append(dst, b...)
}

// receiveWrites renders what the server writes a bigroom reader of
// transport, in writes writes of batch messages each (what a room
// gathers in one write interval), Seq 1 upwards: for htmx a websocket
// message of batch fragments a write, for SSE an event of batch
// fragments, for STOMP batch websocket messages of a MESSAGE frame each.
// The htmx and SSE writes are whole; STOMP's are framed here. r's
// messages must already have their schedule (bigroomFrames sets it).
func receiveWrites(t testing.TB, r *run, transport string, writes, batch int) [][]byte {
	t.Helper()
	rm := r.rooms[0]
	enc := stomp.NewEncoder()
	sse := handlers.SSEEncoder(views.Fragments{})
	out := make([][]byte, writes)
	for i := range out {
		msgs := make([]chat.Message, batch)
		for k := range msgs {
			seq := int64(i*batch + k + 1)
			msgs[k] = chat.Message{
				Room: rm.id, Seq: seq, ID: seq, Author: chat.User{ID: seq%200 + 1, Name: "member" + strconv.FormatInt(seq%200+1, 10)},
				Body: r.body(&r.msgs[seq-1]), CreatedAt: time.Unix(1.7e9, 0),
			}
		}
		var w []byte
		switch transport {
		case transportHTMX:
			b, err := views.Fragments{}.Messages(rm.id, msgs)
			if err != nil {
				t.Fatal(err)
			}
			w = wsText(nil, b)
		case transportSSE:
			evs, err := sse.Messages(rm.id, msgs)
			if err != nil {
				t.Fatal(err)
			}
			w = evs[0]
		case transportSTOMP:
			tails, err := enc.Messages(rm.id, msgs)
			if err != nil {
				t.Fatal(err)
			}
			head := "MESSAGE\nsubscription:" + subRoom + "\ndestination:" + stomp.RoomDestination(rm.id) + "\n"
			for _, tail := range tails {
				w = wsText(w, append([]byte(head), tail...))
			}
		}
		out[i] = w
	}
	return out
}

// BenchmarkReceive is a reader's whole receive path in -preset bigroom,
// for each transport: a server writes a connection 4,000 messages, 40
// (a write interval's worth at 1,000 msg/s) a write, through a real
// loopback socket, as fast as the socket takes them, so that the reader
// is always behind, as bigroom's are; the reader reads, parses and
// checks them as the tool does, into the run's shared records. Each op
// is one connection; the next one's client sees the same Seqs, which the
// room has noted by then, as with a thousand readers of one room.
// cpu-ns/delivery is the process's CPU time, the writer's included
// (which grows with the bytes a transport takes: STOMP's messages are
// the longest), which other programs on the machine do not inflate as
// they do the wall time.
func BenchmarkReceive(b *testing.B) {
	const batch, writes = 40, 100
	const per = batch * writes
	for _, transport := range []string{transportHTMX, transportSTOMP, transportSSE} {
		b.Run(transport, func(b *testing.B) {
			r := testRun(0, per)
			r.id, r.bodyPrefix = "1a2b3c4d", "lt-1a2b3c4d-"
			r.sc = presets["bigroom"]
			bigroomFrames(b, r, writes, batch) // the schedule
			out := receiveWrites(b, r, transport, writes, batch)
			size := 0
			for _, w := range out {
				size += len(w)
			}
			srv := receiveServer(b, transport, out)
			defer srv.Close()
			var reads atomic.Int64
			var cpu time.Duration
			b.SetBytes(int64(size))
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				c := newClient(r, k, r.rooms[0], nil)
				c.start, c.last = 0, 0
				k++
				cpu += receiveOnce(b, c, transport, srv, &reads)
			}
			n := float64(b.N * per)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/delivery")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/delivery")
			b.ReportMetric(float64(reads.Load())/n, "reads/delivery")
			if got, want := r.count.deliveries.Load(), int64(b.N*per); got != want {
				b.Fatalf("deliveries: got %d, want %d; errors %v", got, want, r.errs.samples())
			}
			if n := r.errs.count(); n > 0 {
				b.Fatalf("%d errors: %v", n, r.errs.samples())
			}
		})
	}
}

// receiveServer serves BenchmarkReceive's connections: each gets out,
// write by write, and then a close (a websocket's 1000, an event
// stream's end).
func receiveServer(b *testing.B, transport string, out [][]byte) *httptest.Server {
	up := websocket.Upgrader{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var nc net.Conn
		var ws *websocket.Conn
		if transport == transportSSE {
			hj, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			nc = hj
			if _, err := io.WriteString(nc, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\r\n"); err != nil {
				nc.Close()
				return
			}
		} else {
			var err error
			if ws, err = up.Upgrade(w, req, nil); err != nil {
				return
			}
			nc = ws.NetConn()
		}
		defer nc.Close()
		for _, b := range out {
			if _, err := nc.Write(b); err != nil {
				return
			}
		}
		if ws != nil {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			// Wait for the client's close, so that the reader sees ours.
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, nc)
		}
	}))
}

// receiveOnce connects c to srv as transport's reader does and reads
// until the server closes; it returns the CPU the process spent
// meanwhile.
func receiveOnce(b *testing.B, c *client, transport string, srv *httptest.Server, reads *atomic.Int64) time.Duration {
	ctx := b.Context()
	b.StopTimer()
	var cpu time.Duration
	switch transport {
	case transportSSE:
		u, _ := url.Parse(srv.URL + "/events")
		c.kind = kindSSE
		c.sse = &sseClient{stream: u, rd: newEventReader(maxSSEBuffer)}
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: "+u.Host+"\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
			b.Fatal(err)
		}
		c.sse.rd.reset(&hookedConn{Conn: conn, before: func() {
			reads.Add(1)
			c.flushPending()
			c.sse.rd.release()
		}})
		b.StartTimer()
		cpu = selfCPU()
		resp, err := http.ReadResponse(c.sse.rd.br, &http.Request{Method: http.MethodGet, URL: u})
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("stream: %v %v", resp, err)
		}
		if _, err := c.readEvents(ctx); err != io.EOF {
			b.Fatalf("stream ended with %v, want EOF", err)
		}
	case transportSTOMP:
		c.kind, c.sent = kindSTOMP, headsOf(c.room.id)
		in := newWSReader(readBufferSize(c.r.sc), maxPage, func() { reads.Add(1); c.flushPending() })
		ws, _, err := dialWS(ctx, websocket.Dialer{}, "ws"+strings.TrimPrefix(srv.URL, "http"), nil, in)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		b.StartTimer()
		cpu = selfCPU()
		if code := c.readSTOMP(ctx, in, stomp.NewDecoder(stomp.V12, stomp.Limits{})); code != websocket.CloseNormalClosure {
			b.Fatalf("closed with %d, want 1000", code)
		}
	default:
		var nd net.Dialer
		d := websocket.Dialer{
			ReadBufferSize: readBufferSize(c.r.sc),
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := nd.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &hookedConn{Conn: conn, before: func() { reads.Add(1) }}, nil
			},
		}
		ws, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		b.StartTimer()
		cpu = selfCPU()
		if code := c.read(ctx, ws); code != websocket.CloseNormalClosure {
			b.Fatalf("closed with %d, want 1000", code)
		}
	}
	return selfCPU() - cpu
}
