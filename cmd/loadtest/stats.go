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
	us := min(max(d.Microseconds(), 1), maxLatency.Microseconds())
	s := &l.shards[who%latencyShards]
	s.mu.Lock()
	_ = s.h.RecordValue(us)
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
	// lastDelivery is when the newest delivery came (UnixNano).
	lastDelivery atomic.Int64
	// evictions are closes with 1013 (slow consumer), restarts with 1012,
	// otherCloses any other code; reconnects are successful reopens.
	evictions, restarts, otherCloses, reconnects atomic.Int64
	// dialFailures counts failed dials, retried or not; gaveUp the clients
	// that stopped retrying.
	dialFailures, gaveUp atomic.Int64
	// sent counts send frames written, acked the sends the server
	// answered with a fresh form, resends the sends repeated with the same
	// token after the socket dropped, refused the alerts.
	sent, acked, resends, refused atomic.Int64
	// replacedLogs counts whole-log replacements; olderPages the "Load
	// older" pages fetched to fill what they skipped.
	replacedLogs, olderPages atomic.Int64
	// duplicates and reorders are per-connection delivery faults;
	// mismatches are one Seq showing different messages.
	duplicates, reorders, mismatches atomic.Int64
}

// errorLog keeps a count of errors and the first few messages.
type errorLog struct {
	mu      sync.Mutex
	n       int
	first   []string
	verbose io.Writer
}

// maxErrorsKept is how many error messages a report prints.
const maxErrorsKept = 25

// add records one error.
func (e *errorLog) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if len(e.first) < maxErrorsKept {
		e.first = append(e.first, msg)
	}
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

// samples returns the first errors recorded.
func (e *errorLog) samples() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.first...)
}
