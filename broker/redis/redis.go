// Package redis is the broker of several instances: it carries every
// chat.Event to the other hxchat instances over Redis pub/sub
// (github.com/redis/go-redis/v9), and hands it to this instance's hub
// directly.
//
// # Why delivery needs no more than Redis pub/sub gives
//
// Pub/sub is at most once: a subscriber that is disconnected when an event
// is published never sees it. The broker does not try to make it
// reliable, because the store already is, and the hub of every instance
// leans on the store (chat.Broker says so):
//
//  1. The store numbers each room's messages 1, 2, 3, ... with no gap, in
//     commit order, and a message exists once it is stored, before it is
//     published.
//  2. A hub shows a room's messages strictly in Seq order and at most once:
//     an event whose predecessor has not come is held, and if the
//     predecessor does not come within GapWait the hub reads it from the
//     store; an event it has shown already is dropped. So events may arrive
//     late, twice or out of order, from any instance, over any number of
//     Redis connections, and each page still sees 1, 2, 3, ...
//  3. What remains is an event that never arrives at all, with nothing
//     after it to reveal the gap. There are three ways to lose one, and each
//     is closed:
//     - This instance's own pages never depend on Redis: Publish hands the
//     event to the local hub before it publishes, so they are served with
//     no round trip, and when Redis is down.
//     - Another instance was not subscribed when the event went out (its
//     connection dropped, or Redis restarted and lost it). Its Run loop
//     notices, subscribes again and then calls Resync, so its hub reads
//     from the store everything newer than what it showed. Resync comes
//     after the SUBSCRIBE is confirmed: every event published before that
//     moment was stored before it too, so the read finds it, and every event
//     published after it arrives over the new subscription.
//     - The PUBLISH itself failed (Redis unreachable from this instance
//     only, while the others stay subscribed and so never resync). The
//     broker keeps the newest unsent message event of each room and
//     publishes it again once Redis answers. One per room is enough: a hub
//     that receives Seq n after showing m < n-1 fills m+1..n-1 from the
//     store.
//
// Events that close connections (a sign-out, a removal, an archived room)
// are kept for a second try too, in order, up to maxKeptEnds of them; a
// hub that was cut off checks its connections again when it resubscribes
// (hub.Config.Recheck). Presence events say how things are now and are
// sent again whenever they change.
//
// A crash between the store's commit and the publish loses the event with
// no one left to retry it; the next message of that room (or a page's
// reconnect, which resumes from the store) shows it.
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"hxchat/chat"
)

// Timings. The numbers come from BenchmarkPublish on a 2-vCPU VM, with a
// second instance subscribed: 0.22 ms per Publish serially, 0.07 ms per
// Publish from two goroutines (redis-benchmark puts a bare PUBLISH at
// 0.03 ms p50 on the same loopback).
const (
	// publishTimeout bounds the Redis part of Publish, which runs on the
	// sender's connection: the sender's own page has the message already,
	// and a slow Redis must not hold their next send. Half a second is
	// over 2,000 times a normal Publish.
	publishTimeout = 500 * time.Millisecond
	// healthInterval is how long the subscription may stay silent before
	// the broker pings Redis over it; no answer within another interval
	// counts as a dropped connection. It finds a Redis that vanished
	// without closing the connection (a host gone, a network partition)
	// within 10 s, where TCP alone would take minutes.
	healthInterval = 5 * time.Second
	// minRetry and maxRetry bound the wait between attempts to subscribe
	// again, doubled after each failure, with jitter so that instances
	// do not reconnect in step.
	minRetry = 50 * time.Millisecond
	maxRetry = 2 * time.Second
)

// Defaults for what the Redis URL leaves out; each can be set in the URL
// instead (?dial_timeout=3s&pool_size=50...).
const (
	// defaultDialTimeout: a connect takes well under a millisecond where
	// Redis runs; one that has not succeeded within a second will not.
	defaultDialTimeout = time.Second
	// defaultIOTimeout is the read and write timeout of a command.
	defaultIOTimeout = time.Second
	// defaultPoolSize: a Publish holds a connection for one round trip
	// (0.22 ms, see above), so 10 connections carry some 45,000 publishes
	// a second, more than a hub renders. go-redis would open 10 per CPU.
	defaultPoolSize = 10
	// defaultMaxRetries: one retry on a fresh connection gets a publish
	// through after Redis restarted (the pooled connections are dead);
	// more would only hold the sender while Redis is down.
	defaultMaxRetries = 1
)

// envelope is what goes over the channel: the event, whole, and the
// instance that published it. Event is encoded with its own JSON tags, so
// fields that chat.Event gains later travel without a change here; an
// instance that does not know them yet ignores them.
type envelope struct {
	// Origin is the publishing instance's id.
	Origin string `json:"origin"`
	// Event is what was published.
	Event chat.Event `json:"event"`
}

// Broker publishes events to Redis and delivers those of other instances
// to the sink. Run must be running for the second half.
type Broker struct {
	log      *slog.Logger
	client   goredis.UniversalClient
	ownsConn bool
	sink     chat.Sink
	channel  string
	instance string

	// subscribed is true while the subscription is confirmed.
	subscribed atomic.Bool
	// retry wakes the loop that publishes unsent events again.
	retry chan struct{}

	mu sync.Mutex
	// unsent holds, per room, the newest message event whose PUBLISH
	// failed.
	unsent map[int64]chat.Event
	// ends holds, oldest first, the events that close connections whose
	// PUBLISH failed.
	ends []chat.Event
}

// New returns a broker that publishes on client, on the channel
// prefix+"events", and delivers to sink. instance identifies this process
// among those sharing the channel; it must be unique to each (a random
// id per start does).
func New(log *slog.Logger, client goredis.UniversalClient, sink chat.Sink, prefix, instance string) *Broker {
	return &Broker{
		log:      log,
		client:   client,
		sink:     sink,
		channel:  prefix + "events",
		instance: instance,
		retry:    make(chan struct{}, 1),
		unsent:   make(map[int64]chat.Event),
	}
}

// Open connects to the Redis at rawURL (redis://host:port/db), checks that
// it answers and returns a broker on it, as New does. Close closes the
// connection.
func Open(ctx context.Context, log *slog.Logger, rawURL string, sink chat.Sink, prefix, instance string) (*Broker, error) {
	opts, err := Options(rawURL)
	if err != nil {
		return nil, err
	}
	client := goredis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout+opts.ReadTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis: cannot reach %s: %w", redact(rawURL), err)
	}
	b := New(log, client, sink, prefix, instance)
	b.ownsConn = true
	return b, nil
}

// Options parses a Redis URL and fills in the defaults above for what it
// leaves out.
func Options(rawURL string) (*goredis.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error repeats the URL, password and all.
		return nil, fmt.Errorf("redis: the Redis URL does not parse (%w); want redis://[:password@]host:port/db", errors.Unwrap(err))
	}
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %s: %w", u.Redacted(), err)
	}
	q := u.Query()
	set := func(key string, f func()) {
		if !q.Has(key) {
			f()
		}
	}
	set("dial_timeout", func() { opts.DialTimeout = defaultDialTimeout })
	set("read_timeout", func() { opts.ReadTimeout = defaultIOTimeout })
	set("write_timeout", func() { opts.WriteTimeout = defaultIOTimeout })
	set("pool_size", func() { opts.PoolSize = defaultPoolSize })
	set("max_retries", func() { opts.MaxRetries = defaultMaxRetries })
	// go-redis dials up to five times, 100 ms apart, before a command
	// fails; while Redis is down every publish would wait that long. (A
	// redis:// URL cannot set this one.)
	opts.DialerRetries = 1
	// Publish's own deadline bounds the whole command, retries included.
	opts.ContextTimeoutEnabled = true
	// Maintenance notifications are a Redis Cloud and Enterprise feature;
	// asking a self-hosted Redis for them costs a round trip per
	// connection.
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return opts, nil
}

// redact returns rawURL without its password.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the Redis URL"
	}
	return u.Redacted()
}

// Publish hands ev to this instance's sink, then publishes it to the
// other instances. The local delivery comes first and does not depend on
// Redis: this instance's pages get the event without a round trip, and
// also while Redis is down. A failed PUBLISH returns an error after at
// most publishTimeout; the event is then kept to be published again (see
// the package comment), and the caller need only log it.
func (b *Broker) Publish(ctx context.Context, ev chat.Event) error {
	b.sink.Deliver(ev)
	data, err := json.Marshal(envelope{Origin: b.instance, Event: ev})
	if err != nil {
		return fmt.Errorf("redis: encode %s event: %w", ev.Kind, err)
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	err = b.client.Publish(ctx, b.channel, data).Err()
	b.note(ev, err)
	if err != nil {
		return fmt.Errorf("redis: publish to other instances: %w", err)
	}
	return nil
}

// note records the outcome of publishing ev: a message event that failed
// is kept for another try, and one that went through makes older unsent
// events of its room needless.
func (b *Broker) note(ev chat.Event, err error) {
	if ending(ev) {
		if err != nil {
			b.mu.Lock()
			b.keepEnds(ev)
			b.mu.Unlock()
		}
		return
	}
	if ev.Kind != chat.EventMessage || ev.Message == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kept, ok := b.unsent[ev.Room]
	switch {
	case err != nil && (!ok || kept.Message.Seq < ev.Message.Seq):
		b.unsent[ev.Room] = ev
	case err == nil && ok && kept.Message.Seq <= ev.Message.Seq:
		delete(b.unsent, ev.Room)
	}
	if err == nil && (len(b.unsent) > 0 || len(b.ends) > 0) {
		b.wakeRetry()
	}
}

// maxKeptEnds bounds the events that close connections kept for another
// try: past it the oldest go, and the other instances' recheck after the
// outage closes what they would have.
const maxKeptEnds = 1000

// ending reports whether ev closes connections.
func ending(ev chat.Event) bool {
	return ev.Kind == chat.EventSignedOut || ev.Kind == chat.EventRemoved || ev.Kind == chat.EventArchived
}

// keepEnds keeps evs for another try after those kept already; b.mu is
// held.
func (b *Broker) keepEnds(evs ...chat.Event) {
	b.ends = append(b.ends, evs...)
	if over := len(b.ends) - maxKeptEnds; over > 0 {
		b.ends = slices.Delete(b.ends, 0, over)
	}
}

// wakeRetry asks the retry loop to publish the unsent events.
func (b *Broker) wakeRetry() {
	select {
	case b.retry <- struct{}{}:
	default:
	}
}

// Ping reports whether events travel between instances: Redis answers
// and the subscription is up. Its error says what is degraded, for
// /readyz.
func (b *Broker) Ping(ctx context.Context) error {
	if err := b.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis unreachable (%w): this instance serves its own pages only, and the others catch up when it is back", err)
	}
	if !b.subscribed.Load() {
		return errors.New("not subscribed to redis yet: messages from other instances are not arriving")
	}
	return nil
}

// Close closes the Redis connection when Open made it.
func (b *Broker) Close() error {
	if b.ownsConn {
		return b.client.Close()
	}
	return nil
}
