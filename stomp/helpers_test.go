package stomp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"hxchat/broker/local"
	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/hub"
	"hxchat/stomp"
	"hxchat/store/sqlite"
	"hxchat/views"
)

// wait bounds every wait for something the server sends or does: far
// above what any step takes under -race, it only turns a hang into a
// failure.
const wait = 10 * time.Second

// secret signs the identity cookies of every test stack.
var secret = []byte("0123456789abcdef0123456789abcdef")

// generous are limits no test reaches unless it means to.
var generous = chat.Limits{Rate: 1000, Burst: 1000, Connections: 1000, NewPeoplePerHour: 100000, RoomsPerHour: 1000, RenamesPerMinute: 1000}

// password is every test account's password.
const password = "correct horse battery staple"

// options changes what mustStart builds.
type options struct {
	// accounts runs accounts mode instead of open mode.
	accounts bool
	// limits are the service's limits (zero: generous).
	limits chat.Limits
	// cfg is the STOMP server's configuration; its Format is set.
	cfg stomp.Config
	// hubCfg is the hub's; its CheckOrigin is set.
	hubCfg hub.Config
}

// stack is the whole application on a temporary SQLite file, served by
// an httptest server: store, hub (with the HTML and STOMP encoders),
// local broker, service, handlers and the STOMP server, wired as main
// wires them.
type stack struct {
	srv   *httptest.Server
	store *sqlite.Store
	svc   *chat.Service
	hub   *hub.Hub
	stomp *stomp.Server
	// sink is what the broker delivers to: the hub and the STOMP server.
	sink *stomp.Sink
	// general is a room every stack starts with.
	general chat.Room
	// posts numbers the tokens of mustPost.
	posts atomic.Int64
}

// mustStart builds and serves a stack that is shut down when t ends.
func mustStart(t testing.TB, opt options) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(newLogWriter(t), &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, bench := t.(*testing.B); bench {
		log = slog.New(slog.DiscardHandler)
	}
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hxchat.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("store.Close: %v", err)
		}
	})
	hubCfg := opt.hubCfg
	hubCfg.CheckOrigin = func(*http.Request) bool { return true }
	h := hub.New(log, store, hubCfg,
		hub.OneFrame(views.Fragments{}), stomp.NewEncoder())
	sink := stomp.NewSink(h)
	broker := local.New(sink)
	limits := opt.limits
	if limits == (chat.Limits{}) {
		limits = generous
	}
	mode := chat.OpenMode()
	if opt.accounts {
		mode = chat.WithHasher(chat.Hasher{Memory: 64, Time: 1, Threads: 1})
	}
	svc := chat.NewService(log, store, broker, nil, limits, mode)
	cfg := opt.cfg
	cfg.Format = 1
	st := stomp.New(log, svc, h, cfg)
	sink.Attach(st)
	web, err := handlers.New(log, svc, h, handlers.Config{Secret: secret, Open: !opt.accounts})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	web.Register(e)
	web.ServeSTOMP(e, st)
	web.ServeSockJS(e, st)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	// Hijacked connections outlive srv.Close: close them first and wait
	// for their goroutines, so that nothing runs after the test.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("hub.Shutdown: %v", err)
		}
		if err := st.Shutdown(ctx); err != nil {
			t.Errorf("stomp Shutdown: %v", err)
		}
	})
	s := &stack{srv: srv, store: store, svc: svc, hub: h, stomp: st, sink: sink}
	s.general, err = svc.CreateRoom(t.Context(), "", "General")
	if err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	return s
}

// mustPost stores n messages in room through the service, by author,
// and returns the last.
func (s *stack) mustPost(t testing.TB, room int64, author chat.User, n int) chat.Message {
	t.Helper()
	var m chat.Message
	for range n {
		tok := fmt.Sprintf("direct%d", s.posts.Add(1))
		var err error
		if m, _, err = s.svc.Post(t.Context(), chat.Post{Room: room, Author: author, Body: "message " + tok, Token: tok}); err != nil {
			t.Fatalf("Post: %v", err)
		}
	}
	return m
}

// mustAccount creates an account (the first one, an administrator, when
// there is none) and returns it with a session token.
func (s *stack) mustAccount(t testing.TB, name string) (chat.Account, string) {
	t.Helper()
	ctx := t.Context()
	c := chat.Credentials{Name: name, Email: strings.ToLower(name) + "@example.com", Password: password}
	if pending, err := s.svc.NeedsSetup(ctx); err != nil {
		t.Fatalf("NeedsSetup: %v", err)
	} else if pending {
		tok, err := s.svc.SetupToken(ctx)
		if err != nil {
			t.Fatalf("SetupToken: %v", err)
		}
		a, sess, err := s.svc.Setup(ctx, tok, c)
		if err != nil {
			t.Fatalf("Setup: %v", err)
		}
		return a, sess
	}
	code, err := s.svc.Invitation(ctx)
	if err != nil {
		t.Fatalf("Invitation: %v", err)
	}
	a, sess, err := s.svc.Join(ctx, code, c)
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	return a, sess
}

// mustSignIn signs a in with their password and returns a new session
// token.
func (s *stack) mustSignIn(t testing.TB, a chat.Account) (chat.Account, string) {
	t.Helper()
	a, tok, err := s.svc.SignIn(t.Context(), chat.Credentials{Email: a.Email, Password: password}, "127.0.0.1")
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	return a, tok
}

// mustToken makes a personal access token of a and returns it with its
// secret.
func (s *stack) mustToken(t testing.TB, a chat.Account) (chat.Token, string) {
	t.Helper()
	tok, secret, err := s.svc.CreateToken(t.Context(), a, "test bot")
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok, secret
}

// wsURL is the address of /ws/stomp.
func (s *stack) wsURL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws/stomp" }

// client is a STOMP client for tests, on a gorilla websocket: it writes
// frames with the codec under test and reads them with its Decoder.
type client struct {
	t       testing.TB
	ws      *websocket.Conn
	dec     *stomp.Decoder
	version string
	// messages counts the WebSocket messages read.
	messages int
}

// dial opens /ws/stomp with header and subprotocols, and fails the test
// when the handshake does.
func (s *stack) dial(t testing.TB, header http.Header, subprotocols ...string) *client {
	t.Helper()
	c, resp, err := s.tryDial(t, header, subprotocols...)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	return c
}

// tryDial opens /ws/stomp, returning the handshake's error and response.
func (s *stack) tryDial(t testing.TB, header http.Header, subprotocols ...string) (*client, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: subprotocols, HandshakeTimeout: wait}
	ws, resp, err := d.DialContext(t.Context(), s.wsURL(), header)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws, dec: stomp.NewDecoder(stomp.V12, stomp.Limits{MaxFrame: 1 << 20, MaxBody: 1 << 20}), version: stomp.V12}, resp, nil
}

// send writes f as one WebSocket message.
func (c *client) send(f *stomp.Frame) {
	c.t.Helper()
	c.raw(string(stomp.Encode(c.version, f)))
}

// raw writes data as one WebSocket message.
func (c *client) raw(data string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// errClosedBy is what next returns once the server closed the socket.
type errClosedBy struct{ code int }

func (e errClosedBy) Error() string { return fmt.Sprintf("closed with %d", e.code) }

// read returns the next frame, or the error that ended the socket.
func (c *client) read() (*stomp.Frame, error) {
	for {
		f, err := c.dec.Next()
		if err != nil {
			return nil, err
		}
		if f != nil {
			return f, nil
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wait))
		_, data, err := c.ws.ReadMessage()
		if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
			return nil, errClosedBy{ce.Code}
		} else if err != nil {
			return nil, err
		}
		c.messages++
		c.dec.Feed(data)
	}
}

// next returns the next frame, and fails the test when there is none.
func (c *client) next() *stomp.Frame {
	c.t.Helper()
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	return f
}

// expect returns the next frame, which must be a command frame.
func (c *client) expect(command string) *stomp.Frame {
	c.t.Helper()
	f := c.next()
	if f.Command != command {
		c.t.Fatalf("got %s %v %q, want %s", f.Command, f.Headers, f.Body, command)
	}
	return f
}

// connect sends CONNECT with the given headers (accept-version 1.2
// unless they name one) and returns CONNECTED.
func (c *client) connect(kv ...string) *stomp.Frame {
	c.t.Helper()
	f := frame(stomp.CONNECT, "", kv...)
	if _, ok := f.Get("accept-version"); !ok {
		f.Add("accept-version", "1.2")
	}
	f.Add("host", "localhost")
	c.send(f)
	got := c.expect(stomp.CONNECTED)
	v, _ := got.Get("version")
	c.version = v
	c.dec.SetVersion(v)
	return got
}

// closed reads until the server closes the socket and returns the close
// code; any frame before the close fails the test.
func (c *client) closed() int {
	c.t.Helper()
	f, err := c.read()
	if f != nil {
		c.t.Fatalf("got %s %v %q, want the socket closed", f.Command, f.Headers, f.Body)
	}
	if e, ok := errors.AsType[errClosedBy](err); ok {
		return e.code
	}
	return websocket.CloseAbnormalClosure
}

// failed expects an ERROR frame whose message holds want, then the
// close, and returns the ERROR frame and the close code.
func (c *client) failed(want string) (*stomp.Frame, int) {
	c.t.Helper()
	f := c.expect(stomp.ERROR)
	if msg, _ := f.Get("message"); !strings.Contains(msg, want) {
		c.t.Errorf("ERROR message %q, want it to hold %q", msg, want)
	}
	return f, c.closed()
}

// receipt sends f with a receipt header and waits for the RECEIPT,
// returning the frames that came before it.
func (c *client) receipt(f *stomp.Frame) []*stomp.Frame {
	c.t.Helper()
	id := fmt.Sprintf("r%d", time.Now().UnixNano())
	f.Set("receipt", id)
	c.send(f)
	var before []*stomp.Frame
	for {
		got := c.next()
		if got.Command == stomp.RECEIPT {
			if rid, _ := got.Get("receipt-id"); rid != id {
				c.t.Fatalf("RECEIPT receipt-id %q, want %q", rid, id)
			}
			return before
		}
		before = append(before, got)
	}
}

// refused sends f, a SEND the server is to refuse, with a receipt
// header, and returns the frames that came for it: the refusal on the
// errors queue. A RECEIPT for it fails the test, since a RECEIPT says
// that a message was stored: a join, sent after f with a receipt of its
// own, proves that none is coming.
func (c *client) refused(f *stomp.Frame) []*stomp.Frame {
	c.t.Helper()
	id := fmt.Sprintf("refused%d", time.Now().UnixNano())
	f.Set("receipt", id)
	c.send(f)
	before := c.receipt(frame(stomp.SEND, "{}", "destination", stomp.PublishJoin))
	for _, got := range before {
		if got.Command == stomp.RECEIPT {
			c.t.Fatalf("a refused SEND was answered with %v, want no RECEIPT", got.Headers)
		}
	}
	return before
}

// body decodes a MESSAGE's JSON body.
func body[T any](t testing.TB, f *stomp.Frame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.Body, &v); err != nil {
		t.Fatalf("MESSAGE body %q: %v", f.Body, err)
	}
	return v
}

// nextChat returns the next MESSAGE of type CHAT, skipping joins and
// leaves.
func (c *client) nextChat() (*stomp.Frame, stomp.MessageBody) {
	c.t.Helper()
	for {
		f := c.expect(stomp.MESSAGE)
		b := body[stomp.MessageBody](c.t, f)
		if b.Type == stomp.TypeChat {
			return f, b
		}
	}
}

// logWriter sends the stack's log to the test's, until the test ends.
type logWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func newLogWriter(t testing.TB) *logWriter {
	w := &logWriter{t: t}
	// Registered first, so it runs last, after the sockets have closed.
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return w
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
