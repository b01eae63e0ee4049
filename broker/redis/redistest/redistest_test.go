package redistest

import (
	"net"
	"testing"
)

// TestAnswers probes a port nothing listens on, as 6379 is on a machine
// without Redis, and a server that answers PING with something else.
func TestAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if err := answers(t.Context(), "redis://"+closed+"/0"); err == nil {
		t.Errorf("answers on %s, where nothing listens: got nil, want an error", closed)
	}

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Read(make([]byte, 64))
		_, _ = c.Write([]byte("-ERR not redis\r\n"))
	}()
	if err := answers(t.Context(), "redis://"+ln.Addr().String()+"/0"); err == nil {
		t.Error("answers on a server that is not Redis: got nil, want an error")
	}
}
