package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
)

// A test cannot fill the disk under the test server, so it makes inserts
// into a table fail as they would on a full disk: a trigger raises
// disk_full, and the server answers with a real error of SQLSTATE 53100,
// through the same protocol, driver and code paths as a relation that
// could not grow. The function and triggers live in the test's schema,
// dropped with it.

// diskFullFunc is the trigger function that refuses every row.
const diskFullFunc = `CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'could not extend %: No space left on device', TG_TABLE_NAME USING ERRCODE = 'disk_full';
END $$`

// fillDisk makes every insert into table fail with disk_full.
func fillDisk(t *testing.T, dbURL, table string) {
	t.Helper()
	execAll(t, dbURL, `CREATE TRIGGER disk_full BEFORE INSERT ON `+table+` FOR EACH ROW EXECUTE FUNCTION disk_full()`)
}

// freeDisk undoes fillDisk.
func freeDisk(t *testing.T, dbURL, table string) {
	t.Helper()
	execAll(t, dbURL, `DROP TRIGGER disk_full ON `+table)
}

// wantReason fails t unless err carries reason.
func wantReason(t *testing.T, what string, err error, reason chat.Reason) {
	t.Helper()
	if e := chat.AsError(err); e == nil || e.Reason != reason {
		t.Errorf("%s: got %v, want reason %s", what, err, reason)
	}
}

// wantFull fails t unless Ping says that s cannot write.
func wantFull(t *testing.T, what string, s *Store) {
	t.Helper()
	err := s.Ping(t.Context())
	wantReason(t, what, err, chat.StoreFull)
	if err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("%s: got %v, want it to say the store cannot write", what, err)
	}
}

// wantReady fails t unless Ping passes; why says why it should.
func wantReady(t *testing.T, what, why string, s *Store) {
	t.Helper()
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("%s: got %v, want nil: %s", what, err, why)
	}
}

// TestDiskFull is a write that finds the disk full, through the
// committer or through a write of its own: the write fails with reason
// StoreFull, and Ping then probes and says the store cannot write, until
// the probe can write or a write commits, whichever comes first.
func TestDiskFull(t *testing.T) {
	// write is one kind of write, which stores a row in table; i makes
	// each call's row new.
	type write struct {
		name, table string
		do          func(ctx context.Context, s *Store, room int64, i int) error
	}
	writes := []write{
		{"post", "messages", func(ctx context.Context, s *Store, room int64, i int) error {
			_, _, err := s.AddMessage(ctx, chat.Message{Room: room, Body: "hello", Token: fmt.Sprint("t", i)})
			return err
		}},
		{"new room", "rooms", func(ctx context.Context, s *Store, _ int64, i int) error {
			_, err := s.CreateRoom(ctx, fmt.Sprint("Room ", i), time.Now())
			return err
		}},
	}
	for _, failing := range writes {
		t.Run("full at a "+failing.name, func(t *testing.T) {
			ctx := t.Context()
			s, dbURL := mustOpen(t)
			room := mustCreateRoom(t, s, "General").ID
			execAll(t, dbURL, diskFullFunc)
			i := 0
			fail := func() {
				t.Helper()
				i++
				err := failing.do(ctx, s, room, i)
				wantReason(t, failing.name+" on a full disk", err, chat.StoreFull)
				if got := chat.ErrorCode(err); got != chat.Unavailable {
					t.Errorf("%s on a full disk: code %q, want %q", failing.name, got, chat.Unavailable)
				}
			}

			fillDisk(t, dbURL, "write_probe")
			wantReady(t, "Ping with the probe failing", "no write has found the disk full, so it does not probe", s)
			fillDisk(t, dbURL, failing.table)
			fail()
			wantFull(t, "Ping after a "+failing.name+" found the disk full", s)

			// Reads, and writes that change nothing, say nothing of space.
			if _, err := s.LastSeq(ctx, room); err != nil {
				t.Errorf("LastSeq on a full disk: %v", err)
			}
			if _, err := s.RemoveMember(ctx, room, 1); err != nil {
				t.Errorf("RemoveMember of nobody on a full disk: %v", err)
			}
			wantFull(t, "Ping after a read and a write of nothing", s)

			freeDisk(t, dbURL, "write_probe")
			wantReady(t, "Ping once the probe can write", "the probe stores its row", s)
			fillDisk(t, dbURL, "write_probe")
			wantReady(t, "Ping after a probe passed, with the probe failing again", "the probe's commit clears the full disk", s)

			// Any write that commits clears it without a probe: Ping
			// passes with the probe still failing.
			for _, clearing := range writes {
				fail()
				wantFull(t, "Ping before a "+clearing.name+" is stored", s)
				freeDisk(t, dbURL, failing.table)
				i++
				if err := clearing.do(ctx, s, room, i); err != nil {
					t.Errorf("%s once space is freed: %v", clearing.name, err)
				}
				wantReady(t, "Ping after a "+clearing.name+" was stored, with the probe failing",
					"a write that commits clears the full disk", s)
				fillDisk(t, dbURL, failing.table)
			}

			var probed int
			if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM write_probe`).Scan(&probed); err != nil || probed != 0 {
				t.Errorf("write_probe: got %d rows, %v, want none", probed, err)
			}
		})
	}
}
