// Command hxchat is a self-hosted group chat: rooms, live messages over
// websockets, server-rendered HTML swapped in by htmx.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"hxchat/broker/local"
	"hxchat/broker/redis"
	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/hub"
	"hxchat/stomp"
	"hxchat/store/postgres"
	"hxchat/store/sqlite"
	"hxchat/views"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "hxchat:", err)
		os.Exit(1)
	}
}

// starterRooms are created on the first start, so that a new installation
// has somewhere to talk.
var starterRooms = []string{"General", "Random", "Help"}

// run starts hxchat with args and environment getenv, logs to logw, and
// serves until ctx ends, then shuts down gracefully. started, when not
// nil, is called with the listening address once the server accepts
// connections.
func run(ctx context.Context, args []string, getenv func(string) string, logw io.Writer, started func(addr string)) error {
	cfg, err := parseConfig(args, getenv, logw)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: cfg.LogLevel}))

	// instance tells this process from the others sharing the database and
	// Redis: the broker skips its own events coming back, and the hub
	// tells its own roster from theirs. Random on every start, so that a
	// restarted instance is never taken for its former self.
	instance := newInstanceID()
	log = log.With("instance", instance)

	store, err := openStore(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer store.Close()

	secret := []byte(cfg.Secret)
	if len(secret) == 0 {
		if secret, err = store.Secret(ctx, "cookie", randomKey); err != nil {
			return fmt.Errorf("cookie secret: %w", err)
		}
	}

	// The hub publishes rosters through the broker, which delivers to the
	// hub: the hub is made first, with a Publish that reaches the broker
	// made just after it, before any connection can call it.
	var broker eventBroker
	hubCfg := hub.Config{
		// The handlers check the Origin against the server's own and
		// -origins before the upgrade; the upgrader must not refuse what
		// they allowed.
		CheckOrigin: func(*http.Request) bool { return true },
		Instance:    instance,
	}
	// The service is made after the hub, before any connection.
	var svc *chat.Service
	if cfg.Redis != "" {
		hubCfg.Publish = func(ctx context.Context, ev chat.Event) error { return broker.Publish(ctx, ev) }
		// With several instances, the events that close connections
		// travel through Redis and may be lost with it: after an outage
		// each hub checks its connections again.
		hubCfg.Recheck = func(ctx context.Context, m hub.Member) (chat.Reason, error) {
			return svc.Recheck(ctx, m.Room, m.User.ID, m.Session)
		}
	}
	// The hub encodes each event once per format present in a room: HTML
	// fragments for the pages on websockets (format 0), STOMP MESSAGE
	// frames (stompFormat) and the same fragments as server-sent events
	// for the pages in compatibility mode (sseFormat), each the index of
	// its encoder here.
	const stompFormat, sseFormat hub.Format = 1, 2
	h := hub.New(log, store, hubCfg, hub.OneFrame(views.Fragments{}), stomp.NewEncoder(), handlers.SSEEncoder(views.Fragments{}))
	// The broker delivers to the hub and to the STOMP server, which
	// closes the connections of ended sessions that the hub does not
	// hold (those with no subscription); the server is attached once it
	// exists, before anything listens.
	sink := stomp.NewSink(h)
	broker, stopBroker, err := startBroker(ctx, log, cfg, sink, instance)
	if err != nil {
		return err
	}
	defer stopBroker()
	var opts []chat.Option
	if cfg.Open {
		opts = append(opts, chat.OpenMode())
	}
	svc = chat.NewService(log, store, broker, nil, chat.Limits{
		Rate: cfg.MsgRate, Burst: cfg.MsgBurst, Connections: cfg.MaxConns, NewPeoplePerHour: cfg.NewPeopleRate,
		RoomsPerHour: cfg.RoomsRate,
	}, opts...)
	if err := svc.EnsureRooms(ctx, starterRooms...); err != nil {
		return fmt.Errorf("starter rooms: %w", err)
	}

	web, err := handlers.New(log, svc, h, handlers.Config{
		Secret:         secret,
		AllowedOrigins: cfg.Origins,
		Ready: []handlers.Check{
			{Name: "store", Ping: store.Ping},
			{Name: "broker", Ping: broker.Ping},
		},
		StaticDir:      cfg.StaticDir,
		Dev:            cfg.Dev,
		Open:           cfg.Open,
		TrustedProxies: cfg.TrustedProxies,
		SSEFormat:      sseFormat,
	})
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	web.Register(e)
	stompSrv := stomp.New(log, svc, h, stomp.Config{Format: stompFormat})
	sink.Attach(stompSrv)
	web.ServeSTOMP(e, stompSrv)
	web.ServeSockJS(e, stompSrv)

	if cfg.DebugAddr != "" {
		go serveDebug(ctx, log, cfg.DebugAddr)
	}
	metrics := newMetrics(h, svc)
	if cfg.MetricsAddr != "" {
		go serveMetrics(ctx, log, cfg.MetricsAddr, metrics)
	} else {
		web.ServeMetrics(e, metrics)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: e,
		// A request has 10 s to send its headers and 30 s in all (bodies are
		// at most handlers.MaxBody): a client that trickles a request cannot
		// hold a connection for longer. A websocket's upgrade clears the
		// deadline, and its own pings decide when it is dead.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	mode := "accounts"
	if cfg.Open {
		mode = "open"
	}
	log.Info("hxchat listening", "addr", ln.Addr().String(), "db", redact(cfg.DB), "redis", redact(cfg.Redis), "mode", mode)
	if err := logSetupLink(ctx, log, svc, ln.Addr()); err != nil {
		return err
	}
	if started != nil {
		started(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Stop listening first, then close the sockets with 1012 so that pages
	// reconnect (to another instance, or to this one once it is back).
	// Requests in flight get a short grace: connections a browser opened
	// ahead of need and never used would otherwise hold the exit.
	httpCtx, cancelHTTP := context.WithTimeout(shutdownCtx, 2*time.Second)
	defer cancelHTTP()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(httpCtx) }()
	if err := h.Shutdown(shutdownCtx); err != nil {
		log.Warn("closing websockets", "err", err)
	}
	// The hub closed every subscribed STOMP connection; this closes the
	// rest, those with no subscription.
	if err := stompSrv.Shutdown(shutdownCtx); err != nil {
		log.Warn("closing STOMP connections", "err", err)
	}
	if err := <-httpDone; errors.Is(err, context.DeadlineExceeded) {
		return srv.Close()
	} else if err != nil {
		return err
	}
	return nil
}

// logSetupLink logs, while no account exists, the one-time link that
// creates the first one: whoever can read the server's log may set it up.
func logSetupLink(ctx context.Context, log *slog.Logger, svc *chat.Service, addr net.Addr) error {
	pending, err := svc.NeedsSetup(ctx)
	if err != nil || !pending {
		return err
	}
	tok, err := svc.SetupToken(ctx)
	if err != nil {
		return fmt.Errorf("setup token: %w", err)
	}
	host := "localhost"
	port := "8080"
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if !tcp.IP.IsUnspecified() {
			host = tcp.IP.String()
		}
	}
	link := "http://" + net.JoinHostPort(host, port) + "/setup?token=" + tok
	log.Warn("setup link: open it to create the first account, an administrator; it works once", "url", link)
	return nil
}

// eventBroker is what run needs of a broker: chat.Broker, and Ping for
// /readyz.
type eventBroker interface {
	chat.Broker
	Ping(ctx context.Context) error
}

// openStore opens the PostgreSQL database that dsn names with a
// postgres:// URL, or else the SQLite file at path dsn.
func openStore(ctx context.Context, dsn string) (chat.Store, error) {
	if postgres.IsURL(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// startBroker returns the broker cfg asks for: Redis, with its receive
// loop running, when cfg.Redis is set, else the single instance's. stop
// ends the loop and closes the connection.
func startBroker(ctx context.Context, log *slog.Logger, cfg config, sink chat.Sink, instance string) (b eventBroker, stop func(), err error) {
	if cfg.Redis == "" {
		return local.New(sink), func() {}, nil
	}
	redis.LogTo(log)
	rb, err := redis.Open(ctx, log, cfg.Redis, sink, cfg.RedisPrefix, instance)
	if err != nil {
		return nil, nil, err
	}
	// Not ctx: the loop must outlive the websockets, which shutdown closes
	// after ctx ends, so that their last messages still reach the others.
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		rb.Run(runCtx)
	}()
	return rb, func() {
		cancel()
		<-done
		if err := rb.Close(); err != nil {
			log.Warn("closing redis", "err", err)
		}
	}, nil
}

// newInstanceID returns a random id for this process.
func newInstanceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redact returns a database or Redis setting fit for the log: a URL
// without its password.
func redact(setting string) string {
	u, err := url.Parse(setting)
	if err != nil || u.Scheme == "" {
		return setting
	}
	return u.Redacted()
}

// serveDebug serves Go's profiler on addr until ctx ends.
func serveDebug(ctx context.Context, log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	serveAside(ctx, log, "profiler", addr, mux)
}

// serveMetrics serves /metrics on addr until ctx ends.
func serveMetrics(ctx context.Context, log *slog.Logger, addr string, metrics http.Handler) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	serveAside(ctx, log, "metrics", addr, mux)
}

// serveAside serves an operator's handler on an address of its own until
// ctx ends.
func serveAside(ctx context.Context, log *slog.Logger, what, addr string, h http.Handler) {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info(what+" listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error(what, "err", err)
	}
}
