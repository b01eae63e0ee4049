package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scenario is one load run: a preset with the flags given laid over it.
type scenario struct {
	// Name is the preset's name, used in room names and the report.
	Name string
	// Conns is the number of websocket connections, one simulated person
	// (browser tab) each.
	Conns int
	// Rooms is how many rooms the connections are spread over
	// (connection i is in room i mod Rooms).
	Rooms int
	// Senders is how many of the connections post; sender j is connection
	// j, so with Senders == Rooms every room has one.
	Senders int
	// Messages is how many messages are posted in all.
	Messages int
	// Rate is the fixed schedule, in messages a second over all senders.
	Rate float64
	// BodySize pads each message body to this many characters; the
	// smallest body (an id and the scheduled time) is about 30.
	BodySize int
	// Slow is how many connections stop reading for SlowPause once the
	// traffic starts, like a phone on a bad network; SlowRcvBuf, when
	// set, shrinks their receive buffer. Keep it above loopback's 64 KiB
	// segment size: a smaller window stalls the connection in zero-window
	// probes that back off for minutes, which no real network does.
	Slow       int
	SlowPause  time.Duration
	SlowRcvBuf int
	// Hold is how long an idle run holds its connections.
	Hold time.Duration
	// RSSAt are connection counts at which the server's memory is sampled
	// on the way up (idle).
	RSSAt []int
	// Restart makes the run restart the server after the messages are
	// scheduled and time how long every client takes to catch up
	// (reconnect).
	Restart bool
	// Drain bounds the wait for every connection to hold every message
	// once the sending is over.
	Drain time.Duration
	// Accounts runs the server in accounts mode (without -open): before
	// the traffic the tool creates the first account through the setup
	// link the server logs, and signs every simulated person up with the
	// invitation link, so that each carries a session cookie of its own.
	Accounts bool
	// Transport is what the connections speak: transportHTMX (htmx's
	// websocket frames on /ws/chat, the default), transportSTOMP (STOMP
	// 1.2 on /ws/stomp), transportSSE (compatibility mode's event stream
	// on /sse/chat, sending by POST) or transportMixed (a third of each
	// room on each; see transportOf).
	Transport string
}

// Transports (-transport).
const (
	transportHTMX  = "htmx"
	transportSTOMP = "stomp"
	transportSSE   = "sse"
	transportMixed = "mixed"
)

// validTransport reports whether -transport may be t.
func validTransport(t string) bool {
	return t == transportHTMX || t == transportSTOMP || t == transportSSE || t == transportMixed
}

// presets are the named scenarios. Numbers are the issue's: the targets
// the project aims for are in targets.go.
var presets = map[string]scenario{
	"short": {
		Name: "short", Conns: 24, Rooms: 3, Senders: 6, Messages: 300, Rate: 200,
		Drain: 15 * time.Second,
	},
	"accounts": {
		Name: "accounts", Conns: 24, Rooms: 3, Senders: 6, Messages: 300, Rate: 200,
		Drain: 15 * time.Second, Accounts: true,
	},
	"bigroom": {
		Name: "bigroom", Conns: 1000, Rooms: 1, Senders: 200, Messages: 20000, Rate: 1000,
		Drain: 60 * time.Second,
	},
	"smallrooms": {
		Name: "smallrooms", Conns: 10000, Rooms: 1000, Senders: 1000, Messages: 20000, Rate: 1000,
		Drain: 60 * time.Second,
	},
	"idle": {
		Name: "idle", Conns: 19000, Rooms: 100, Hold: 10 * time.Second, RSSAt: []int{10000},
	},
	"reconnect": {
		Name: "reconnect", Conns: 10000, Rooms: 100, Senders: 100, Messages: 1000, Rate: 200,
		Restart: true, Drain: 60 * time.Second,
	},
	"slow": {
		// Within what one room can carry here, so that a reader's stall,
		// not the server's overload, is what is measured: 200 msg/s to
		// 200 connections; a 10s stall is ~1 MB, more than the socket
		// buffers hold, so the stalled ones fill their queues.
		Name: "slow", Conns: 200, Rooms: 1, Senders: 50, Messages: 6000, Rate: 200,
		Slow: 10, SlowPause: 10 * time.Second, Drain: 60 * time.Second,
	},
}

// presetOrder is the order `-preset all` runs them in.
var presetOrder = []string{"bigroom", "smallrooms", "idle", "reconnect", "slow", "accounts"}

// options are the command line.
type options struct {
	// URL is the server's address, or several comma-separated (instances
	// of one deployment); only loopback hosts are accepted.
	URL string
	// Presets are the scenarios to run, in order.
	Presets []scenario
	// Timeout bounds the whole run.
	Timeout time.Duration
	// PID is the server's process, for its memory and CPU; 0: not
	// measured (or the process the tool starts).
	PID int
	// ServerBin, when set, is the hxchat binary the tool starts (and
	// stops) for each scenario; ServerArgs are its flags.
	ServerBin  string
	ServerArgs string
	// ServerLog is where a started server's output goes (default: a file
	// in the temporary directory, named in the report).
	ServerLog string
	// DialConcurrency bounds the dials and page loads in flight.
	DialConcurrency int
	// SignupConcurrency bounds the signups in flight in accounts mode.
	// The server hashes at most 4 passwords at once and queues the rest;
	// more in flight only lengthens each signup's wait.
	SignupConcurrency int
	// SourceAddrs is how many loopback source addresses the dials spread
	// over (127.0.0.2 upwards), each with its own ~28k ephemeral ports.
	SourceAddrs int
	// RoomPrefix starts the names of the rooms the tool uses; rooms that
	// exist already are reused.
	RoomPrefix string
	// Settle is the pause after connecting, before memory is sampled and
	// traffic starts, so that the join notices have gone out.
	Settle time.Duration
	// ReplyTimeout bounds the wait for the server's answer to one send.
	ReplyTimeout time.Duration
	// MaxRetries is how many reconnects in a row a client tries before it
	// gives up.
	MaxRetries int
	// Verbose prints every error as it happens.
	Verbose bool
	// CPUProfile, when set, is where the tool writes its own CPU profile,
	// to check that the tool is not what limits a run.
	CPUProfile string
	// STOMPAuth is how STOMP clients sign in in accounts mode:
	// authPasscode (CONNECT's login and passcode) or authBearer (an
	// Authorization header on the handshake).
	STOMPAuth string
}

// errUsage marks a command line that could not be parsed.
var errUsage = errors.New("usage")

// parseOptions reads the command line; flags given explicitly override
// the preset's values.
func parseOptions(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(out)
	preset := fs.String("preset", "short", "comma-separated presets to run: "+strings.Join(append([]string{"short"}, presetOrder...), ", ")+", or all")
	short := fs.Bool("short", false, "run the small CI scenario (same as -preset short): asserts zero loss")
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "the server's address (loopback only); several, comma-separated, for instances of one deployment, over which each room's connections are spread")
	fs.DurationVar(&o.Timeout, "timeout", 20*time.Minute, "stop everything after this long")
	fs.IntVar(&o.PID, "pid", 0, "the server's process id, to report its RSS per connection and CPU per delivery")
	fs.StringVar(&o.ServerBin, "server-bin", "", "hxchat binary to start for each scenario (required by -preset reconnect)")
	fs.StringVar(&o.ServerArgs, "server-args", "", "flags for -server-bin; -addr comes from -url, and -db, -msg-rate, -msg-burst, -max-conns, -new-people-rate, -rooms-rate get a fresh database and high limits unless given")
	fs.StringVar(&o.ServerLog, "server-log", "", "file for the started server's output (default: a temporary file)")
	fs.IntVar(&o.DialConcurrency, "dial-concurrency", 100, "page loads and websocket dials in flight at once")
	fs.IntVar(&o.SignupConcurrency, "signup-concurrency", 8, "signups in flight at once with -accounts")
	fs.IntVar(&o.SourceAddrs, "source-addrs", 4, "loopback source addresses to dial from (127.0.0.2, 127.0.0.3, ...)")
	fs.StringVar(&o.RoomPrefix, "room-prefix", "load", "prefix of the room names the tool creates or reuses")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "pause after connecting, before measuring memory and sending")
	fs.DurationVar(&o.ReplyTimeout, "reply-timeout", time.Minute, "how long a sender waits for the answer to a send before sending it again")
	fs.IntVar(&o.MaxRetries, "max-retries", 12, "reconnect attempts in a row before a client gives up")
	fs.BoolVar(&o.Verbose, "v", false, "print every error as it happens")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the tool's own CPU profile to this file")
	fs.StringVar(&o.STOMPAuth, "stomp-auth", authPasscode, "how STOMP clients sign in with -accounts: passcode (CONNECT login and passcode) or bearer (Authorization: Bearer on the handshake)")

	// Scenario settings: when given, they override every preset run.
	var over scenario
	var rssAt string
	fs.IntVar(&over.Conns, "conns", 0, "websocket connections (one simulated person each)")
	fs.IntVar(&over.Rooms, "rooms", 0, "rooms to spread the connections over")
	fs.IntVar(&over.Senders, "senders", 0, "connections that post")
	fs.IntVar(&over.Messages, "messages", 0, "messages to post in all")
	fs.Float64Var(&over.Rate, "rate", 0, "messages per second over all senders")
	fs.IntVar(&over.BodySize, "body-size", 0, "pad message bodies to this many characters")
	fs.IntVar(&over.Slow, "slow", 0, "connections that stop reading for -slow-pause")
	fs.DurationVar(&over.SlowPause, "slow-pause", 0, "how long the slow connections stop reading")
	fs.IntVar(&over.SlowRcvBuf, "slow-rcvbuf", 0, "receive buffer of the slow connections, in bytes (0: the kernel's; keep it over 64 KiB on loopback)")
	fs.DurationVar(&over.Hold, "hold", 0, "how long an idle run holds its connections")
	fs.StringVar(&rssAt, "rss-at", "", "comma-separated connection counts at which to sample the server's memory on the way up")
	fs.DurationVar(&over.Drain, "drain", 0, "longest wait for every connection to catch up after sending")
	fs.StringVar(&over.Transport, "transport", transportHTMX, "what the connections speak: htmx (/ws/chat), stomp (STOMP 1.2 on /ws/stomp), sse (compatibility mode: the event stream /sse/chat, sending by POST) or mixed (a third of each room's connections, senders and slow readers on each of htmx, stomp and sse)")
	fs.BoolVar(&over.Accounts, "accounts", false, "run the server with accounts (without -open): set it up through the setup link in its log and sign every simulated person up with the invitation link first (needs -server-bin)")
	fs.Usage = func() {
		fmt.Fprint(out, `Usage: go run ./cmd/loadtest [flags]

loadtest drives an hxchat server on this machine the way browsers do (page
load, htmx websocket frames, resume on reconnect), then checks that every
connection got every message of its room exactly once and in order. It exits
non-zero on any loss, duplicate, reordering or error.

Presets:
  short       24 conns in 3 rooms, 300 msgs at 200/s (CI; asserts zero loss)
  bigroom     1 room x 1,000 conns, 1,000 msg/s
  smallrooms  1,000 rooms x 10 conns, 1 msg/s per room
  idle        19,000 conns held without traffic: server RSS per connection
  reconnect   10,000 conns, restart the server (-server-bin), time the catch-up
  slow        200 conns in one room, 10 stop reading for 10s: the others' latency
  accounts    short with -accounts: 24 people sign up, then 300 msgs at 200/s
              (asserts zero loss; needs -server-bin)

-transport stomp makes every connection a STOMP 1.2 client of /ws/stomp
(CONNECT, SUBSCRIBE with after-seq, SEND with a receipt); sse makes it a
page in compatibility mode (?transport=sse: the event stream /sse/chat,
reconnected with Last-Event-ID, and the send form POSTed); mixed puts the
members of each room on htmx, stomp and sse in turn, a third on each. All
are checked as htmx clients are.

With -server-bin the server runs in open mode (-open: anonymous memberN
people), unless the preset is accounts or -accounts is given: then the tool
creates the first account through the setup link the server logs, reads the
invitation link from /admin and signs every simulated person up (load-pN,
pN@load.invalid) before the traffic; the signups are timed on their own.
Each STOMP client's person then makes a personal access token on
/account/tokens and connects with it (-stomp-auth).

A server you start yourself (-url without -server-bin) must run in open mode
and allow the send rate and the connections of one address: start it with
-open and high -msg-rate/-msg-burst, -max-conns/-new-people-rate and -rooms-rate.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if rssAt != "" {
		for _, s := range strings.Split(rssAt, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n <= 0 {
				return o, fmt.Errorf("%w: -rss-at: want positive numbers, got %q", errUsage, s)
			}
			over.RSSAt = append(over.RSSAt, n)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["transport"] && !validTransport(over.Transport) {
		return o, fmt.Errorf("%w: -transport %q: want htmx, stomp, sse or mixed", errUsage, over.Transport)
	}
	if *short {
		*preset = "short"
	}
	names := strings.Split(*preset, ",")
	if *preset == "all" {
		names = presetOrder
	}
	for _, name := range names {
		sc, ok := presets[strings.TrimSpace(name)]
		if !ok {
			return o, fmt.Errorf("%w: unknown preset %q", errUsage, name)
		}
		sc.RSSAt = slices.Clone(sc.RSSAt)
		apply(&sc, over, set)
		if err := sc.check(); err != nil {
			return o, fmt.Errorf("%w: %s: %v", errUsage, sc.Name, err)
		}
		if sc.Restart && o.ServerBin == "" {
			return o, fmt.Errorf("%w: %s restarts the server: give -server-bin (and -server-args)", errUsage, sc.Name)
		}
		// A running server has had its setup link used, or logs it where
		// the tool cannot read it: the tool sets up only a server it starts.
		if sc.Accounts && o.ServerBin == "" {
			return o, fmt.Errorf("%w: %s: accounts mode sets up a new server through the setup link in its log: give -server-bin", errUsage, sc.Name)
		}
		if sc.Accounts && hasFlag(strings.Fields(o.ServerArgs), "open") {
			return o, fmt.Errorf("%w: %s: accounts mode runs the server without -open: take it out of -server-args", errUsage, sc.Name)
		}
		o.Presets = append(o.Presets, sc)
	}
	if o.STOMPAuth != authPasscode && o.STOMPAuth != authBearer {
		return o, fmt.Errorf("%w: -stomp-auth: want passcode or bearer, got %q", errUsage, o.STOMPAuth)
	}
	if o.DialConcurrency <= 0 || o.SignupConcurrency <= 0 || o.SourceAddrs <= 0 || o.MaxRetries <= 0 {
		return o, fmt.Errorf("%w: -dial-concurrency, -signup-concurrency, -source-addrs and -max-retries must be positive", errUsage)
	}
	return o, nil
}

// apply lays the explicitly given settings of over onto sc.
func apply(sc *scenario, over scenario, set map[string]bool) {
	ints := map[string]struct{ dst, src *int }{
		"conns": {&sc.Conns, &over.Conns}, "rooms": {&sc.Rooms, &over.Rooms},
		"senders": {&sc.Senders, &over.Senders}, "messages": {&sc.Messages, &over.Messages},
		"body-size": {&sc.BodySize, &over.BodySize}, "slow": {&sc.Slow, &over.Slow},
		"slow-rcvbuf": {&sc.SlowRcvBuf, &over.SlowRcvBuf},
	}
	for name, p := range ints {
		if set[name] {
			*p.dst = *p.src
		}
	}
	durs := map[string]struct{ dst, src *time.Duration }{
		"slow-pause": {&sc.SlowPause, &over.SlowPause}, "hold": {&sc.Hold, &over.Hold},
		"drain": {&sc.Drain, &over.Drain},
	}
	for name, p := range durs {
		if set[name] {
			*p.dst = *p.src
		}
	}
	if set["rate"] {
		sc.Rate = over.Rate
	}
	if set["rss-at"] {
		sc.RSSAt = over.RSSAt
	}
	if set["accounts"] {
		sc.Accounts = over.Accounts
	}
	if set["transport"] {
		sc.Transport = over.Transport
	}
	if sc.Transport == "" {
		sc.Transport = transportHTMX
	}
	if sc.Drain <= 0 {
		sc.Drain = 30 * time.Second
	}
}

// check refuses settings that cannot run.
func (sc scenario) check() error {
	switch {
	case sc.Conns <= 0 || sc.Rooms <= 0:
		return errors.New("-conns and -rooms must be positive")
	case sc.Rooms > sc.Conns:
		return errors.New("more rooms than connections")
	case sc.Messages < 0 || sc.Senders < 0 || sc.Slow < 0:
		return errors.New("negative -messages, -senders or -slow")
	case sc.Messages > 0 && sc.Senders == 0:
		return errors.New("messages but no -senders")
	case sc.Messages > 0 && sc.Rate <= 0:
		return errors.New("-rate must be positive")
	case sc.Senders+sc.Slow > sc.Conns:
		return errors.New("-senders plus -slow exceed -conns")
	case sc.BodySize > 2000:
		return errors.New("-body-size over hxchat's 2,000-character limit")
	case sc.Transport != "" && !validTransport(sc.Transport):
		return fmt.Errorf("-transport %q: want htmx, stomp, sse or mixed", sc.Transport)
	}
	return nil
}
