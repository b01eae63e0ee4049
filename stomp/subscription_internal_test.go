package stomp

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"hxchat/chat"
)

// discard is a Transport that drops what is sent, for benchmarks.
type discard struct{}

func (discard) Read(func([]byte) bool) error { return nil }
func (discard) Send([][]byte) error          { return nil }
func (discard) Ping() error                  { return nil }
func (discard) LastHeard() time.Time         { return time.Now() }
func (discard) Close(int, string)            {}

// benchSubscription is a subscription of a connected 1.2 session that
// writes to nowhere.
func benchSubscription(mode ackMode) *subscription {
	s := &Server{log: slog.New(slog.DiscardHandler), cfg: Config{}.withDefaults()}
	c := newConn(s, discard{}, Peer{})
	c.version = V12
	c.connected.Store(true)
	sub := &subscription{c: c, id: "sub-0", dest: "/topic/room.5", room: 5, mode: mode,
		space: make(chan struct{}, 1), stop: make(chan struct{})}
	sub.prefix = sub.messagePrefix()
	return sub
}

// BenchmarkSubscriptionSend is the work each STOMP recipient of an event
// costs beyond the shared encoding: the frame completed with the
// subscription's headers (and in a client ack mode an ack id, settled
// here at once) before it is written.
func BenchmarkSubscriptionSend(b *testing.B) {
	frames, err := NewEncoder().Messages(5, []chat.Message{{
		ID: 901, Room: 5, Seq: 42, Author: chat.User{ID: 7, Name: "Ana"},
		Body: "Shall we move the stand-up to half past ten tomorrow?", CreatedAt: time.Now(),
	}})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []ackMode{ackAuto, ackIndividual} {
		b.Run(strconv.Itoa(int(mode)), func(b *testing.B) {
			sub := benchSubscription(mode)
			b.SetBytes(int64(len(sub.prefix) + len(frames[0])))
			b.ReportAllocs()
			for b.Loop() {
				if err := sub.Send(frames); err != nil {
					b.Fatal(err)
				}
				if mode != ackAuto {
					n := sub.c.acks.Load()
					sub.settle(func(u unacked) bool { return u.ack == n })
				}
			}
		})
	}
}

func TestMessageIDOf(t *testing.T) {
	frames, err := NewEncoder().Messages(5, []chat.Message{{Seq: 42}})
	if err != nil {
		t.Fatal(err)
	}
	for tail, want := range map[string]string{string(frames[0]): "5-42", "content-type:x\n\n\x00": "", "message-id:7": ""} {
		if got := messageIDOf([]byte(tail)); got != want {
			t.Errorf("messageIDOf(%q) = %q, want %q", tail, got, want)
		}
	}
}
