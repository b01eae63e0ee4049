package sqlite

import (
	"fmt"
	"strings"
	"testing"

	"hxchat/chat"
)

// setMaxPages sets max_page_count on the writer connection, where it
// stays: the database then refuses to grow past pages with SQLITE_FULL,
// through the code path of a full disk.
func setMaxPages(t *testing.T, s *Store, pages int) {
	t.Helper()
	if _, err := s.write.ExecContext(t.Context(), fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatalf("max_page_count: %v", err)
	}
}

// wantReason fails t unless err carries reason.
func wantReason(t *testing.T, what string, err error, reason chat.Reason) {
	t.Helper()
	if e := chat.AsError(err); e == nil || e.Reason != reason {
		t.Errorf("%s: got %v, want reason %s", what, err, reason)
	}
}

// TestDiskFull fills the database until a post fails, then frees space:
// the post says the store is full, Ping says the store cannot write until
// a write succeeds again, and then both work as before.
func TestDiskFull(t *testing.T) {
	for _, clear := range []string{"a post", "Ping"} {
		t.Run("cleared by "+clear, func(t *testing.T) {
			s := mustOpen(t)
			room := mustCreateRoom(t, s, "General")
			var pages int
			if err := s.write.QueryRowContext(t.Context(), `PRAGMA page_count`).Scan(&pages); err != nil {
				t.Fatalf("page_count: %v", err)
			}
			setMaxPages(t, s, pages+3)

			// Each 3 kB message takes most of a page: a few fit.
			body := strings.Repeat("x", 3000)
			var err error
			for i := 0; err == nil; i++ {
				if i == 100 {
					t.Fatal("100 messages stored in 3 pages")
				}
				_, _, err = s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: body, Token: fmt.Sprint(i)})
			}
			wantReason(t, "AddMessage on a full disk", err, chat.StoreFull)
			if got := chat.ErrorCode(err); got != chat.Unavailable {
				t.Errorf("AddMessage on a full disk: code %q, want %q", got, chat.Unavailable)
			}
			err = s.Ping(t.Context())
			wantReason(t, "Ping on a full disk", err, chat.StoreFull)
			if err == nil || !strings.Contains(err.Error(), "cannot write") {
				t.Errorf("Ping on a full disk: got %v, want it to say the store cannot write", err)
			}
			// Reads still work.
			if _, err := s.LastSeq(t.Context(), room.ID); err != nil {
				t.Errorf("LastSeq on a full disk: %v", err)
			}

			setMaxPages(t, s, 1<<30)
			if clear == "Ping" {
				if err := s.Ping(t.Context()); err != nil {
					t.Errorf("Ping once space is freed: %v", err)
				}
			}
			if _, _, err := s.AddMessage(t.Context(), chat.Message{Room: room.ID, Body: body, Token: "after"}); err != nil {
				t.Errorf("AddMessage once space is freed: %v", err)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping after a post stored: %v", err)
			}
			var probed int
			if err := s.read.QueryRowContext(t.Context(), `SELECT count(*) FROM write_probe`).Scan(&probed); err != nil || probed != 0 {
				t.Errorf("write_probe: got %d rows, %v, want none", probed, err)
			}
		})
	}
}
