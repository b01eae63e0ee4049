package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
)

func testAccounts(t *testing.T, open func(t *testing.T) chat.Store) {
	t.Run("CreateThenRead", func(t *testing.T) {
		s := open(t)
		if has, err := s.HasAccounts(t.Context()); err != nil || has {
			t.Errorf("HasAccounts of an empty store: got %v, %v, want false", has, err)
		}
		a, err := s.CreateAccount(t.Context(), chat.NewAccount{
			Name: "Ada", Email: "Ada@Example.org", Hash: "h1", Admin: true, First: true, At: t0,
		})
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
		want := chat.Account{User: chat.User{ID: a.ID, Name: "Ada"}, Email: "Ada@Example.org", Admin: true, CreatedAt: t0}
		if d := accountDiff(a, want); a.ID <= 0 || d != "" {
			t.Errorf("CreateAccount: %s, want a positive ID", d)
		}
		reads := []struct {
			name string
			read func() (chat.Account, error)
		}{
			{"Account", func() (chat.Account, error) { return s.Account(t.Context(), a.ID) }},
			{"AccountByName in capitals", func() (chat.Account, error) { return s.AccountByName(t.Context(), "ADA") }},
			{"Credentials", func() (chat.Account, error) {
				got, hash, err := s.Credentials(t.Context(), " ada@EXAMPLE.org ")
				if err == nil && hash != "h1" {
					err = fmt.Errorf("hash %q, want h1", hash)
				}
				return got, err
			}},
		}
		for _, r := range reads {
			got, err := r.read()
			if err != nil {
				t.Errorf("%s: %v", r.name, err)
			} else if d := accountDiff(got, want); d != "" {
				t.Errorf("%s: %s", r.name, d)
			}
		}
		if has, err := s.HasAccounts(t.Context()); err != nil || !has {
			t.Errorf("HasAccounts with an account: got %v, %v, want true", has, err)
		}
	})

	t.Run("Taken", func(t *testing.T) {
		s := open(t)
		MustCreateAccount(t, s, "Ada")
		bo := MustCreateUser(t, s)
		if _, err := s.RenameUser(t.Context(), bo.ID, "Bo"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			in   chat.NewAccount
			want *chat.Error
		}{
			{"email in other case", chat.NewAccount{Name: "Cy", Email: "ADA@example.org"},
				&chat.Error{Reason: chat.Taken, Field: chat.FieldEmail, Value: "ADA@example.org"}},
			{"name of an account", chat.NewAccount{Name: "ａｄａ", Email: "cy@example.org"},
				&chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: "ａｄａ"}},
			{"name of an open-mode person", chat.NewAccount{Name: "BO", Email: "cy@example.org"},
				&chat.Error{Reason: chat.Taken, Field: chat.FieldDisplayName, Value: "BO"}},
			{"both, the email first", chat.NewAccount{Name: "Ada", Email: "ada@example.org"},
				&chat.Error{Reason: chat.Taken, Field: chat.FieldEmail, Value: "ada@example.org"}},
			{"first when there is one", chat.NewAccount{Name: "Dee", Email: "dee@example.org", First: true},
				&chat.Error{Reason: chat.SetupDone}},
			{"free", chat.NewAccount{Name: "Cy", Email: "cy@example.org"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.in.At = t0
				_, err := s.CreateAccount(t.Context(), tt.in)
				if tt.want == nil {
					if err != nil {
						t.Errorf("CreateAccount(%+v): %v, want a new account", tt.in, err)
					}
					return
				}
				wantError(t, fmt.Sprintf("CreateAccount(%q, %q)", tt.in.Name, tt.in.Email), err, *tt.want)
			})
		}
	})

	t.Run("OpenModePeopleAreNoAccounts", func(t *testing.T) {
		s := open(t)
		u := MustCreateUser(t, s)
		if has, err := s.HasAccounts(t.Context()); err != nil || has {
			t.Errorf("HasAccounts with only an open-mode person: got %v, %v, want false", has, err)
		}
		noMember := chat.Error{Reason: chat.NoMember}
		_, err := s.Account(t.Context(), u.ID)
		wantError(t, "Account of an open-mode person", err, noMember)
		_, err = s.Account(t.Context(), u.ID+1000)
		wantError(t, "Account of nobody", err, noMember)
		_, err = s.AccountByName(t.Context(), u.Name)
		wantError(t, "AccountByName of an open-mode person", err, noMember)
		_, _, err = s.Credentials(t.Context(), "nobody@example.org")
		wantError(t, "Credentials of an unknown email", err, noMember)
		for name, set := range map[string]func(id int64) error{
			"SetPassword":    func(id int64) error { return s.SetPassword(t.Context(), id, "h") },
			"SetAdmin":       func(id int64) error { return s.SetAdmin(t.Context(), id, true) },
			"SetDeactivated": func(id int64) error { return s.SetDeactivated(t.Context(), id, true) },
		} {
			wantError(t, name+" of an open-mode person", set(u.ID), noMember)
			wantError(t, name+" of nobody", set(u.ID+1000), noMember)
		}
		if got, err := s.Accounts(t.Context(), 0, 10); err != nil || len(got) != 0 {
			t.Errorf("Accounts with only an open-mode person: got %v, %v, want none", got, err)
		}
	})

	t.Run("AccountsPaged", func(t *testing.T) {
		s := open(t)
		// Open-mode people between the accounts must not show.
		var all []int64
		for _, name := range []string{"Ada", "Bo", "Cy", "Dee", "Eve"} {
			MustCreateUser(t, s)
			all = append(all, MustCreateAccount(t, s, name).ID)
		}
		tests := []struct {
			name  string
			after int64
			limit int
			want  []int64
		}{
			{"first page", 0, 2, all[:2]},
			{"next page", all[1], 2, all[2:4]},
			{"last page, short", all[3], 2, all[4:]},
			{"after the last", all[4], 2, nil},
			{"after an open-mode person", all[2] + 1, 10, all[3:]},
			{"all", 0, 10, all},
			{"zero limit", 0, 0, nil},
			{"negative limit", 0, -1, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Accounts(t.Context(), tt.after, tt.limit)
				if err != nil {
					t.Fatalf("Accounts(%d, %d): %v", tt.after, tt.limit, err)
				}
				var gotIDs []int64
				for _, a := range got {
					gotIDs = append(gotIDs, a.ID)
				}
				if !slices.Equal(gotIDs, tt.want) {
					t.Errorf("Accounts(%d, %d): got %v, want %v", tt.after, tt.limit, gotIDs, tt.want)
				}
			})
		}
	})

	t.Run("Set", func(t *testing.T) {
		s := open(t)
		a := MustCreateAccount(t, s, "Ada")
		other := MustCreateAccount(t, s, "Bo")
		steps := []struct {
			name      string
			set       func() error
			wantAdmin bool
			wantOff   bool
			wantHash  string
		}{
			{"SetPassword", func() error { return s.SetPassword(t.Context(), a.ID, "h2") }, false, false, "h2"},
			{"SetAdmin", func() error { return s.SetAdmin(t.Context(), a.ID, true) }, true, false, "h2"},
			{"SetDeactivated", func() error { return s.SetDeactivated(t.Context(), a.ID, true) }, true, true, "h2"},
			{"SetAdmin false", func() error { return s.SetAdmin(t.Context(), a.ID, false) }, false, true, "h2"},
			{"SetDeactivated false", func() error { return s.SetDeactivated(t.Context(), a.ID, false) }, false, false, "h2"},
		}
		for _, st := range steps {
			if err := st.set(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			// A deactivated account's credentials still come back: the
			// caller refuses the sign-in.
			got, hash, err := s.Credentials(t.Context(), a.Email)
			if err != nil || got.Admin != st.wantAdmin || got.Deactivated != st.wantOff || hash != st.wantHash {
				t.Errorf("after %s: Credentials got admin=%v deactivated=%v hash %q, %v, want %v %v %q",
					st.name, got.Admin, got.Deactivated, hash, err, st.wantAdmin, st.wantOff, st.wantHash)
			}
		}
		if got, hash, err := s.Credentials(t.Context(), other.Email); err != nil || got.Admin || got.Deactivated || hash != "hash of Bo" {
			t.Errorf("another account after the changes: got %+v, %q, %v, want it unchanged", got, hash, err)
		}
	})

	t.Run("FirstRace", func(t *testing.T) {
		// Two setup forms sent at once: one becomes the first account.
		s := open(t)
		const creators = 8
		errs := make([]error, creators)
		var wg sync.WaitGroup
		for i := range creators {
			wg.Go(func() {
				_, errs[i] = s.CreateAccount(t.Context(), chat.NewAccount{
					Name: fmt.Sprint("Admin ", i), Email: fmt.Sprintf("admin%d@example.org", i), First: true, Admin: true, At: t0,
				})
			})
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			switch e := chat.AsError(err); {
			case err == nil:
				created++
			case e == nil || e.Reason != chat.SetupDone:
				t.Errorf("creator %d: got %v, want success or reason %s", i, err, chat.SetupDone)
			}
		}
		if got, err := s.Accounts(t.Context(), 0, 10); err != nil || created != 1 || len(got) != 1 {
			t.Errorf("got %d created and %d stored (%v), want exactly one", created, len(got), err)
		}
	})
}
