package chat_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/store/sqlite"
)

// recorder is a Sink that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []chat.Event
}

func (r *recorder) Deliver(ev chat.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) Resync() {}

// broker delivers straight to a recorder, as broker/local does.
type broker struct{ sink *recorder }

func (b broker) Publish(_ context.Context, ev chat.Event) error {
	b.sink.Deliver(ev)
	return nil
}

var now = time.Date(2026, time.November, 24, 12, 0, 0, 0, time.UTC)

// MustService returns a service on an in-memory SQLite store, with one
// room and one member, and the recorder of what it publishes.
func MustService(t *testing.T) (*chat.Service, chat.Room, chat.User, *recorder) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &recorder{}
	svc := chat.NewService(slog.New(slog.NewTextHandler(io.Discard, nil)), st, broker{rec}, func() time.Time { return now }, chat.Limits{})
	room, err := svc.CreateRoom(t.Context(), "", "General")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.NewUser(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return svc, room, u, rec
}

func TestPostValidates(t *testing.T) {
	tests := []struct {
		name, body, token string
		// want is the refusal; nil for a stored post.
		want *chat.Error
	}{
		{"ok", "hello", "tok", nil},
		{"trimmed", "  hello  ", "tok", nil},
		{"exactly the limit", strings.Repeat("é", chat.MaxBody), "tok", nil},
		{"empty", "", "tok", &chat.Error{Reason: chat.Empty, Field: chat.FieldBody}},
		{"blank", " \n\t ", "tok", &chat.Error{Reason: chat.Empty, Field: chat.FieldBody}},
		{"one over the limit", strings.Repeat("é", chat.MaxBody+1), "tok",
			&chat.Error{Reason: chat.TooLong, Field: chat.FieldBody, Limit: chat.MaxBody, Length: chat.MaxBody + 1}},
		{"no token", "hello", "", &chat.Error{Reason: chat.Expired}},
		{"token with other characters", "hello", "a b", &chat.Error{Reason: chat.Expired}},
		{"token too long", "hello", strings.Repeat("a", chat.MaxToken+1), &chat.Error{Reason: chat.Expired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, room, u, rec := MustService(t)
			m, dup, err := svc.Post(t.Context(), chat.Post{Room: room.ID, Author: u, Body: tt.body, Token: tt.token})
			if !sameError(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				if len(rec.events) != 0 {
					t.Errorf("published %d events for a refused post, want none", len(rec.events))
				}
				return
			}
			if dup || m.Seq != 1 || m.Body != strings.TrimSpace(tt.body) || !m.CreatedAt.Equal(now) {
				t.Errorf("got %+v (duplicate %v), want seq 1, the trimmed text, stored at %v", m, dup, now)
			}
			if len(rec.events) != 1 || rec.events[0].Message.Seq != 1 {
				t.Errorf("published %+v, want the message once", rec.events)
			}
		})
	}
}

func TestPostResendAndSecondText(t *testing.T) {
	svc, room, u, rec := MustService(t)
	post := func(body string) (chat.Message, bool) {
		t.Helper()
		m, dup, err := svc.Post(t.Context(), chat.Post{Room: room.ID, Author: u, Body: body, Token: "form1"})
		if err != nil {
			t.Fatal(err)
		}
		return m, dup
	}
	first, _ := post("first")
	again, dup := post("first")
	if !dup || again.ID != first.ID {
		t.Errorf("resend: got %+v duplicate %v, want the first message back", again, dup)
	}
	second, dup := post("second")
	if dup || second.Seq != 2 {
		t.Errorf("other text from the same form: got %+v duplicate %v, want a new message with seq 2", second, dup)
	}
	// A resend is published again, in case its first publish was lost.
	var seqs []int64
	for _, ev := range rec.events {
		seqs = append(seqs, ev.Message.Seq)
	}
	if want := []int64{1, 1, 2}; !slices.Equal(seqs, want) {
		t.Errorf("published seqs %v, want %v", seqs, want)
	}
}

func TestPostRateLimitedPerPerson(t *testing.T) {
	// The clock stands still, so only the burst (10 by default) passes.
	svc, room, u, _ := MustService(t)
	other, err := svc.NewUser(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	post := func(by chat.User, i int) error {
		_, _, err := svc.Post(t.Context(), chat.Post{Room: room.ID, Author: by, Body: "hi", Token: "t" + strconv.Itoa(i)})
		return err
	}
	for i := range 10 {
		if err := post(u, i); err != nil {
			t.Fatalf("post %d of the burst: %v", i, err)
		}
	}
	if err := post(u, 10); !sameError(err, &chat.Error{Reason: chat.TooFast}) {
		t.Errorf("post 11: got %v, want too fast: the limit is the person's, whatever connection sends", err)
	}
	if err := post(other, 11); err != nil {
		t.Errorf("another person's post: got %v, want it stored", err)
	}
	if got := svc.Refused()["sends"]; got != 1 {
		t.Errorf("refused sends: got %d, want 1", got)
	}
}

func TestRoomsAndRenamesRateLimited(t *testing.T) {
	svc, _, u, _ := MustService(t)
	for i := range 10 {
		if _, err := svc.CreateRoom(t.Context(), "addr:192.0.2.1", "Room "+strconv.Itoa(i)); err != nil {
			t.Fatalf("room %d: %v", i, err)
		}
	}
	_, err := svc.CreateRoom(t.Context(), "addr:192.0.2.1", "One too many")
	if !sameError(err, &chat.Error{Reason: chat.TooManyRooms, Limit: 10}) {
		t.Errorf("room 11 within the hour: got %v, want too many rooms", err)
	}
	if _, err := svc.CreateRoom(t.Context(), "addr:192.0.2.2", "From elsewhere"); err != nil {
		t.Errorf("a room from another address: %v", err)
	}
	for i := range 6 {
		if _, err := svc.Rename(t.Context(), u, "Name "+strconv.Itoa(i)); err != nil {
			t.Fatalf("rename %d: %v", i, err)
		}
	}
	if _, err := svc.Rename(t.Context(), u, "Seventh"); !sameError(err, &chat.Error{Reason: chat.TooManyRenames, Limit: 6}) {
		t.Errorf("rename 7 within the minute: got %v, want too many renames", err)
	}
	if got, want := svc.Refused(), map[string]int64{"sends": 0, "rooms": 1, "renames": 1, "new_people": 0, "connections": 0, "sign_ins": 0}; !maps.Equal(got, want) {
		t.Errorf("refused: got %v, want %v", got, want)
	}
}

func TestConnectionsCapped(t *testing.T) {
	svc, _, _, _ := MustService(t)
	var releases []func()
	for i := range 20 {
		release, err := svc.Connect("person:1")
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		releases = append(releases, release)
	}
	if _, err := svc.Connect("person:1"); !sameError(err, &chat.Error{Reason: chat.TooManyConnections, Limit: 20}) {
		t.Fatalf("connection 21: got %v, want too many connections", err)
	}
	if _, err := svc.Connect("person:2"); err != nil {
		t.Errorf("another person's first connection: %v", err)
	}
	releases[0]()
	releases[0]() // a second release of the same slot gives back nothing more
	if _, err := svc.Connect("person:1"); err != nil {
		t.Errorf("a connection after one closed: %v", err)
	}
	if _, err := svc.Connect("person:1"); err == nil {
		t.Errorf("a second connection after one closed: got none, want too many connections")
	}
}

func TestNewPeopleRateLimitedPerAddress(t *testing.T) {
	svc, _, _, _ := MustService(t)
	for i := range 60 {
		if err := svc.AllowNewPerson("192.0.2.1"); err != nil {
			t.Fatalf("new person %d: %v", i, err)
		}
	}
	if err := svc.AllowNewPerson("192.0.2.1"); !sameError(err, &chat.Error{Reason: chat.TooManyPeople, Limit: 60}) {
		t.Errorf("new person 61 within the hour: got %v, want too many people", err)
	}
	if err := svc.AllowNewPerson("192.0.2.2"); err != nil {
		t.Errorf("a new person from another address: %v", err)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		// want is the refusal's reason and lengths; nil for a new name.
		want *chat.Error
	}{
		{"Design", nil},
		{"  Trimmed  ", nil},
		{"", &chat.Error{Reason: chat.Empty}},
		{"   ", &chat.Error{Reason: chat.Empty}},
		{strings.Repeat("x", chat.MaxDisplayName+1), &chat.Error{Reason: chat.TooLong, Limit: chat.MaxDisplayName, Length: chat.MaxDisplayName + 1}},
		{"bell\a", &chat.Error{Reason: chat.ControlCharacters}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, u, _ := MustService(t)
			got, err := svc.Rename(t.Context(), u, tt.name)
			want := tt.want
			if want != nil {
				want = &chat.Error{Reason: want.Reason, Field: chat.FieldDisplayName, Limit: want.Limit, Length: want.Length}
			}
			if !sameError(err, want) {
				t.Fatalf("rename: got error %v, want %v", err, want)
			}
			if tt.want == nil && got.Name != strings.TrimSpace(tt.name) {
				t.Errorf("rename: got %q, want %q", got.Name, strings.TrimSpace(tt.name))
			}
		})
	}
	t.Run("duplicate room name", func(t *testing.T) {
		svc, _, _, _ := MustService(t)
		if _, err := svc.CreateRoom(t.Context(), "", "general"); chat.ErrorCode(err) != chat.Conflict {
			t.Errorf("got %v, want a conflict with General", err)
		}
	})
}

func TestPageOf(t *testing.T) {
	msgs := func(seqs ...int64) []chat.Message {
		var out []chat.Message
		for _, s := range seqs {
			out = append(out, chat.Message{Seq: s})
		}
		return out
	}
	tests := []struct {
		name     string
		in       []chat.Message
		limit    int
		wantSeqs []int64
		wantMore bool
	}{
		{"more than a page", msgs(5, 4, 3), 2, []int64{4, 5}, true},
		{"exactly a page", msgs(2, 1), 2, []int64{1, 2}, false},
		{"empty", nil, 2, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := chat.PageOf(tt.in, tt.limit)
			var got []int64
			for _, m := range p.Messages {
				got = append(got, m.Seq)
			}
			if !slices.Equal(got, tt.wantSeqs) || p.More != tt.wantMore {
				t.Errorf("got %v more=%v, want %v more=%v", got, p.More, tt.wantSeqs, tt.wantMore)
			}
		})
	}
}

// sameError reports whether err is want: both nil, or a *chat.Error with
// the same reason and facts.
func sameError(err error, want *chat.Error) bool {
	if want == nil {
		return err == nil
	}
	got := chat.AsError(err)
	return got != nil && *got == *want
}
