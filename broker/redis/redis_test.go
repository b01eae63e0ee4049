package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"hxchat/broker/redis"
	"hxchat/broker/redis/redistest"
	"hxchat/chat"
	"hxchat/internal/tcpproxy"
)

// wait bounds every wait on a broker; it only turns a hang into a failure.
const wait = 10 * time.Second

// sink is a chat.Sink that records what it is given and lets a test wait
// for a condition on it.
type sink struct {
	mu      sync.Mutex
	events  []chat.Event
	resyncs int
	// changed is closed, and replaced, on every change.
	changed chan struct{}
}

func newSink() *sink { return &sink{changed: make(chan struct{})} }

func (s *sink) Deliver(ev chat.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *sink) Resync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resyncs++
	close(s.changed)
	s.changed = make(chan struct{})
}

// snapshot returns what the sink holds now.
func (s *sink) snapshot() ([]chat.Event, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]chat.Event(nil), s.events...), s.resyncs
}

// waitFor waits until cond holds for what the sink got, or fails t.
func (s *sink) waitFor(t testing.TB, what string, cond func(events []chat.Event, resyncs int) bool) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s.events, s.resyncs)
		changed := s.changed
		events, resyncs := len(s.events), s.resyncs
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %s; the sink has %d events and %d resyncs", wait, what, events, resyncs)
		}
	}
}

// resyncs returns a condition: at least n Resync calls.
func resyncs(n int) func([]chat.Event, int) bool {
	return func(_ []chat.Event, r int) bool { return r >= n }
}

// has returns a condition: an event like ev arrived, count times.
func has(ev chat.Event, count int) func([]chat.Event, int) bool {
	return func(events []chat.Event, _ int) bool {
		n := 0
		for _, e := range events {
			if reflect.DeepEqual(e, ev) {
				n++
			}
		}
		return n >= count
	}
}

// instance is one broker with its sink, running until the test ends.
type instance struct {
	broker *redis.Broker
	sink   *sink
}

// start opens a broker on redisURL with prefix, runs it until t ends, and
// waits for its subscription (its first Resync).
func start(t testing.TB, name, redisURL, prefix string) instance {
	t.Helper()
	in := instance{sink: newSink()}
	in.broker = run(t, name, redisURL, prefix, in.sink)
	in.sink.waitFor(t, name+"'s first subscription", resyncs(1))
	return in
}

// run opens a broker delivering to s and runs it until t ends.
func run(t testing.TB, name, redisURL, prefix string, s chat.Sink) *redis.Broker {
	t.Helper()
	b, err := redis.Open(t.Context(), quietLog(), redisURL, s, prefix, name)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		b.Close()
	})
	return b
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// message returns a message event of room with seq.
func message(room, seq int64) chat.Event {
	return chat.Event{Kind: chat.EventMessage, Room: room, Message: &chat.Message{
		ID: 100 + seq, Room: room, Seq: seq,
		Author:    chat.User{ID: 7, Name: "ann"},
		Body:      fmt.Sprintf("message %d <b>&amp;</b> ünïcödé", seq),
		Token:     fmt.Sprintf("tok%d", seq),
		CreatedAt: time.Date(2025, time.March, 14, 15, 9, 26, int(seq)*1000, time.UTC),
	}}
}

// TestEventsCrossInstances publishes on one broker and checks that the
// other delivers every event whole and once, and that the publisher
// delivered it to its own sink at once and not again from Redis.
func TestEventsCrossInstances(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	a := start(t, "a", url, prefix)
	b := start(t, "b", url, prefix)
	// Another installation on the same Redis, with a prefix of its own.
	other := start(t, "other", url, redistest.Prefix(t))

	events := []struct {
		name string
		ev   chat.Event
	}{
		{"message", message(1, 1)},
		{"message in another room", message(2, 1)},
		// A kind this build does not know, as a newer instance might send
		// during a rolling upgrade: carried as it is, for the hub to judge.
		{"unknown kind", chat.Event{Kind: "presence-of-the-future", Room: 3}},
	}
	for _, tt := range events {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.broker.Publish(t.Context(), tt.ev); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got, _ := a.sink.snapshot(); !has(tt.ev, 1)(got, 0) {
				t.Errorf("the publisher's own sink did not get the event before Publish returned")
			}
			b.sink.waitFor(t, "the event at the other instance", has(tt.ev, 1))
		})
	}

	// Redis delivers one connection's messages in order, so once a and
	// other see this marker from b, any copy of a's own events would have
	// come before it.
	marker := chat.Event{Kind: chat.EventMessage, Room: 9, Message: &chat.Message{Room: 9, Seq: 1, Body: "marker"}}
	if err := b.broker.Publish(t.Context(), marker); err != nil {
		t.Fatal(err)
	}
	a.sink.waitFor(t, "b's marker at a", has(marker, 1))
	got, _ := a.sink.snapshot()
	if len(got) != len(events)+1 {
		t.Errorf("a's sink got %d events, want its own %d once each and b's marker: %+v", len(got), len(events), got)
	}
	got, _ = b.sink.snapshot()
	if len(got) != len(events)+1 {
		t.Errorf("b's sink got %d events, want a's %d once each and its own marker", len(got), len(events))
	}
	if got, _ := other.sink.snapshot(); len(got) != 0 {
		t.Errorf("an installation with another prefix got %d events, want none", len(got))
	}
}

// TestUndecodableEventIgnored puts garbage on the channel: the broker
// must log it and go on delivering.
func TestUndecodableEventIgnored(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	a := start(t, "a", url, prefix)
	raw := goredis.NewClient(mustOptions(t, url))
	defer raw.Close()
	for _, payload := range []string{"not json", `{"origin":"x","event":{"room":"nine"}}`} {
		if err := raw.Publish(t.Context(), prefix+"events", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	ev := message(1, 1)
	if err := raw.Publish(t.Context(), prefix+"events", `{"origin":"elsewhere","event":`+mustJSON(t, ev)+`}`).Err(); err != nil {
		t.Fatal(err)
	}
	a.sink.waitFor(t, "the valid event after the garbage", has(ev, 1))
	if got, _ := a.sink.snapshot(); len(got) != 1 {
		t.Errorf("got %d events, want only the valid one: %+v", len(got), got)
	}
}

// TestRedisRestart kills the brokers' Redis and starts it again: while it
// is down Publish still serves the local sink and fails fast, and Ping
// says what is degraded; once it is back every broker subscribes again and
// resyncs.
func TestRedisRestart(t *testing.T) {
	srv := redistest.StartServer(t)
	prefix := redistest.Prefix(t)
	a := start(t, "a", srv.URL(), prefix)
	b := start(t, "b", srv.URL(), prefix)

	srv.Kill()
	ev := message(1, 5)
	began := time.Now()
	err := a.broker.Publish(t.Context(), ev)
	if err == nil {
		t.Fatal("Publish with Redis down: got no error")
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("Publish with Redis down took %v; a sender must not wait on a dead Redis", took)
	}
	if got, _ := a.sink.snapshot(); !has(ev, 1)(got, 0) {
		t.Error("Publish with Redis down: the local sink did not get the event")
	}
	err = a.broker.Ping(t.Context())
	if err == nil || !strings.Contains(err.Error(), "redis unreachable") {
		t.Errorf("Ping with Redis down: got %v, want it to say redis is unreachable", err)
	}

	srv.Start()
	a.sink.waitFor(t, "a's resync after Redis came back", resyncs(2))
	// b's resync is what brings it the message: its hub reads the store.
	// (a publishes the message again too, but b may subscribe only after
	// that; TestPublisherCutOff covers the case where b never dropped.)
	b.sink.waitFor(t, "b's resync after Redis came back", resyncs(2))
	if err := a.broker.Ping(t.Context()); err != nil {
		t.Errorf("Ping after Redis came back: %v", err)
	}
}

// TestPublisherCutOff cuts only the publisher off Redis, so that the other
// instance stays subscribed and has no reason to resync: the event must
// still reach it, published again once the publisher is back.
func TestPublisherCutOff(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	opts := mustOptions(t, url)
	proxy := tcpproxy.Start(t, opts.Addr)
	viaProxy := strings.Replace(url, opts.Addr, proxy.Addr(), 1)
	a := start(t, "a", viaProxy, prefix)
	b := start(t, "b", url, prefix)

	proxy.Cut()
	lost := message(1, 3)
	if err := a.broker.Publish(t.Context(), lost); err == nil {
		t.Fatal("Publish while cut off: got no error")
	}
	// An older one that also failed must not replace it.
	if err := a.broker.Publish(t.Context(), message(1, 2)); err == nil {
		t.Fatal("Publish while cut off: got no error")
	}
	proxy.Restore()
	b.sink.waitFor(t, "the newest unsent message at b", has(lost, 1))
	if _, n := b.sink.snapshot(); n != 1 {
		t.Errorf("b resynced %d times, want once (at its start): only a was cut off", n)
	}
}

// TestEndingEventsKeptForAnotherTry: a sign-out and a removal whose
// PUBLISH failed reach the other instance, in order, once Redis answers
// again: the connections they end must not stay open there.
func TestEndingEventsKeptForAnotherTry(t *testing.T) {
	url, prefix := redistest.URL(t), redistest.Prefix(t)
	opts := mustOptions(t, url)
	proxy := tcpproxy.Start(t, opts.Addr)
	viaProxy := strings.Replace(url, opts.Addr, proxy.Addr(), 1)
	a := start(t, "a", viaProxy, prefix)
	b := start(t, "b", url, prefix)

	proxy.Cut()
	signedOut := chat.Event{Kind: chat.EventSignedOut, Ended: &chat.Ended{User: 3, Sessions: []string{"s1", "s2"}}}
	removed := chat.Event{Kind: chat.EventRemoved, Room: 4, User: 3}
	for _, ev := range []chat.Event{signedOut, removed} {
		if err := a.broker.Publish(t.Context(), ev); err == nil {
			t.Fatalf("Publish %s while cut off: got no error", ev.Kind)
		}
	}
	proxy.Restore()
	b.sink.waitFor(t, "both ending events at b", func(events []chat.Event, _ int) bool {
		return has(signedOut, 1)(events, 0) && has(removed, 1)(events, 0)
	})
	events, _ := b.sink.snapshot()
	var kinds []chat.EventKind
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, []chat.EventKind{chat.EventSignedOut, chat.EventRemoved}) {
		t.Errorf("b got %v, want the sign-out, then the removal, once each", kinds)
	}
}

// TestOpenErrors checks that a bad Redis URL fails at start, saying what
// is wrong and not showing the password.
func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"closed port", "redis://:s3cret@127.0.0.1:1/0", "cannot reach redis://:xxxxx@127.0.0.1:1/0"},
		{"wrong scheme", "http://127.0.0.1:6379", "invalid URL scheme"},
		{"bad database", "redis://127.0.0.1:6379/x", "invalid database number"},
		{"bad option", "redis://127.0.0.1:6379/0?dial_timeout=soon", "dial_timeout"},
		{"no scheme", "127.0.0.1:6379", "want redis://"},
		{"does not parse", "redis://:s3cret@127.0.0.1:port/0", "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := redis.Open(t.Context(), quietLog(), tt.url, newSink(), "p:", "i")
			if err == nil {
				b.Close()
				t.Fatalf("Open(%q): got no error", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open(%q): got %q, want it to say %q without the password", tt.url, err, tt.want)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name                             string
		url                              string
		wantDial, wantRead               time.Duration
		wantPool, wantRetries, wantDial2 int
	}{
		{"bare URL", "redis://127.0.0.1:6379/0", time.Second, time.Second, 10, 1, 1},
		{"URL sets them", "redis://127.0.0.1:6379/0?dial_timeout=3s&read_timeout=2s&pool_size=50&max_retries=4",
			3 * time.Second, 2 * time.Second, 50, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := mustOptions(t, tt.url)
			if o.DialTimeout != tt.wantDial || o.ReadTimeout != tt.wantRead || o.PoolSize != tt.wantPool ||
				o.MaxRetries != tt.wantRetries || o.DialerRetries != tt.wantDial2 || !o.ContextTimeoutEnabled {
				t.Errorf("got dial %v, read %v, pool %d, retries %d, dialer retries %d, context timeouts %v; want %v, %v, %d, %d, %d, true",
					o.DialTimeout, o.ReadTimeout, o.PoolSize, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled,
					tt.wantDial, tt.wantRead, tt.wantPool, tt.wantRetries, tt.wantDial2)
			}
		})
	}
}

func mustOptions(t testing.TB, url string) *goredis.Options {
	t.Helper()
	o, err := redis.Options(url)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
