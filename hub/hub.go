// Package hub holds the live subscribers of one instance, grouped by
// room, and fans events out to them, whatever their transport: htmx pages
// over a websocket (Attach), and any other transport that adapts its
// connection to a Wire (Subscribe), such as STOMP over a websocket or
// SockJS.
//
// Each room has its own lock and member set, so rooms never wait on one
// another; the map from room ID to room is a sync.Map, read without a
// lock on the delivery path. An event is encoded once per format present
// in the room (an HTML fragment, a STOMP frame);
// then the same bytes are queued to every member without blocking: a
// member whose queue is full is a slow consumer and is disconnected with
// 1013 (Try Again Later), after which it reconnects and catches up from
// the store. A subscriber's writer runs only while there is something to
// write, and in a busy room it sends whatever queued up during the last
// WriteInterval in one write, one system call where the transport joins
// frames: that, not encoding, is where fan-out spends its time.
//
// Messages reach members in the order of their per-room sequence numbers,
// whatever order the broker delivers them in: an event that arrives ahead
// of its predecessors waits, and when they do not come within GapWait the
// room reads them from the store.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
)

// Source reads a room's history; the hub uses it to catch connections up
// and to fill gaps in what the broker delivered. chat.Store implements
// it.
type Source interface {
	// After returns up to limit messages of room with Seq > after.
	After(ctx context.Context, room, after int64, limit int) ([]chat.Message, error)
	// Before returns up to limit messages of room with Seq < before
	// (before <= 0: the newest).
	Before(ctx context.Context, room, before int64, limit int) (chat.Page, error)
	// LastSeq returns the Seq of room's newest message, or 0.
	LastSeq(ctx context.Context, room int64) (int64, error)
}

// Config tunes the hub. The zero value of each field means its default.
type Config struct {
	// QueueSize is how many messages (or other events) may wait for one
	// connection before it counts as a slow consumer (default 1,024: at
	// 1,000 messages a second a reader may stall for a second). A slot is
	// a pointer to an event shared by the whole room, holding one
	// interval's messages, so a full queue costs at most 8 KiB.
	QueueSize int
	// WriteWait bounds every write to a connection (default 10s).
	WriteWait time.Duration
	// PongWait is how long a connection may stay silent, pongs included,
	// before it is dropped (default 60s).
	PongWait time.Duration
	// PingPeriod is how often the server pings each connection (default
	// half of PongWait, so that one lost pong does not drop it, and at
	// most 25s: an event stream's ping is a comment that keeps proxies,
	// many of which drop a response silent for 30s or more, passing it).
	PingPeriod time.Duration
	// WriteInterval is the least time between two writes of queued
	// frames to one connection (default 40ms). What is queued meanwhile
	// goes out together, in one frame: a room busier than one message
	// per interval costs each connection one write per interval instead
	// of one per message, and the first message after a quiet spell is
	// not delayed at all.
	WriteInterval time.Duration
	// MaxFrame is the largest frame a client may send, in bytes (default
	// 512 KiB). A bigger frame closes the socket with 1009, which htmx
	// never reopens, so it is far above the longest message a person may
	// post (2,000 characters, at most about 12 KiB of JSON): an
	// over-long paste is refused by the service with a message instead.
	MaxFrame int64
	// PageSize is how many messages a page shows (default 50). A
	// reconnecting page that missed more than this gets its whole log
	// re-rendered instead of the gap.
	PageSize int
	// ResumeWait is how long a new connection waits for the page to say
	// which message it holds last before it goes live without catching up
	// (default 5s).
	ResumeWait time.Duration
	// GapWait is how long an event that arrived ahead of its predecessors
	// waits for them before the room reads them from the store (default
	// 500ms).
	GapWait time.Duration
	// PresenceWait is how long joins and leaves gather before one update
	// of the online list and its notices goes out (default 250ms).
	PresenceWait time.Duration
	// CheckOrigin decides whether a websocket request may be upgraded
	// (default: gorilla/websocket's same-origin check).
	CheckOrigin func(r *http.Request) bool

	// Instance names this instance among several; it must differ on every
	// start.
	Instance string
	// Publish sends an event to the other instances through the broker;
	// nil for a single instance, which then sends no rosters.
	Publish func(ctx context.Context, ev chat.Event) error
	// RosterEvery is how often a live room's roster is re-sent to the
	// other instances (default 10s).
	RosterEvery time.Duration
	// RosterTTL is how long another instance's roster counts without
	// renewal (default 3 x RosterEvery): the bound on how long the people
	// of an instance that died still show as online.
	RosterTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Recheck, when set, tells whether a connection may stay open: ""
	// when it may, else why not. Resync asks it of every connection,
	// since the events that close connections (a sign-out, a removal)
	// may have been lost with the broker's connection too.
	Recheck func(ctx context.Context, m Member) (chat.Reason, error)
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	def(&c.WriteWait, 10*time.Second)
	def(&c.PongWait, 60*time.Second)
	def(&c.PingPeriod, min(c.PongWait/2, 25*time.Second))
	def(&c.WriteInterval, 40*time.Millisecond)
	def(&c.ResumeWait, 5*time.Second)
	def(&c.GapWait, 500*time.Millisecond)
	def(&c.PresenceWait, 250*time.Millisecond)
	def(&c.RosterEvery, 10*time.Second)
	def(&c.RosterTTL, 3*c.RosterEvery)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 512 << 10
	}
	if c.PageSize <= 0 {
		c.PageSize = 50
	}
	return c
}

// Member is who a connection belongs to and where.
type Member struct {
	// Room is the room the connection joined.
	Room int64
	// User is the person behind the connection.
	User chat.User
	// Session is the ID of the session the connection was opened with
	// ("" in open mode): when it ends, the connection closes.
	Session string
}

// Receiver handles one frame a client sent. It runs on the client's read
// loop, so a slow Receiver slows only that client.
type Receiver func(c *Client, data []byte)

// Hub is the set of live connections of this instance.
type Hub struct {
	log *slog.Logger
	src Source
	// encoders encode events, one per Format.
	encoders []Encoder
	// writeBufs holds idle write buffers (see getWriteBuf).
	writeBufs chan *[]byte
	cfg       Config
	upgrader  websocket.Upgrader

	// rooms maps room ID to *room. Join and leave change it under mu;
	// delivery only loads from it.
	rooms sync.Map
	mu    sync.Mutex
	// opening holds, under mu, the rooms being made: their first
	// connection reads the room's newest Seq from the store without
	// holding mu, so that no other room waits for that read, and later
	// connections to the same room wait for it.
	opening map[int64]*opening

	// clients tracks every connection for Shutdown, and publishing the
	// rosters on their way to the broker: a room's last one, sent as its
	// last connection closes, tells the other instances its people left.
	clients    sync.WaitGroup
	publishing sync.WaitGroup
	// pubQueue holds the rosters waiting to be published, in the order
	// they were made, and pubRunning says that a goroutine sends them;
	// pubMu guards both (see publish).
	pubMu      sync.Mutex
	pubQueue   []chat.Event
	pubRunning bool
	closing    atomic.Bool
	// rosterVersion numbers this instance's rosters.
	rosterVersion atomic.Int64

	stats Stats
}

// Stats are running totals, read with Snapshot.
type Stats struct {
	connections atomic.Int64
	rooms       atomic.Int64
	deliveries  atomic.Int64
	events      atomic.Int64
	evictions   atomic.Int64
}

// StatsSnapshot is a copy of the hub's counters at one moment.
type StatsSnapshot struct {
	// Connections is the number of subscribers: pages and subscriptions.
	Connections int64
	// Rooms is the number of rooms with at least one connection here.
	Rooms int64
	// Events is the number of events rendered for broadcast.
	Events int64
	// Deliveries is the number of frames queued to connections.
	Deliveries int64
	// Evictions is the number of slow consumers disconnected.
	Evictions int64
}

// The hub is where brokers deliver events.
var _ chat.Sink = (*Hub)(nil)

// New returns a hub reading history from src and encoding events with
// encoders, the first of which is the format of the pages that connect
// through Attach.
func New(log *slog.Logger, src Source, cfg Config, encoders ...Encoder) *Hub {
	cfg = cfg.withDefaults()
	h := &Hub{
		log: log, encoders: encoders, src: src, cfg: cfg,
		opening:   map[int64]*opening{},
		writeBufs: make(chan *[]byte, writeBuffersKept),
	}
	// Versions start from the clock, so that a restarted instance's
	// rosters are newer than any it sent before.
	h.rosterVersion.Store(cfg.Now().UnixNano())
	h.upgrader = websocket.Upgrader{
		// Zero: read through the buffer the hijacker hands over (see
		// readBufferSize).
		ReadBufferSize: 0,
		// The hub frames messages itself (Socket.write); what
		// gorilla/websocket writes (a refusal, control frames) takes a
		// buffer from a pool and gives it back, so an idle connection
		// holds none.
		WriteBufferSize: 4 << 10,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     cfg.CheckOrigin,
	}
	return h
}

// Stats returns the hub's counters.
func (h *Hub) Stats() StatsSnapshot {
	return StatsSnapshot{
		Connections: h.stats.connections.Load(),
		Rooms:       h.stats.rooms.Load(),
		Events:      h.stats.events.Load(),
		Deliveries:  h.stats.deliveries.Load(),
		Evictions:   h.stats.evictions.Load(),
	}
}

// Serve upgrades the request to a websocket, joins m's room and runs the
// connection until it closes, handing every frame it receives to recv.
// When the upgrade fails Serve has already answered the request and
// returns the error.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, m Member, recv Receiver) error {
	done, err := h.Attach(w, r, m, recv)
	if err != nil {
		return err
	}
	<-done
	return nil
}

// Attach is Serve without the wait: the connection runs on goroutines of
// its own, and the returned channel is closed once it has closed and left
// its room. The HTTP handler can return at once, which frees its stack and
// the HTTP server's state for the request, several times what an idle
// connection costs once it runs (BenchmarkIdleConnection).
func (h *Hub) Attach(w http.ResponseWriter, r *http.Request, m Member, recv Receiver) (<-chan struct{}, error) {
	// Counted under mu, so that Shutdown never waits on a count that
	// grows behind its back.
	h.mu.Lock()
	if h.closing.Load() {
		h.mu.Unlock()
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return nil, ErrShuttingDown
	}
	h.clients.Add(1)
	h.mu.Unlock()

	sock, err := h.upgrade(w, r, &h.upgrader)
	if err != nil {
		h.clients.Done()
		return nil, err
	}
	c := newClient(h, pageWire{sock}, m)
	h.stats.connections.Add(1)
	finished := make(chan struct{})
	end := func() {
		h.stats.connections.Add(-1)
		h.clients.Done()
		close(finished)
	}

	if err := h.join(c); err != nil {
		h.log.Error("join room", "room", m.Room, "err", err)
		c.close(CloseInternal, "try again")
		go func() {
			<-c.finished
			end()
		}()
		return finished, nil
	}
	if h.closing.Load() {
		// Shutdown began while this client joined and may have missed it.
		c.close(CloseRestart, "server restarting")
	}
	c.waitForResume()
	go func() {
		err := sock.ReadLoop(func(data []byte) bool {
			recv(c, data)
			return true
		})
		if !expectedClose(err) {
			h.log.Debug("read", "room", m.Room, "err", err)
		}
		c.close(CloseCode(err), "")
		h.leave(c)
		<-c.finished
		end()
	}()
	return finished, nil
}

// Subscribe joins m's room with a subscriber writing through w, for a
// transport other than the hub's own pages. With after >= 0 it first
// sends every stored message of the room with Seq > after, in order and
// each once, then the live ones; with after < 0, the live ones from now.
// The person counts as online in the room while subscribed.
func (h *Hub) Subscribe(w Wire, m Member, after int64) (*Client, error) {
	return h.subscribe(w, m, after, true)
}

// SubscribeLog is Subscribe for a page that holds nothing it can name
// (an event stream reconnecting without Last-Event-ID): it first sends
// the room's newest page as the whole log (Encoder.Log), then the live
// messages.
func (h *Hub) SubscribeLog(w Wire, m Member) (*Client, error) {
	return h.subscribe(w, m, -1, false)
}

// subscribe is Subscribe; complete says whether the catch-up sends every
// message after after, or the log re-rendered (after < 0).
func (h *Hub) subscribe(w Wire, m Member, after int64, complete bool) (*Client, error) {
	h.mu.Lock()
	if h.closing.Load() {
		h.mu.Unlock()
		return nil, ErrShuttingDown
	}
	h.clients.Add(1)
	h.mu.Unlock()

	c := newClient(h, w, m)
	c.subscribed, c.complete = true, complete
	if err := h.join(c); err != nil {
		h.clients.Done()
		return nil, err
	}
	h.stats.connections.Add(1)
	if h.closing.Load() {
		c.close(CloseRestart, "server restarting")
	}
	if after >= 0 || !complete {
		c.Resume(after)
	} else {
		c.mu.Lock()
		c.goLiveLocked()
		c.mu.Unlock()
	}
	return c, nil
}

// Refuse upgrades the request only to send frame, which says why the
// connection is refused, then closes it with 1008 (Policy Violation):
// htmx's websocket extension does not reconnect after that code, so a
// page over a limit does not keep trying. The connection joins no room.
func (h *Hub) Refuse(w http.ResponseWriter, r *http.Request, frame []byte) error {
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	deadline := time.Now().Add(h.cfg.WriteWait)
	_ = ws.SetWriteDeadline(deadline)
	if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		return err
	}
	return ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "refused"), deadline)
}

// ErrShuttingDown is returned by Attach and Subscribe once Shutdown has
// begun; Attach has answered the request with 503.
var ErrShuttingDown = errors.New("hub: shutting down")

// Deliver implements chat.Sink: it shows ev to the room's members on this
// instance, in Seq order. Events for rooms with no member here are
// dropped before any rendering.
func (h *Hub) Deliver(ev chat.Event) {
	if ev.Kind == chat.EventSignedOut {
		if ev.Ended != nil {
			h.endSessions(*ev.Ended)
		}
		return
	}
	v, ok := h.rooms.Load(ev.Room)
	if !ok {
		return
	}
	r := v.(*room)
	if ev.Kind == chat.EventRoster && ev.Roster != nil && ev.Roster.Instance != h.cfg.Instance {
		r.receiveRoster(ev.Roster)
		return
	}
	switch ev.Kind {
	case chat.EventRemoved:
		r.evict(h.ended(chat.Removed), func(m Member) bool { return m.User.ID == ev.User })
		return
	case chat.EventArchived:
		r.evict(h.ended(chat.Archived), func(Member) bool { return true })
		return
	}
	if ev.Kind != chat.EventMessage || ev.Message == nil {
		return
	}
	r.post(h.messageEvent(ev.Room, *ev.Message))
}

// endSessions closes every connection of the ended sessions.
func (h *Hub) endSessions(e chat.Ended) {
	ended := make(map[string]bool, len(e.Sessions))
	for _, id := range e.Sessions {
		ended[id] = true
	}
	note := h.ended(chat.SignedOut)
	h.rooms.Range(func(_, v any) bool {
		v.(*room).evict(note, func(m Member) bool { return m.User.ID == e.User && ended[m.Session] })
		return true
	})
}

// ended returns what the connections closed for reason are told, in
// each format, encoded when first asked for.
func (h *Hub) ended(reason chat.Reason) *notes {
	return &notes{hub: h, reason: reason, by: make([]encoded, len(h.encoders))}
}

// notes is what connections closed for one reason are told, per format.
// A room's lock is held while it is used, but several rooms may share
// it: mu guards by.
type notes struct {
	hub    *Hub
	reason chat.Reason
	mu     sync.Mutex
	by     []encoded
}

// in returns the note in format; nil when it cannot be encoded, and the
// connection just closes.
func (n *notes) in(format Format) [][]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := &n.by[format]
	if !e.made {
		e.made = true
		frames, err := n.hub.encoders[format].Ended(n.reason)
		if err != nil {
			n.hub.log.Error("encode ended", "reason", n.reason, "format", format, "err", err)
		}
		e.frames = frames
	}
	return e.frames
}

// Closing reports whether Shutdown has begun: new connections are
// refused.
func (h *Hub) Closing() bool { return h.closing.Load() }

// Rename shows u's new display name in the online list of every room u
// is in here; the next roster carries it to the other instances.
func (h *Hub) Rename(u chat.User) {
	h.rooms.Range(func(_, v any) bool {
		v.(*room).rename(u)
		return true
	})
}

// Resync implements chat.Sink: every live room reads from the store the
// messages newer than the last one it showed, so that nothing a broker
// outage swallowed stays missing.
func (h *Hub) Resync() {
	h.rooms.Range(func(_, v any) bool {
		go v.(*room).catchUp()
		return true
	})
	if h.cfg.Recheck != nil {
		go h.recheck()
	}
}

// recheck closes the connections that may no longer stay open, each
// with the reason.
func (h *Hub) recheck() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// One check per person, session and room, however many tabs.
	verdicts := map[Member]chat.Reason{}
	h.rooms.Range(func(_, v any) bool {
		for _, m := range v.(*room).memberList() {
			if _, done := verdicts[m]; done {
				continue
			}
			reason, err := h.cfg.Recheck(ctx, m)
			if err != nil {
				h.log.Warn("recheck", "room", m.Room, "user", m.User.ID, "err", err)
				return false
			}
			verdicts[m] = reason
		}
		return true
	})
	for m, reason := range verdicts {
		if reason == "" {
			continue
		}
		if v, ok := h.rooms.Load(m.Room); ok {
			v.(*room).evict(h.ended(reason), func(x Member) bool { return x == m })
		}
	}
}

// Shutdown closes every connection with 1012 (Service Restart), which
// makes htmx reconnect, and waits until ctx ends for them to finish and
// for the rosters they leave behind to reach the broker.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing.Store(true)
	h.mu.Unlock()
	h.rooms.Range(func(_, v any) bool {
		v.(*room).closeAll(CloseRestart, "server restarting")
		return true
	})
	done := make(chan struct{})
	go func() {
		h.clients.Wait()
		h.publishing.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// join adds c to its room, creating the room on this instance when c is
// its first connection here.
func (h *Hub) join(c *Client) error {
	for {
		r, err := h.room(c.member.Room)
		if err != nil {
			return err
		}
		if r.add(c) {
			return nil
		}
		// The room was freed between lookup and add; look it up again.
	}
}

// room returns the live room id, creating it when there is none.
func (h *Hub) room(id int64) (*room, error) {
	for {
		if v, ok := h.rooms.Load(id); ok {
			return v.(*room), nil
		}
		h.mu.Lock()
		if v, ok := h.rooms.Load(id); ok {
			h.mu.Unlock()
			return v.(*room), nil
		}
		if o := h.opening[id]; o != nil {
			h.mu.Unlock()
			<-o.done
			if o.err != nil {
				return nil, o.err
			}
			continue // the room is made, or freed again meanwhile
		}
		o := &opening{done: make(chan struct{})}
		h.opening[id] = o
		h.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteWait)
		last, err := h.src.LastSeq(ctx, id)
		cancel()

		h.mu.Lock()
		delete(h.opening, id)
		var r *room
		if err == nil {
			r = newRoom(h, id, last)
			h.rooms.Store(id, r)
			h.stats.rooms.Add(1)
		}
		h.mu.Unlock()
		o.err = err
		close(o.done)
		return r, err
	}
}

// opening is a room being made; done closes once it is, or err says why
// it could not be.
type opening struct {
	done chan struct{}
	err  error
}

// leave removes c from its room and frees the room when it is empty.
func (h *Hub) leave(c *Client) {
	if c.room == nil {
		return
	}
	if empty := c.room.remove(c); !empty {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.room.freeIfEmpty() {
		h.rooms.Delete(c.room.id)
		h.stats.rooms.Add(-1)
	}
}

// Online lists the people connected to a room, here or on another
// instance, ordered by name.
func (h *Hub) Online(id int64) []chat.User {
	v, ok := h.rooms.Load(id)
	if !ok {
		return nil
	}
	r := v.(*room)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.everyone()
}
