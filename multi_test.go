package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/broker/redis/redistest"
	"hxchat/store/postgres/pgtest"
)

// Tests of several instances sharing one PostgreSQL schema (fresh for each
// test) and one Redis channel (a prefix of each test's own), with people
// spread over them. What they check is what one instance promises: every
// page shows every message of its room once, in Seq order.

// long leaves a test that starts several instances out of a -short run
// (make check); make test runs it.
func long(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several instances: -short leaves it out")
	}
}

// spread opens a page on nodes[i % len(nodes)] for each of count people
// and connects its socket there.
func spread(t *testing.T, nodes []*node, room string, count int) ([]*person, []*node) {
	t.Helper()
	people := make([]*person, count)
	homes := make([]*node, count)
	for i := range people {
		n := nodes[i%len(nodes)]
		people[i] = newPerson(t, fmt.Sprintf("person%d@%s", i, n.name), room, n)
		people[i].mustConnect(t, n)
		homes[i] = n
	}
	return people, homes
}

// checkStored fails t unless the room holds want messages, numbered
// 1..want, each body once.
func checkStored(t *testing.T, db, room string, want int64) {
	t.Helper()
	bodies, last := stored(t, db, room)
	if last != want || int64(len(bodies)) != want {
		t.Errorf("store: last seq %d and %d distinct bodies, want %d of each", last, len(bodies), want)
	}
	for body, n := range bodies {
		if n != 1 {
			t.Errorf("store: %q stored %d times, want once", body, n)
		}
	}
}

// TestSeveralInstances has people on two and on three instances post at
// once: every page must show every message once, in Seq order, whichever
// instance it came through.
func TestSeveralInstances(t *testing.T) {
	long(t)
	for _, instances := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d instances", instances), func(t *testing.T) {
			redisURL := redistest.URL(t)
			db, prefix := pgtest.Schema(t), redistest.Prefix(t)
			nodes := make([]*node, instances)
			for i := range nodes {
				nodes[i] = startNode(t, fmt.Sprintf("node%d", i), nodeArgs(db, redisURL, prefix))
			}
			room := roomID(t, db, "General")
			// 2 people an instance, 6 messages each: at most 36, under the
			// 50 a resume catches up without re-rendering the log.
			const each = 6
			people, _ := spread(t, nodes, room, 2*instances)

			began := time.Now()
			var wg sync.WaitGroup
			for _, p := range people {
				wg.Go(func() {
					for k := range each {
						if err := p.send(fmt.Sprintf("%s says %d", p.name, k)); err != nil {
							t.Errorf("%s: send %d: %v", p.name, k, err)
							return
						}
					}
				})
			}
			wg.Wait()
			total := int64(len(people) * each)
			for _, p := range people {
				p.waitSeen(t, total, nil)
			}
			t.Logf("%d messages from %d people on %d instances shown everywhere in %v",
				total, len(people), instances, time.Since(began).Round(time.Millisecond))
			for _, p := range people {
				p.check(t, total)
			}
			checkStored(t, db, room, total)
		})
	}
}

// TestInstanceCrash kills one of three instances (SIGKILL: no goodbye to
// its sockets, its database or Redis) while everyone is posting. Its
// people reconnect to the others, resuming after the last message their
// page shows, and send again what got no answer, as htmx's extension and
// a person would: every page must still show every message once, in
// order, and nothing may be stored twice.
func TestInstanceCrash(t *testing.T) {
	long(t)
	redisURL := redistest.URL(t)
	db, prefix := pgtest.Schema(t), redistest.Prefix(t)
	args := nodeArgs(db, redisURL, prefix)
	nodes := []*node{startNode(t, "node0", args), startNode(t, "node1", args), startProcessNode(t, "node2", args)}
	doomed, survivors := nodes[2], nodes[:2]
	room := roomID(t, db, "General")
	people, homes := spread(t, nodes, room, 6)
	// where returns the instance person i reaches after a reconnect: the
	// load balancer's pick among those alive.
	where := func(i int) *node {
		if homes[i] == doomed {
			return survivors[i%len(survivors)]
		}
		return homes[i]
	}

	var resent atomic.Int64
	// post sends each message of person i in turn; a send whose socket
	// closed first is sent again, with the same token, after reconnecting.
	post := func(i int, bodies []string) {
		p := people[i]
		for _, body := range bodies {
			for attempt := 0; ; attempt++ {
				err := p.send(body)
				if err == nil {
					break
				}
				if !errors.Is(err, errSocketClosed) || attempt == 2 {
					t.Errorf("%s: send %q: %v", p.name, body, err)
					return
				}
				resent.Add(1)
				if err := p.connect(where(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}
	// round has every person send each messages at once; with crash, the
	// first half race the crash and the rest follow once it has happened,
	// so that the people of the killed instance find their socket closed
	// and reconnect, whichever way the race went.
	round := func(name string, each int, crash func()) {
		var wg sync.WaitGroup
		crashed := make(chan struct{})
		for i, p := range people {
			bodies := make([]string, each)
			for k := range bodies {
				bodies[k] = fmt.Sprintf("%s, %s %d", p.name, name, k)
			}
			wg.Go(func() {
				if crash == nil {
					post(i, bodies)
					return
				}
				post(i, bodies[:each/2])
				<-crashed
				post(i, bodies[each/2:])
			})
		}
		if crash != nil {
			crash()
			close(crashed)
		}
		wg.Wait()
	}

	round("before", 3, nil)
	before := int64(len(people) * 3)
	for i, p := range people {
		p.waitSeen(t, before, func() *node { return where(i) })
	}
	var atKill int64
	round("after", 4, func() {
		doomed.kill()
		_, atKill = stored(t, db, room)
	})
	if t.Failed() {
		return
	}
	_, total := stored(t, db, room)
	t.Logf("killed %s with %d of %d messages stored; %d sends cut off by the crash were sent again",
		doomed.name, atKill, total, resent.Load())
	for i, p := range people {
		p.waitSeen(t, total, func() *node { return where(i) })
	}
	for _, p := range people {
		p.check(t, total)
	}
	// Resends found their first copy: exactly the messages sent.
	checkStored(t, db, room, int64(len(people)*(3+4)))
	for i, p := range people {
		if homes[i] == doomed && p.sockets() < 2 {
			t.Errorf("%s: never reconnected after its instance was killed", p.name)
		}
	}
}

// TestRedisOutage kills the instances' Redis and starts it again on the
// same port. While it is down each instance still serves its own people
// and /readyz says the broker is down; once it is back every page catches
// up on what it missed from the other instance.
func TestRedisOutage(t *testing.T) {
	long(t)
	srv := redistest.StartServer(t)
	db, prefix := pgtest.Schema(t), redistest.Prefix(t)
	a := startNode(t, "a", nodeArgs(db, srv.URL(), prefix))
	b := startNode(t, "b", nodeArgs(db, srv.URL(), prefix))
	room := roomID(t, db, "General")
	people, _ := spread(t, []*node{a, b}, room, 4)
	a1, b1, a2, b2 := people[0], people[1], people[2], people[3]
	mustSend := func(p *person, body string) {
		t.Helper()
		began := time.Now()
		if err := p.send(body); err != nil {
			t.Fatalf("%s: send %q: %v", p.name, body, err)
		}
		if took := time.Since(began); took > time.Second {
			t.Errorf("%s: send %q took %v; a sender must not wait on Redis", p.name, body, took)
		}
	}
	waitAll := func(seq int64, who ...*person) {
		t.Helper()
		for _, p := range who {
			p.waitSeen(t, seq, nil)
		}
	}

	mustSend(a1, "1 from a")
	mustSend(b1, "2 from b")
	waitAll(2, people...)

	srv.Kill()
	for _, n := range []*node{a, b} {
		status, body := readyz(t, n)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "broker: redis unreachable") || !strings.Contains(body, "store: ok") {
			t.Errorf("%s: /readyz with Redis down: got %d %q, want 503 saying the broker is down and the store ok", n.name, status, body)
		}
	}
	// Each instance serves its own people: a's see a's message at once.
	mustSend(a1, "3 from a, Redis down")
	waitAll(3, a1, a2)
	// b's see b's, and 3 too: their hub fills the gap below 4 from the
	// store.
	mustSend(b2, "4 from b, Redis down")
	waitAll(4, b1, b2)
	// Nothing after 5 reveals it to b's people: only the resync after
	// Redis is back can.
	mustSend(a2, "5 from a, Redis down")
	waitAll(5, a1, a2)

	srv.Start()
	waitAll(5, b1, b2)
	waitReady(t, a)
	waitReady(t, b)
	mustSend(b1, "6 from b, Redis back")
	waitAll(6, people...)
	for _, p := range people {
		p.check(t, 6)
	}
	checkStored(t, db, room, 6)
}

// TestDatabaseOutage cuts one instance off PostgreSQL. A post there fails
// with the sentence the sender sees, stores nothing and shows nothing
// anywhere; /readyz says the store is down; the other instance's posts
// still reach that instance's people; and the same form, sent again once
// the database is back, posts once.
func TestDatabaseOutage(t *testing.T) {
	long(t)
	redisURL := redistest.URL(t)
	db, prefix := pgtest.Schema(t), redistest.Prefix(t)
	proxy, viaProxy := pgtest.NewProxy(t, db)
	a := startNode(t, "a", nodeArgs(viaProxy, redisURL, prefix))
	b := startNode(t, "b", nodeArgs(db, redisURL, prefix))
	room := roomID(t, db, "General")
	people, _ := spread(t, []*node{a, b}, room, 2)
	pa, pb := people[0], people[1]

	if err := pa.send("1 before"); err != nil {
		t.Fatal(err)
	}
	pb.waitSeen(t, 1, nil)

	proxy.Cut()
	err := pa.send("lost while the database is down")
	if want := "The message could not be stored; try again."; err == nil || err.Error() != want {
		t.Errorf("send with the database down: got %v, want the alert %q", err, want)
	}
	status, body := readyz(t, a)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "store: postgres") || !strings.Contains(body, "broker: ok") {
		t.Errorf("a: /readyz with the database down: got %d %q, want 503 saying the store is down and the broker ok", status, body)
	}
	// The other instance's people post as usual, and a's people see it.
	if err := pb.send("2 from b meanwhile"); err != nil {
		t.Fatal(err)
	}
	pa.waitSeen(t, 2, nil)

	proxy.Restore()
	// The form was left as it was: the same token, sent again.
	if err := pa.send("lost while the database is down"); err != nil {
		t.Fatalf("send again once the database is back: %v", err)
	}
	pa.waitSeen(t, 3, nil)
	pb.waitSeen(t, 3, nil)
	pa.check(t, 3)
	pb.check(t, 3)
	checkStored(t, db, room, 3)
}

// TestStartRefusesUnreachableEngines: an instance whose database or Redis
// cannot be reached does not start, and says which and where, without
// the password.
func TestStartRefusesUnreachableEngines(t *testing.T) {
	db := pgtest.Schema(t)
	tests := []struct {
		name     string
		args     []string
		wantText string
	}{
		{"database", []string{"-db", "postgres://hxchat:s3cret@127.0.0.1:1/hxchat?connect_timeout=2"},
			"postgres: cannot reach the database at postgres://hxchat:xxxxx@127.0.0.1:1/hxchat"},
		{"redis", []string{"-db", db, "-redis", "redis://:s3cret@127.0.0.1:1/0"},
			"redis: cannot reach redis://:xxxxx@127.0.0.1:1/0"},
		{"redis URL", []string{"-db", db, "-redis", "127.0.0.1:6379"},
			"want redis://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &syncBuffer{}
			args := append([]string{"-addr", "127.0.0.1:0"}, tt.args...)
			err := run(t.Context(), args, func(string) string { return "" }, log, func(addr string) {
				t.Errorf("started on %s, want a refusal", addr)
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantText) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("run: got %v, want an error saying %q without the password\n%s", err, tt.wantText, log)
			}
		})
	}
}
