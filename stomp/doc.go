// Package stomp speaks STOMP 1.0, 1.1 and 1.2 for the clients that are not
// browsers on htmx: native, mobile and bot clients on /ws/stomp, and the
// tutorial's pages through SockJS on /stomp-chat.
//
// So far it holds the frame codec: Frame, an incremental Decoder with size
// limits, Encode and AppendFrame, and the negotiation of versions and
// heart-beats. It imports nothing but the standard library.
//
// # Why a codec of our own
//
// go-stomp's frame package (github.com/go-stomp/stomp/v3/frame, read at
// commit e1987b3 of November 2025) is a good client library but the wrong
// thing to put in front of untrusted peers:
//
//   - No size limits. Reader.Read reads lines with bufio.Reader.ReadBytes,
//     which grows without bound until it finds a newline (the comment that
//     the buffer size bounds the header section is not what ReadBytes
//     does), there is no limit on the number of headers, a body without
//     content-length is read with ReadBytes(0) to any size, and a
//     content-length up to 4 GiB is allocated with make before a single
//     byte of the body has arrived.
//   - No strict escapes. unencodeValue is a strings.Replacer with a TODO
//     to reject undefined sequences such as \t, which it passes through;
//     it unescapes every frame alike, CONNECT and CONNECTED included and
//     1.0 included, and the Writer escapes CR in every version and every
//     frame, which a 1.1 peer or a CONNECTED frame must not see.
//   - No incremental decoding. Reader pulls from an io.Reader and blocks
//     until a frame is complete, so a frame split across WebSocket
//     messages needs a goroutine or a pipe per connection, and between
//     frames there is no point at which a negotiated version could change
//     how the next frame is read.
//
// Wrapping it would mean bounding every read from outside and re-doing its
// escaping, which leaves little of it; the codec is about 600 lines of
// code, and the fuzz test checks it against its own limits.
//
// # Limits
//
// A Decoder refuses, with a *FrameError whose Reason can go straight into
// an ERROR frame's message header, any frame over its Limits. The defaults
// suit chat: the longest message a person may post is 2,000 characters
// (chat.MaxBody), at most about 12 KiB of JSON, so
//
//   - DefaultMaxFrame, 64 KiB (65,536 bytes): a whole frame, command line
//     to NUL, about five times the longest SEND that chat accepts;
//   - DefaultMaxBody, 48 KiB (49,152 bytes): a body, leaving the other
//     16 KiB of a frame to the command and headers; an over-long paste
//     below this reaches the chat service and is refused politely, while
//     anything above is not a chat client and is disconnected;
//   - DefaultMaxHeaders, 64 headers: a SEND or SUBSCRIBE needs fewer than
//     ten;
//   - DefaultMaxHeaderLine, 8 KiB (8,192 bytes): one header line without
//     its EOL, room for a long token in a CONNECT passcode.
//
// A Decoder never allocates more than these: a content-length is checked
// against the body and frame limits before the body is allocated, and the
// bytes of an unfinished line or body that it carries from one Feed to the
// next live in buffers whose capacity never exceeds the line or body limit.
//
// # Versions
//
// Header values are escaped as the negotiated version says: in 1.2 \r, \n,
// \c and \\, in 1.1 the same without \r, in 1.0 not at all, and never in
// CONNECT, CONNECTED or STOMP frames, which come before a version is
// agreed (the specification names CONNECT and CONNECTED; STOMP is
// CONNECT under another name, and stompjs sends it unescaped). An escape
// the version does not define is an error, as 1.2 requires.
//
// Lines may end in LF or CRLF in every version, not only 1.2, because the
// CONNECT frame is read before the version is known and because older
// clients send CRLF anyway; a CR anywhere else in the command or header
// lines is an error, as the 1.2 grammar says. Empty lines between frames
// are heart-beats and are skipped.
package stomp
