package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"hxchat/chat"
)

// SQLSTATE codes this package reacts to.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503" // a row points to one that does not exist
	queryCanceled       = "57014" // statement_timeout, or a cancel request
	diskFull            = "53100" // a table or index could not grow
)

// wrap adds op to a driver error and, for the failures a caller can act
// on, the chat code that says how: a clash with stored data is Conflict; a
// full disk is Unavailable with reason chat.StoreFull; a database that
// cannot be reached, is shutting down, or is too busy is Unavailable, with
// unavailable as the reason (chat.NotStored for a post: nothing was
// posted, and sending again is safe, since the form's token makes a resend
// post at most once; chat.Unreachable for the rest). The driver error
// stays in the chain for the logs. Domain errors pass through unchanged.
func wrap(op string, err error, unavailable chat.Reason) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*chat.Error](err); ok {
		return err
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case pe.Code == uniqueViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, chat.Fail(chat.Clash), err)
		case pe.Code == queryCanceled || busy(pe.Code):
			return fmt.Errorf("postgres: %s: %w: %w", op, chat.Fail(chat.Busy), err)
		case pe.Code == diskFull:
			return fmt.Errorf("postgres: %s: %w: %w", op, chat.Fail(chat.StoreFull), err)
		case down(pe.Code):
			return fmt.Errorf("postgres: %s: %w: %w", op, chat.Fail(unavailable), err)
		}
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if unreachable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, chat.Fail(unavailable), err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// busy reports whether a server error says the statement lost a race
// that a retry may win: serialization failure (40001), deadlock (40P01),
// lock not available (55P03).
func busy(code string) bool {
	return code == "40001" || code == "40P01" || code == "55P03"
}

// down reports whether a server error says the server cannot serve now:
// class 08 (connection exception), class 53 (insufficient resources, such
// as too many connections), and 57P01 to 57P05 (the server is shutting
// down, was restarted, or the session was terminated by an administrator).
func down(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") || strings.HasPrefix(code, "57P")
}

// unreachable reports whether err, which did not come from the server,
// means that the server could not be reached or stopped answering: no
// connection could be made, the connection broke, the store's own time
// limit ran out. Anything else (a value that does
// not scan, say) is a bug, not an outage.
func unreachable(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// stamp returns t, or the current time when t is zero, truncated to the
// microsecond that timestamptz keeps, so that what AddMessage and
// CreateRoom return equals what a later read returns.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Truncate(time.Microsecond).UTC()
}

// violated reports whether err is the server's SQLSTATE code, on
// constraint (on any, when constraint is ""): the names the migrations
// give the constraints tell which input clashed.
func violated(err error, code, constraint string) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pe.Code == code && (constraint == "" || pe.ConstraintName == constraint)
}
