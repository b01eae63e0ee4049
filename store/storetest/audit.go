package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hxchat/chat"
)

func testAudit(t *testing.T, open func(t *testing.T) chat.Store) {
	s := open(t)
	if got, err := s.AuditLog(t.Context(), 0, 10); err != nil || len(got) != 0 {
		t.Errorf("AuditLog of an empty store: got %v, %v, want none", got, err)
	}
	ada := MustCreateAccount(t, s, "Ada")
	var added []chat.Audit
	for i, action := range []string{"invite", "deactivate", "archive_room", "promote", "rename_room"} {
		a := chat.Audit{
			At:      t0.Add(time.Duration(i) * time.Minute),
			Actor:   ada.User,
			Action:  action,
			Subject: fmt.Sprintf("Room #%d", i),
		}
		if err := s.AddAudit(t.Context(), a); err != nil {
			t.Fatalf("AddAudit(%s): %v", action, err)
		}
		added = append(added, a)
	}
	// The actor's name as it was: a rename does not rewrite the log.
	if _, err := s.RenameUser(t.Context(), ada.ID, "Ada L."); err != nil {
		t.Fatal(err)
	}
	all, err := s.AuditLog(t.Context(), 0, 10)
	if err != nil || len(all) != len(added) {
		t.Fatalf("AuditLog: got %+v, %v, want %d entries", all, err, len(added))
	}
	for i, got := range all {
		want := added[len(added)-1-i]
		want.ID = got.ID
		if !sameTime(got.At, want.At) || got.Actor != want.Actor || got.Action != want.Action || got.Subject != want.Subject {
			t.Errorf("entry %d: got %+v, want %+v", i, got, want)
		}
		if i > 0 && got.ID >= all[i-1].ID {
			t.Errorf("entry %d: got ID %d after %d, want newer entries with bigger IDs", i, got.ID, all[i-1].ID)
		}
	}
	auditIDs := func(log []chat.Audit) []int64 {
		s := []int64{}
		for _, a := range log {
			s = append(s, a.ID)
		}
		return s
	}
	tests := []struct {
		name   string
		before int64
		limit  int
		want   []chat.Audit
	}{
		{"newest page", 0, 2, all[:2]},
		{"negative before is newest", -1, 2, all[:2]},
		{"next page", all[1].ID, 2, all[2:4]},
		{"last page, short", all[3].ID, 2, all[4:]},
		{"before the oldest", all[4].ID, 2, nil},
		{"zero limit", 0, 0, nil},
		{"negative limit", 0, -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.AuditLog(t.Context(), tt.before, tt.limit)
			if err != nil || !slices.Equal(auditIDs(got), auditIDs(tt.want)) {
				t.Errorf("AuditLog(%d, %d): got %v, %v, want %v", tt.before, tt.limit, auditIDs(got), err, auditIDs(tt.want))
			}
		})
	}
}
