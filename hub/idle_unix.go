//go:build unix

package hub

import "syscall"

// idleWait blocks until a frame (for a stream: anything) can be read without blocking inside
// gorilla/websocket: bytes are buffered already, or the socket is
// readable (or closed, or failed, which the read then reports).
//
// An idle connection spends its life here. gorilla/websocket blocks
// deeper down, about 1.2 KiB of frames, just over what lets the Go
// runtime give the read loop its smallest stack (2 KiB); waiting here,
// on a peek that takes nothing from the socket, needs under half a
// KiB. BenchmarkIdleConnection reports the stack per connection.
func (s *idleReader) idleWait() {
	if s.raw == nil || s.br.Buffered() > 0 {
		return
	}
	var b [1]byte
	_ = s.raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: nothing yet, so the runtime parks the goroutine until
		// the socket is readable and calls again.
		return err != syscall.EAGAIN
	})
}
