// Command loadtest proves that hxchat loses no message under load. It
// acts like many browsers on this machine (room page, cookies, the
// frames htmx's websocket extension sends, reconnects with its backoff),
// posts messages on a fixed schedule, measures send-to-receive latency
// from the scheduled time, and checks that every connection received
// every message of its room exactly once and in Seq order. Any loss,
// duplicate or reordering makes the exit status non-zero. A server it
// starts runs in open mode (anonymous people) unless -accounts: then the
// tool sets it up and signs every simulated person up first. With
// -transport the connections are STOMP clients, pages in compatibility
// mode (server-sent events, sending by POST), or a mix of all three.
//
//	go run ./cmd/loadtest -short                      # CI-sized, against :8080
//	go run ./cmd/loadtest -preset bigroom -url http://127.0.0.1:18090 -pid $(pgrep -n hxchat)
//	go run ./cmd/loadtest -preset all -server-bin /tmp/hxchat   # starts the server itself
//	go run ./cmd/loadtest -preset bigroom -accounts -server-bin /tmp/hxchat   # 1,000 sign up first
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // a message was lost, duplicated or reordered, or an error happened
	exitSetup  = 2 // bad flags, or the run could not be carried out
)

// execute runs the presets the command line asks for and returns the
// exit status.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opt, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return exitSetup
	}
	if opt.CPUProfile != "" {
		f, err := os.Create(opt.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "loadtest: -cpuprofile:", err)
			return exitSetup
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	var bases []*url.URL
	for _, raw := range strings.Split(opt.URL, ",") {
		base, err := loopbackURL(ctx, strings.TrimSpace(raw))
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return exitSetup
		}
		if opt.ServerBin == "" {
			if err := checkServer(ctx, base); err != nil {
				fmt.Fprintln(stderr, "loadtest:", err)
				return exitSetup
			}
		}
		bases = append(bases, base)
	}
	if opt.ServerBin != "" && len(bases) > 1 {
		fmt.Fprintln(stderr, "loadtest: -server-bin starts one server; give -url one address")
		return exitSetup
	}
	status := exitOK
	var results []*result
	for _, sc := range opt.Presets {
		began := time.Now()
		res, err := runScenario(ctx, &opt, sc, bases, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest: %s: %v\n", sc.Name, err)
			if errors.Is(err, context.DeadlineExceeded) {
				fmt.Fprintf(stderr, "loadtest: the run hit -timeout %v\n", opt.Timeout)
			}
			return exitSetup
		}
		res.print(stdout)
		fmt.Fprintf(stdout, "took:              %v\n", time.Since(began).Round(time.Millisecond))
		results = append(results, res)
		if !res.ok() {
			status = exitFailed
		}
	}
	fmt.Fprintln(stdout)
	table(stdout, results)
	return status
}
