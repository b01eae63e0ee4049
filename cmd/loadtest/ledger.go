package main

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// room is one room of the run and what its connections have seen.
type room struct {
	id   int64
	name string
	// clients are the connections in the room.
	clients []*client

	mu sync.RWMutex
	// bySeq is what each Seq showed, as first seen by any connection:
	// its identity.
	bySeq map[int64]uint64
	// maxSeq is the newest Seq any connection saw.
	maxSeq atomic.Int64
	// ours counts the Seqs that showed a message of this run; acked the
	// sends to this room the server answered.
	ours, acked atomic.Int64
}

func newRoom(id int64, name string) *room {
	return &room{id: id, name: name, bySeq: map[int64]uint64{}}
}

// identity names what a message shows, for comparing across
// connections: its author and, for a message of this run, its index (an
// identity with the top bit clear), for another its body (a hash, with
// the top bit set).
func identity(msg int, author int64, body []byte) uint64 {
	if msg >= 0 {
		return uint64(msg)&(1<<32-1) + 1 | uint64(author)&(1<<31-1)<<32
	}
	h := fnv.New64a()
	h.Write(body)
	var a [8]byte
	binary.LittleEndian.PutUint64(a[:], uint64(author))
	h.Write(a[:])
	return h.Sum64() | 1<<63
}

// messageOf returns the index of the run's message that ident names;
// ours is false for another message.
func messageOf(ident uint64) (msg int, ours bool) {
	if ident&(1<<63) != 0 {
		return -1, false
	}
	return int(ident&(1<<32-1)) - 1, true
}

// shown is what a connection was shown under one Seq, as accept reads
// it.
type shown struct {
	seq int64
	// msg is the index of the run's message it is, or -1; sched is when
	// that message was due.
	msg   int
	sched time.Duration
	// ident is its identity; first the identity first recorded for seq,
	// which differs from ident when two connections saw different
	// messages under one Seq.
	ident, first uint64
}

// note records what each of ss showed and sets its first. Every
// connection of the room notes every Seq, mostly after another one did,
// so one read lock answers for a whole frame; the write lock is taken
// only for Seqs nobody noted yet.
func (r *room) note(ss []shown) {
	missed := false
	r.mu.RLock()
	for i := range ss {
		// An identity is never 0, so 0 stands for not noted yet.
		ss[i].first = r.bySeq[ss[i].seq]
		missed = missed || ss[i].first == 0
	}
	r.mu.RUnlock()
	if !missed {
		return
	}
	top, ours := int64(0), int64(0)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range ss {
		s := &ss[i]
		if s.first != 0 {
			continue
		}
		if s.first = r.bySeq[s.seq]; s.first != 0 {
			continue
		}
		r.bySeq[s.seq] = s.ident
		s.first = s.ident
		if _, mine := messageOf(s.ident); mine {
			ours++
		}
		top = max(top, s.seq)
	}
	// maxSeq before ours: caughtUp reads them the other way round, so
	// it never sees a message counted and the newest Seq not yet raised.
	for {
		m := r.maxSeq.Load()
		if top <= m || r.maxSeq.CompareAndSwap(m, top) {
			break
		}
	}
	r.ours.Add(ours)
}

// caughtUp reports whether every message acked in the room has been seen
// and every connection still going holds the newest one.
func (r *room) caughtUp() bool {
	if r.ours.Load() < r.acked.Load() {
		return false
	}
	top := r.maxSeq.Load()
	for _, c := range r.clients {
		if !c.ended.Load() && (c.lastSeen.Load() < top || c.fills.Load() > 0) {
			return false
		}
	}
	return true
}

// seqSet is a growable bit set of the Seqs one connection received,
// offset by the Seq its page held.
type seqSet struct{ words []uint64 }

// maxSeqSpan bounds a set, so a nonsense Seq cannot eat the memory.
const maxSeqSpan = 1 << 26

func (s *seqSet) has(i int64) bool {
	w := i >> 6
	return i >= 0 && w < int64(len(s.words)) && s.words[w]&(1<<(i&63)) != 0
}

func (s *seqSet) set(i int64) {
	if i < 0 || i >= maxSeqSpan {
		return
	}
	w := int(i >> 6)
	for w >= len(s.words) {
		s.words = append(s.words, 0)
	}
	s.words[w] |= 1 << (i & 63)
}

// count returns how many of 0..n-1 are set.
func (s *seqSet) count(n int64) int64 {
	var c int64
	for w, word := range s.words {
		if int64(w)*64 >= n {
			break
		}
		if rest := n - int64(w)*64; rest < 64 {
			word &= 1<<rest - 1
		}
		c += int64(bits.OnesCount64(word))
	}
	return c
}

// firstMissing returns the first of 0..n-1 not set, or -1.
func (s *seqSet) firstMissing(n int64) int64 {
	for i := range n {
		if !s.has(i) {
			return i
		}
	}
	return -1
}

// maxTrails is how many lossy connections' event trails a report shows.
const maxTrails = 3

// verdict is the outcome of checking a run's deliveries.
type verdict struct {
	// lost counts (connection, message) pairs never delivered.
	lost int64
	// duplicates, reorders and mismatches copy the counters.
	duplicates, reorders, mismatches int64
	// unacked are sends the server never answered; postedTwice messages
	// stored under two Seqs; undelivered acked messages nobody saw.
	unacked, postedTwice, undelivered int64
	// gaveUp are connections that stopped reconnecting.
	gaveUp int64
}

// ok reports whether every message reached every connection once, in
// order.
func (v verdict) ok() bool { return v == verdict{} }

// verify checks that every connection of every room holds every Seq
// from the one its page showed to the room's newest exactly once, that
// every acked message of the run was stored once, and notes what is
// wrong in errs.
func (r *run) verify() verdict {
	v := verdict{
		duplicates: r.count.duplicates.Load(),
		reorders:   r.count.reorders.Load(),
		mismatches: r.count.mismatches.Load(),
		gaveUp:     r.count.gaveUp.Load(),
	}
	seqOf := make(map[int][]int64)
	for _, rm := range r.rooms {
		rm.mu.RLock()
		for seq, ident := range rm.bySeq {
			if msg, ours := messageOf(ident); ours {
				seqOf[msg] = append(seqOf[msg], seq)
			}
		}
		rm.mu.RUnlock()
		top := rm.maxSeq.Load()
		for _, c := range rm.clients {
			if c.start < 0 {
				continue // never loaded its page: counted as an error then
			}
			span := top - c.start
			if span <= 0 {
				continue
			}
			got := c.seen.count(span)
			if got < span {
				v.lost += span - got
				first := c.start + 1 + c.seen.firstMissing(span)
				r.errs.add("conn %d (room %q): missing %d of Seq %d..%d, first %d", c.id, rm.name, span-got, c.start+1, top, first)
				if len(r.trails) < maxTrails {
					r.trails = append(r.trails, fmt.Sprintf("conn %d (missing %d, first %d):\n    %s", c.id, span-got, first, strings.Join(c.trail, "\n    ")))
				}
			}
		}
	}
	for i := range r.msgs {
		m := &r.msgs[i]
		if !m.posted.Load() {
			continue
		}
		seqs := seqOf[m.idx]
		switch {
		case !m.acked.Load():
			v.unacked++
			r.errs.add("message %d (room %q): the server never answered its send", m.idx, m.room.name)
		case len(seqs) == 0:
			v.undelivered++
			r.errs.add("message %d (room %q): acknowledged but never delivered to anyone", m.idx, m.room.name)
		case len(seqs) > 1:
			v.postedTwice++
			r.errs.add("message %d (room %q): stored twice, as Seq %v", m.idx, m.room.name, seqs)
		}
	}
	return v
}

// String lists the faults.
func (v verdict) String() string {
	return fmt.Sprintf("lost %d, duplicates %d, out of order %d, mismatched %d, unanswered sends %d, stored twice %d, never delivered %d, clients gave up %d",
		v.lost, v.duplicates, v.reorders, v.mismatches, v.unacked, v.postedTwice, v.undelivered, v.gaveUp)
}
