package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"hxchat/chat"
)

// constant returns a generate function for Secret that yields v and
// counts its calls in n.
func constant(v string, n *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*n++
		return []byte(v), nil
	}
}

func testSecret(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("GeneratedOnceThenStable", func(t *testing.T) {
		s := open(t)
		var calls int
		tests := []struct {
			name, generates, want string
			wantCalls             int
		}{
			{"cookie", "first", "first", 1},
			{"cookie", "second", "first", 1}, // stored: generate not called
			{"csrf", "other", "other", 2},    // names are independent
			{"cookie", "third", "first", 2},
		}
		for i, tt := range tests {
			got, err := s.Secret(t.Context(), tt.name, constant(tt.generates, &calls))
			if err != nil || string(got) != tt.want || calls != tt.wantCalls {
				t.Errorf("call %d, Secret(%q): got %q, %v after %d generate calls, want %q after %d",
					i, tt.name, got, err, calls, tt.want, tt.wantCalls)
			}
		}
	})

	t.Run("GenerateFails", func(t *testing.T) {
		s := open(t)
		boom := errors.New("no entropy")
		_, err := s.Secret(t.Context(), "cookie", func() ([]byte, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Errorf("Secret with a failing generate: got %v, want an error wrapping %v", err, boom)
		}
		// The failure stored nothing, so the next call generates.
		var calls int
		got, err := s.Secret(t.Context(), "cookie", constant("later", &calls))
		if err != nil || string(got) != "later" || calls != 1 {
			t.Errorf("Secret after a failure: got %q, %v after %d calls, want %q after 1", got, err, calls, "later")
		}
	})

	t.Run("ConcurrentCallersAgree", func(t *testing.T) {
		s := open(t)
		const callers = 8
		got := make([][]byte, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				v, err := s.Secret(t.Context(), "cookie", func() ([]byte, error) {
					return fmt.Appendf(nil, "value of caller %d", i), nil
				})
				if err != nil {
					t.Errorf("caller %d: Secret: %v", i, err)
				}
				got[i] = v
			})
		}
		wg.Wait()
		for i, v := range got {
			if len(v) == 0 || !bytes.Equal(v, got[0]) {
				t.Errorf("caller %d got %q, caller 0 got %q, want one value for all", i, v, got[0])
			}
		}
	})
}

func testSecretWrites(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("SetReplaces", func(t *testing.T) {
		s := open(t)
		var calls int
		for _, v := range []string{"first", "second", ""} {
			if err := s.SetSecret(t.Context(), "cookie", []byte(v)); err != nil {
				t.Fatalf("SetSecret(%q): %v", v, err)
			}
			got, err := s.Secret(t.Context(), "cookie", constant("generated", &calls))
			if err != nil || string(got) != v || calls != 0 {
				t.Errorf("Secret after SetSecret(%q): got %q, %v after %d generate calls, want %q and none", v, got, err, calls, v)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		if err := s.SetSecret(t.Context(), "cookie", []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSecret(t.Context(), "csrf", []byte("w")); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name string
			want bool
		}{{"cookie", true}, {"cookie", false}, {"unknown", false}}
		for i, st := range steps {
			if got, err := s.DeleteSecret(t.Context(), st.name); err != nil || got != st.want {
				t.Errorf("step %d, DeleteSecret(%q): got %v, %v, want %v", i, st.name, got, err, st.want)
			}
		}
		var calls int
		if got, err := s.Secret(t.Context(), "cookie", constant("new", &calls)); err != nil || string(got) != "new" || calls != 1 {
			t.Errorf("Secret after DeleteSecret: got %q, %v after %d calls, want a new value", got, err, calls)
		}
		if got, err := s.Secret(t.Context(), "csrf", constant("new", &calls)); err != nil || string(got) != "w" {
			t.Errorf("another secret after DeleteSecret: got %q, %v, want it kept", got, err)
		}
	})

	t.Run("DeletedOnceByConcurrentCallers", func(t *testing.T) {
		s := open(t)
		if err := s.SetSecret(t.Context(), "setup", []byte("v")); err != nil {
			t.Fatal(err)
		}
		const deleters = 8
		var (
			told atomic.Int64
			wg   sync.WaitGroup
		)
		for i := range deleters {
			wg.Go(func() {
				ok, err := s.DeleteSecret(t.Context(), "setup")
				if err != nil {
					t.Errorf("deleter %d: DeleteSecret: %v", i, err)
				}
				if ok {
					told.Add(1)
				}
			})
		}
		wg.Wait()
		if n := told.Load(); n != 1 {
			t.Errorf("got %d deleters told there was a value, want exactly 1", n)
		}
	})
}
