package sqlite

import (
	"context"
	"os"
	"time"
)

// walLimit is the size, in bytes, past which boundWAL checkpoints the
// WAL and truncates its file: twice the 4 MB (1,000 pages of 4 KiB) at
// which SQLite's auto-checkpoint starts the WAL again when it can. The
// file's size is how far the WAL got since it was last truncated, as
// SQLite reuses the file from its beginning rather than shrinking it.
const walLimit = 2 * 1000 * 4096

// checkpointWait bounds boundWAL: its wait for the writer and for the
// reads in progress, and its checkpoint. The store's own reads are held
// off during the checkpoint, so it waits only for readers and writers in
// other processes (the sqlite3 shell, a second hxchat), and must not hold
// the store's reads for as long as busy_timeout. In BenchmarkWALFlood the
// reads in progress took up to 160 ms to finish, and the checkpoint,
// copying what was left of 2,000 pages and syncing, a median of 12 to
// 25 ms and at most 340 ms.
const checkpointWait = time.Second

// boundWAL checkpoints the WAL and truncates its file when the file has
// grown past s.walLimit, holding off the store's reads meanwhile.
//
// The auto-checkpoint alone cannot bound the WAL while reads never stop.
// It runs right after a commit, when every read in progress began before
// that commit, and copies frames into the database only up to the oldest
// snapshot in use; the WAL starts again from its beginning only once
// every frame is copied. Reads that always overlap, such as page loads of
// a long room list during a flood of new rooms, keep that from ever
// happening. In BenchmarkWALFlood -benchtime 30000x (30,000 new rooms
// from four goroutines while two others read the room list, a room,
// Before, After and LastSeq) the WAL grew to 400 to 510 MB with the
// auto-checkpoint alone, and stayed at 4 MB with no readers.
//
// SQLite's own remedy, a checkpoint that waits for readers (TRUNCATE),
// fails under such reads too: it waits on the lock of each reader slot
// that holds an old snapshot, and new reads keep taking that same slot,
// so in the same flood it often waited out busy_timeout (5 s) and gave
// up, and the flood took 3 min 22 s instead of 23 s. So the store holds
// its reads in Go: each read holds s.readers shared while its statement
// runs, and boundWAL takes it alone, which waits for the reads in
// progress and holds new ones back until the checkpoint, which then has
// no reader to wait for, is done. In the same flood the WAL stayed under
// 9 MB, at a cost per room within the run-to-run spread of the machine
// (0.5 to 0.9 ms with boundWAL, 0.5 to 1.0 ms without).
//
// It runs on the writer, after a write, whose caller waits for it as
// for a write ahead of it. Its errors are not the write's: the next
// write that finds the file too large tries again.
func (s *Store) boundWAL() {
	if s.walLimit <= 0 {
		return
	}
	fi, err := os.Stat(s.walPath)
	if err != nil || fi.Size() <= s.walLimit {
		return
	}
	// One is enough for writers that all find the file too large.
	if !s.checkpointing.CompareAndSwap(false, true) {
		return
	}
	defer s.checkpointing.Store(false)
	ctx, cancel := context.WithTimeout(s.closing, checkpointWait)
	defer cancel()
	// The writer first, then the reads: held in the other order, the
	// reads would wait for the writer to finish someone else's batch.
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	s.readers.Lock()
	defer s.readers.Unlock()
	_, _ = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}
