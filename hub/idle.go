package hub

import (
	"bufio"
	"net"
	"net/http"
	"syscall"
)

// readBufferSize is the size of a connection's read buffer. Pages send
// small frames (a resume, a message of at most about 12 KiB), and a read
// larger than the buffer goes straight into the message. It must exceed
// 256 bytes, below which gorilla/websocket makes a buffer of its own
// instead of using the one hijack hands it.
const readBufferSize = 512

// idleReader is the read side of a connection the hub took over: its
// read buffer and its socket, for idleWait. raw is nil when the socket
// offers no raw access.
type idleReader struct {
	br  *bufio.Reader
	raw syscall.RawConn
}

// hijacker hands gorilla/websocket a connection whose read buffer the
// hub owns, so that the read loop can tell whether a frame is already
// buffered before it waits for the socket (see idleWait).
type hijacker struct {
	http.ResponseWriter
	// br and raw are set by a successful Hijack.
	br  *bufio.Reader
	raw syscall.RawConn
}

// Hijack takes over the connection with a fresh read buffer in place of
// the HTTP server's 4 KiB one, which is dropped. It keeps the server's
// buffer when that holds bytes already, for the upgrader to refuse
// them: a client may not send frames before the handshake is answered.
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		return conn, brw, err
	}
	h.br = bufio.NewReaderSize(conn, readBufferSize)
	if sc, ok := conn.(syscall.Conn); ok {
		h.raw, _ = sc.SyscallConn()
	}
	return conn, bufio.NewReadWriter(h.br, brw.Writer), nil
}
