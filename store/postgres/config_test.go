package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"hxchat/chat"
)

func TestPoolConfigDefaults(t *testing.T) {
	tests := []struct {
		name           string
		url            string
		wantMaxConns   int32
		wantConnect    time.Duration
		wantStatement  string
		wantIdleInTx   string
		wantSearchPath string
	}{
		{"bare URL", "postgres://u@db.example:5432/chat", defaultMaxConns, defaultConnectTimeout, defaultStatementTimeout, defaultIdleInTxTimeout, ""},
		{"postgresql scheme", "postgresql://u@db.example/chat", defaultMaxConns, defaultConnectTimeout, defaultStatementTimeout, defaultIdleInTxTimeout, ""},
		{"URL sets everything", "postgres://u@db.example/chat?pool_max_conns=7&connect_timeout=2&statement_timeout=250&idle_in_transaction_session_timeout=1s&search_path=t_1",
			7, 2 * time.Second, "250", "1s", "t_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := poolConfig(tt.url)
			if err != nil {
				t.Fatalf("poolConfig(%q): %v", tt.url, err)
			}
			params := cfg.ConnConfig.RuntimeParams
			if cfg.MaxConns != tt.wantMaxConns {
				t.Errorf("MaxConns: got %d, want %d", cfg.MaxConns, tt.wantMaxConns)
			}
			if cfg.ConnConfig.ConnectTimeout != tt.wantConnect {
				t.Errorf("ConnectTimeout: got %v, want %v", cfg.ConnConfig.ConnectTimeout, tt.wantConnect)
			}
			for name, want := range map[string]string{
				"statement_timeout":                   tt.wantStatement,
				"idle_in_transaction_session_timeout": tt.wantIdleInTx,
				"search_path":                         tt.wantSearchPath,
				"application_name":                    "hxchat",
			} {
				if got := params[name]; got != want {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestWrapCodes(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name string
		err  error
		want chat.Code
		// reason is the domain reason wrap adds; "" for Internal.
		reason chat.Reason
	}{
		{"unique violation", &pgconn.PgError{Code: "23505"}, chat.Conflict, chat.Clash},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, chat.Unavailable, chat.Busy},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, chat.Unavailable, chat.Busy},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, chat.Unavailable, chat.Busy},
		{"terminated by an administrator", &pgconn.PgError{Code: "57P01"}, chat.Unavailable, chat.NotStored},
		{"server starting up", &pgconn.PgError{Code: "57P03"}, chat.Unavailable, chat.NotStored},
		{"too many connections", &pgconn.PgError{Code: "53300"}, chat.Unavailable, chat.NotStored},
		{"disk full", &pgconn.PgError{Code: "53100"}, chat.Unavailable, chat.StoreFull},
		{"out of memory", &pgconn.PgError{Code: "53200"}, chat.Unavailable, chat.NotStored},
		{"connection failure", &pgconn.PgError{Code: "08006"}, chat.Unavailable, chat.NotStored},
		{"network error", fmt.Errorf("dial: %w", netErr), chat.Unavailable, chat.NotStored},
		{"connection closed", io.ErrUnexpectedEOF, chat.Unavailable, chat.NotStored},
		{"store's own deadline", context.DeadlineExceeded, chat.Unavailable, chat.NotStored},
		{"syntax error", &pgconn.PgError{Code: "42601"}, chat.Internal, ""},
		{"bad value", &pgconn.PgError{Code: "22021"}, chat.Internal, ""},
		{"bug", errors.New("cannot scan"), chat.Internal, ""},
		{"domain error passes", chat.Fail(chat.NoRoom), chat.NotFound, chat.NoRoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap("add message", tt.err, chat.NotStored)
			if got := chat.ErrorCode(err); got != tt.want {
				t.Errorf("code: got %q, want %q (error %v)", got, tt.want, err)
			}
			var reason chat.Reason
			if e := chat.AsError(err); e != nil {
				reason = e.Reason
			}
			if reason != tt.reason {
				t.Errorf("reason: got %q, want %q (error %v)", reason, tt.reason, err)
			}
			if !errors.Is(err, tt.err) && chat.ErrorCode(tt.err) == chat.Internal {
				t.Errorf("the driver error %v is not in the chain of %v", tt.err, err)
			}
		})
	}
	if wrap("x", nil, chat.NotStored) != nil {
		t.Error("wrap(nil) is not nil")
	}
}
