package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// traffic posts the scenario's messages on schedule (restarting the
// server midway for a reconnect run) and waits until every connection
// caught up.
func (r *run) traffic(ctx context.Context, res *result) error {
	sc := r.sc
	cpu0, cpuErr := cpuTime(r.pid)
	self0 := selfCPU()
	start := r.now() + 200*time.Millisecond
	res.TrafficStart = start
	for _, c := range r.clients {
		if c.slow {
			c.pauseFrom.Store(int64(start + time.Second))
			c.pauseUntil.Store(int64(start + time.Second + sc.SlowPause))
		}
	}
	span := time.Duration(float64(sc.Messages-1) / sc.Rate * float64(time.Second))
	r.logf("posting %d messages at %.0f/s from %d senders (%.1f/s each)", sc.Messages, sc.Rate, len(r.senders), r.perSenderRate())
	batch := r.schedule(0, sc.Messages, start, sc.Rate, false)
	quiet := make(chan struct{})
	defer close(quiet)
	go r.progress(quiet)
	if sc.Restart {
		sleep(ctx, start+span-r.now())
		if err := r.restart(ctx, res); err != nil {
			return err
		}
		markers := r.schedule(sc.Messages, len(r.msgs)-sc.Messages, res.Restart.at+res.Restart.Up, 0, true)
		waitGroup(ctx, markers)
	}
	waitGroup(ctx, batch)
	r.logf("sending done: %d acknowledged; waiting up to %v for every connection to catch up", r.count.acked.Load(), sc.Drain)
	deadline := time.Now().Add(sc.Drain)
	for !r.caughtUp() && time.Now().Before(deadline) && sleep(ctx, 20*time.Millisecond) {
	}
	if !r.caughtUp() {
		r.errs.add("not every connection caught up within %v of the last send", sc.Drain)
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	res.TrafficEnd = r.now()
	res.ToolCPU = selfCPU() - self0
	if cpu1, err := cpuTime(r.pid); err == nil && cpuErr == nil && r.pid > 0 && !sc.Restart {
		res.ServerCPU = cpu1 - cpu0
		res.CPUWindow = res.TrafficEnd - start
	}
	if sc.Restart {
		r.restartTimes(res)
	}
	return nil
}

// progress prints the counters every 10s until quiet closes.
func (r *run) progress(quiet <-chan struct{}) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.logf("%d of %d messages acknowledged, %d deliveries, %d evicted, %d reconnects",
				r.count.acked.Load(), len(r.msgs), r.count.deliveries.Load(), r.count.evictions.Load(), r.count.reconnects.Load())
		case <-quiet:
			return
		}
	}
}

// schedule queues messages first..first+n-1, due from start at rate a
// second (rate 0: all at start), to the senders in turn; markers go one
// to each of the first n senders. The returned group is done when each
// was answered or given up.
func (r *run) schedule(first, n int, start time.Duration, rate float64, markers bool) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(n)
	for k := range n {
		s := r.senders[k%len(r.senders)]
		m := &r.msgs[first+k]
		m.idx, m.room, m.sender, m.marker, m.done = first+k, s.room, s, markers, &wg
		m.sched = start
		if rate > 0 {
			m.sched += time.Duration(float64(k) / rate * float64(time.Second))
		}
		s.outbox <- m
	}
	return &wg
}

// waitGroup waits for wg or ctx.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// caughtUp reports whether every connection holds every message.
func (r *run) caughtUp() bool {
	for _, rm := range r.rooms {
		if !rm.caughtUp() {
			return false
		}
	}
	return true
}

// restart stops the server with SIGTERM (it closes every socket with
// 1012) and starts it again on the same database.
func (r *run) restart(ctx context.Context, res *result) error {
	rt := &restartResult{at: r.now()}
	res.Restart = rt
	r.logf("restarting the server (SIGTERM, then start on the same database)")
	if err := r.srv.stop(); err != nil {
		r.errs.add("restart: %v", err)
	}
	rt.Stopped = r.now() - rt.at
	if err := r.srv.start(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	rt.Up = r.now() - rt.at
	r.pid = r.srv.pid()
	r.logf("server back after %v; posting one marker message per room", rt.Up.Round(time.Millisecond))
	return nil
}

// restartTimes notes when the last client reopened and when the last
// one received its room's marker, from the SIGTERM.
func (r *run) restartTimes(res *result) {
	rt := res.Restart
	hasMarker := map[*room]bool{}
	for i := range r.msgs {
		if r.msgs[i].marker && r.msgs[i].acked.Load() {
			hasMarker[r.msgs[i].room] = true
		}
	}
	rt.Complete = true
	for _, c := range r.clients {
		if c.ended.Load() {
			rt.Complete = false
			continue
		}
		rt.Reconnected = max(rt.Reconnected, time.Duration(c.lastOpen.Load())-rt.at)
		if hasMarker[c.room] {
			at := c.markerAt.Load()
			if at == 0 {
				rt.Complete = false
				continue
			}
			rt.CaughtUp = max(rt.CaughtUp, time.Duration(at)-rt.at)
		}
	}
}
