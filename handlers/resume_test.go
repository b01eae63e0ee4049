package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"hxchat/store/storetest"
)

func TestResume(t *testing.T) {
	t.Parallel()
	const page = 50 // the default page size
	cases := []struct {
		name string
		// missed is how many messages are posted while the page is away.
		missed int
		// after is what the page says it holds, given what it held (held)
		// and what the store holds now (last).
		after func(held, last int64) int64
		// wantLog: the whole log comes back instead of the missed messages.
		wantLog bool
	}{
		{name: "a few missed", missed: 4, after: func(held, _ int64) int64 { return held }},
		{name: "nothing missed", missed: 0, after: func(held, _ int64) int64 { return held }},
		{name: "exactly a page missed", missed: page, after: func(held, _ int64) int64 { return held }},
		{name: "more than a page missed", missed: page + 1, after: func(held, _ int64) int64 { return held }, wantLog: true},
		{name: "after beyond the store", missed: 2, after: func(_, last int64) int64 { return last + 100 }, wantLog: true},
		{name: "from the start", missed: 3, after: func(int64, int64) int64 { return 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := MustStart(t, options{})
			const held = 3
			s.MustPostDirect(t, s.general.ID, held)
			a := dial(t, s, s.general)
			a.MustClose(t)
			s.waitConnections(t, 0)
			last := held + int64(tc.missed)
			if tc.missed > 0 {
				s.MustPostDirect(t, s.general.ID, tc.missed)
			}

			after := tc.after(held, last)
			again := a.b.MustConnect(t, s.general.ID, after)
			caught := again.MustLive(t)
			var got []int64
			switch {
			case tc.wantLog:
				if len(caught) != 1 || kindOf(t, caught[0]) != kindLog {
					t.Fatalf("catch-up: got %q, want one whole log", caught)
				}
				root := parseFrame(t, caught[0])
				got = seqsOf(messagesIn(root))
				want := storetest.SeqRange(max(1, last-page+1), last)
				if !slices.Equal(got, want) {
					t.Errorf("whole log: got %v, want %v", got, want)
				}
				wantOlder := last > page
				if older := byID(root, "older"); (older != nil) != wantOlder {
					t.Errorf("Load older control: got %v, want %v", older != nil, wantOlder)
				}
				if a := resumeAfter(t, root); a != last {
					t.Errorf("resume-after: got %d, want %d", a, last)
				}
			case last > after:
				if len(caught) != 1 || kindOf(t, caught[0]) != kindMessages {
					t.Fatalf("catch-up: got %q, want one frame of messages", caught)
				}
				root := parseFrame(t, caught[0])
				got = seqsOf(messagesIn(root))
				if want := storetest.SeqRange(after+1, last); !slices.Equal(got, want) {
					t.Errorf("missed messages: got %v, want %v", got, want)
				}
				if a := resumeAfter(t, root); a != last {
					t.Errorf("resume-after: got %d, want %d", a, last)
				}
			default:
				if len(caught) != 0 {
					t.Errorf("catch-up: got %q, want nothing", caught)
				}
			}

			// Live again, and nothing comes twice.
			b := dial(t, s, s.general)
			marker := b.MustPost(t, "marker")
			if got := again.MustNextMessages(t); !slices.Equal(seqsOf(got), []int64{marker}) || marker != last+1 {
				t.Errorf("after catching up: got %v, want only the marker %d", seqsOf(got), last+1)
			}
		})
	}
}

// TestResumeWhileLive checks that messages posted between the socket's
// opening and the page's resume form reach the page once, in order: they
// are both in the store and in the connection's queue.
func TestResumeWhileLive(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	a := dial(t, s, s.general)
	b := dial(t, s, s.general)
	held := b.MustPost(t, "one")
	if got := seqsOf(a.MustNextMessages(t)); !slices.Equal(got, []int64{held}) {
		t.Fatalf("a: got %v, want %d", got, held)
	}
	a.MustClose(t)
	if got, want := notices(t, []string{b.MustNext(t)}), []string{a.name + " left"}; !slices.Equal(got, want) {
		t.Fatalf("b: got %q, want %q", got, want)
	}
	for i := range 3 {
		b.MustPost(t, fmt.Sprintf("missed %d", i))
	}

	// The socket opens: the connection joins, and what is posted now is
	// queued for it, but the page has not said what it holds yet.
	conn := a.b.MustDial(t, s.general.ID, http.Header{"Origin": {s.srv.URL}})
	again := &client{b: a.b, room: s.general.ID, conn: conn}
	if got, want := notices(t, []string{b.MustNext(t)}), []string{a.name + " joined"}; !slices.Equal(got, want) {
		t.Fatalf("b: got %q, want %q", got, want)
	}
	queued := []int64{b.MustPost(t, "queued 1"), b.MustPost(t, "queued 2")}
	again.MustSendJSON(t, map[string]any{"after": strconv.FormatInt(held, 10), "HEADERS": headers("resume", again.pageURL())})

	var got []int64
	for _, f := range again.MustLive(t) {
		got = append(got, seqsOf(messagesIn(parseFrame(t, f)))...)
	}
	marker := b.MustPost(t, "marker")
	for len(got) == 0 || got[len(got)-1] != marker {
		got = append(got, seqsOf(again.MustNextMessages(t))...)
	}
	if want := storetest.SeqRange(held+1, marker); !slices.Equal(got, want) || queued[1] != marker-1 {
		t.Errorf("reconnected page got %v, want %v once each", got, want)
	}
}

// TestSecondResume: a page that sends the resume form again on a live
// socket gets the whole log, not duplicates.
func TestSecondResume(t *testing.T) {
	t.Parallel()
	s := MustStart(t, options{})
	s.MustPostDirect(t, s.general.ID, 2)
	a := dial(t, s, s.general)
	a.MustSendJSON(t, map[string]any{"after": "0", "HEADERS": headers("resume", a.pageURL())})
	f := a.MustNextContent(t)
	if k := kindOf(t, f); k != kindLog {
		t.Fatalf("second resume: got %s %q, want the whole log", k, f)
	}
	if got := seqsOf(messagesIn(parseFrame(t, f))); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("whole log: got %v, want [1 2]", got)
	}
}
