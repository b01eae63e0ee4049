package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instances for tests of several instances: each runs run() on a loopback
// port, inside the test process or as a process of its own that a test can
// kill, sharing one PostgreSQL schema and one Redis channel.

// multiWait bounds every wait on an instance or a person; it only turns a
// hang into a failure.
const multiWait = 20 * time.Second

// node is one running hxchat instance.
type node struct {
	name string
	// base is http://127.0.0.1:port.
	base string
	log  *syncBuffer
	// kill ends a process instance at once (SIGKILL); nil for one that
	// runs inside the test process.
	kill func()
}

// startNode runs an instance inside the test process with args, until t
// ends.
func startNode(t *testing.T, name string, args []string) *node {
	t.Helper()
	n := &node{name: name, log: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, args, func(string) string { return "" }, n.log, func(addr string) { addrc <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("%s: run: %v", name, err)
			}
		case <-time.After(multiWait):
			t.Errorf("%s: run did not return after cancel", name)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, n.log)
		}
	})
	select {
	case addr := <-addrc:
		n.base = "http://" + addr
	case err := <-errc:
		t.Fatalf("%s: run returned before listening: %v\n%s", name, err, n.log)
	case <-time.After(multiWait):
		t.Fatalf("%s: did not start within %v\n%s", name, multiWait, n.log)
	}
	return n
}

// instanceArgsEnv carries a child instance's arguments, as JSON, from
// startProcessNode to TestHelperInstance.
const instanceArgsEnv = "HXCHAT_TEST_INSTANCE_ARGS"

// TestHelperInstance is not a test: it is the body of the instances that
// startProcessNode runs as processes of their own, so that a test can
// kill one as a crash would. Run without instanceArgsEnv, it returns at
// once.
func TestHelperInstance(t *testing.T) {
	raw := os.Getenv(instanceArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), args, func(string) string { return "" }, os.Stderr, func(addr string) {
		fmt.Printf("listening on %s\n", addr)
	})
	t.Fatalf("run returned: %v", err)
}

// startProcessNode runs an instance as a process of its own (this test
// binary, running TestHelperInstance), which kill ends with SIGKILL: its
// sockets and its database and Redis connections break as in a crash.
func startProcessNode(t *testing.T, name string, args []string) *node {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, log: &syncBuffer{}}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperInstance$", "-test.count=1")
	cmd.Env = append(os.Environ(), instanceArgsEnv+"="+string(raw))
	cmd.Stderr = n.log
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", name, err)
	}
	exited := make(chan struct{})
	addrc := make(chan string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addrc <- addr
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}()
	var once sync.Once
	n.kill = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, n.log)
		}
	})
	select {
	case addr := <-addrc:
		n.base = "http://" + addr
	case <-exited:
		t.Fatalf("%s: exited before listening:\n%s", name, n.log)
	case <-time.After(multiWait):
		t.Fatalf("%s: did not start within %v\n%s", name, multiWait, n.log)
	}
	return n
}

// nodeArgs are the arguments of an instance of the cluster at db and
// redis with prefix: posts are not rate-limited, since people in tests
// type fast.
func nodeArgs(db, redis, prefix string) []string {
	return []string{
		"-open", "-addr", "127.0.0.1:0", "-db", db, "-redis", redis, "-redis-prefix", prefix,
		"-msg-rate", "10000", "-msg-burst", "10000", "-max-conns", "10000", "-new-people-rate", "10000", "-rooms-rate", "10000",
		"-log-level", "info",
	}
}

// readyz returns the status and body of n's /readyz.
func readyz(t *testing.T, n *node) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: multiWait}
	resp, err := c.Get(n.base + "/readyz")
	if err != nil {
		t.Fatalf("%s: GET /readyz: %v", n.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitReady polls n's /readyz until it answers 200. Readiness has no event
// to wait on; the poll is bounded by multiWait.
func waitReady(t *testing.T, n *node) {
	t.Helper()
	deadline := time.Now().Add(multiWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		status, body := readyz(t, n)
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /readyz still %d after %v:\n%s", n.name, status, multiWait, body)
		}
		<-tick.C
	}
}

// roomID returns the ID of the room named name in the database at db.
func roomID(t *testing.T, db, name string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var id int64
	if err := conn.QueryRow(t.Context(), `SELECT id FROM rooms WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatalf("room %q: %v", name, err)
	}
	return strconv.FormatInt(id, 10)
}

// stored returns how many times each body is stored in room, and the
// room's last Seq.
func stored(t *testing.T, db, room string) (map[string]int, int64) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT body, count(*) FROM messages WHERE room_id = $1 GROUP BY body`, room)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]int{}
	var body string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&body, &n}, func() error { bodies[body] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	var last int64
	if err := conn.QueryRow(t.Context(), `SELECT last_seq FROM rooms WHERE id = $1`, room).Scan(&last); err != nil {
		t.Fatal(err)
	}
	return bodies, last
}
