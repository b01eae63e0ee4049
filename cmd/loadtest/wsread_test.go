package main

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsFrame frames payload as a server does: unmasked, with the first
// byte b0 (FIN, RSV and opcode) as given.
func wsFrame(b0 byte, payload []byte) []byte {
	var dst []byte
	switch n := len(payload); {
	case n < 126:
		dst = []byte{b0, byte(n)}
	case n <= 0xFFFF:
		dst = []byte{b0, 126, byte(n >> 8), byte(n)}
	default:
		dst = binary.BigEndian.AppendUint64([]byte{b0, 127}, uint64(n))
	}
	return append(dst, payload...)
}

// clientFrame is a frame the client sent, unmasked.
type clientFrame struct {
	b0      byte
	payload []byte
}

// readClientFrame reads a masked frame a client sent.
func readClientFrame(br *bufio.Reader) (clientFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return clientFrame{}, err
	}
	if h[1]&0x80 == 0 {
		return clientFrame{}, errors.New("an unmasked frame from the client")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return clientFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return clientFrame{}, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	var mask [4]byte
	if _, err := io.ReadFull(br, mask[:]); err != nil {
		return clientFrame{}, err
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return clientFrame{}, err
	}
	for i := range p {
		p[i] ^= mask[i%4]
	}
	return clientFrame{h[0], p}, nil
}

// wsPeer is the server side of a websocket a test writes by hand.
type wsPeer struct {
	conn net.Conn
	br   *bufio.Reader
}

// rawWSServer accepts one websocket and answers its handshake with
// first written in the same write as the 101, so that gorilla's buffer
// may hold it; the test gets the connection from the channel.
func rawWSServer(t *testing.T, first []byte) (url string, peers <-chan wsPeer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan wsPeer, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		br := bufio.NewReader(conn)
		req, err := http.ReadRequest(br)
		if err != nil {
			conn.Close()
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
		if _, err := conn.Write(append([]byte(answer), first...)); err != nil {
			conn.Close()
			return
		}
		ch <- wsPeer{conn, br}
	}()
	return "ws://" + ln.Addr().String() + "/", ch
}

// dialRaw connects a wsReader of a 4 KiB buffer to a rawWSServer.
func dialRaw(t *testing.T, first []byte, limit int) (*wsReader, wsPeer, *int) {
	t.Helper()
	url, peers := rawWSServer(t, first)
	reads := 0
	in := newWSReader(4<<10, limit, func() { reads++ })
	ws, _, err := dialWS(t.Context(), websocket.Dialer{}, url, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	p := <-peers
	t.Cleanup(func() { p.conn.Close() })
	_ = p.conn.SetDeadline(time.Now().Add(10 * time.Second))
	_ = in.conn.SetDeadline(time.Now().Add(10 * time.Second))
	return in, p, &reads
}

func TestWSReader(t *testing.T) {
	long := bytes.Repeat([]byte("0123456789"), 1000) // over the 4 KiB buffer
	huge := bytes.Repeat([]byte("x"), 70000)         // a 64-bit length
	var stream []byte
	stream = append(stream, wsFrame(0x81, []byte("sent with the 101"))...)
	stream = append(stream, wsFrame(0x89, []byte("ping-1"))...)
	stream = append(stream, wsFrame(0x82, []byte("binary"))...)
	// A message in three frames, a ping and a pong between them.
	stream = append(stream, wsFrame(0x01, []byte("frag-"))...)
	stream = append(stream, wsFrame(0x89, []byte("ping-2"))...)
	stream = append(stream, wsFrame(0x00, []byte("men-"))...)
	stream = append(stream, wsFrame(0x8a, []byte("pong"))...)
	stream = append(stream, wsFrame(0x80, []byte("ted"))...)
	stream = append(stream, wsFrame(0x81, long)...)
	stream = append(stream, wsFrame(0x81, nil)...)
	stream = append(stream, wsFrame(0x81, huge)...)
	stream = append(stream, wsFrame(0x81, []byte("last"))...)
	stream = append(stream, wsFrame(0x88, websocket.FormatCloseMessage(websocket.CloseServiceRestart, "restart"))...)
	// The first message arrives with the handshake; the rest a few bytes
	// at a time, so that frames and headers are split across reads.
	in, p, _ := dialRaw(t, stream[:19], 1<<20)
	go func() {
		for rest := stream[19:]; len(rest) > 0; {
			n := min(len(rest), 777)
			if _, err := p.conn.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
	}()
	for _, want := range [][]byte{[]byte("sent with the 101"), []byte("binary"), []byte("frag-men-ted"), long, {}, huge, []byte("last")} {
		got, err := in.next()
		if err != nil {
			t.Fatalf("reading %.20q...: %v", want, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("got %.40q (%d bytes), want %.40q (%d bytes)", got, len(got), want, len(want))
		}
	}
	_, err := in.next()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseServiceRestart || ce.Text != "restart" {
		t.Fatalf("after the close: got %v, want a CloseError 1012 restart", err)
	}
	// The pings were answered, and the close.
	for _, want := range []clientFrame{
		{0x8a, []byte("ping-1")}, {0x8a, []byte("ping-2")},
		{0x88, websocket.FormatCloseMessage(websocket.CloseServiceRestart, "")},
	} {
		got, err := readClientFrame(p.br)
		if err != nil {
			t.Fatalf("waiting for %x %q: %v", want.b0, want.payload, err)
		}
		if got.b0 != want.b0 || !bytes.Equal(got.payload, want.payload) {
			t.Errorf("client sent %x %q, want %x %q", got.b0, got.payload, want.b0, want.payload)
		}
	}
}

// TestWSReaderRefuses checks that what gorilla refuses is refused, with
// the close gorilla sends.
func TestWSReaderRefuses(t *testing.T) {
	masked := []byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}
	tests := []struct {
		name   string
		stream []byte
		want   string // the error, or "limit"
		close  int
	}{
		{"masked", masked, "bad MASK", websocket.CloseProtocolError},
		{"reserved bits", wsFrame(0xc1, []byte("x")), "RSV bits set", websocket.CloseProtocolError},
		{"bad opcode", wsFrame(0x83, []byte("x")), "bad opcode 3", websocket.CloseProtocolError},
		{"continuation first", wsFrame(0x80, []byte("x")), "continuation after FIN", websocket.CloseProtocolError},
		{"new message inside one", append(wsFrame(0x01, []byte("x")), wsFrame(0x81, []byte("y"))...), "data before FIN", websocket.CloseProtocolError},
		{"fragmented ping", wsFrame(0x09, []byte("x")), "FIN not set on control", websocket.CloseProtocolError},
		{"long ping", wsFrame(0x89, bytes.Repeat([]byte("x"), 126)), "len > 125 for control", websocket.CloseProtocolError},
		{"bad close code", wsFrame(0x88, websocket.FormatCloseMessage(1006, "")), "bad close code 1006", websocket.CloseProtocolError},
		{"over the limit", wsFrame(0x81, bytes.Repeat([]byte("x"), 101)), "limit", websocket.CloseMessageTooBig},
		{"over the limit in parts", append(wsFrame(0x01, bytes.Repeat([]byte("x"), 60)), wsFrame(0x80, bytes.Repeat([]byte("x"), 60))...), "limit", websocket.CloseMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, p, _ := dialRaw(t, tt.stream, 100)
			_, err := in.next()
			switch {
			case tt.want == "limit":
				if err != websocket.ErrReadLimit {
					t.Errorf("got %v, want ErrReadLimit", err)
				}
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
			f, err := readClientFrame(p.br)
			if err != nil {
				t.Fatal(err)
			}
			if f.b0 != 0x88 || len(f.payload) < 2 || int(binary.BigEndian.Uint16(f.payload)) != tt.close {
				t.Errorf("client sent %x %q, want a close %d", f.b0, f.payload, tt.close)
			}
		})
	}
}

// TestWSReaderReads checks that the reader reads the socket only once
// it has handed out every message already read, running before first.
func TestWSReaderReads(t *testing.T) {
	var batch []byte
	for range 10 {
		batch = append(batch, wsFrame(0x81, []byte("message"))...)
	}
	in, p, reads := dialRaw(t, batch, 1<<20)
	for i := range 10 {
		if _, err := in.next(); err != nil {
			t.Fatal(err)
		}
		if *reads != 0 {
			t.Fatalf("message %d: %d reads, want none (it came with the handshake)", i, *reads)
		}
	}
	if _, err := p.conn.Write(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := in.next(); err != nil {
		t.Fatal(err)
	}
	if *reads != 1 {
		t.Errorf("%d reads, want 1", *reads)
	}
}
