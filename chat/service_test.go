package chat_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

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
	room, err := svc.CreateRoom(t.Context(), "General")
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

func TestPostRateLimited(t *testing.T) {
	svc, room, u, _ := MustService(t)
	lim := rate.NewLimiter(rate.Every(time.Hour), 2)
	var codes []chat.Code
	for i := range 3 {
		_, _, err := svc.Post(t.Context(), chat.Post{Room: room.ID, Author: u, Body: "hi", Token: "t" + string(rune('a'+i)), Limiter: lim})
		codes = append(codes, chat.ErrorCode(err))
	}
	if want := []chat.Code{"", "", chat.TooMany}; !slices.Equal(codes, want) {
		t.Errorf("codes %q, want %q", codes, want)
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
		if _, err := svc.CreateRoom(t.Context(), "general"); chat.ErrorCode(err) != chat.Conflict {
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
