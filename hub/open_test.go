package hub_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hxchat/hub"
	"hxchat/store/sqlite"
)

// stalled is the store as a hub's Source, except that the first LastSeq
// of one room waits until release is closed: a slow first read.
type stalled struct {
	*sqlite.Store
	room    int64
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (s *stalled) LastSeq(ctx context.Context, room int64) (int64, error) {
	if room == s.room {
		s.once.Do(func() {
			close(s.reached)
			<-s.release
		})
	}
	return s.Store.LastSeq(ctx, room)
}

// TestSlowRoomDoesNotHoldOthers: while the first connection to one room
// waits for the store, connections to other rooms open, and a second
// connection to the slow room waits for that same read, not a read of
// its own.
func TestSlowRoomDoesNotHoldOthers(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	slowRoom, err := st.CreateRoom(t.Context(), "slow", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	src := &stalled{Store: st, room: slowRoom.ID, reached: make(chan struct{}), release: make(chan struct{})}
	e := newEnvReading(t, hub.Config{}, st, src)
	e.detached = true
	// A failure before the release must not leave the slow join waiting
	// through the server's shutdown.
	var released sync.Once
	release := func() { released.Do(func() { close(src.release) }) }
	t.Cleanup(release)
	quick := e.room(t, "quick")

	// Two connections to the slow room: the upgrade answers at once, the
	// first join waits in LastSeq, and the second waits for that one.
	var slow []*client
	for _, uid := range []int64{1, 2} {
		slow = append(slow, e.dial(t, slowRoom.ID, uid, "slow", true))
	}
	<-src.reached
	// Meanwhile another room opens and works.
	bob := e.join(t, quick, 3, "bob")
	m := e.post(t, quick, "not held up")
	deliver(e.hub, m)
	bob.waitFor("not held up")

	release()
	for _, c := range slow {
		c.send("echo ready")
		c.waitFor("ready")
	}
	if got := e.hub.Stats().Rooms; got != 2 {
		t.Errorf("rooms: got %d, want 2 (the slow one made once)", got)
	}
}
