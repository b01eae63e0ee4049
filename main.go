// Command hxchat is a self-hosted group chat: rooms, live messages over
// websockets, server-rendered HTML swapped in by htmx.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"hxchat/broker/local"
	"hxchat/chat"
	"hxchat/handlers"
	"hxchat/hub"
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

	if cfg.Redis != "" {
		return errors.New("-redis: fan-out across instances is not available in this build; run one instance")
	}
	if strings.HasPrefix(cfg.DB, "postgres://") || strings.HasPrefix(cfg.DB, "postgresql://") {
		return errors.New("-db: PostgreSQL is not available in this build; use a SQLite file")
	}
	store, err := sqlite.Open(ctx, cfg.DB)
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

	// The handlers check the Origin against the server's own and -origins
	// before the upgrade; the upgrader must not refuse what they allowed.
	h := hub.New(log, views.Fragments{}, store, hub.Config{CheckOrigin: func(*http.Request) bool { return true }})
	broker := local.New(h)
	svc := chat.NewService(log, store, broker, nil, chat.Limits{Rate: cfg.MsgRate, Burst: cfg.MsgBurst})
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
		Metrics:   newMetrics(h),
		StaticDir: cfg.StaticDir,
	})
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	web.Register(e)

	if cfg.DebugAddr != "" {
		go serveDebug(ctx, log, cfg.DebugAddr)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	log.Info("hxchat listening", "addr", ln.Addr().String(), "db", cfg.DB)
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
	// Sockets first, with 1012, so that pages reconnect (to this server
	// once it is back, or to another instance).
	if err := h.Shutdown(shutdownCtx); err != nil {
		log.Warn("closing websockets", "err", err)
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}

// serveDebug serves Go's profiler on addr until ctx ends.
func serveDebug(ctx context.Context, log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("profiler listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("profiler", "err", err)
	}
}
