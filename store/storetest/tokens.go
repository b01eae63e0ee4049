package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hxchat/chat"
)

// tokenDiff describes how got differs from want, or returns "".
func tokenDiff(got, want chat.Token) string {
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		return fmt.Sprintf("CreatedAt %v, want %v in UTC", got.CreatedAt, want.CreatedAt)
	}
	if got.LastUsed.IsZero() != want.LastUsed.IsZero() || !want.LastUsed.IsZero() && !sameTime(got.LastUsed, want.LastUsed) {
		return fmt.Sprintf("LastUsed %v, want %v in UTC", got.LastUsed, want.LastUsed)
	}
	got.CreatedAt, want.CreatedAt, got.LastUsed, want.LastUsed = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

// mustCreateToken stores a token of user named name with digest, made
// at t0, within max tokens, or fails t.
func mustCreateToken(t *testing.T, s chat.Store, user int64, name, digest string, max int) chat.Token {
	t.Helper()
	tok, err := s.CreateToken(t.Context(), chat.Token{User: user, Name: name, CreatedAt: t0}, digest, max)
	if err != nil {
		t.Fatalf("CreateToken(%d, %q): %v", user, name, err)
	}
	return tok
}

// tokenIDs returns the ID of each of ts.
func tokenIDs(ts []chat.Token) []int64 {
	s := []int64{}
	for _, t := range ts {
		s = append(s, t.ID)
	}
	return s
}

func testTokens(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("CreateThenRead", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		want := mustCreateToken(t, s, a.ID, "CI bot", "digest1", 20)
		if want.ID <= 0 || want.User != a.ID || want.Name != "CI bot" || !want.LastUsed.IsZero() {
			t.Errorf("CreateToken: got %+v, want an ID, Ada's, named, never used", want)
		}
		for what, read := range map[string]func() (chat.Token, chat.Account, error){
			"Token":         func() (chat.Token, chat.Account, error) { return s.Token(t.Context(), want.ID) },
			"TokenByDigest": func() (chat.Token, chat.Account, error) { return s.TokenByDigest(t.Context(), "digest1") },
		} {
			got, acc, err := read()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if d := tokenDiff(got, want); d != "" {
				t.Errorf("%s: %s", what, d)
			}
			if d := accountDiff(acc, a); d != "" {
				t.Errorf("%s's account: %s", what, d)
			}
		}
		at := t0.Add(5 * time.Minute)
		if err := s.TouchToken(t.Context(), want.ID, at); err != nil {
			t.Fatalf("TouchToken: %v", err)
		}
		want.LastUsed = at
		if got, _, err := s.Token(t.Context(), want.ID); err != nil || tokenDiff(got, want) != "" {
			t.Errorf("Token after TouchToken: got %+v, %v, want %+v", got, err, want)
		}
		if got, err := s.Tokens(t.Context(), a.ID); err != nil || len(got) != 1 || tokenDiff(got[0], want) != "" {
			t.Errorf("Tokens: got %+v, %v, want [%+v]", got, err, want)
		}
	})

	t.Run("ListedNewestFirst", func(t *testing.T) {
		s := open(t)
		a, b := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		first := mustCreateToken(t, s, a.ID, "first", "d1", 20)
		other := mustCreateToken(t, s, b.ID, "Bo's", "d2", 20)
		second := mustCreateToken(t, s, a.ID, "second", "d3", 20)
		tests := []struct {
			user int64
			want []int64
		}{
			{a.ID, []int64{second.ID, first.ID}},
			{b.ID, []int64{other.ID}},
			{b.ID + 1000, []int64{}},
		}
		for _, tt := range tests {
			got, err := s.Tokens(t.Context(), tt.user)
			if err != nil || !slices.Equal(tokenIDs(got), tt.want) {
				t.Errorf("Tokens(%d): got %v, %v, want %v", tt.user, tokenIDs(got), err, tt.want)
			}
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		tok := mustCreateToken(t, s, a.ID, "bot", "digest1", 20)
		_, _, err := s.Token(t.Context(), tok.ID+1000)
		wantError(t, "Token of an unknown ID", err, chat.Error{Reason: chat.SignedOut})
		_, _, err = s.TokenByDigest(t.Context(), "digest2")
		wantError(t, "TokenByDigest of an unknown digest", err, chat.Error{Reason: chat.SignedOut})
		err = s.TouchToken(t.Context(), tok.ID+1000, t0)
		wantError(t, "TouchToken of an unknown ID", err, chat.Error{Reason: chat.SignedOut})
		_, err = s.CreateToken(t.Context(), chat.Token{User: a.ID + 1000, Name: "bot", CreatedAt: t0}, "digest3", 20)
		wantError(t, "CreateToken of nobody", err, chat.Error{Reason: chat.NoMember})
		person := MustCreateUser(t, s)
		_, err = s.CreateToken(t.Context(), chat.Token{User: person.ID, Name: "bot", CreatedAt: t0}, "digest4", 20)
		wantError(t, "CreateToken of an open-mode person", err, chat.Error{Reason: chat.NoMember})
		_, err = s.CreateToken(t.Context(), chat.Token{User: a.ID, Name: "again", CreatedAt: t0}, "digest1", 20)
		if chat.ErrorCode(err) != chat.Conflict {
			t.Errorf("CreateToken with a digest stored already: got %v, want code %s", err, chat.Conflict)
		}
		if got, err := s.Tokens(t.Context(), a.ID); err != nil || !slices.Equal(tokenIDs(got), []int64{tok.ID}) {
			t.Errorf("Tokens after the refusals: got %v, %v, want only [%d]", tokenIDs(got), err, tok.ID)
		}
	})

	t.Run("Deactivated", func(t *testing.T) {
		// The store still finds the token; the service refuses it.
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		tok := mustCreateToken(t, s, a.ID, "bot", "digest1", 20)
		if err := s.SetDeactivated(t.Context(), a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, acc, err := s.Token(t.Context(), tok.ID); err != nil || !acc.Deactivated {
			t.Errorf("Token of a deactivated account: got %+v, %v, want it with Deactivated", acc, err)
		}
	})

	t.Run("Limit", func(t *testing.T) {
		s := open(t)
		a, b := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		const max = 3
		var made []chat.Token
		for i := range max {
			made = append(made, mustCreateToken(t, s, a.ID, fmt.Sprint("bot ", i), fmt.Sprint("a", i), max))
		}
		_, err := s.CreateToken(t.Context(), chat.Token{User: a.ID, Name: "one more", CreatedAt: t0}, "a-more", max)
		wantError(t, "CreateToken over the limit", err, chat.Error{Reason: chat.TooManyTokens, Limit: max})
		mustCreateToken(t, s, b.ID, "Bo's", "b0", max)
		if _, err := s.DeleteTokens(t.Context(), a.ID, made[0].ID); err != nil {
			t.Fatal(err)
		}
		again := mustCreateToken(t, s, a.ID, "in its place", "a-again", max)
		if again.ID <= made[len(made)-1].ID {
			t.Errorf("a new token after a deleted one: got ID %d, want above %d: an ID is never given twice", again.ID, made[len(made)-1].ID)
		}
	})

	t.Run("LimitUnderConcurrency", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		const max, tries = 5, 12
		var (
			wg               sync.WaitGroup
			mu               sync.Mutex
			created, refused int
		)
		for i := range tries {
			wg.Go(func() {
				_, err := s.CreateToken(t.Context(), chat.Token{User: a.ID, Name: "bot", CreatedAt: t0}, fmt.Sprint("d", i), max)
				mu.Lock()
				defer mu.Unlock()
				switch e := chat.AsError(err); {
				case err == nil:
					created++
				case e != nil && e.Reason == chat.TooManyTokens:
					refused++
				default:
					t.Errorf("CreateToken %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if created != max || refused != tries-max {
			t.Errorf("%d CreateTokens at once, limit %d: got %d created, %d refused", tries, max, created, refused)
		}
		if got, err := s.Tokens(t.Context(), a.ID); err != nil || len(got) != max {
			t.Errorf("Tokens: got %d, %v, want %d", len(got), err, max)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		a, b := MustCreateAccount(t, s, "Ada"), MustCreateAccount(t, s, "Bo")
		a1 := mustCreateToken(t, s, a.ID, "1", "a1", 20).ID
		a2 := mustCreateToken(t, s, a.ID, "2", "a2", 20).ID
		a3 := mustCreateToken(t, s, a.ID, "3", "a3", 20).ID
		b1 := mustCreateToken(t, s, b.ID, "1", "b1", 20).ID
		// In order: each step sees what the ones before left.
		steps := []struct {
			name string
			ids  []int64
			want []int64
		}{
			{"one", []int64{a1}, []int64{a1}},
			{"another's among them", []int64{b1, a2}, []int64{a2}},
			{"only another's", []int64{b1}, []int64{}},
			{"gone already", []int64{a1}, []int64{}},
			{"all", nil, []int64{a3}},
			{"all, none left", nil, []int64{}},
		}
		for _, st := range steps {
			got, err := s.DeleteTokens(t.Context(), a.ID, st.ids...)
			if err != nil || !slices.Equal(got, st.want) {
				t.Errorf("%s: DeleteTokens(Ada, %v): got %v, %v, want %v", st.name, st.ids, got, err, st.want)
			}
		}
		if _, _, err := s.Token(t.Context(), b1); err != nil {
			t.Errorf("Bo's token after deleting Ada's: %v, want it kept", err)
		}
		if _, _, err := s.TokenByDigest(t.Context(), "a3"); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.SignedOut {
			t.Errorf("TokenByDigest after DeleteTokens: got %v, want reason %s", err, chat.SignedOut)
		}
	})
}
