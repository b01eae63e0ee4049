package stomp

import (
	"bytes"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/igm/sockjs-go/v3/sockjs"

	"hxchat/chat"
	"hxchat/hub"
)

// SockJS serves the same STOMP sessions through SockJS, for pages whose
// browser or network has no WebSocket: github.com/igm/sockjs-go speaks
// the SockJS protocol, and each SockJS message carries one STOMP frame
// (or, from the client, any part of one: the session's decoder
// reassembles them).
//
// Of SockJS's transports, three are served: websocket, xhr-streaming and
// xhr-polling, which every SockJS client falls back through and which
// need nothing but XHR. The others (eventsource, htmlfile, jsonp and the
// iframe page they rely on) answer 404: the iframe page would load the
// SockJS client from a third-party address into this origin, and the
// content security policy of every other page forbids exactly that.

// SockJSConfig tunes the SockJS endpoint. The zero value of each field
// means its default.
type SockJSConfig struct {
	// Prefix is the endpoint's path (default "/stomp-chat").
	Prefix string
	// CheckOrigin says whether a cross-origin page may use the endpoint:
	// its XHR responses then carry CORS headers for that origin, and its
	// websocket is accepted. The caller refuses other origins before
	// the request gets here.
	CheckOrigin func(*http.Request) bool
	// Peer says who the first request of a session says the client is,
	// as the handshake of /ws/stomp does.
	Peer func(r *http.Request) (Peer, error)
	// HeartbeatDelay is how often SockJS sends its own heart-beat frame
	// on an idle response, so that proxies keep it open (default 25s,
	// the protocol's).
	HeartbeatDelay time.Duration
	// DisconnectDelay is how long a session waits for its client to poll
	// again before it ends (default 5s, the protocol's).
	DisconnectDelay time.Duration
}

// sockJSWriteWait bounds every write to a SockJS websocket, as the
// hub's WriteWait bounds its own.
const sockJSWriteWait = 10 * time.Second

// sockJSPaths are the requests of the transports served: the greeting,
// /info, and a session's websocket, xhr polling, xhr streaming and xhr
// sends.
var sockJSPaths = regexp.MustCompile(`^/?$|^/info$|^/[^/.]+/[^/.]+/(websocket|xhr|xhr_send|xhr_streaming)$`)

// SockJS returns the handler of the SockJS endpoint. Mount it at
// cfg.Prefix and everything under it.
func (s *Server) SockJS(cfg SockJSConfig) http.Handler {
	if cfg.Prefix == "" {
		cfg.Prefix = "/stomp-chat"
	}
	opts := sockjs.DefaultOptions
	opts.SockJSURL = ""
	opts.CheckOrigin = cfg.CheckOrigin
	up := *sockjs.DefaultOptions.WebsocketUpgrader
	up.CheckOrigin = cfg.CheckOrigin
	opts.WebsocketUpgrader = &up
	opts.WebsocketWriteTimeout = sockJSWriteWait
	if cfg.HeartbeatDelay > 0 {
		opts.HeartbeatDelay = cfg.HeartbeatDelay
	}
	if cfg.DisconnectDelay > 0 {
		opts.DisconnectDelay = cfg.DisconnectDelay
	}
	h := sockjs.NewHandler(cfg.Prefix, opts, func(sess sockjs.Session) {
		s.serveSockJS(sockJS{s: sess, grace: opts.DisconnectDelay}, cfg.Peer)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := r.URL.Path[min(len(cfg.Prefix), len(r.URL.Path)):]
		switch {
		case !sockJSPaths.MatchString(rest):
			http.NotFound(w, r)
		case strings.HasSuffix(rest, "/xhr"):
			poll(h, w, r)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// A poll that comes back at once after the previous one answered may
// find that one's receiver still attached to the session: sockjs-go
// detaches it on a goroutine of its own after the answer, and until then
// refuses a new poll with close 2010, which ends the session for the
// client. The race is a few microseconds wide, but on a busy machine a
// client won it about once in ten sessions; poll answers that refusal by
// asking again, a few times, a moment apart, before it passes it on.
const (
	pollTries = 20
	pollPause = 5 * time.Millisecond
)

// refusedPoll is sockjs-go's answer to a poll while another is attached.
var refusedPoll = []byte(`c[2010,"Another connection still open"]` + "\n")

// poll serves an xhr-polling request, asking again while sockjs-go
// refuses it for a receiver it has yet to let go. A poll's answer is one
// frame, so it is held whole before it is sent.
func poll(h http.Handler, w http.ResponseWriter, r *http.Request) {
	for try := 1; ; try++ {
		answer := &pollAnswer{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(answer, r)
		if try < pollTries && bytes.Equal(answer.body.Bytes(), refusedPoll) && r.Context().Err() == nil {
			time.Sleep(pollPause)
			continue
		}
		maps.Copy(w.Header(), answer.header)
		w.WriteHeader(answer.status)
		_, _ = w.Write(answer.body.Bytes())
		return
	}
}

// pollAnswer holds a poll's answer until it is known not to be a refusal.
type pollAnswer struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (a *pollAnswer) Header() http.Header { return a.header }

func (a *pollAnswer) WriteHeader(status int) {
	if !a.wrote {
		a.status, a.wrote = status, true
	}
}

func (a *pollAnswer) Write(b []byte) (int, error) {
	a.wrote = true
	return a.body.Write(b)
}

// Flush does nothing: the answer goes out whole once the poll is done.
func (a *pollAnswer) Flush() {}

// serveSockJS runs a STOMP session on a new SockJS session.
func (s *Server) serveSockJS(t sockJS, peer func(*http.Request) (Peer, error)) {
	p, err := peer(t.s.Request())
	if err != nil {
		code, text := hub.CloseInternal, "server error; try again"
		if e := chat.AsError(err); e != nil && e.Code() != chat.Internal {
			code, text = hub.ClosePolicy, string(e.Reason)
		}
		t.Close(code, text)
		return
	}
	if !s.begin() {
		t.Close(hub.CloseRestart, "server restarting")
		return
	}
	s.start(t, p)
}

// sockJS is a Transport over a SockJS session.
type sockJS struct {
	s sockjs.Session
	// grace is how long the session stays open after Close when its
	// client polls (see Close).
	grace time.Duration
}

func (t sockJS) Read(handle func([]byte) bool) error {
	for {
		msg, err := t.s.Recv()
		if err != nil {
			return err
		}
		if !handle([]byte(msg)) {
			return nil
		}
	}
}

func (t sockJS) Send(frames [][]byte) error {
	for _, f := range frames {
		if err := t.s.Send(string(f)); err != nil {
			return err
		}
	}
	return nil
}

// Ping does nothing: SockJS sends heart-beat frames of its own.
func (sockJS) Ping() error { return nil }

// LastHeard is now: a SockJS session whose client stops polling ends by
// itself after DisconnectDelay, which ends the STOMP session.
func (sockJS) LastHeard() time.Time { return time.Now() }

// Close closes the session. sockjs-go drops the messages a session still
// holds when it closes, so a client that polls would never see the ERROR
// frame sent just before: unless the client is on a websocket, which has
// had them written already, the close waits for the grace, in which the
// client's next poll takes them (a poller comes back at once, and one
// that does not within DisconnectDelay is gone anyway).
func (t sockJS) Close(code int, text string) {
	switch t.s.ReceiverType() {
	case sockjs.ReceiverTypeWebsocket, sockjs.ReceiverTypeRawWebsocket:
		_ = t.s.Close(uint32(code), text)
	default:
		time.AfterFunc(t.grace, func() { _ = t.s.Close(uint32(code), text) })
	}
}
