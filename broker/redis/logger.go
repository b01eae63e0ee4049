package redis

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// LogTo sends go-redis's own messages (a failed dial, a connection pool
// giving up), which it otherwise prints to stderr in a format of its own,
// to log at Debug level: during an outage it repeats them for every
// dial, while the broker already reports the outage at Warn, with when it
// tries again, and the recovery at Info. The go-redis logger is global,
// so a process calls this once, at start.
func LogTo(log *slog.Logger) {
	goredis.SetLogger(printer{log})
}

// printer is go-redis's logging interface on a slog.Logger.
type printer struct{ log *slog.Logger }

func (p printer) Printf(ctx context.Context, format string, v ...any) {
	p.log.DebugContext(ctx, fmt.Sprintf(format, v...), "from", "go-redis")
}
