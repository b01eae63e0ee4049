package hub_test

import (
	"context"
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

// twoInstances starts instances A and B on one store, linked both ways.
func twoInstances(t *testing.T, every time.Duration) (a, b *env, aToB *link) {
	t.Helper()
	aToB, bToA := &link{}, &link{}
	a = newEnv(t, hub.Config{Instance: "A", Publish: aToB.publish, RosterEvery: every})
	b = newEnvOn(t, hub.Config{Instance: "B", Publish: bToA.publish, RosterEvery: every}, a.store)
	aToB.to.Store(b.hub)
	bToA.to.Store(a.hub)
	return a, b, aToB
}

func TestPresenceSpansInstances(t *testing.T) {
	a, b, _ := twoInstances(t, time.Hour)
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

func TestPeopleOfASilentInstanceStopCounting(t *testing.T) {
	a, b, aToB := twoInstances(t, 20*time.Millisecond)
	room := a.room(t, "r")
	bob := b.join(t, room, 1, "bob")
	a.join(t, room, 2, "ann")
	bob.waitFor("ann joined")

	// A dies without a word: its rosters stop, and after RosterTTL B
	// shows ann gone.
	aToB.cut.Store(true)
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
