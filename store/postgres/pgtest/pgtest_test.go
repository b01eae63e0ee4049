package pgtest

import (
	"net"
	"testing"
)

// TestAnswersFailsOnAClosedPort is the probe of a server that is not
// there: a port nothing listens on, as 5432 is on a machine without
// PostgreSQL.
func TestAnswersFailsOnAClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := answers(t.Context(), "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=2"); err == nil {
		t.Errorf("answers on %s, where nothing listens: got nil, want an error", addr)
	}
}
