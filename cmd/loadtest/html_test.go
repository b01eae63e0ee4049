package main

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"hxchat/chat"
	"hxchat/views"
)

// These tests parse what the real templates render, so that a change in
// views/ that the tool would misread fails here, not in a load run.

func render(t *testing.T, c templ.Component) []byte {
	t.Helper()
	b, err := views.Bytes(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func msg(seq int64, body string) chat.Message {
	return chat.Message{Room: 7, Seq: seq, Author: chat.User{ID: 3, Name: "member3"}, Body: body, CreatedAt: time.Unix(1e9, 0)}
}

func TestParseFragmentMessages(t *testing.T) {
	b, err := views.Fragments{}.Messages(7, []chat.Message{msg(12, "lt-ab-1-2-"), msg(13, "a <b> & c")})
	if err != nil {
		t.Fatal(err)
	}
	var f fragment
	if err := parseFragment(b, &f); err != nil {
		t.Fatal(err)
	}
	if got, want := len(f.items), 2; got != want {
		t.Fatalf("items: got %d, want %d", got, want)
	}
	if f.items[0].seq != 12 || f.items[0].author != 3 || string(f.items[0].body) != "lt-ab-1-2-" {
		t.Errorf("first item: got %+v (body %q)", f.items[0], f.items[0].body)
	}
	if got, want := string(f.items[1].body), "a &lt;b&gt; &amp; c"; got != want {
		t.Errorf("escaped body: got %q, want %q", got, want)
	}
	if f.replaced || f.presence || f.token != "" || f.refusal != "" || f.olderBefore != 0 {
		t.Errorf("a message frame read as more: %+v", f)
	}
}

func TestParseFragmentReplacedLog(t *testing.T) {
	page := chat.Page{Messages: []chat.Message{msg(60, "x"), msg(61, "y")}, More: true}
	b, err := views.Fragments{}.Log(7, page)
	if err != nil {
		t.Fatal(err)
	}
	var f fragment
	if err := parseFragment(b, &f); err != nil {
		t.Fatal(err)
	}
	if !f.replaced || len(f.items) != 2 || f.olderBefore != 60 {
		t.Errorf("got replaced=%v items=%d olderBefore=%d, want true, 2, 60", f.replaced, len(f.items), f.olderBefore)
	}
}

func TestParseFragmentPresenceAndReplies(t *testing.T) {
	p := chat.Presence{Room: 7, Online: []chat.User{{ID: 1, Name: "ann"}}, Total: 1, Joined: []chat.User{{ID: 1, Name: "ann"}}}
	b, err := views.Fragments{}.Presence(p)
	if err != nil {
		t.Fatal(err)
	}
	var f fragment
	if err := parseFragment(b, &f); err != nil {
		t.Fatal(err)
	}
	if !f.presence || len(f.items) != 0 {
		t.Errorf("presence: got presence=%v items=%d, want true, 0 (a notice is not a message)", f.presence, len(f.items))
	}

	if err := parseFragment(render(t, views.Sent(views.SendForm{Room: 7, Token: "tok_1-2"})), &f); err != nil {
		t.Fatal(err)
	}
	if f.token != "tok_1-2" || f.refusal != "" {
		t.Errorf("sent: got token %q refusal %q, want tok_1-2 and none", f.token, f.refusal)
	}

	if err := parseFragment(render(t, views.SendFailed(chat.Fail(chat.TooFast))), &f); err != nil {
		t.Fatal(err)
	}
	if f.token != "" || f.refusal != views.ErrorText(chat.Fail(chat.TooFast)) {
		t.Errorf("refused: got token %q refusal %q", f.token, f.refusal)
	}
}

func TestParsePage(t *testing.T) {
	b := render(t, views.Room(views.RoomPage{
		Layout: views.Layout{Title: "General", Me: chat.User{ID: 3, Name: "member3"}, CSRF: "c"},
		Room:   chat.Room{ID: 7, Name: "General"},
		Page:   chat.Page{Messages: []chat.Message{msg(41, "x"), msg(42, "y")}},
		Send:   views.SendForm{Room: 7, Token: "abc_-1"},
	}))
	p, err := parsePage(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.token != "abc_-1" || p.after != 42 {
		t.Errorf("got %+v, want token abc_-1 after 42", p)
	}
}

func TestParseRooms(t *testing.T) {
	b := render(t, views.Rooms(views.RoomsPage{
		Layout: views.Layout{Title: "Rooms", CSRF: "csrf-tok"},
		Rooms:  views.RoomList{Rooms: []chat.Room{{ID: 4, Name: "load-bigroom-0"}, {ID: 9, Name: "Random"}}},
		Form:   views.RoomForm{CSRF: "csrf-tok"},
	}))
	csrf, rooms, err := parseRooms(b)
	if err != nil {
		t.Fatal(err)
	}
	if csrf != "csrf-tok" || rooms["load-bigroom-0"] != 4 || rooms["Random"] != 9 {
		t.Errorf("got csrf %q rooms %v", csrf, rooms)
	}
}

func TestParseJoinedFragments(t *testing.T) {
	// The server may join queued fragments into one frame.
	a, _ := views.Fragments{}.Messages(7, []chat.Message{msg(5, "a")})
	p, _ := views.Fragments{}.Presence(chat.Presence{Room: 7, Online: []chat.User{{ID: 1, Name: "ann"}}, Total: 1})
	b, _ := views.Fragments{}.Messages(7, []chat.Message{msg(6, "b"), msg(7, "c")})
	sent := render(t, views.Sent(views.SendForm{Room: 7, Token: "t2"}))
	frame := append(append(append(append([]byte(nil), a...), p...), sent...), b...)
	var f fragment
	if err := parseFragment(frame, &f); err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, it := range f.items {
		seqs = append(seqs, it.seq)
	}
	if len(seqs) != 3 || seqs[0] != 5 || seqs[2] != 7 || !f.presence || f.token != "t2" || f.refusal != "" {
		t.Errorf("got seqs %v presence %v token %q refusal %q", seqs, f.presence, f.token, f.refusal)
	}
}

func TestParseItemFaults(t *testing.T) {
	// Hand-written frames, as views/ would never render them: each must
	// be refused, not read as another message.
	tests := []struct {
		name, frame, want string
	}{
		{"no body", `<li id="m5" data-seq="5" data-author="1"><span>a</span></li><li id="m6" data-seq="6" data-author="1"><p class="x">b</p></li>`, "without a body"},
		{"no </p>", `<li id="m5" data-seq="5" data-author="1"><p class="x">a</li>`, "missing </p>"},
		{"no </p> before the next message", `<li id="m5" data-seq="5" data-author="1"><p class="x">a</li><li id="m6" data-seq="6" data-author="1"><p class="x">b</p></li>`, "missing </p>"},
		{"no </li>", `<li id="m5" data-seq="5" data-author="1"><p class="x">a</p>`, "without </li>"},
		{"cut in the start tag", `<li id="m5" data-seq="5"`, "without </li>"},
		{"no data-seq", `<li id="m5" data-author="1"><p class="x">a</p></li>`, "data-seq"},
		{"data-seq not a number", `<li id="m5" data-seq="x" data-author="1"><p class="x">a</p></li>`, "data-seq"},
		{"no data-author", `<li id="m5" data-seq="5"><p class="x">a</p></li>`, "data-author"},
		{"data-author only in the body", `<li id="m5" data-seq="5"><p class="x"> data-author="1"</p></li>`, "data-author"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f fragment
			err := parseFragment([]byte(tt.frame), &f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v (items %+v), want an error about %s", err, f.items, tt.want)
			}
		})
	}
}

func TestParseItemSkipsWhatItDoesNotNeed(t *testing.T) {
	// Tags and slashes before the body, and markup between </p> and
	// </li>, are passed over.
	frame := `<li id="m9" class="a/b" data-author="4" data-seq="9"><div><span>x/y</span><time>1</time></div>` +
		`<p class="c">a/b &amp; c</p><small>edited</small></li><input id="resume-after" value="9">`
	var f fragment
	if err := parseFragment([]byte(frame), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.items) != 1 || f.items[0].seq != 9 || f.items[0].author != 4 || string(f.items[0].body) != "a/b &amp; c" {
		t.Errorf("got %+v", f.items)
	}
}

func TestParseBigroomFrame(t *testing.T) {
	// A frame as the hub joins a busy room's queue: every message, in
	// order, and parsing it again reuses the items.
	const batch = 24
	r := testRun(0, batch)
	frame := bigroomFrames(t, r, 1, batch)[0]
	var f fragment
	for range 2 {
		if err := parseFragment(frame, &f); err != nil {
			t.Fatal(err)
		}
		if got := len(f.items); got != batch {
			t.Fatalf("items: got %d, want %d", got, batch)
		}
		for i, it := range f.items {
			idx, sched, ours := r.parseBody(it.body)
			if it.seq != int64(i+1) || !ours || idx != i || sched != r.msgs[i].sched {
				t.Errorf("item %d: got Seq %d, body %q (message %d, due %v)", i, it.seq, it.body, idx, sched)
			}
		}
	}
	if allocs := testing.AllocsPerRun(10, func() { _ = parseFragment(frame, &f) }); allocs != 0 {
		t.Errorf("parsing a frame again: %v allocations, want 0", allocs)
	}
}

// BenchmarkParseFragment is the parser's share of BenchmarkHandleFrame.
func BenchmarkParseFragment(b *testing.B) {
	const batch = 24
	r := testRun(0, batch)
	r.id, r.bodyPrefix = "1a2b3c4d", "lt-1a2b3c4d-"
	frame := bigroomFrames(b, r, 1, batch)[0]
	var f fragment
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := parseFragment(frame, &f); err != nil || len(f.items) != batch {
			b.Fatalf("got %d items, %v", len(f.items), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/delivery")
}

func TestParseInvitation(t *testing.T) {
	b := render(t, views.Admin(views.AdminPage{
		Layout:    views.Layout{Title: "Administration", CSRF: "c", SignedIn: true, Admin: true},
		InviteURL: "http://127.0.0.1:18090/join/9f8YkQ2m-c1x_n4",
	}))
	got, err := parseInvitation(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := "9f8YkQ2m-c1x_n4"; got != want {
		t.Errorf("got code %q, want %q", got, want)
	}
	if _, err := parseInvitation([]byte(`<input value="http://x/login">`)); err == nil {
		t.Error("a page without the invitation link gave a code")
	}
}

func TestFormAlert(t *testing.T) {
	// A refused signup says why, which the tool's error repeats.
	b := render(t, views.Join(views.JoinPage{
		Layout: views.Layout{Title: "Join hxchat", CSRF: "c"},
		Form: views.AccountForm{CSRF: "c", Action: "/join/x", Name: "load-p1", Email: "p1@load.invalid",
			Err: &chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: "load-p1"}},
	}))
	m := formAlert.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no alert found in\n%s", b)
	}
	if got := html.UnescapeString(string(m[1])); !strings.Contains(got, `"load-p1"`) {
		t.Errorf("got alert %q, want the name taken in it", got)
	}
	if m := csrfInput.FindSubmatch(b); m == nil || string(m[1]) != "c" {
		t.Errorf("join form's csrf token: got %q, want %q", m, "c")
	}
}
