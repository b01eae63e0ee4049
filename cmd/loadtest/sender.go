package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// message is one message the run posts.
type message struct {
	idx    int
	room   *room
	sender *client
	// sched is when it is due (offset from the run's epoch); latency is
	// measured from it, not from when it actually went out, so a stalled
	// sender does not hide the stall (no coordinated omission).
	sched time.Duration
	// marker is set for the messages a reconnect run posts after the
	// restart.
	marker bool
	// posted is set once its first send is written; acked once the
	// server answered with a fresh form (a RECEIPT, over STOMP).
	posted, acked atomic.Bool
	// done counts it off its batch.
	done *sync.WaitGroup
}

// body is the message text: the run, the index and the schedule, which
// the receivers read back, padded to the scenario's size.
func (r *run) body(m *message) string {
	b := fmt.Sprintf("lt-%s-%d-%d-", r.id, m.idx, m.sched.Microseconds())
	if pad := r.sc.BodySize - len(b); pad > 0 {
		b += strings.Repeat("x", pad)
	}
	return b
}

// parseBody reads what body says: the message's index and when it was
// due; ours is false for a message this run did not post. Every delivery
// goes through it, so it reads body in place: string(body) copied it,
// onto the heap for a body over 32 bytes (-body-size).
func (r *run) parseBody(body []byte) (idx int, sched time.Duration, ours bool) {
	if len(body) < len(r.bodyPrefix) || string(body[:len(r.bodyPrefix)]) != r.bodyPrefix {
		return -1, 0, false
	}
	rest := body[len(r.bodyPrefix):]
	n, digits := leadingInt(rest)
	if digits == 0 || digits == len(rest) || rest[digits] != '-' || n >= int64(len(r.msgs)) {
		return -1, 0, false
	}
	rest = rest[digits+1:]
	us, digits := leadingInt(rest)
	if digits == 0 || digits == len(rest) || rest[digits] != '-' {
		return -1, 0, false
	}
	return int(n), time.Duration(us) * time.Microsecond, true
}

// hxHeaders is the HEADERS object htmx-ext-ws adds to every frame.
type hxHeaders struct {
	Request     string  `json:"HX-Request"`
	Trigger     string  `json:"HX-Trigger"`
	TriggerName *string `json:"HX-Trigger-Name"`
	Target      string  `json:"HX-Target"`
	CurrentURL  string  `json:"HX-Current-URL"`
}

// resumeFrame is what the resume form sends when the socket opens.
func resumeFrame(base *url.URL, room, after int64) []byte {
	b, _ := json.Marshal(struct {
		After   string    `json:"after"`
		Headers hxHeaders `json:"HEADERS"`
	}{strconv.FormatInt(after, 10), headers(base, room, "resume")})
	return b
}

// sendFrame is what the send form sends.
func sendFrame(base *url.URL, room int64, token, body string) []byte {
	b, _ := json.Marshal(struct {
		Token   string    `json:"token"`
		Body    string    `json:"body"`
		Headers hxHeaders `json:"HEADERS"`
	}{token, body, headers(base, room, "send")})
	return b
}

// headers are the HEADERS of a frame from form on room's page at base.
func headers(base *url.URL, room int64, form string) hxHeaders {
	return hxHeaders{Request: "true", Trigger: form, Target: form, CurrentURL: base.String() + roomPath(room)}
}

// errTooFast is the failure when hxchat's rate limit refuses sends.
var errTooFast = errors.New("the server refused sends as too fast")

// sendLoop posts the client's outbox in order, each when it is due,
// until the outbox closes or ctx ends.
func (c *client) sendLoop(ctx context.Context) {
	for {
		var m *message
		select {
		case m = <-c.outbox:
		case <-ctx.Done():
			return
		}
		if m == nil {
			return
		}
		if sleep(ctx, m.sched-c.r.now()) {
			c.post(ctx, m)
		}
		m.done.Done()
	}
}

// maxResends bounds how often one message is sent again.
const maxResends = 20

// retryWait is how long a person reads a refusal before sending again.
const retryWait = time.Second

// post sends m as htmx does and waits for the server's answer. Sends
// made while the socket is down wait for it to reopen (htmx queues
// them). The page keeps the typed text under the same form until the
// answer comes, so when the socket drops first, when no answer comes
// within -reply-timeout, or when the server refuses with an error, the
// person sends again with the same token, which the server must not post
// twice. A STOMP client does the same with a SEND carrying the message's
// own token, and takes the RECEIPT for the answer. An SSE client posts
// the form, whatever its stream is doing, as a page in compatibility
// mode does, and takes the answer to the POST. A refusal as too fast
// ends the run: the server's limits are too low for the scenario.
func (c *client) post(ctx context.Context, m *message) {
	body := c.r.body(m)
	var why error // why the last try got no answer, when it is known
	for attempt := 0; attempt <= maxResends; attempt++ {
		var l *link
		if c.kind != kindSSE {
			var err error
			if l, err = c.waitOpen(ctx); err != nil {
				if ctx.Err() == nil {
					c.r.errs.add("message %d: sender conn %d: %v", m.idx, c.id, err)
				}
				return
			}
		}
		if attempt > 0 {
			c.r.count.resends.Add(1)
		}
		if !m.posted.Swap(true) {
			lag := c.r.now() - m.sched
			c.r.lag.record(c.id, lag)
			if c.r.sc.Transport == transportMixed {
				c.r.lagBy[c.kind].record(c.id, lag)
			}
		}
		var (
			rep reply
			ok  bool
		)
		if c.kind == kindSSE {
			rep, ok, why = c.postSSE(ctx, m, body)
		} else {
			rep, ok = c.send(ctx, l, m, body, attempt)
		}
		switch {
		case ctx.Err() != nil:
			return
		case !ok:
			continue
		case rep.refusal == "":
			if rep.token != "" {
				c.token = rep.token
			}
			m.acked.Store(true)
			m.room.acked.Add(1)
			c.r.count.acked.Add(1)
			return
		case strings.Contains(rep.refusal, "too fast"), strings.HasPrefix(rep.refusal, "too_fast:"):
			c.r.count.refused.Add(1)
			c.r.fail(fmt.Errorf("%w (%q): start hxchat with -msg-rate >= %.0f -msg-burst >= %d, or use fewer -senders",
				errTooFast, rep.refusal, c.r.perSenderRate()*2+1, 100))
			return
		default:
			c.r.count.refused.Add(1)
			c.r.errs.add("message %d: refused: %s", m.idx, rep.refusal)
			if !sleep(ctx, retryWait) {
				return
			}
		}
	}
	if why != nil {
		c.r.errs.add("message %d: gave up after %d resends, the last for want of an answer: %v", m.idx, maxResends, why)
		return
	}
	c.r.errs.add("message %d: gave up after %d resends", m.idx, maxResends)
}

// send writes the attempt-th send of m's body, text, on the socket l and
// waits for the answer; ok is false when the socket dropped first or no
// answer came in time.
func (c *client) send(ctx context.Context, l *link, m *message, text string, attempt int) (rep reply, ok bool) {
	// A late answer to an earlier try is stale: the answer to this one
	// follows.
	for len(c.replies) > 0 {
		<-c.replies
	}
	frame, want := []byte(nil), ""
	if c.kind == kindSTOMP {
		want = receiptOf(m, attempt)
		frame = c.sendSTOMP(m, text, want)
	} else {
		frame = sendFrame(c.base, c.room.id, c.token, text)
	}
	if err := l.write(frame); err != nil {
		select {
		case <-l.down:
		case <-ctx.Done():
		}
		return reply{}, false
	}
	c.r.count.sent.Add(1)
	return c.await(ctx, l, m, want)
}

// await waits for the answer to the send just written on l (for a STOMP
// client, the answer naming receipt want; others are late answers to
// earlier tries); ok is false when the socket dropped or no answer came
// in time, so the send is to be repeated.
func (c *client) await(ctx context.Context, l *link, m *message, want string) (rep reply, ok bool) {
	timeout := time.NewTimer(c.r.opt.ReplyTimeout)
	defer timeout.Stop()
	for {
		select {
		case rep = <-c.replies:
			if rep.receipt == want {
				return rep, true
			}
		case <-l.down:
			// Every answer the socket carried is in c.replies by now.
			for {
				select {
				case rep = <-c.replies:
					if rep.receipt == want {
						return rep, true
					}
				default:
					return reply{}, false
				}
			}
		case <-timeout.C:
			c.r.count.replyTimeouts.Add(1)
			c.r.errs.add("message %d: no answer within %v; sent again", m.idx, c.r.opt.ReplyTimeout)
			return reply{}, false
		case <-ctx.Done():
			return reply{}, false
		}
	}
}

// waitOpen returns the open socket, waiting while the client reconnects.
func (c *client) waitOpen(ctx context.Context) (*link, error) {
	for {
		c.mu.Lock()
		l, up := c.cur, c.up
		c.mu.Unlock()
		if l != nil {
			return l, nil
		}
		if c.ended.Load() {
			return nil, errors.New("its socket is closed for good")
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
			// Poll for ended: a client that gives up never opens again.
		}
	}
}
