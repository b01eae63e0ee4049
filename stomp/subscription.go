package stomp

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// ackMode is how a subscription's messages are acknowledged.
type ackMode uint8

const (
	// ackAuto: a message counts as received once sent.
	ackAuto ackMode = iota
	// ackClient: an ACK or NACK settles the message it names and every
	// earlier one of the subscription.
	ackClient
	// ackIndividual: an ACK or NACK settles the message it names only.
	ackIndividual
)

// errSlowConsumer is what a subscription's Send returns once its peer
// left its window of unacknowledged messages full for too long.
var errSlowConsumer = errors.New("stomp: too many unacknowledged messages")

// subscription is one SUBSCRIBE of a session: the hub's subscriber of a
// room (its Wire), or the session's /user/queue/errors.
//
// The hub encodes each event once for every STOMP subscriber as the tail
// of a MESSAGE frame (see Encoder); a subscription writes its own prefix,
// the command and the headers that differ per subscription, before it.
type subscription struct {
	c    *conn
	id   string
	dest string
	// room is the room subscribed to; 0 for ErrorsQueue.
	room int64
	mode ackMode
	// prefix is the MESSAGE frame's command line and its subscription
	// and destination headers, escaped as the session's version says.
	prefix []byte
	// client is the hub's subscriber, set once Subscribe returned; nil
	// for ErrorsQueue. The read loop's.
	client *hub.Client

	// mu guards pending: the messages sent and not yet acknowledged, in
	// the order sent, in the client ack modes.
	mu      sync.Mutex
	pending []unacked
	// space is signalled when an ACK or NACK opens the window; stop is
	// closed as the subscription ends, so that a Send waiting for room
	// gives up.
	space chan struct{}
	stop  chan struct{}
}

// unacked is a message waiting for its ACK or NACK.
type unacked struct {
	// ack is its ack id (1.2's ack header).
	ack uint64
	// messageID is its message-id, which 1.0 and 1.1 acknowledge.
	messageID string
}

// Format is the STOMP format of the hub.
func (s *subscription) Format() hub.Format { return s.c.srv.cfg.Format }

// Send writes MESSAGE frames whose tails the hub encoded: each prefixed
// with the subscription's command line and headers and, in a client ack
// mode, an ack header.
//
// In a client ack mode at most MaxPending messages go unacknowledged:
// with the window full, Send writes what it has and waits for an ACK or
// NACK, so that a catch-up of a long history goes at the client's pace
// (the hub queues live events meanwhile, up to its own slow-consumer
// limit). A window that stays full for AckWait is a slow consumer.
func (s *subscription) Send(tails [][]byte) error {
	if ps, ok := s.c.t.(partsSender); ok && s.mode == ackAuto {
		// Each frame is the subscription's prefix and the shared tail,
		// written as they are.
		parts := make([][]byte, 0, 2*len(tails))
		for _, t := range tails {
			parts = append(parts, s.prefix, t)
		}
		return s.c.writeParts(ps, parts, 2)
	}
	// The frames are cut from one buffer, taken from a pool and given
	// back once written: a Transport keeps nothing it was sent. Its size
	// is known up front, so that appending never moves it.
	need := 0
	for _, t := range tails {
		need += len(s.prefix) + maxAckLine + len(t)
	}
	bp := sendBuffers.Get().(*[]byte)
	buf := (*bp)[:0]
	if cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	defer func() {
		if cap(buf) <= maxPooledBuffer {
			*bp = buf[:0]
			sendBuffers.Put(bp)
		}
	}()
	frames := make([][]byte, 0, len(tails))
	for _, t := range tails {
		start := len(buf)
		buf = append(buf, s.prefix...)
		if s.mode != ackAuto {
			n, err := s.reserve(t, &frames)
			if err != nil || n == 0 {
				return err
			}
			if len(frames) == 0 && start > 0 {
				// reserve wrote the frames before this one: the buffer
				// is free again.
				buf = append(buf[:0], buf[start:]...)
				start = 0
			}
			if s.c.version == V12 {
				buf = append(buf, "ack:"...)
				buf = strconv.AppendUint(buf, n, 10)
				buf = append(buf, '\n')
			}
		}
		buf = append(buf, t...)
		frames = append(frames, buf[start:len(buf):len(buf)])
	}
	if len(frames) == 0 {
		return nil
	}
	return s.c.write(frames)
}

// maxAckLine is the longest ack header line: "ack:", a uint64, an EOL.
const maxAckLine = len("ack:18446744073709551615\n")

// sendBuffers holds the buffers Send cuts frames from. One bigger than
// maxPooledBuffer (a catch-up page of long messages) is left to the
// garbage collector rather than kept.
var sendBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuffer = 64 << 10

// reserve returns the ack id of the message whose tail is t, once the
// window has room for it, writing the frames gathered so far first when
// it has to wait. It returns 0 without an error when the subscription
// ended meanwhile (its frames are dropped) and an error when the
// connection did, or the peer is a slow consumer.
func (s *subscription) reserve(t []byte, frames *[][]byte) (uint64, error) {
	max := s.c.srv.cfg.MaxPending
	var timer *time.Timer
	s.mu.Lock()
	for len(s.pending) >= max {
		s.mu.Unlock()
		if s.room == 0 {
			// The errors queue is written by the read loop, which is
			// the one that would read the ACK: it cannot wait.
			s.c.fail(hub.CloseTryLater, "slow consumer: "+strconv.Itoa(max)+" messages unacknowledged on subscription "+
				strconv.Quote(s.id), "")
			return 0, errSlowConsumer
		}
		if len(*frames) > 0 {
			if err := s.c.write(*frames); err != nil {
				return 0, err
			}
			*frames = (*frames)[:0]
		}
		if timer == nil {
			timer = time.NewTimer(s.c.srv.cfg.AckWait)
			defer timer.Stop()
		}
		select {
		case <-s.space:
		case <-s.stop:
			return 0, nil
		case <-s.c.gone:
			return 0, errClosed
		case <-timer.C:
			s.c.fail(hub.CloseTryLater, "slow consumer: "+strconv.Itoa(max)+" messages unacknowledged on subscription "+
				strconv.Quote(s.id)+" for "+s.c.srv.cfg.AckWait.String(), "")
			return 0, errSlowConsumer
		}
		s.mu.Lock()
	}
	n := s.c.acks.Add(1)
	s.pending = append(s.pending, unacked{ack: n, messageID: messageIDOf(t)})
	s.mu.Unlock()
	return n, nil
}

// Ping does nothing: the session keeps itself alive (heart-beats, or
// pings of its own).
func (s *subscription) Ping() error { return nil }

// LastHeard is now: the session drops a silent peer itself, subscribed
// or not.
func (s *subscription) LastHeard() time.Time { return time.Now() }

// Close ends the whole session: the hub closes a subscriber when its
// person signed out or was removed, the room was archived, the server is
// shutting down, or it read too slowly.
func (s *subscription) Close(code int, text string, note [][]byte) { s.c.close(code, text, note) }

// messageIDOf reads the message-id of a MESSAGE tail, which Encoder puts
// first.
func messageIDOf(tail []byte) string {
	rest, ok := bytes.CutPrefix(tail, []byte("message-id:"))
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		return string(rest[:i])
	}
	return ""
}

// settle removes the message match finds from pending, with every
// earlier one in ackClient mode, and reports whether it found one.
func (s *subscription) settle(match func(unacked) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.pending, match)
	if i < 0 {
		return false
	}
	if s.mode == ackClient {
		s.pending = slices.Delete(s.pending, 0, i+1)
	} else {
		s.pending = slices.Delete(s.pending, i, i+1)
	}
	select {
	case s.space <- struct{}{}:
	default:
	}
	return true
}

// subscribe answers SUBSCRIBE: to a room, through the hub, or to the
// session's ErrorsQueue.
func (c *conn) subscribe(f *Frame) *protocolError {
	dest, ok := f.Get("destination")
	if !ok {
		return refuse(closeProtocol, "SUBSCRIBE without a destination header")
	}
	id, ok := f.Get("id")
	if !ok {
		if c.version != V10 {
			return refuse(closeProtocol, "SUBSCRIBE without an id header")
		}
		id = dest // 1.0 lets a client name a subscription by its destination
	}
	c.mu.Lock()
	_, dup := c.subs[id]
	n := len(c.subs)
	c.mu.Unlock()
	switch {
	case dup:
		return refuse(closeProtocol, "subscription id "+strconv.Quote(id)+" is in use already")
	case n >= c.srv.cfg.MaxSubscriptions:
		return refuse(hub.ClosePolicy, "more than "+strconv.Itoa(c.srv.cfg.MaxSubscriptions)+" subscriptions")
	}
	mode, ok := ackModes[header(f, "ack")]
	if !ok {
		return refuse(closeProtocol, "unknown ack mode "+strconv.Quote(header(f, "ack"))+": auto, client or client-individual")
	}
	after := int64(-1)
	if v, ok := f.Get("after-seq"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return refuse(closeProtocol, "after-seq "+strconv.Quote(v)+" is not a message number (0 or more)")
		}
		after = n
	}
	s := &subscription{c: c, id: id, dest: dest, mode: mode, space: make(chan struct{}, 1), stop: make(chan struct{})}
	s.prefix = s.messagePrefix()

	if dest == ErrorsQueue {
		c.mu.Lock()
		c.subs[id] = s
		c.mu.Unlock()
		return nil
	}
	room, ok := roomOf(dest)
	if !ok {
		return refuse(closeProtocol, "unknown destination "+strconv.Quote(dest))
	}
	if perr := c.mayUse(room, dest); perr != nil {
		return perr
	}
	s.room = room
	// In subs before the hub sends anything: an ACK may follow the first
	// message at once.
	c.mu.Lock()
	c.subs[id] = s
	c.mu.Unlock()
	cl, err := c.srv.hub.Subscribe(s, hub.Member{Room: room, User: c.account.User, Session: c.session}, after)
	if err != nil {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
		return c.failed("subscribe", err)
	}
	s.client = cl
	return nil
}

// ackModes are the ack header's values; none is auto.
var ackModes = map[string]ackMode{"": ackAuto, "auto": ackAuto, "client": ackClient, "client-individual": ackIndividual}

// header returns f's header key, or "".
func header(f *Frame, key string) string {
	v, _ := f.Get(key)
	return v
}

// mayUse checks that the session's person may use room now; a refusal
// ends the session.
func (c *conn) mayUse(room int64, dest string) *protocolError {
	ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
	defer cancel()
	reason, err := c.srv.svc.Recheck(ctx, room, c.account.ID, c.session)
	switch {
	case err != nil:
		return c.failed("check access", err)
	case reason == chat.SignedOut:
		return refuse(hub.ClosePolicy, "signed out")
	case reason == chat.Archived:
		return refuse(hub.ClosePolicy, "room "+strconv.Quote(dest)+" is archived")
	case reason != "":
		return refuse(hub.ClosePolicy, "no such room: "+strconv.Quote(dest))
	}
	return nil
}

// messagePrefix returns the start of s's MESSAGE frames.
func (s *subscription) messagePrefix() []byte {
	esc := escapingOf(s.c.version, MESSAGE)
	b := make([]byte, 0, len("MESSAGE\nsubscription:\ndestination:\n")+len(s.id)+len(s.dest))
	b = append(b, "MESSAGE\nsubscription:"...)
	b = appendEscaped(b, s.id, esc, false)
	b = append(b, "\ndestination:"...)
	b = appendEscaped(b, s.dest, esc, false)
	return append(b, '\n')
}

// unsubscribe answers UNSUBSCRIBE: once it returns, the subscription
// sends nothing more.
func (c *conn) unsubscribe(f *Frame) *protocolError {
	id, ok := f.Get("id")
	if !ok && c.version == V10 {
		id, ok = f.Get("destination")
	}
	if !ok {
		return refuse(closeProtocol, "UNSUBSCRIBE without an id header")
	}
	c.mu.Lock()
	s := c.subs[id]
	delete(c.subs, id)
	c.mu.Unlock()
	if s == nil {
		return refuse(closeProtocol, "no subscription "+strconv.Quote(id))
	}
	s.leave()
	return nil
}

// leave ends the subscription: once it returns, it sends nothing more.
func (s *subscription) leave() {
	close(s.stop)
	if s.client != nil {
		s.client.Leave()
	}
}

// ack answers ACK and NACK. Both settle the message: a chat message is
// not redelivered, since it stays in the room's history, where a client
// that wants it again reads it with after-seq. An id that was settled
// already (by a cumulative ACK of ack mode client) is ignored; one the
// session never issued is an error.
func (c *conn) ack(f *Frame) *protocolError {
	if c.version == V12 {
		v, ok := f.Get("id")
		if !ok {
			return refuse(closeProtocol, f.Command+" without an id header")
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 || n > c.acks.Load() {
			return refuse(closeProtocol, f.Command+" of "+strconv.Quote(v)+", an ack id no message carried")
		}
		c.settle("", func(u unacked) bool { return u.ack == n })
		return nil
	}
	mid, ok := f.Get("message-id")
	if !ok {
		return refuse(closeProtocol, f.Command+" without a message-id header")
	}
	sub, _ := f.Get("subscription")
	if sub != "" {
		c.mu.Lock()
		_, ok := c.subs[sub]
		c.mu.Unlock()
		if !ok {
			return refuse(closeProtocol, f.Command+" for "+strconv.Quote(sub)+", no subscription")
		}
	}
	c.settle(sub, func(u unacked) bool { return u.messageID == mid })
	return nil
}

// settle settles the message match finds in subscription id, or in any
// subscription for "".
func (c *conn) settle(id string, match func(unacked) bool) {
	c.mu.Lock()
	subs := make([]*subscription, 0, len(c.subs))
	for k, s := range c.subs {
		if id == "" || k == id {
			subs = append(subs, s)
		}
	}
	c.mu.Unlock()
	for _, s := range subs {
		if s.settle(match) {
			return
		}
	}
}
