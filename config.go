package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
)

// config is hxchat's configuration. Every field has a flag and an
// environment variable; the flag wins. The zero value of a field is
// never used: parseConfig fills the defaults documented here.
type config struct {
	// Addr is the address to listen on (default ":8080").
	Addr string
	// DB is a SQLite file path (default "hxchat.db") or a postgres:// URL.
	DB string
	// Redis is the Redis URL for fan-out across instances; empty means a
	// single instance.
	Redis string
	// RedisPrefix starts the name of the Redis channel the instances share
	// (default "hxchat:"), so that several installations can use one
	// Redis.
	RedisPrefix string
	// Origins are the extra origins whose pages may open websockets;
	// the server's own origin is always allowed.
	Origins []string
	// Secret signs identity cookies; empty means a key generated on the
	// first start and kept in the database.
	Secret string
	// MsgRate and MsgBurst limit how fast one person may send, over all
	// their connections (per second, and at once).
	MsgRate  float64
	MsgBurst int
	// MaxConns is how many live connections one person (in open mode, one
	// client address) may hold at once.
	MaxConns int
	// NewPeopleRate is how many new anonymous identities one client
	// address may be given in an hour.
	NewPeopleRate int
	// RoomsRate is how many rooms one person (in open mode, one client
	// address) may create in an hour.
	RoomsRate int
	// TrustedProxies are the networks (CIDR) of load balancers whose
	// X-Forwarded-For names the client; empty: the connection's own
	// address is the client's.
	TrustedProxies []string
	// MetricsAddr, when set, serves /metrics there instead of on Addr.
	MetricsAddr string
	// StaticDir serves /static from a directory instead of the embedded
	// files, for working on the CSS.
	StaticDir string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) there; keep
	// it on a loopback address.
	DebugAddr string
	// Open is open mode: no sign-in, anonymous memberN people, every
	// room open to everyone, no admin pages. The default is accounts.
	Open bool
	// Dev turns on what only people working on hxchat need: the component
	// gallery at /dev/gallery. Never set it in production.
	Dev bool
}

// option is one setting: its flag, its environment variable and its
// default. An option whose default is "false" is a switch: its flag may
// stand alone ("-dev").
type option struct {
	flag, env, def, usage string
	set                   func(c *config, v string) error
}

var options = []option{
	{"addr", "HXCHAT_ADDR", ":8080", "address to listen on", func(c *config, v string) error { c.Addr = v; return nil }},
	{"db", "HXCHAT_DB", "hxchat.db", "SQLite file, or a postgres:// URL", func(c *config, v string) error { c.DB = v; return nil }},
	{"redis", "HXCHAT_REDIS_URL", "", "Redis URL for several instances (empty: one instance)", func(c *config, v string) error { c.Redis = v; return nil }},
	{"redis-prefix", "HXCHAT_REDIS_PREFIX", "hxchat:", "prefix of the Redis channel, one per installation sharing a Redis", func(c *config, v string) error { c.RedisPrefix = v; return nil }},
	{"origins", "HXCHAT_ALLOWED_ORIGINS", "", "comma-separated origins allowed to open websockets besides the server's own", func(c *config, v string) error {
		c.Origins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.Origins = append(c.Origins, o)
			}
		}
		return nil
	}},
	{"secret", "HXCHAT_SECRET", "", "cookie signing key, at least 32 characters (empty: generated and kept in the database)", func(c *config, v string) error {
		if v != "" && len(v) < 32 {
			return fmt.Errorf("the secret must be at least 32 characters")
		}
		c.Secret = v
		return nil
	}},
	{"msg-rate", "HXCHAT_MSG_RATE", "5", "messages per second one person may send", func(c *config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("want a positive number, got %q", v)
		}
		c.MsgRate = f
		return nil
	}},
	{"msg-burst", "HXCHAT_MSG_BURST", "10", "messages one person may send at once", positive(func(c *config, n int) { c.MsgBurst = n })},
	{"max-conns", "HXCHAT_MAX_CONNS", "20", "live connections one person (in open mode, one client address) may hold", positive(func(c *config, n int) { c.MaxConns = n })},
	{"new-people-rate", "HXCHAT_NEW_PEOPLE_RATE", "60", "new anonymous identities one client address may be given an hour", positive(func(c *config, n int) { c.NewPeopleRate = n })},
	{"rooms-rate", "HXCHAT_ROOMS_RATE", "10", "rooms one person (in open mode, one client address) may create an hour", positive(func(c *config, n int) { c.RoomsRate = n })},
	{"trusted-proxies", "HXCHAT_TRUSTED_PROXIES", "", "comma-separated networks (CIDR) of load balancers whose X-Forwarded-For names the client", func(c *config, v string) error {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if _, err := netip.ParsePrefix(p); err != nil {
				return fmt.Errorf("want networks such as 10.0.0.0/8, got %q", p)
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
		return nil
	}},
	{"metrics-addr", "HXCHAT_METRICS_ADDR", "", "address for /metrics (empty: on -addr, answering loopback requests only)", func(c *config, v string) error { c.MetricsAddr = v; return nil }},
	{"static-dir", "HXCHAT_STATIC_DIR", "", "serve /static from this directory instead of the built-in files (for designers)", func(c *config, v string) error { c.StaticDir = v; return nil }},
	{"debug-addr", "HXCHAT_DEBUG_ADDR", "", "address for the Go profiler at /debug/pprof/ (empty: off; keep it on loopback)", func(c *config, v string) error { c.DebugAddr = v; return nil }},
	{"open", "HXCHAT_OPEN", "false", "open mode: no accounts; everyone gets a memberN name and every room is open (for demos)", func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		c.Open = b
		return nil
	}},
	{"dev", "HXCHAT_DEV", "false", "serve the component gallery at /dev/gallery, for working on the views (never in production)", func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		c.Dev = b
		return nil
	}},
	{"log-level", "HXCHAT_LOG_LEVEL", "info", "debug, info, warn or error", func(c *config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
}

// parseConfig reads the configuration from the defaults, then the
// environment, then args. -h prints every flag with its variable.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hxchat", flag.ContinueOnError)
	fs.SetOutput(out)
	for _, o := range options {
		value := o.def
		if v := getenv(o.env); v != "" {
			value = v
		}
		if err := o.set(&c, value); err != nil {
			return c, fmt.Errorf("%s: %w", o.env, err)
		}
		usage := fmt.Sprintf("%s (env %s, default %q)", o.usage, o.env, o.def)
		set := func(v string) error { return o.set(&c, v) }
		if o.def == "false" {
			fs.BoolFunc(o.flag, usage, set)
		} else {
			fs.Func(o.flag, usage, set)
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: hxchat [flags]\n\nhxchat serves a group chat. Every flag can also be set by its environment variable.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c, nil
}

// positive is the setter of a whole-number option that must be above 0.
func positive(set func(c *config, n int)) func(c *config, v string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive whole number, got %q", v)
		}
		set(c, n)
		return nil
	}
}

// randomKey makes a new 32-byte signing key.
func randomKey() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}
