package stomp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"hxchat/chat"
	"hxchat/hub"
)

// Service is what a STOMP session asks of the chat service.
type Service interface {
	// Open reports open mode: anonymous people, no accounts.
	Open() bool
	// AllowNewPerson and NewUser give a client without an identity one,
	// in open mode.
	AllowNewPerson(addr string) error
	NewUser(ctx context.Context) (chat.User, error)
	// TokenSignIn signs a CONNECT's login (an email) and passcode (a
	// personal access token) in, returning the session key of the
	// connection.
	TokenSignIn(ctx context.Context, email, secret, addr string) (chat.Account, string, error)
	// Connect takes one of key's live connections.
	Connect(key string) (release func(), err error)
	// Recheck tells whether user, signed in with session, may use room
	// now: "" when they may, else why not (SignedOut, Removed for a room
	// they may not see or that does not exist, Archived). It is asked at
	// every SUBSCRIBE and SEND, so that a session or token ended while
	// the connection was open, or a membership taken away, counts at
	// once, on connections with no subscription too.
	Recheck(ctx context.Context, room, user int64, session string) (chat.Reason, error)
	// RecheckSession tells whether user's session still holds: "" when it
	// does, SignedOut when it ended. Asked of every session after the
	// broker may have lost the events that end them.
	RecheckSession(ctx context.Context, user int64, session string) (chat.Reason, error)
	// Post stores and publishes a message.
	Post(ctx context.Context, p chat.Post) (chat.Message, bool, error)
}

// Hub is what a STOMP session asks of the hub: sockets, and a
// subscription to a room per SUBSCRIBE.
type Hub interface {
	Upgrade(w http.ResponseWriter, r *http.Request, protocols []string) (*hub.Socket, error)
	Subscribe(w hub.Wire, m hub.Member, after int64) (*hub.Client, error)
}

// Peer is what the handshake told about the client, as the handlers
// resolved it.
type Peer struct {
	// Account is who the handshake's credentials (a same-origin session
	// cookie, a bearer token, or in open mode the identity cookie) name;
	// zero when it carried none. A CONNECT's login and passcode are used
	// only without it.
	Account chat.Account
	// Session is the session those credentials belong to, for
	// hub.Member: a browser session's ID, or chat.TokenSession of a
	// token; "" in open mode.
	Session string
	// Addr is the client's network (an IPv4 address, an IPv6 /64): the
	// key of the limits kept per address.
	Addr string
}

// Config tunes the server. The zero value of each field means its
// default.
type Config struct {
	// Format is the hub format of the Encoder the hub was given for
	// STOMP (the index of NewEncoder's result among hub.New's encoders).
	Format hub.Format
	// Version goes into CONNECTED's server header, "hxchat/" + Version
	// (default "1").
	Version string
	// HeartBeat is what the server offers both ways in CONNECTED
	// (default 10s): it can send that often and wants to hear from the
	// client that often. A client silent for 2.5 of the agreed intervals
	// is closed, so that one late beat is not fatal.
	HeartBeat time.Duration
	// ConnectWait is how long a new connection has to send CONNECT
	// (default 10s).
	ConnectWait time.Duration
	// MaxSubscriptions is the most subscriptions one connection holds at
	// once (default 64: a client in every room it cares about, far more
	// than a chat screen shows).
	MaxSubscriptions int
	// MaxPending is how many messages a subscription in a client ack
	// mode may leave unacknowledged (default 1,024, the hub's queue
	// size): with that many out, the next waits for an ACK or NACK.
	MaxPending int
	// AckWait is how long a subscription with MaxPending messages out
	// waits for an ACK or NACK (default 10s, the hub's WriteWait, which
	// also bounds a catch-up's reads). Then it is a slow consumer: the
	// connection is closed with 1013 and may reconnect with after-seq.
	AckWait time.Duration
	// Limits bound the frames a client may send (see the package
	// comment for the defaults).
	Limits Limits
	// PingPeriod and PongWait police a connection that agreed on no
	// heart-beats from the client: it is pinged every PingPeriod (default
	// 30s) and closed after PongWait without a pong or a frame (default
	// 60s), as the hub does its pages.
	PingPeriod, PongWait time.Duration
	// Tick is how often the server looks at every connection for
	// heart-beats due and peers gone silent (default 1s).
	Tick time.Duration
}

// The defaults of Config.
const (
	DefaultHeartBeat        = 10 * time.Second
	DefaultConnectWait      = 10 * time.Second
	DefaultMaxSubscriptions = 64
	DefaultMaxPending       = 1024
	DefaultAckWait          = 10 * time.Second
	DefaultPingPeriod       = 30 * time.Second
	DefaultPongWait         = 60 * time.Second
	DefaultTick             = time.Second
)

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.HeartBeat, DefaultHeartBeat)
	def(&c.ConnectWait, DefaultConnectWait)
	def(&c.AckWait, DefaultAckWait)
	def(&c.PingPeriod, DefaultPingPeriod)
	def(&c.PongWait, DefaultPongWait)
	def(&c.Tick, DefaultTick)
	if c.Version == "" {
		c.Version = "1"
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	c.Limits = c.Limits.withDefaults()
	return c
}

// Server runs the STOMP sessions of this instance: it upgrades
// connections through the hub, speaks STOMP on them and subscribes them
// to rooms.
type Server struct {
	log *slog.Logger
	svc Service
	hub Hub
	cfg Config

	// mu guards conns and closing.
	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	// sessions counts the connections' read loops, for Shutdown.
	sessions sync.WaitGroup
	// stop ends the heart loop; heartDone is closed once it has.
	stop      chan struct{}
	heartDone chan struct{}
	stopOnce  sync.Once
}

// New returns a server subscribing its sessions to h and acting through
// svc, and starts its heart loop, which Shutdown stops.
func New(log *slog.Logger, svc Service, h Hub, cfg Config) *Server {
	s := &Server{
		log: log, svc: svc, hub: h, cfg: cfg.withDefaults(),
		conns: map[*conn]struct{}{},
		stop:  make(chan struct{}), heartDone: make(chan struct{}),
	}
	go s.heart()
	return s
}

// Serve upgrades the request to a WebSocket offering the STOMP
// subprotocols (a client offering none is served too) and runs a STOMP
// session on it, for the peer p, on goroutines of its own. The caller has
// checked the Origin. Once shutdown has begun it returns an error with
// reason Restarting before upgrading; when the upgrade fails it has
// answered the request and returns nil.
func (s *Server) Serve(w http.ResponseWriter, r *http.Request, p Peer) error {
	if !s.begin() {
		return chat.Fail(chat.Restarting)
	}
	sock, err := s.hub.Upgrade(w, r, Subprotocols)
	if err != nil {
		s.sessions.Done()
		s.log.Debug("stomp upgrade", "err", err)
		return nil
	}
	s.start(socket{sock}, p)
	return nil
}

// begin counts a session about to start, unless shutdown has begun.
func (s *Server) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sessions.Add(1)
	return true
}

// start runs a session, counted by begin, on t.
func (s *Server) start(t Transport, p Peer) {
	c := newConn(s, t, p)
	s.mu.Lock()
	closing := s.closing
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if closing {
		// Shutdown began after begin and may have missed this one.
		c.fail(hub.CloseRestart, "server restarting", "")
	}
	go c.run()
}

// remove forgets a session that ended.
func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Shutdown closes every STOMP connection with an ERROR frame and 1012
// (Service Restart), subscribed or not, refuses new ones, and waits
// until their sessions have ended or ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.heartDone
	for _, c := range conns {
		// Each on its own: a peer that does not read holds its ERROR
		// frame's write for up to the hub's WriteWait.
		go c.fail(hub.CloseRestart, "server restarting", "")
	}
	done := make(chan struct{})
	go func() {
		s.sessions.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Connections returns how many STOMP sessions are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// newSessionID returns a random id for a CONNECTED frame's session
// header.
func newSessionID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
