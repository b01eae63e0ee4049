package redis_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"hxchat/broker/redis"
)

func TestLibraryMessagesGoToTheLogAtDebug(t *testing.T) {
	var out bytes.Buffer
	redis.LogTo(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	// The go-redis logger is global: the tests after this one log nowhere.
	t.Cleanup(func() { redis.LogTo(slog.New(slog.DiscardHandler)) })
	// go-redis warns about a sub-millisecond expiry while it builds the
	// command, before it dials the (absent) server.
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	_ = c.Set(context.Background(), "k", "v", time.Microsecond).Err()
	got := out.String()
	if !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, "minimal supported value") || !strings.Contains(got, "from=go-redis") {
		t.Errorf("log = %q, want go-redis's warning as a Debug record", got)
	}
}
