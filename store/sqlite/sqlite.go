// Package sqlite implements chat.Store on a SQLite file through the pure-Go
// driver modernc.org/sqlite, so hxchat builds without cgo. The schema is
// kept by versioned goose migrations embedded in the binary and applied by
// Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"hxchat/chat"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Memory is the path that opens a private in-memory database, gone when
// the Store closes; handy in tests of other packages.
const Memory = ":memory:"

// busyTimeout is how long, in milliseconds, a connection waits for a lock
// held by another process (a second hxchat on the same file, the sqlite3
// shell) before failing with SQLITE_BUSY. Within one process writes never
// wait on SQLite's lock, since they queue for the single writer connection
// instead. Five seconds is over ten thousand times the 0.1 to 0.3 ms a
// message takes to store (BenchmarkAddMessage on a 2-vCPU VM).
const busyTimeout = 5000

// migrations holds the schema, one goose SQL file per version.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Store is a chat.Store on one SQLite database. It is safe for concurrent
// use.
//
// It holds two pools on the same file. SQLite allows one writer at a
// time. Connections that race for the write lock poll for it in SQLite's
// busy handler, sleeping between tries, and fail with SQLITE_BUSY once
// busy_timeout runs out; a deferred transaction that reads and then
// writes fails at once, without waiting at all, if another write
// committed in between. So every write goes through write, a pool of
// exactly one connection: goroutines queue for it in database/sql, in Go,
// and never meet a lock in SQLite. Its transactions also BEGIN IMMEDIATE
// (_txlock), taking the write lock up front, so that busy_timeout covers
// a writer in another process. Reads use read, a pool of several
// query-only connections: under WAL they see the last commit and neither
// block nor wait for the writer, so history loads don't queue behind
// posts, but for the moment of a checkpoint that reads would otherwise
// hold back (see boundWAL). One writer costs no throughput: a commit is
// mostly the WAL write, which SQLite serializes anyway
// (BenchmarkAddMessage/parallel -cpu 8 ran at 140 to 170 µs/op with
// eight writer connections, and at 140 to 160 with one).
//
// Messages, the one write that is frequent, do not take the writer
// connection each for itself: AddMessage hands them to a committer
// goroutine that writes many in one transaction (group commit; see
// commitMessages). The rare other writes, rooms, members and secrets,
// still queue for the connection in database/sql and get it between two
// batches. Routing them through the committer too would gain nothing
// measurable and would put unrelated statements into a batch whose
// COMMIT decides the fate of other people's messages.
type Store struct {
	// write is the single writer connection.
	//
	// A write outside a transaction goes through Exec, never through
	// QueryRow with RETURNING. SQLite checkpoints the WAL (past 1,000
	// pages) from a hook it runs only when a statement that commits
	// steps to its end; QueryRow reads one row and resets the
	// statement, which commits without running the hook. A flood of
	// such writes never checkpointed: 1,500 new rooms left 6,500
	// pages (26 MB) in the WAL, and the file grew until Close
	// (TestWALStaysBounded). A transaction's COMMIT, an Exec, always
	// steps to its end.
	write *sql.DB
	// read serves queries; it is write itself for an in-memory database,
	// which other connections cannot see.
	read *sql.DB
	// addMessage is insertMessage prepared once on the writer: parsing
	// it took a third of AddMessage's CPU time when it was prepared on
	// every call (see BenchmarkAddMessage).
	addMessage *sql.Stmt
	// everyonesRooms and membersRooms are roomsForEveryone and
	// roomsForMember, prepared once on read: parsing them took a third
	// of RoomsFor's time when they were prepared on every call (see
	// BenchmarkRoomsFor).
	everyonesRooms, membersRooms *sql.Stmt

	// adds carries each AddMessage call to the committer. It is
	// unbuffered, so that a request is either taken by the committer,
	// which then answers it, or still with its caller, who sees closing;
	// none can be left behind in a buffer when the committer stops.
	adds chan *addRequest
	// closing is done once Close has begun: callers stop handing over
	// messages, and the committer stops, ending its transaction.
	closing context.Context
	// stop makes closing done.
	stop context.CancelFunc
	// committerDone is closed when the committer has returned.
	committerDone chan struct{}

	// walPath is the WAL file, "" for an in-memory database, which has
	// none.
	walPath string
	// walLimit is the WAL file's size past which boundWAL truncates it;
	// 0 turns boundWAL off.
	walLimit int64
	// checkpointing is true while boundWAL runs a checkpoint.
	checkpointing atomic.Bool
	// readers is held shared by every read on read while its statement
	// runs, and alone by boundWAL's checkpoint, which no read may hold
	// back.
	readers sync.RWMutex
	// fullErr is the error of the last write, if it found the disk
	// full; nil once a write has succeeded since (see noteWrite).
	fullErr atomic.Pointer[error]
}

var _ chat.Store = (*Store)(nil)

// Open opens (creating when absent) the SQLite database at path, or a
// private in-memory one for Memory, and brings its schema up to date.
// The directory holding path must exist.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	write, err := openPool(ctx, path, true)
	if err != nil {
		return nil, err
	}
	s := &Store{write: write, read: write}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: migrate %q: %w", path, err)
	}
	if s.addMessage, err = write.PrepareContext(ctx, insertMessage); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %q: prepare: %w", path, err)
	}
	if path != Memory {
		s.walPath, s.walLimit = path+"-wal", walLimit
		if s.read, err = openPool(ctx, path, false); err != nil {
			s.addMessage.Close()
			write.Close()
			return nil, err
		}
	}
	if err := s.prepareReads(ctx); err != nil {
		s.closePools()
		return nil, fmt.Errorf("sqlite: open %q: prepare: %w", path, err)
	}
	s.adds = make(chan *addRequest)
	// The committer outlives Open's ctx, which may be only for opening.
	s.closing, s.stop = context.WithCancel(context.Background())
	s.committerDone = make(chan struct{})
	go s.commitMessages()
	return s, nil
}

// checkPath turns the paths SQLite would refuse with a bare "unable to
// open database file", or misread, into errors that say what is wrong.
func checkPath(path string) error {
	switch {
	case path == "":
		return errors.New("sqlite: open: the database path is empty")
	case path == Memory:
		return nil
	case strings.ContainsRune(path, '?'):
		// The driver reads everything after '?' as connection parameters.
		return fmt.Errorf("sqlite: open %q: the path must not contain '?'", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("sqlite: open %q: directory %q does not exist: %w", path, dir, fs.ErrNotExist)
	case err != nil:
		return fmt.Errorf("sqlite: open %q: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("sqlite: open %q: %q is not a directory", path, dir)
	}
	return nil
}

// openPool opens and pings the writer pool (write) or the reader pool of
// path; see Store for why there are two.
func openPool(ctx context.Context, path string, write bool) (*sql.DB, error) {
	q := url.Values{}
	// The driver runs busy_timeout first whatever the order here, so the
	// pragmas after it wait for a lock instead of failing.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout))
	q.Add("_pragma", "foreign_keys(ON)")
	if write {
		// WAL is a property of the file, set once by the writer; readers
		// inherit it. synchronous=NORMAL under WAL syncs at checkpoints
		// rather than at every commit: a power cut may lose the last
		// commits but never corrupts the file.
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if write {
		db.SetMaxOpenConns(1)
		// Never let the pool retire the connection: for Memory it is the
		// database.
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		// The driver is Go, so a query is CPU work on a goroutine; more
		// connections than Ps only add memory (a page cache each).
		n := max(4, runtime.GOMAXPROCS(0))
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return db, nil
}

// ping opens db's first connection, which runs the DSN's pragmas.
// Switching a new file to WAL needs the file to itself, and SQLite
// answers SQLITE_BUSY at once, without waiting busy_timeout, when
// another process is opening it at the same moment (several instances
// started together on a fresh file). So ping retries, for up to about
// two seconds.
func ping(ctx context.Context, db *sql.DB) error {
	for wait := time.Millisecond; ; wait *= 2 {
		err := db.PingContext(ctx)
		if code(err)&0xff != sqlite3.SQLITE_BUSY || wait > time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// migrate applies the migrations db lacks. A Provider of its own, rather
// than goose's package-level functions, keeps no global state.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return err
	}
	// Up reads the schema version, then applies what is missing, each
	// version in a transaction. A process opening the same new file at
	// the same moment may apply a version in between, and ours then fails
	// ("table rooms already exists"). Its success is as good as ours: Up
	// again finds nothing left to do. Each failure means another process
	// made progress, so a few attempts suffice; a migration that is
	// broken fails every time.
	for range 5 {
		if _, err = p.Up(ctx); err == nil {
			return nil
		}
	}
	return err
}

// Ping reports whether both pools can reach the database and, once a
// write has found the disk full, whether the store can write again: an
// error with reason chat.StoreFull says it cannot.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return wrap("ping", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return wrap("ping", err)
	}
	return s.checkWritable(ctx)
}

// Close stops the committer and closes both pools. Messages still
// waiting to be stored fail, as do later calls of AddMessage; a batch
// being written is rolled back rather than waited for. The writer goes
// last so that, as the last connection to the file, it checkpoints the
// WAL into the database. Calling Close again does nothing.
func (s *Store) Close() error {
	s.stop()
	<-s.committerDone
	return s.closePools()
}

// prepareReads prepares the statements that the readers keep.
func (s *Store) prepareReads(ctx context.Context) (err error) {
	if s.everyonesRooms, err = s.read.PrepareContext(ctx, roomsForEveryone); err != nil {
		return err
	}
	s.membersRooms, err = s.read.PrepareContext(ctx, roomsForMember)
	return err
}

// closePools closes the prepared statements there are, then both pools.
// The writer goes last, so that, as the last connection to the file, it
// checkpoints the WAL into the database.
func (s *Store) closePools() error {
	var err error
	for _, st := range []*sql.Stmt{s.everyonesRooms, s.membersRooms, s.addMessage} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return errors.Join(err, s.write.Close())
}

// inTx runs fn in a transaction on the writer, committing when fn returns
// nil. fn must use only tx: the writer has a single connection, which tx
// holds.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error says more than a failed rollback
		return err
	}
	return tx.Commit()
}
