// Package stomp speaks STOMP 1.0, 1.1 and 1.2 for the clients that are not
// browsers on htmx: native, mobile and bot clients on /ws/stomp, and the
// tutorial's pages through SockJS on /stomp-chat.
//
// It holds the frame codec (Frame, an incremental Decoder with size
// limits, Encode and AppendFrame, the negotiation of versions and
// heart-beats), which imports nothing but the standard library, and the
// server on top of it: Server runs one session per connection, on a
// Transport (a hub.Socket for /ws/stomp), and subscribes it to rooms
// through the hub, whose Encoder for STOMP frames each event once for
// every subscriber.
//
// # Sessions
//
// A session's first frame is CONNECT (or STOMP), within ConnectWait
// (10 s): it agrees on the highest version both sides speak and on
// heart-beats (the server offers 10 s both ways, sends an EOL when it has
// been quiet that long, and closes a client silent for 2.5 of the agreed
// intervals; a client that sends no heart-beats is pinged every 30 s and
// closed after 60 s without an answer). The person is the handshake's (a
// session cookie, a bearer token), else the CONNECT's login and passcode
// (an email and a personal access token), else, in open mode, a new
// memberN; each session takes one of the person's connection slots.
//
// SUBSCRIBE names a room as /subscribe/chat/room/{id} or /topic/room.{id},
// with after-seq:N to first receive every stored message after N, or
// /user/queue/errors, where refused SENDs are told. SEND to
// /publish/chat/message or /app/chat.message posts a JSON body's message
// to its chatRoomId as the session's person. Every SUBSCRIBE and SEND
// asks the service again whether the session and the membership still
// hold. MESSAGE bodies are JSON (MessageBody, ErrorBody).
//
// A frame the session cannot go on after (a malformed or oversized one,
// an undefined escape, an unknown command or destination, a frame before
// CONNECT, a duplicate subscription id) gets an ERROR frame with a
// message header, and receipt-id when it asked for a receipt, then the
// close: 1002 for a protocol error, 1009 for a frame over the limits,
// 1008 for what the person may not do, 1012 at shutdown, 1013 for a slow
// consumer.
//
// Beside the frame limits below, a session holds at most 64
// subscriptions (MaxSubscriptions), 16 open transactions of at most 64
// frames each, and, per subscription in a client ack mode, 1,024
// unacknowledged messages (MaxPending): the next waits for an ACK or
// NACK, for at most 10 s (AckWait), so that a catch-up goes at the
// client's pace. ACK and NACK both settle a message; nothing is
// redelivered, since a client that wants a message again reads it with
// after-seq. Sends are limited by the service's rate per person.
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
