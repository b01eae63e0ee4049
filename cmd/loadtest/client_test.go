package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

func TestReadBufferSize(t *testing.T) {
	bigroom := presets["bigroom"]
	bigroom.Conns = 19000
	tests := []struct {
		sc   scenario
		want int
	}{
		{presets["bigroom"], 64 << 10},
		{presets["slow"], 16 << 10},
		{presets["smallrooms"], 4 << 10},
		{presets["idle"], 4 << 10},
		{presets["reconnect"], 4 << 10},
		{presets["short"], 4 << 10},
		// 19,000 connections in one busy room: 256 MiB in all.
		{bigroom, 8 << 10},
	}
	for _, tt := range tests {
		if got := readBufferSize(tt.sc); got != tt.want {
			t.Errorf("%s with %d connections: got %d, want %d", tt.sc.Name, tt.sc.Conns, got, tt.want)
		}
	}
}

// countingConn counts the reads on a connection: each is a system call.
type countingConn struct {
	net.Conn
	reads *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Conn.Read(p)
}

// BenchmarkReadFrames reads frames as a busy room's server sends them
// (24 message fragments each) through a real loopback socket, with each
// read buffer size. The server writes as fast as the socket takes them,
// so the reader is always behind, as -preset bigroom's readers are:
// each read system call takes what one buffer holds. cpu-ns/frame
// includes the writer's CPU, which is the same for every size.
func BenchmarkReadFrames(b *testing.B) {
	const batch = 24
	frame := bigroomFrames(b, testRun(0, batch), 1, batch)[0]
	for _, size := range []int{4 << 10, 16 << 10, 64 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("buffer=%dKiB", size>>10), func(b *testing.B) {
			up := websocket.Upgrader{WriteBufferSize: len(frame)}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				ws, err := up.Upgrade(w, req, nil)
				if err != nil {
					return
				}
				defer ws.Close()
				for range b.N {
					if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			var reads atomic.Int64
			var nd net.Dialer
			d := websocket.Dialer{
				ReadBufferSize: size,
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, err := nd.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return countingConn{c, &reads}, nil
				},
			}
			ws, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ws.Close()
			var buf []byte
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			reads.Store(0)
			cpu := selfCPU()
			for range b.N {
				_, rd, err := ws.NextReader()
				if err == nil {
					buf, err = readAll(buf[:0], rd)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			cpu = selfCPU() - cpu
			b.StopTimer()
			b.ReportMetric(float64(reads.Load())/float64(b.N), "reads/frame")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/frame")
		})
	}
}
