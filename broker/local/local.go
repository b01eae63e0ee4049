// Package local is the broker of a single instance: it hands every event
// straight to this instance's hub.
package local

import (
	"context"

	"hxchat/chat"
)

// Broker delivers events within one process.
type Broker struct {
	sink chat.Sink
}

// New returns a Broker delivering to sink.
func New(sink chat.Sink) *Broker { return &Broker{sink: sink} }

// Publish delivers ev to the sink before it returns.
func (b *Broker) Publish(_ context.Context, ev chat.Event) error {
	b.sink.Deliver(ev)
	return nil
}

// Ping always succeeds: there is nothing to reach.
func (b *Broker) Ping(context.Context) error { return nil }
