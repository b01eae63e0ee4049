package redis

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"hxchat/chat"
)

// Run subscribes to the channel and delivers the events of other
// instances to the sink until ctx ends. Whenever the subscription is
// (re)established it calls the sink's Resync, since events published
// while it was down are lost to this instance; and it publishes again the
// events whose PUBLISH failed. It returns when ctx ends.
func (b *Broker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { b.retryLoop(ctx) })

	wait := minRetry
	for {
		up, err := b.subscribe(ctx)
		b.subscribed.Store(false)
		if ctx.Err() != nil {
			return
		}
		if up {
			wait = minRetry
		}
		b.log.Warn("redis subscription down; messages from other instances wait until it is back",
			"err", err, "retry_in", wait)
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxRetry)
	}
}

// subscribe runs one subscription until it fails or ctx ends, and reports
// whether it was ever confirmed.
func (b *Broker) subscribe(ctx context.Context) (up bool, err error) {
	ps := b.client.Subscribe(ctx)
	defer ps.Close()
	// A blocked receive returns when the subscription is closed.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()

	if err := ps.Subscribe(ctx, b.channel); err != nil {
		return false, err
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, healthInterval)
		if err != nil {
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() && !pinged && ctx.Err() == nil {
				pinged = true
				if err := ps.Ping(ctx); err != nil {
					return up, err
				}
				continue
			}
			return up, err
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && m.Channel == b.channel {
				// The only way to learn that this instance missed nothing
				// while it was not subscribed is to read the store.
				up = true
				b.subscribed.Store(true)
				b.log.Info("redis subscription up; reading what was missed from the store", "channel", b.channel)
				b.sink.Resync()
				b.wakeRetry()
			}
		case *goredis.Message:
			b.receive([]byte(m.Payload))
		}
	}
}

// receive delivers one event from the channel, unless this instance
// published it: the sink had it before it was published.
func (b *Broker) receive(payload []byte) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		b.log.Warn("undecodable event from redis", "err", err, "bytes", len(payload))
		return
	}
	if env.Origin == b.instance {
		return
	}
	b.sink.Deliver(env.Event)
}

// retryLoop publishes the events whose PUBLISH failed, each time it is
// woken and, while some are still unsent, every maxRetry, until ctx ends.
func (b *Broker) retryLoop(ctx context.Context) {
	var again <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.retry:
		case <-again:
		}
		again = nil
		b.mu.Lock()
		events := make([]chat.Event, 0, len(b.ends)+len(b.unsent))
		events = append(events, b.ends...)
		ends := len(b.ends)
		b.ends = nil
		for _, ev := range b.unsent {
			events = append(events, ev)
		}
		b.mu.Unlock()
		for i, ev := range events {
			data, err := json.Marshal(envelope{Origin: b.instance, Event: ev})
			if err != nil {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, publishTimeout)
			err = b.client.Publish(pctx, b.channel, data).Err()
			cancel()
			if err != nil {
				// Still unreachable: try again later, or sooner when the
				// subscription comes back. The ending events not sent
				// yet go back before any kept meanwhile.
				if i < ends {
					b.mu.Lock()
					rest := append(slices.Clone(events[i:ends]), b.ends...)
					b.ends = nil
					b.keepEnds(rest...)
					b.mu.Unlock()
				}
				again = time.After(maxRetry)
				break
			}
			b.note(ev, nil)
		}
	}
}
