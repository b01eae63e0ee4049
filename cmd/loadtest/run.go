package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// run is one scenario in progress.
type run struct {
	opt *options
	sc  scenario
	// bases are the servers' addresses: several instances of one
	// deployment, or one. Rooms are made on the first; each room's
	// clients are spread over all of them.
	bases []*url.URL
	base  *url.URL
	src   *sources
	tr    *http.Transport
	// postTr carries the SSE senders' posts (nil without any).
	postTr *http.Transport
	out    io.Writer

	// id marks this run's message bodies ("lt-<id>-<index>-<due µs>-").
	id, bodyPrefix string
	// epoch is the zero of every offset the run keeps; bodies carry
	// offsets from it, so latency is read off one monotonic clock.
	epoch time.Time

	rooms   []*room
	clients []*client
	senders []*client
	msgs    []message

	count counters
	errs  errorLog
	// lat and slowLat are send-to-receive latencies (readers, slow
	// readers), connect the first dials, lag how late sends went out
	// against their schedule.
	lat, slowLat, connect, lag *latency
	// byTransport splits lat between the readers of each transport
	// (client kinds) in a mixed run, and lagBy lag between their
	// senders; tdeliveries counts their deliveries.
	byTransport, lagBy [kinds]*latency
	tdeliveries        [kinds]atomic.Int64

	// fills tracks the "Load older" fills in flight.
	fills sync.WaitGroup
	// writeBufs are the websocket write buffers, shared.
	writeBufs sync.Pool
	// trails are the event trails of the first connections that lost
	// messages.
	trails []string
	// fail ends the run with a cause (a refused send rate).
	fail func(error)
	srv  *server
	pid  int
	// logMu serialises logf, which the traffic loop and its progress
	// ticker both call: out may be any writer (a test's buffer).
	logMu sync.Mutex
}

// now is the time since the run's epoch.
func (r *run) now() time.Duration { return time.Since(r.epoch) }

// perSenderRate is how many messages a second each sender posts.
func (r *run) perSenderRate() float64 {
	return r.sc.Rate / float64(max(1, len(r.senders)))
}

// logf prints progress.
func (r *run) logf(format string, args ...any) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.out, "%s [%6.1fs] %s\n", r.sc.Name, r.now().Seconds(), fmt.Sprintf(format, args...))
}

// runScenario runs sc against bases and reports what it measured. An
// error means the run could not be carried out; what it found wrong with
// the deliveries is in the result.
func runScenario(ctx context.Context, opt *options, sc scenario, bases []*url.URL, out io.Writer) (*result, error) {
	base := bases[0]
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	r := &run{
		opt: opt, sc: sc, bases: bases, base: base, out: out,
		src: newSources(base, opt.SourceAddrs),
		id:  hex.EncodeToString(id), epoch: time.Now(),
		lat: newLatency(), slowLat: newLatency(), connect: newLatency(), lag: newLatency(),
		fail: cancel, pid: opt.PID,
	}
	for k := range kinds {
		r.byTransport[k], r.lagBy[k] = newLatency(), newLatency()
	}
	r.bodyPrefix = "lt-" + r.id + "-"
	if opt.Verbose {
		r.errs.verbose = out
	}
	r.tr = &http.Transport{
		DialContext:         r.src.dialer(0),
		MaxIdleConns:        opt.DialConcurrency,
		MaxIdleConnsPerHost: opt.DialConcurrency,
		IdleConnTimeout:     30 * time.Second,
	}
	defer r.tr.CloseIdleConnections()
	defer func() {
		if r.postTr != nil {
			r.postTr.CloseIdleConnections()
		}
	}()
	res := &result{Name: sc.Name, Conns: sc.Conns, Rooms: sc.Rooms, Accounts: sc.Accounts, Transport: sc.Transport, LoadAvg: [2]string{loadAvg()}}

	if opt.ServerBin != "" {
		dir, err := os.MkdirTemp("", "loadtest-"+sc.Name+"-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		logPath := opt.ServerLog
		if logPath == "" {
			logPath = filepath.Join(os.TempDir(), "loadtest-"+sc.Name+"-server.log")
			_ = os.Remove(logPath)
		}
		lf, err := logFile(logPath, dir)
		if err != nil {
			return nil, err
		}
		defer lf.Close()
		res.ServerLog = logPath
		r.srv = newServer(opt.ServerBin, opt.ServerArgs, base, dir, lf, sc.Accounts)
		r.logf("starting %s %v", opt.ServerBin, r.srv.args)
		if err := r.srv.start(ctx); err != nil {
			return nil, err
		}
		defer r.srv.stop()
		r.pid = r.srv.pid()
	}
	// admin makes the rooms: in accounts mode the first account, which
	// sets the server up.
	admin := newPerson(r.tr)
	var invitation string
	if sc.Accounts {
		var err error
		if invitation, err = r.setUpAccounts(ctx, admin); err != nil {
			return nil, err
		}
	}
	if err := r.setup(ctx, admin); err != nil {
		return nil, err
	}
	// The signups are timed on their own, and count in no message's
	// latency: messages are scheduled from the traffic's start.
	if sc.Accounts {
		if err := r.signUp(ctx, invitation, res); err != nil {
			return nil, err
		}
		if err := r.makeTokens(ctx); err != nil {
			return nil, err
		}
	}

	cctx, stopClients := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stopped := false
	// stop closes every socket, as pages navigating away do, and waits
	// for the clients' goroutines, so their state can be read.
	stop := func() bool {
		if stopped {
			return true
		}
		stopped = true
		stopClients()
		for _, c := range r.clients {
			c.close()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); r.fills.Wait(); close(done) }()
		select {
		case <-done:
			return true
		case <-time.After(30 * time.Second):
			return false
		}
	}
	defer stop()

	if err := r.connectAll(ctx, cctx, &wg, res); err != nil {
		return nil, err
	}
	if sc.Hold > 0 {
		r.hold(ctx, res)
	}
	if sc.Messages > 0 {
		for _, c := range r.senders {
			wg.Add(1)
			go func() { defer wg.Done(); c.sendLoop(cctx) }()
		}
		if err := r.traffic(ctx, res); err != nil {
			return nil, err
		}
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if !stop() {
		return nil, errors.New("clients still running 30s after the end")
	}
	r.finish(res)
	res.LoadAvg[1] = loadAvg()
	return res, nil
}

// setup makes the rooms, as admin, the simulated people and their
// messages.
func (r *run) setup(ctx context.Context, admin *person) error {
	sc := r.sc
	names := make([]string, sc.Rooms)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%s-%d", r.opt.RoomPrefix, sc.Name, i)
	}
	r.logf("getting %d rooms", sc.Rooms)
	ids, err := ensureRooms(ctx, admin, r.base, names, r.opt.DialConcurrency)
	if errors.Is(err, errSignedOut) && !sc.Accounts {
		return fmt.Errorf("rooms: %w: start it with -open, or give -server-bin (and -accounts to measure accounts mode)", err)
	}
	if err != nil {
		return fmt.Errorf("rooms: %w (is hxchat running at %s?)", err, r.base)
	}
	for i, id := range ids {
		r.rooms = append(r.rooms, newRoom(id, names[i]))
	}
	for i := range sc.Conns {
		rm := r.rooms[i%sc.Rooms]
		c := newClient(r, i, rm, newPerson(r.tr))
		c.kind = transportOf(sc.Transport, i, sc.Rooms)
		if c.kind == kindSSE {
			c.sse = &sseClient{}
		}
		// The members of a room take turns over the instances.
		c.base = r.bases[(i/sc.Rooms)%len(r.bases)]
		rm.clients = append(rm.clients, c)
		r.clients = append(r.clients, c)
	}
	r.senders = r.clients[:sc.Senders]
	r.sseSenders()
	for _, c := range r.clients[sc.Conns-sc.Slow:] {
		c.slow = true
	}
	total := sc.Messages
	if sc.Restart {
		total += min(sc.Rooms, sc.Senders) // one marker per room after the restart
	}
	r.msgs = make([]message, total)
	perSender := total/max(1, sc.Senders) + 2
	for _, c := range r.senders {
		c.outbox = make(chan *message, perSender)
	}
	return nil
}

// parallel runs fn for each client, at most n at once.
func (r *run) parallel(ctx context.Context, n int, cs []*client, fn func(*client)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, c := range cs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(c)
		}()
	}
	wg.Wait()
}

// connectAll loads every page, then opens every socket, in stages at
// the scenario's memory checkpoints, and samples the server's memory.
func (r *run) connectAll(ctx, cctx context.Context, wg *sync.WaitGroup, res *result) error {
	r.logf("loading %d room pages", len(r.clients))
	began := time.Now()
	r.parallel(ctx, r.opt.DialConcurrency, r.clients, func(c *client) {
		if err := c.load(ctx); err != nil && ctx.Err() == nil {
			r.errs.add("conn %d (room %q): page: %v", c.id, c.room.name, err)
		}
	})
	res.PageLoad = time.Since(began)
	// The transport may hold connections it dialed but never used; the
	// server counts them as new until they time out, and its graceful
	// shutdown waits up to 5s for such connections.
	r.tr.CloseIdleConnections()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if r.pid > 0 {
		if v, err := rss(r.pid); err == nil {
			res.RSSBase = v
		}
	}
	stages := slices.Sorted(slices.Values(append(slices.Clone(r.sc.RSSAt), len(r.clients))))
	lo := 0
	began = time.Now()
	for _, hi := range stages {
		if hi <= lo || hi > len(r.clients) {
			continue
		}
		r.logf("opening sockets %d..%d", lo+1, hi)
		r.dial(ctx, cctx, r.clients[lo:hi], wg)
		lo = hi
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if hi == len(r.clients) {
			res.ConnectTime = time.Since(began)
		}
		sleep(ctx, r.opt.Settle)
		r.sampleRSS(res)
	}
	res.Connect = r.connect.summary()
	for _, c := range r.clients {
		if c.opens.Load() > 0 && !c.ended.Load() {
			res.Connected++
		}
	}
	r.logf("%d of %d sockets open in %v", res.Connected, len(r.clients), res.ConnectTime.Round(time.Millisecond))
	return nil
}

// dial starts the clients cs, at most DialConcurrency dials in flight,
// and waits until each has opened once or given up.
func (r *run) dial(ctx, cctx context.Context, cs []*client, wg *sync.WaitGroup) {
	sem := make(chan struct{}, r.opt.DialConcurrency)
	for _, c := range cs {
		if c.start < 0 {
			c.finish() // its page never loaded
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() { defer wg.Done(); c.live(cctx) }()
		go func() {
			select {
			case <-c.opened:
			case <-ctx.Done():
			}
			<-sem
		}()
	}
	for _, c := range cs {
		select {
		case <-c.opened:
		case <-ctx.Done():
			return
		}
	}
}

// sampleRSS notes the server's memory with the sockets open now.
func (r *run) sampleRSS(res *result) {
	if r.pid <= 0 {
		return
	}
	v, err := rss(r.pid)
	if err != nil {
		r.errs.add("server memory: %v", err)
		return
	}
	open := 0
	for _, c := range r.clients {
		if c.opens.Load() > 0 && !c.ended.Load() {
			open++
		}
	}
	res.RSS = append(res.RSS, rssPoint{Conns: open, RSS: v})
}

// hold keeps the sockets open without traffic, sampling memory.
func (r *run) hold(ctx context.Context, res *result) {
	r.logf("holding %d sockets for %v", res.Connected, r.sc.Hold)
	cpu0, _ := cpuTime(r.pid)
	end := time.Now().Add(r.sc.Hold)
	for time.Now().Before(end) && sleep(ctx, min(time.Second, time.Until(end))) {
	}
	if cpu1, err := cpuTime(r.pid); err == nil && r.pid > 0 {
		res.ServerCPU = cpu1 - cpu0
		res.CPUWindow = r.sc.Hold
	}
	r.sampleRSS(res)
}

// finish fills the result from the counters and checks the deliveries.
func (r *run) finish(res *result) {
	c := &r.count
	res.Verdict = r.verify()
	res.Messages = int64(r.sc.Messages)
	res.Acked = c.acked.Load()
	res.Deliveries = c.deliveries.Load()
	if last := time.Duration(c.lastDelivery.Load()); last > res.TrafficStart && res.Deliveries > 0 {
		res.DeliveriesPerSec = float64(res.Deliveries) / (last - res.TrafficStart).Seconds()
	}
	if n := c.frames.Load(); n > 0 {
		res.FrameBytes = c.frameBytes.Load() / n
	}
	res.Lat = r.lat.summary()
	if r.sc.Transport == transportMixed {
		for i, l := range r.byTransport {
			res.ByTransport[i] = transportResult{Deliveries: r.tdeliveries[i].Load(), Lat: l.summary(), SendLag: r.lagBy[i].summary()}
		}
	}
	res.SlowLat = r.slowLat.summary()
	res.SendLag = r.lag.summary()
	res.Evictions, res.Restarts, res.Reconnects = c.evictions.Load(), c.restarts.Load(), c.reconnects.Load()
	res.OtherCloses, res.DialFailures = c.otherCloses.Load(), c.dialFailures.Load()
	res.StreamEnds = c.streamEnds.Load()
	res.Resends, res.Refused, res.ReplyTimeouts = c.resends.Load(), c.refused.Load(), c.replyTimeouts.Load()
	res.ReplacedLogs, res.OlderPages = c.replacedLogs.Load(), c.olderPages.Load()
	res.LiveGaps, res.Healed = c.liveGaps.Load(), c.healed.Load()
	res.Errors = r.errs.count()
	res.ErrorSamples = r.errs.samples()
	res.Trails = r.trails
}

// errNoServer is returned when nothing answers at -url.
var errNoServer = errors.New("no hxchat answers")

// checkServer makes sure a server answers at base before any load.
func checkServer(ctx context.Context, base *url.URL) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+"/healthz", nil)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("%w at %s (%v): start it, or give -server-bin", errNoServer, base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w at %s: /healthz says %s", errNoServer, base, resp.Status)
	}
	return nil
}
