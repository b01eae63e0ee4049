package sqlite

import (
	"errors"
	"fmt"
	"time"

	"hxchat/chat"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// wrap adds op to a driver error and, for the failures a caller can act
// on, the chat code that says how: a clash with stored data is Conflict;
// a lock held past busy_timeout, or a full disk, is Unavailable. The
// driver error stays in the chain for the logs. Domain errors pass
// through unchanged.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*chat.Error](err); ok {
		return err
	}
	if full(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op,
			chat.Fail(chat.StoreFull), err)
	}
	switch code(err) & 0xff {
	case sqlite3.SQLITE_CONSTRAINT:
		return fmt.Errorf("sqlite: %s: %w: %w", op,
			chat.Fail(chat.Clash), err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("sqlite: %s: %w: %w", op,
			chat.Fail(chat.Busy), err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// full reports whether err says the database cannot grow: SQLITE_FULL,
// which SQLite returns when a write to the database, the WAL or a
// temporary file fails for want of space (ENOSPC), and when the database
// reaches max_page_count; and SQLITE_IOERR_SHMSIZE, when the WAL's
// shared-memory file cannot be enlarged, which SQLite documents as a
// likely full volume. Other I/O errors (SQLITE_IOERR_WRITE, _FSYNC) come
// from failing hardware as often as from a full disk, and the driver does
// not tell which.
func full(err error) bool {
	c := code(err)
	return c&0xff == sqlite3.SQLITE_FULL || c == sqlite3.SQLITE_IOERR_SHMSIZE
}

// code returns the extended SQLite result code of err, or 0 when err does
// not come from SQLite. The driver turns extended codes on, so
// code(err)&0xff is the primary code.
func code(err error) int {
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		return e.Code()
	}
	return 0
}

// The schema stores times as INTEGER unix nanoseconds, which sort as
// numbers and keep every digit a time.Time has, within the years
// int64 nanoseconds can count.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// nanos returns t as stored, and an error when t is outside what the
// column can hold.
func nanos(t time.Time) (int64, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("sqlite: time %v is outside the years %d to %d that can be stored", t, minTime.Year(), maxTime.Year())
	}
	return t.UnixNano(), nil
}

// fromNanos returns the time stored as n, in UTC.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// stamp returns t, or the current time when t is zero, so that a caller
// without a clock of its own still gets a meaningful CreatedAt.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
