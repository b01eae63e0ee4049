package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hxchat/chat"
)

// mustCreateLink stores a link with digest for user until expires, or
// fails t.
func mustCreateLink(t *testing.T, s chat.Store, digest string, user int64, expires time.Time) {
	t.Helper()
	if err := s.CreateLink(t.Context(), digest, user, expires); err != nil {
		t.Fatalf("CreateLink(%q): %v", digest, err)
	}
}

func testLinks(t *testing.T, open func(t *testing.T) chat.Store) {
	expires := t0.Add(time.Hour)
	expired := chat.Error{Reason: chat.LinkExpired}

	t.Run("TakenOnce", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		mustCreateLink(t, s, "digest1", a.ID, expires)
		for range 2 {
			if got, err := s.Link(t.Context(), "digest1", t0); err != nil || got != a.ID {
				t.Errorf("Link: got %d, %v, want %d, and the link left in place", got, err, a.ID)
			}
		}
		_, err := s.Link(t.Context(), "digest1", expires.Add(time.Millisecond))
		wantError(t, "Link after its time", err, expired)
		if got, err := s.TakeLink(t.Context(), "digest1", t0); err != nil || got != a.ID {
			t.Errorf("TakeLink: got %d, %v, want %d", got, err, a.ID)
		}
		_, err = s.TakeLink(t.Context(), "digest1", t0)
		wantError(t, "TakeLink again", err, expired)
		_, err = s.Link(t.Context(), "digest1", t0)
		wantError(t, "Link of a taken link", err, expired)
		_, err = s.TakeLink(t.Context(), "digest2", t0)
		wantError(t, "TakeLink of an unknown digest", err, expired)
	})

	t.Run("Expiry", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		tests := []struct {
			name   string
			now    time.Time
			wantOK bool
		}{
			{"long before", t0, true},
			{"a moment before", expires.Add(-time.Microsecond), true},
			{"at the time", expires, true},
			{"a moment after", expires.Add(time.Microsecond), false},
			{"long after", expires.Add(time.Hour), false},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				digest := fmt.Sprint("digest", i)
				mustCreateLink(t, s, digest, a.ID, expires)
				got, err := s.TakeLink(t.Context(), digest, tt.now)
				if !tt.wantOK {
					wantError(t, "TakeLink of an expired link", err, expired)
					// It is gone, not only refused.
					_, err = s.TakeLink(t.Context(), digest, t0)
					wantError(t, "TakeLink of an expired link, in time again", err, expired)
					return
				}
				if err != nil || got != a.ID {
					t.Errorf("TakeLink: got %d, %v, want %d", got, err, a.ID)
				}
			})
		}
	})

	t.Run("Replaced", func(t *testing.T) {
		// Only the newest link made for a person works; setup links,
		// for nobody yet, replace each other too.
		s := open(t)
		a, b := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		mustCreateLink(t, s, "ada-old", a.ID, expires)
		mustCreateLink(t, s, "bo", b.ID, expires)
		mustCreateLink(t, s, "setup-old", 0, expires)
		mustCreateLink(t, s, "ada-new", a.ID, expires)
		mustCreateLink(t, s, "setup-new", 0, expires)
		tests := []struct {
			digest string
			want   int64
			err    *chat.Error
		}{
			{"ada-old", 0, &expired},
			{"setup-old", 0, &expired},
			{"ada-new", a.ID, nil},
			{"bo", b.ID, nil},
			{"setup-new", 0, nil},
		}
		for _, tt := range tests {
			got, err := s.TakeLink(t.Context(), tt.digest, t0)
			if tt.err != nil {
				wantError(t, fmt.Sprintf("TakeLink(%q)", tt.digest), err, *tt.err)
			} else if err != nil || got != tt.want {
				t.Errorf("TakeLink(%q): got %d, %v, want %d", tt.digest, got, err, tt.want)
			}
		}
	})

	t.Run("TakenOnceByConcurrentCallers", func(t *testing.T) {
		// A link opened twice at once, say by a mail scanner and the
		// person.
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		mustCreateLink(t, s, "digest1", a.ID, expires)
		const takers = 8
		errs := make([]error, takers)
		var wg sync.WaitGroup
		for i := range takers {
			wg.Go(func() {
				var got int64
				got, errs[i] = s.TakeLink(t.Context(), "digest1", t0)
				if errs[i] == nil && got != a.ID {
					t.Errorf("taker %d: got user %d, want %d", i, got, a.ID)
				}
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch e := chat.AsError(err); {
			case err == nil:
				won++
			case e == nil || e.Reason != chat.LinkExpired:
				t.Errorf("taker %d: got %v, want success or reason %s", i, err, chat.LinkExpired)
			}
		}
		if won != 1 {
			t.Errorf("got %d takers given the link, want exactly 1", won)
		}
	})
}
