package postgres

import (
	"context"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"hxchat/chat"
	"hxchat/store/postgres/pgtest"
	"hxchat/store/storetest"
)

// schemaProvider returns a goose provider of the store's migrations on
// the database at dbURL, for a test to move the schema to a version of
// its choice.
func schemaProvider(t *testing.T, dbURL string) *goose.Provider {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// execAll runs each statement on the database at dbURL or fails t.
func execAll(t *testing.T, dbURL string, statements ...string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range statements {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// roomNames returns the names of the rooms in the database at dbURL, by
// ID.
func roomNames(t *testing.T, dbURL string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT name FROM rooms ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestMigrateToAccounts is a database from before accounts: its rooms
// become open rooms, each with its messages, and its people open-mode
// people without an account. Going down and up again keeps the rooms
// and drops the direct ones.
func TestMigrateToAccounts(t *testing.T) {
	ctx := t.Context()
	dbURL := pgtest.Schema(t)
	if _, err := schemaProvider(t, dbURL).UpTo(ctx, 2); err != nil {
		t.Fatalf("UpTo(2): %v", err)
	}
	execAll(t, dbURL,
		`INSERT INTO rooms (name, name_key, created_at, last_seq) VALUES
			('General', 'general', '2025-01-01Z', 2), ('Café', 'café', '2025-01-02Z', 1)`,
		`INSERT INTO users (name, name_key) VALUES ('Ada', 'ada'), ('member2', 'member2')`,
		`INSERT INTO messages (room_id, seq, author_id, author_name, body, token, created_at) VALUES
			(1, 1, 1, 'Ada', 'hello', 't1', now()), (1, 2, 2, 'member2', 'hi', 't2', now()), (2, 1, 1, 'Ada', 'café?', 't3', now())`,
	)

	s, err := Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	rooms, err := s.RoomsFor(ctx, 0, "", 0, 10)
	if err != nil {
		t.Fatalf("RoomsFor: %v", err)
	}
	want := []chat.Room{
		{ID: 2, Name: "Café", CreatedAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Kind: chat.RoomOpen},
		{ID: 1, Name: "General", CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Kind: chat.RoomOpen},
	}
	if len(rooms) != len(want) {
		t.Fatalf("RoomsFor after migrating: got %+v, want %+v", rooms, want)
	}
	for i := range want {
		if rooms[i].ID != want[i].ID || rooms[i].Name != want[i].Name || !rooms[i].CreatedAt.Equal(want[i].CreatedAt) ||
			rooms[i].Kind != want[i].Kind || rooms[i].CreatedBy != 0 || rooms[i].Archived {
			t.Errorf("room %d after migrating: got %+v, want %+v", i, rooms[i], want[i])
		}
	}
	if page, err := s.Before(ctx, 1, 0, 10); err != nil || len(page.Messages) != 2 || page.Messages[1].Body != "hi" {
		t.Errorf("Before(General) after migrating: got %+v, %v, want its two messages", page, err)
	}
	if m := storetest.MustAddMessage(t, s, chat.Message{Room: 1, Body: "again", Token: "t4"}); m.Seq != 3 {
		t.Errorf("AddMessage after migrating: got seq %d, want 3", m.Seq)
	}
	if has, err := s.HasAccounts(ctx); err != nil || has {
		t.Errorf("HasAccounts after migrating: got %v, %v, want false: nobody had an email", has, err)
	}
	if _, err := s.Account(ctx, 1); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.NoMember {
		t.Errorf("Account(Ada) after migrating: got %v, want reason %s: she has no email", err, chat.NoMember)
	}
	if _, err := s.CreateRoom(ctx, "GENERAL", time.Now()); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.Taken {
		t.Errorf("CreateRoom(GENERAL) after migrating: got %v, want reason %s", err, chat.Taken)
	}
	if _, err := s.RenameUser(ctx, 2, "ADA"); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.Taken {
		t.Errorf("RenameUser(ADA) after migrating: got %v, want reason %s", err, chat.Taken)
	}

	// Down again: the direct room goes, with its message; the private
	// one stays, as an open room.
	ada, bo := int64(1), int64(2)
	direct, err := s.CreateRoomOf(ctx, chat.Room{Kind: chat.RoomDirect, CreatedBy: ada}, []int64{ada, bo})
	if err != nil {
		t.Fatalf("CreateRoomOf(direct): %v", err)
	}
	private, err := s.CreateRoomOf(ctx, chat.Room{Name: "Attic", Kind: chat.RoomPrivate, CreatedBy: ada}, nil)
	if err != nil {
		t.Fatalf("CreateRoomOf(private): %v", err)
	}
	storetest.MustAddMessage(t, s, chat.Message{Room: direct.ID, Body: "psst", Token: "t5"})
	if _, err := schemaProvider(t, dbURL).DownTo(ctx, 2); err != nil {
		t.Fatalf("DownTo(2): %v", err)
	}
	if got, want := roomNames(t, dbURL), []string{"General", "Café", private.Name}; !slices.Equal(got, want) {
		t.Errorf("rooms after going down: got %q, want %q", got, want)
	}
	if _, err := schemaProvider(t, dbURL).Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	if r := storetest.MustCreateRoom(t, s, "Cellar"); r.ID <= private.ID {
		t.Errorf("CreateRoom after going down and up: got ID %d, want one above %d", r.ID, private.ID)
	}
}
