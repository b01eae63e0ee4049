package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latencyShards spreads the latency histograms so that a thousand reader
// goroutines rarely wait on one lock; an HdrHistogram is not safe for
// concurrent use.
const latencyShards = 32

// maxLatency is the largest latency the histograms hold; longer ones are
// recorded as this (a run's -timeout ends it long before).
const maxLatency = 10 * time.Minute

// latency records durations in microseconds with three significant
// digits, from many goroutines.
type latency struct {
	shards [latencyShards]struct {
		mu sync.Mutex
		h  *hdrhistogram.Histogram
	}
}

func newLatency() *latency {
	l := &latency{}
	for i := range l.shards {
		l.shards[i].h = hdrhistogram.New(1, maxLatency.Microseconds(), 3)
	}
	return l
}

// record adds d from the goroutine numbered who.
func (l *latency) record(who int, d time.Duration) {
	l.recordAll(who, []time.Duration{d})
}

// recordAll adds ds from the goroutine numbered who, under one lock: a
// reader records a frame's messages together.
func (l *latency) recordAll(who int, ds []time.Duration) {
	s := &l.shards[who%latencyShards]
	s.mu.Lock()
	for _, d := range ds {
		_ = s.h.RecordValue(min(max(d.Microseconds(), 1), maxLatency.Microseconds()))
	}
	s.mu.Unlock()
}

// summary merges the shards.
func (l *latency) summary() quantiles {
	all := hdrhistogram.New(1, maxLatency.Microseconds(), 3)
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		all.Merge(s.h)
		s.mu.Unlock()
	}
	us := func(q float64) time.Duration { return time.Duration(all.ValueAtQuantile(q)) * time.Microsecond }
	return quantiles{
		N: all.TotalCount(), P50: us(50), P90: us(90), P99: us(99), P999: us(99.9),
		Max: time.Duration(all.Max()) * time.Microsecond,
	}
}

// quantiles summarise a latency distribution.
type quantiles struct {
	N                        int64
	P50, P90, P99, P999, Max time.Duration
}

// counters are the run's running totals; every field is safe for
// concurrent use.
type counters struct {
	// deliveries counts messages of this run shown to a connection
	// (websocket or "Load older"); frameBytes and frames size the message
	// frames.
	deliveries, frames, frameBytes atomic.Int64
	// lastDelivery is when the newest delivery came (epoch offset).
	lastDelivery atomic.Int64
	// evictions are closes with 1013 (slow consumer), restarts with 1012,
	// otherCloses any other code; streamEnds are event streams that ended
	// (which say no code); reconnects are successful reopens.
	evictions, restarts, otherCloses, streamEnds, reconnects atomic.Int64
	// dialFailures counts failed dials, retried or not; gaveUp the clients
	// that stopped retrying.
	dialFailures, gaveUp atomic.Int64
	// sent counts send frames written, acked the sends the server
	// answered with a fresh form, resends the sends repeated with the same
	// token after the socket dropped, refused the alerts.
	sent, acked, resends, refused atomic.Int64
	// replyTimeouts counts sends repeated because no answer came in
	// -reply-timeout.
	replyTimeouts atomic.Int64
	// replacedLogs counts whole-log replacements; olderPages the "Load
	// older" pages fetched to fill what they skipped.
	replacedLogs, olderPages atomic.Int64
	// duplicates and reorders are per-connection delivery faults;
	// mismatches are one Seq showing different messages.
	duplicates, reorders, mismatches atomic.Int64
	// liveGaps counts messages that arrived live with a hole before them
	// (the socket went live before its resume was handled); healed the
	// messages that came through a replaced log or "Load older" below the
	// newest the page held. A hole never filled is a loss.
	liveGaps, healed atomic.Int64
}

// errorLog counts errors by kind (the call site's format) and keeps
// the first message of each kind.
type errorLog struct {
	mu      sync.Mutex
	n       int
	kinds   map[string]*errorKind
	order   []string
	verbose io.Writer
}

// errorKind is one kind of error: how often, and the first one.
type errorKind struct {
	n     int
	first string
}

// maxKindsKept is how many kinds of error a report lists.
const maxKindsKept = 25

// add records one error.
func (e *errorLog) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if e.kinds == nil {
		e.kinds = map[string]*errorKind{}
	}
	k := e.kinds[format]
	if k == nil {
		k = &errorKind{first: msg}
		e.kinds[format] = k
		e.order = append(e.order, format)
	}
	k.n++
	if e.verbose != nil {
		fmt.Fprintln(e.verbose, "error:", msg)
	}
}

// count returns how many errors were recorded.
func (e *errorLog) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

// samples returns one line per kind of error, in order of first
// appearance: how many, and the first.
func (e *errorLog) samples() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, f := range e.order[:min(len(e.order), maxKindsKept)] {
		k := e.kinds[f]
		out = append(out, fmt.Sprintf("%6dx %s", k.n, k.first))
	}
	return out
}
