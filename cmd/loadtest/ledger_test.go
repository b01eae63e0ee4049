package main

import (
	"fmt"
	"testing"
	"time"
)

// testRun is a run with one room, n clients whose pages showed Seq 0,
// and msgs messages of its own, without any network.
func testRun(n, msgs int) *run {
	r := &run{id: "t", bodyPrefix: "lt-t-", epoch: time.Now(), lat: newLatency(), slowLat: newLatency()}
	rm := newRoom(1, "r")
	r.rooms = []*room{rm}
	for i := range n {
		c := newClient(r, i, rm, nil)
		c.start, c.last = 0, 0
		rm.clients = append(rm.clients, c)
		r.clients = append(r.clients, c)
	}
	r.msgs = make([]message, msgs)
	for i := range r.msgs {
		r.msgs[i].idx, r.msgs[i].room = i, rm
		r.msgs[i].posted.Store(true)
		r.msgs[i].acked.Store(true)
	}
	return r
}

// show delivers the run's message idx as Seq seq to c.
func show(c *client, seq int64, idx int) {
	c.accept([]item{{seq: seq, body: fmt.Appendf(nil, "lt-t-%d-0-", idx)}}, false, c.r.now())
}

func TestVerifyCleanRun(t *testing.T) {
	r := testRun(2, 3)
	for _, c := range r.clients {
		for seq := int64(1); seq <= 3; seq++ {
			show(c, seq, int(seq-1))
		}
	}
	if v := r.verify(); !v.ok() {
		t.Errorf("clean run: %s; errors %v", v, r.errs.samples())
	}
	if got, want := r.count.deliveries.Load(), int64(6); got != want {
		t.Errorf("deliveries: got %d, want %d", got, want)
	}
}

func TestVerifyFindsFaults(t *testing.T) {
	tests := []struct {
		name string
		// a and b are what the two clients receive, as (Seq, message).
		a, b [][2]int64
		want verdict
	}{
		{"lost in the middle", [][2]int64{{1, 0}, {3, 2}}, [][2]int64{{1, 0}, {2, 1}, {3, 2}}, verdict{lost: 1}},
		{"lost at the end", [][2]int64{{1, 0}, {2, 1}}, [][2]int64{{1, 0}, {2, 1}, {3, 2}}, verdict{lost: 1}},
		{"duplicate", [][2]int64{{1, 0}, {2, 1}, {2, 1}, {3, 2}}, [][2]int64{{1, 0}, {2, 1}, {3, 2}}, verdict{duplicates: 1}},
		{"out of order", [][2]int64{{1, 0}, {3, 2}, {2, 1}}, [][2]int64{{1, 0}, {2, 1}, {3, 2}}, verdict{reorders: 1}},
		{"different message under one Seq", [][2]int64{{1, 0}, {2, 1}, {3, 2}}, [][2]int64{{1, 0}, {2, 2}, {3, 1}}, verdict{mismatches: 2}},
		{"never delivered", [][2]int64{{1, 0}, {2, 1}}, [][2]int64{{1, 0}, {2, 1}}, verdict{undelivered: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRun(2, 3)
			for _, d := range tt.a {
				show(r.clients[0], d[0], int(d[1]))
			}
			for _, d := range tt.b {
				show(r.clients[1], d[0], int(d[1]))
			}
			if got := r.verify(); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAuthorComparedAcrossConnections(t *testing.T) {
	for _, msg := range []int{0, -1} { // a message of the run, and another's
		r := testRun(2, 1)
		body := []byte("lt-t-0-0-")
		if msg < 0 {
			body = []byte("someone else's")
		}
		r.clients[0].accept([]item{{seq: 1, author: 3, body: body}}, false, r.now())
		r.clients[1].accept([]item{{seq: 1, author: 4, body: body}}, false, r.now())
		if got := r.count.mismatches.Load(); got != 1 {
			t.Errorf("message %d shown by two authors under one Seq: %d mismatches, want 1", msg, got)
		}
	}
}

func TestReplacedLogIsNotADuplicate(t *testing.T) {
	r := testRun(1, 4)
	c := r.clients[0]
	show(c, 1, 0)
	show(c, 2, 1)
	// The page missed a page of messages: the log comes again whole.
	f := &fragment{replaced: true, items: []item{
		{seq: 1, body: []byte("lt-t-0-0-")}, {seq: 2, body: []byte("lt-t-1-0-")},
		{seq: 3, body: []byte("lt-t-2-0-")}, {seq: 4, body: []byte("lt-t-3-0-")},
	}}
	c.replaceLog(t.Context(), f, r.now())
	if v := r.verify(); !v.ok() {
		t.Errorf("got %s, want a clean run", v)
	}
}

func TestSeqSet(t *testing.T) {
	var s seqSet
	for _, i := range []int64{0, 1, 63, 64, 200} {
		s.set(i)
	}
	if got, want := s.count(201), int64(5); got != want {
		t.Errorf("count(201): got %d, want %d", got, want)
	}
	if got, want := s.count(64), int64(3); got != want {
		t.Errorf("count(64): got %d, want %d", got, want)
	}
	if got, want := s.firstMissing(201), int64(2); got != want {
		t.Errorf("firstMissing: got %d, want %d", got, want)
	}
	if s.has(-1) || s.has(65) || !s.has(200) {
		t.Error("has: wrong answers")
	}
}

func TestBodyRoundTrip(t *testing.T) {
	r := testRun(1, 10)
	r.sc.BodySize = 64
	m := &r.msgs[7]
	m.sched = 1500 * time.Millisecond
	b := r.body(m)
	if len(b) != 64 {
		t.Errorf("body length: got %d, want 64", len(b))
	}
	idx, sched, ours := r.parseBody([]byte(b))
	if !ours || idx != 7 || sched != m.sched {
		t.Errorf("parseBody(%q): got %d %v %v", b, idx, sched, ours)
	}
	if _, _, ours := r.parseBody([]byte("lt-other-1-2-")); ours {
		t.Error("another run's message read as ours")
	}
	for _, b := range []string{"lt-t-99-2-", "lt-t-", "lt-t-7", "lt-t-7-", "lt-t-7-2", "lt-t--2-", "lt-t-7x-2-", "lt-t-+7-2-", "lt-t-7-99999999999999999999-", "lt-t"} {
		if _, _, ours := r.parseBody([]byte(b)); ours {
			t.Errorf("%q read as ours", b)
		}
	}
}

func TestIdentity(t *testing.T) {
	for _, msg := range []int{-1, 0, 7, 1 << 20} {
		for _, author := range []int64{0, 1, 1<<31 - 1} {
			id := identity(msg, author, []byte("x"))
			// note takes 0 for a Seq nobody noted yet.
			if id == 0 {
				t.Errorf("identity(%d, %d) is 0", msg, author)
			}
			if got, ours := messageOf(id); got != msg || ours != (msg >= 0) {
				t.Errorf("identity(%d, %d) names message %d (ours %v)", msg, author, got, ours)
			}
		}
	}
}

func TestFrameNotedAtOnce(t *testing.T) {
	// One frame's messages are noted together: a Seq that another
	// connection noted, new ones, and one Seq shown twice in the frame
	// with different messages.
	r := testRun(2, 4)
	a, b := r.clients[0], r.clients[1]
	show(a, 1, 0)
	b.accept([]item{
		{seq: 1, body: []byte("lt-t-0-0-")},
		{seq: 2, body: []byte("lt-t-1-0-")},
		{seq: 3, body: []byte("lt-t-2-0-")},
		{seq: 3, body: []byte("lt-t-3-0-")},
	}, false, r.now())
	if got, want := r.count.mismatches.Load(), int64(1); got != want {
		t.Errorf("mismatches: got %d, want %d", got, want)
	}
	if got, want := r.count.duplicates.Load(), int64(1); got != want {
		t.Errorf("duplicates: got %d, want %d", got, want)
	}
	if got, want := r.count.deliveries.Load(), int64(4); got != want {
		t.Errorf("deliveries: got %d, want %d", got, want)
	}
	if got, want := r.lat.summary().N, int64(4); got != want {
		t.Errorf("latencies recorded: got %d, want %d", got, want)
	}
	if got, want := r.rooms[0].maxSeq.Load(), int64(3); got != want {
		t.Errorf("room's newest Seq: got %d, want %d", got, want)
	}
	if got, want := b.lastSeen.Load(), int64(3); got != want {
		t.Errorf("lastSeen: got %d, want %d", got, want)
	}
}

func TestReplacedLogHealsALiveGap(t *testing.T) {
	// The socket went live before its resume was handled: Seq 6 came
	// right after 2, then the late resume replaced the log.
	r := testRun(1, 7)
	c := r.clients[0]
	show(c, 1, 0)
	show(c, 2, 1)
	show(c, 6, 5)
	var items []item
	for seq := int64(3); seq <= 7; seq++ {
		items = append(items, item{seq: seq, body: fmt.Appendf(nil, "lt-t-%d-0-", seq-1)})
	}
	c.replaceLog(t.Context(), &fragment{replaced: true, items: items}, r.now())
	if v := r.verify(); !v.ok() {
		t.Errorf("got %s, want a clean run", v)
	}
	if got, want := r.count.liveGaps.Load(), int64(1); got != want {
		t.Errorf("live gaps: got %d, want %d", got, want)
	}
	if got, want := r.count.healed.Load(), int64(3); got != want {
		t.Errorf("healed: got %d, want %d", got, want)
	}
}
