package hub_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// link stands for the broker between two instances: what one publishes
// the other receives, until the link is cut.
type link struct {
	to  atomic.Pointer[hub.Hub]
	cut atomic.Bool
}

func (l *link) publish(_ context.Context, ev chat.Event) error {
	if !l.cut.Load() {
		if h := l.to.Load(); h != nil {
			h.Deliver(ev)
		}
	}
	return nil
}

// twoInstances starts instances A and B on one store, linked both ways,
// with aCfg and bCfg (their Instance and Publish are set here).
func twoInstances(t *testing.T, aCfg, bCfg hub.Config) (a, b *env, aToB *link) {
	t.Helper()
	aToB, bToA := &link{}, &link{}
	aCfg.Instance, aCfg.Publish = "A", aToB.publish
	bCfg.Instance, bCfg.Publish = "B", bToA.publish
	a = newEnv(t, aCfg)
	b = newEnvOn(t, bCfg, a.store)
	aToB.to.Store(b.hub)
	bToA.to.Store(a.hub)
	return a, b, aToB
}

// clock is a time that moves only when the test says.
type clock struct{ now atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Date(2025, time.March, 14, 15, 9, 26, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func TestPresenceSpansInstances(t *testing.T) {
	a, b, _ := twoInstances(t, hub.Config{RosterEvery: time.Hour}, hub.Config{RosterEvery: time.Hour})
	room := a.room(t, "r")
	bob := b.join(t, room, 1, "bob")

	annA := a.join(t, room, 2, "ann")
	bob.waitFor("ann joined")
	if got := b.hub.Online(room); len(got) != 2 {
		t.Errorf("B online = %v, want bob and ann", got)
	}

	// ann opens a second tab on B: nobody hears of her again.
	annB := b.dial(t, room, 2, "ann", true)
	annB.waitFor(`id="online"`)
	marker := b.post(t, room, "marker")
	deliver(b.hub, marker)
	bob.waitFor(msgID(marker), "ann joined")

	// Closing the tab on A leaves her on B: no notice.
	annA.conn.Close()
	<-a.left
	marker2 := b.post(t, room, "marker two")
	deliver(b.hub, marker2)
	bob.waitFor(msgID(marker2), "ann left")

	// Closing the last one, anywhere, is when she leaves.
	annB.conn.Close()
	<-b.left
	bob.waitFor("ann left")
}

// TestPeopleOfASilentInstanceStopCounting is instance A going silent: B
// drops A's roster once it is RosterTTL old, and shows ann gone. B's clock
// moves only when the test says, so that A's roster cannot expire before
// the test means it to, as it could on a loaded machine with a real clock
// and a TTL short enough for a quick test; B still looks every
// RosterEvery of real time.
func TestPeopleOfASilentInstanceStopCounting(t *testing.T) {
	clk := newClock()
	const ttl = time.Minute
	a, b, aToB := twoInstances(t,
		hub.Config{RosterEvery: time.Hour},
		hub.Config{RosterEvery: 20 * time.Millisecond, RosterTTL: ttl, Now: clk.Now})
	room := a.room(t, "r")
	bob := b.join(t, room, 1, "bob")
	a.join(t, room, 2, "ann")
	bob.waitFor("ann joined")

	// A dies without a word: the link is cut first, so that B hears
	// nothing of A's shutdown, which returns once every roster A was
	// sending has gone or been dropped. After that B holds the last
	// roster it will ever get from A.
	aToB.cut.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := a.hub.Shutdown(ctx); err != nil {
		t.Fatalf("A's shutdown: %v", err)
	}
	// Not before RosterTTL...
	clk.Advance(ttl - time.Second)
	marker := b.post(t, room, "marker")
	deliver(b.hub, marker)
	bob.waitFor(msgID(marker), "ann left")
	// ...but once it has passed.
	clk.Advance(time.Second)
	bob.waitFor("ann left")
	if got := b.hub.Online(room); len(got) != 1 || got[0].Name != "bob" {
		t.Errorf("B online = %v, want bob alone", got)
	}
}

func TestShutdownWaitsForTheLastRosters(t *testing.T) {
	// The roster a room sends as its last connection closes, telling the
	// other instances its people left, is held until released.
	release := make(chan struct{})
	last := make(chan chat.Roster, 1)
	publish := func(ctx context.Context, ev chat.Event) error {
		if ev.Kind != chat.EventRoster || len(ev.Roster.People) > 0 {
			return nil
		}
		last <- *ev.Roster
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	e := newEnv(t, hub.Config{Instance: "A", Publish: publish, RosterEvery: time.Hour})
	room := e.room(t, "r")
	e.join(t, room, 1, "ann")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown with the last roster still on its way: %v, want it to wait until ctx ends", err)
	}
	if r := <-last; len(r.Left) != 1 || r.Left[0].Name != "ann" {
		t.Errorf("last roster: left %v, want ann", r.Left)
	}
	close(release)
	if err := e.hub.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown once the roster went out: %v", err)
	}
}

func TestRostersArePublishedInTheOrderTheyWereMade(t *testing.T) {
	var mu sync.Mutex
	var versions []int64
	a := newEnv(t, hub.Config{Instance: "A", Publish: func(_ context.Context, ev chat.Event) error {
		mu.Lock()
		defer mu.Unlock()
		versions = append(versions, ev.Roster.Version)
		return nil
	}})
	room := a.room(t, "r")
	// People come and go, each change a roster of its own.
	for i := range 10 {
		c := a.join(t, room, int64(i+1), fmt.Sprint("p", i))
		if i%2 == 1 {
			c.conn.Close()
		}
	}
	a.hub.Deliver(chat.Event{Kind: chat.EventRoster, Room: room, Roster: &chat.Roster{Instance: "B", Version: 1, Ask: true}})
	// Shutdown waits for every roster to be published.
	if err := a.hub.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(versions) < 5 {
		t.Fatalf("%d rosters published, want one per change at least", len(versions))
	}
	if !slices.IsSorted(versions) {
		t.Errorf("rosters published in the order of versions %v, want increasing", versions)
	}
}
