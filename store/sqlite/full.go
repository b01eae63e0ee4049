package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"hxchat/chat"
)

// probeBytes is how much probeWrite stores: as many bytes as the longest
// message can take (chat.MaxBody characters of up to four bytes), so that
// a store that passes the probe has room for any one message.
const probeBytes = 4 * chat.MaxBody

// noteWrite records how a write ended, for Ping: a full disk is
// remembered until a write succeeds. Other failures (a clash, a
// cancelled request) say nothing about space, and change nothing.
func (s *Store) noteWrite(err error) {
	switch {
	case err == nil:
		s.fullErr.Store(nil)
	case full(err):
		s.fullErr.Store(&err)
	}
}

// checkWritable returns nil unless the last write found the disk full.
// Then it tries a write of its own, probeWrite, and returns an error
// with reason chat.StoreFull while the disk is still full.
//
// Remembering the failure costs nothing while writes succeed, and a Ping
// that wrote every time would add a transaction to every readiness
// check. Remembering alone would not do: a server taken out of rotation
// because it cannot write gets no posts, and would never learn that it
// can write again. The probe runs only after a write found the disk
// full, and stores nothing: it deletes its row in the transaction that
// inserted it.
func (s *Store) checkWritable(ctx context.Context) error {
	if s.fullErr.Load() == nil {
		return nil
	}
	err := s.probeWrite(ctx)
	if err == nil {
		return nil
	}
	if full(err) {
		return fmt.Errorf("sqlite: cannot write: %w: %w", chat.Fail(chat.StoreFull), err)
	}
	return wrap("write probe", err)
}

// probeWrite stores probeBytes and deletes them again in one transaction
// on the writer: the database must find pages for them and the WAL room
// for the commit, as for a long message.
func (s *Store) probeWrite(ctx context.Context) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO write_probe (filler) VALUES (zeroblob(?))`, probeBytes); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM write_probe`)
		return err
	})
	s.noteWrite(err)
	return err
}
