package chat

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// What one client may create or hold, so that no client can hurt
// everyone. A key is a person or, where people are anonymous, a client
// address.

// Keyed is a rate limit per key: each key has a token bucket of its own,
// made on first use and forgotten once it has been idle long enough to
// be full again, so that memory follows the keys in use.
type Keyed struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	// sweepAt is when idle buckets are next forgotten.
	sweepAt time.Time
}

// bucket is one key's limiter and whether its current refusal streak has
// been reported.
type bucket struct {
	lim      *rate.Limiter
	last     time.Time
	reported bool
}

// NewKeyed returns a limit of r events a second per key, burst at once. now
// is the clock (time.Now when nil).
func NewKeyed(r rate.Limit, burst int, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	return &Keyed{limit: r, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// Allow reports whether key may act now, and, when it may not, whether
// this is the first refusal since it last could: a caller logs that one
// and counts the rest, so a flood costs one log line.
func (k *Keyed) Allow(key string) (ok, first bool) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.bucket(key, now)
	if b.lim.AllowN(now, 1) {
		b.reported = false
		return true, false
	}
	first = !b.reported
	b.reported = true
	return false, first
}

// bucket returns key's bucket, made full when key has none, and notes
// that key acted at now; idle buckets are swept first. k.mu is held.
func (k *Keyed) bucket(key string, now time.Time) *bucket {
	k.sweep(now)
	b := k.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(k.limit, k.burst)}
		k.buckets[key] = b
	}
	b.last = now
	return b
}

// Wait returns how long key must wait until it may act once, without
// taking anything: 0 when it may act now.
func (k *Keyed) Wait(key string) time.Duration {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.buckets[key]
	if b == nil {
		return 0
	}
	tokens := b.lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(k.limit) * float64(time.Second))
}

// Spend takes one event from key's bucket whether or not it has one
// left: a failure that counts against key after the fact.
func (k *Keyed) Spend(key string) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.bucket(key, now)
	if r := b.lim.ReserveN(now, 1); !r.OK() {
		return
	}
}

// Len is how many keys are remembered.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

// sweep forgets, at most once per refill time, the buckets idle for
// longer than it takes one to fill: such a bucket is as a new one would
// be.
func (k *Keyed) sweep(now time.Time) {
	if now.Before(k.sweepAt) {
		return
	}
	full := k.fillTime()
	k.sweepAt = now.Add(full)
	for key, b := range k.buckets {
		if now.Sub(b.last) > full {
			delete(k.buckets, key)
		}
	}
}

// fillTime is how long an empty bucket takes to fill, at least a second.
func (k *Keyed) fillTime() time.Duration {
	if k.limit <= 0 {
		return time.Hour
	}
	d := time.Duration(float64(k.burst) / float64(k.limit) * float64(time.Second))
	return max(d, time.Second)
}

// Slots caps how many of something each key holds at once (live
// connections per person).
type Slots struct {
	max int
	mu  sync.Mutex
	// held counts each key's slots; reported marks the keys refused since
	// they last took one.
	held     map[string]int
	reported map[string]bool
}

// NewSlots returns a cap of max per key.
func NewSlots(max int) *Slots {
	return &Slots{max: max, held: map[string]int{}, reported: map[string]bool{}}
}

// Take takes a slot for key, or reports false when key holds max
// already, and then whether this is the first refusal since key last took
// one (to be logged; the rest are counted). Each slot taken is given back
// with Release.
func (s *Slots) Take(key string) (ok, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] >= s.max {
		first = !s.reported[key]
		s.reported[key] = true
		return false, first
	}
	s.held[key]++
	delete(s.reported, key)
	return true, false
}

// Release gives back a slot of key.
func (s *Slots) Release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key]--; s.held[key] <= 0 {
		delete(s.held, key)
		delete(s.reported, key)
	}
}
