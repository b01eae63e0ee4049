package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// result is what one scenario measured.
type result struct {
	Name         string
	Conns, Rooms int
	// Accounts says the people signed up first (accounts mode); Signup
	// is what that measured.
	Accounts bool
	// Transport is what the connections spoke; ByTransport splits the
	// readers' deliveries and latency between the transports (client
	// kinds) in a mixed run.
	Transport        string
	ByTransport      [kinds]transportResult
	Signup           *signupResult
	Connected        int
	PageLoad         time.Duration
	ConnectTime      time.Duration
	Connect          quantiles
	Messages, Acked  int64
	Deliveries       int64
	DeliveriesPerSec float64
	// FrameBytes is the average size of a frame that carried messages.
	FrameBytes int64
	// Lat is the send-to-receive latency of the connections that kept
	// reading; SlowLat that of the slow ones.
	Lat, SlowLat quantiles
	// SendLag is how late the sends went out against the schedule: a
	// sender waits for the answer to its previous send, as a page must.
	SendLag quantiles
	// LoadAvg is the machine's load average (1 min) at the start and the
	// end: the tool shares the machine with the server and anything else.
	LoadAvg [2]string
	// TrafficStart and TrafficEnd bound the sending and the catching up
	// (epoch offsets).
	TrafficStart, TrafficEnd time.Duration

	Evictions, Restarts, Reconnects, OtherCloses, DialFailures int64
	Resends, Refused, ReplacedLogs, OlderPages, ReplyTimeouts  int64
	LiveGaps, Healed                                           int64
	// StreamEnds counts event streams that ended and were reopened.
	StreamEnds int64
	// Trails are the event trails of the first lossy connections.
	Trails []string

	// RSSBase is the server's memory before the sockets opened; RSS its
	// samples after.
	RSSBase int64
	RSS     []rssPoint
	// ServerCPU is the server's CPU time over CPUWindow; ToolCPU this
	// tool's over the traffic.
	ServerCPU, CPUWindow, ToolCPU time.Duration

	Restart      *restartResult
	Verdict      verdict
	Errors       int
	ErrorSamples []string
	ServerLog    string
}

// transportResult is what the readers of one transport received.
type transportResult struct {
	Deliveries int64
	Lat        quantiles
	// SendLag is how late its senders' sends went out.
	SendLag quantiles
}

// rssPoint is the server's memory with Conns sockets open.
type rssPoint struct {
	Conns int
	RSS   int64
}

// restartResult times a reconnect run, from the SIGTERM.
type restartResult struct {
	at time.Duration
	// Stopped is when the old process had exited, Up when the new one
	// answered /healthz, Reconnected when the last socket reopened,
	// CaughtUp when the last connection had its room's marker (and, the
	// checks say, everything before it).
	Stopped, Up, Reconnected, CaughtUp time.Duration
	// Complete is false when some connection never got its marker.
	Complete bool
}

// ok reports whether the run found nothing wrong.
func (r *result) ok() bool { return r.Verdict.ok() && r.Errors == 0 }

// perConn returns the server's memory growth per open socket at the
// last sample, and that sample.
func (r *result) perConn() (int64, rssPoint) {
	if len(r.RSS) == 0 || r.RSSBase == 0 {
		return 0, rssPoint{}
	}
	p := r.RSS[len(r.RSS)-1]
	if p.Conns == 0 {
		return 0, p
	}
	return (p.RSS - r.RSSBase) / int64(p.Conns), p
}

// cpuPerDelivery is the server's CPU time per message delivered.
func (r *result) cpuPerDelivery() time.Duration {
	if r.Deliveries == 0 || r.ServerCPU == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Deliveries)
}

// print writes the scenario's full report.
func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s: %d connections in %d rooms ==\n", r.label(), r.Conns, r.Rooms)
	if r.ServerLog != "" {
		fmt.Fprintf(w, "server log:        %s\n", r.ServerLog)
	}
	fmt.Fprintf(w, "load average:      %s at the start, %s at the end (2 cores)\n", r.LoadAvg[0], r.LoadAvg[1])
	if s := r.Signup; s != nil {
		fmt.Fprintf(w, "signups:           %d accounts in %v (%.1f/s), %d failed; each p50 %v, p99 %v, max %v (not in any latency below)\n",
			s.Accounts, s.Took.Round(time.Millisecond), s.rate(), s.Failed, ms(s.Each.P50), ms(s.Each.P99), ms(s.Each.Max))
	}
	fmt.Fprintf(w, "pages loaded in:   %v\n", r.PageLoad.Round(time.Millisecond))
	fmt.Fprintf(w, "sockets open:      %d of %d in %v (%.0f/s); connect p50 %v, p99 %v\n",
		r.Connected, r.Conns, r.ConnectTime.Round(time.Millisecond), float64(r.Connected)/max(r.ConnectTime.Seconds(), 1e-9),
		ms(r.Connect.P50), ms(r.Connect.P99))
	if r.RSSBase > 0 {
		fmt.Fprintf(w, "server RSS:        %.1f MiB before the sockets", mib(r.RSSBase))
		for _, p := range r.RSS {
			fmt.Fprintf(w, "; %.1f MiB at %d (%.1f KiB/conn)", mib(p.RSS), p.Conns, float64(p.RSS-r.RSSBase)/1024/float64(max(p.Conns, 1)))
		}
		fmt.Fprintln(w)
	}
	if r.Messages > 0 {
		fmt.Fprintf(w, "messages:          %d scheduled, %d acknowledged, %d resent (%d after no answer in -reply-timeout), %d refused\n", r.Messages, r.Acked, r.Resends, r.ReplyTimeouts, r.Refused)
		fmt.Fprintf(w, "deliveries:        %d (%.0f/s), frames of %d bytes on average\n", r.Deliveries, r.DeliveriesPerSec, r.FrameBytes)
		fmt.Fprintf(w, "latency:           %s\n", r.Lat)
		if r.Transport == transportMixed {
			for i, name := range kindNames {
				t := r.ByTransport[i]
				fmt.Fprintf(w, "  %-5s readers:   %d deliveries; %s\n", name, t.Deliveries, t.Lat)
			}
		}
		fmt.Fprintf(w, "send lag:          %s\n", r.SendLag)
		if r.Transport == transportMixed {
			for i, name := range kindNames {
				fmt.Fprintf(w, "  %-5s senders:   %s\n", name, r.ByTransport[i].SendLag)
			}
		}
		if r.SlowLat.N > 0 {
			fmt.Fprintf(w, "slow clients:      %s\n", r.SlowLat)
		}
	}
	if r.ServerCPU > 0 {
		fmt.Fprintf(w, "server CPU:        %v over %v (%.2f cores)", r.ServerCPU.Round(time.Millisecond), r.CPUWindow.Round(time.Millisecond), r.ServerCPU.Seconds()/max(r.CPUWindow.Seconds(), 1e-9))
		if d := r.cpuPerDelivery(); d > 0 {
			fmt.Fprintf(w, ", %.2f µs per delivery", float64(d)/float64(time.Microsecond))
		}
		fmt.Fprintln(w)
	}
	if r.ToolCPU > 0 && r.TrafficEnd > r.TrafficStart {
		fmt.Fprintf(w, "loadtest CPU:      %v (%.2f cores; it shares the machine)\n", r.ToolCPU.Round(time.Millisecond), r.ToolCPU.Seconds()/(r.TrafficEnd-r.TrafficStart).Seconds())
	}
	if rt := r.Restart; rt != nil {
		fmt.Fprintf(w, "restart:           old server gone %v after SIGTERM, new one up at %v, all sockets reopened at %v, all caught up at %v%s\n",
			ms(rt.Stopped), ms(rt.Up), ms(rt.Reconnected), ms(rt.CaughtUp), map[bool]string{true: "", false: " (INCOMPLETE)"}[rt.Complete])
	}
	fmt.Fprintf(w, "closes:            %d evicted as slow (1013), %d restart (1012), %d other, %d reconnects, %d failed dials",
		r.Evictions, r.Restarts, r.OtherCloses, r.Reconnects, r.DialFailures)
	if r.StreamEnds > 0 {
		// An event stream ends without a code: a restart, an eviction
		// and a broken connection look alike.
		fmt.Fprintf(w, "; %d event streams ended (and were reopened with Last-Event-ID)", r.StreamEnds)
	}
	fmt.Fprintln(w)
	if r.ReplacedLogs > 0 {
		fmt.Fprintf(w, "log replaced:      %d times (page missed more than a page, resumed late, or opened an event stream without Last-Event-ID, as each SSE page does first); \"Load older\" followed %d times\n", r.ReplacedLogs, r.OlderPages)
	}
	if r.LiveGaps > 0 || r.Healed > 0 {
		fmt.Fprintf(w, "filled later:      %d messages arrived live after a hole (socket live before its resume was handled); %d came later, through a replaced log or \"Load older\"\n", r.LiveGaps, r.Healed)
	}
	fmt.Fprintf(w, "check:             %s\n", r.Verdict)
	if r.Errors > 0 {
		fmt.Fprintf(w, "errors:            %d; by kind, with the first of each:\n", r.Errors)
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	for _, t := range r.Trails {
		fmt.Fprintf(w, "trail of %s\n", t)
	}
	fmt.Fprintf(w, "target:            %s\n", r.target())
	fmt.Fprintf(w, "result:            %s\n", map[bool]string{true: "PASS: every message reached every connection exactly once, in order", false: "FAIL"}[r.ok()])
}

// label names the run in the report: the preset, and the mode when
// that is not the preset's own.
func (r *result) label() string {
	var mode []string
	if r.Accounts && r.Name != "accounts" {
		mode = append(mode, "accounts")
	}
	if r.Transport != "" && r.Transport != transportHTMX {
		mode = append(mode, r.Transport)
	}
	if len(mode) == 0 {
		return r.Name
	}
	return r.Name + " (" + strings.Join(mode, ", ") + ")"
}

// String is a one-line latency summary.
func (q quantiles) String() string {
	if q.N == 0 {
		return "none"
	}
	return fmt.Sprintf("p50 %v, p90 %v, p99 %v, p99.9 %v, max %v (%d samples)", ms(q.P50), ms(q.P90), ms(q.P99), ms(q.P999), ms(q.Max), q.N)
}

// target says whether the run meets the goal the project set for its
// preset (timing goals do not change the exit status).
func (r *result) target() string {
	met := func(ok bool, goal string) string {
		if ok {
			return "met (" + goal + ")"
		}
		return "NOT met (" + goal + ")"
	}
	clean := r.ok()
	switch r.Name {
	case "bigroom":
		return met(clean && r.Acked == r.Messages && r.Lat.P99 < 100*time.Millisecond, "1,000 msg/s to 1,000 subscribers, 100% delivered, p99 < 100 ms")
	case "smallrooms":
		return met(clean && r.Acked == r.Messages && r.Lat.P99 < 50*time.Millisecond, "100% delivered, p99 < 50 ms")
	case "idle":
		per10k := int64(-1)
		for _, p := range r.RSS {
			if p.Conns >= 10000 && per10k < 0 {
				per10k = (p.RSS - r.RSSBase) / int64(p.Conns)
			}
		}
		return met(clean && per10k >= 0 && per10k <= 10<<10 && r.Connected >= 19000, "<= 10 KB RSS per connection at 10,000; 19,000 held")
	case "reconnect":
		ok := clean && r.Restart != nil && r.Restart.Complete && r.Restart.CaughtUp <= 15*time.Second
		return met(ok, "10,000 clients all caught up with no loss within 15 s")
	case "slow":
		return met(clean && r.Lat.P99 < 100*time.Millisecond, "the readers' p99 < 100 ms while some stall")
	}
	return met(clean, "zero loss, duplicates and reordering")
}

// table prints one line per scenario.
func table(w io.Writer, rs []*result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "preset\tconns\tmsgs\tdeliv/s\tframe B\tp50\tp90\tp99\tp99.9\tmax\tsignups/s\tconnect p50/p99\tevicted\terrors\tlost/dup/reord\tRSS/conn\tCPU/deliv\tcaught up\tcheck\ttarget\t")
	for _, r := range rs {
		per, _ := r.perConn()
		rssCol, cpuCol, caught, signups := "-", "-", "-", "-"
		if r.Signup != nil {
			signups = fmt.Sprintf("%.1f", r.Signup.rate())
		}
		if per != 0 {
			rssCol = fmt.Sprintf("%.1f KiB", float64(per)/1024)
		}
		if d := r.cpuPerDelivery(); d > 0 {
			cpuCol = fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
		}
		if r.Restart != nil {
			caught = ms(r.Restart.CaughtUp)
		}
		check := "ok"
		if !r.ok() {
			check = "FAIL"
		}
		target := "met"
		if strings.HasPrefix(r.target(), "NOT") {
			target = "NOT met"
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%d/%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s/%s\t%d\t%d\t%d/%d/%d\t%s\t%s\t%s\t%s\t%s\t\n",
			r.label(), r.Connected, r.Conns, r.Acked, r.Messages, r.DeliveriesPerSec, r.FrameBytes,
			ms(r.Lat.P50), ms(r.Lat.P90), ms(r.Lat.P99), ms(r.Lat.P999), ms(r.Lat.Max), signups,
			ms(r.Connect.P50), ms(r.Connect.P99), r.Evictions, r.Errors,
			r.Verdict.lost, r.Verdict.duplicates, r.Verdict.reorders, rssCol, cpuCol, caught, check, target)
	}
	tw.Flush()
}

// ms formats d in milliseconds with sensible precision.
func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
