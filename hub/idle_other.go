//go:build !unix

package hub

// idleWait returns at once where peeking at a socket is not available:
// the read loop then waits inside gorilla/websocket, on a deeper stack.
func (s *idleReader) idleWait() {}
