package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"
	"hxchat/chat"
	"hxchat/store/storetest"
)

// schemaProvider returns a goose provider of the store's migrations on
// db, for a test to move the schema to a version of its choice.
func schemaProvider(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// execAll runs each statement on db or fails t.
func execAll(t *testing.T, db *sql.DB, statements ...string) {
	t.Helper()
	for _, q := range statements {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// wantForeignKeysHold fails t when a row of db points to one that does
// not exist.
func wantForeignKeysHold(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Errorf("PRAGMA foreign_key_check: found rows pointing nowhere")
	}
}

// TestMigrateToAccounts is a database from before accounts: its rooms
// become open rooms, each with its messages, its people open-mode people
// without an account, and the rooms' numbering goes on where it was.
// Going down and up again keeps the rooms and drops the direct ones.
func TestMigrateToAccounts(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hxchat.db")
	db, err := openPool(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	p := schemaProvider(t, db)
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatalf("UpTo(3): %v", err)
	}
	// Room 3 is made and deleted, so that AUTOINCREMENT is ahead of the
	// rooms left: a new room must not get its number again.
	execAll(t, db,
		`INSERT INTO rooms (name, name_key, created_at) VALUES ('General', 'general', 1), ('Café', 'café', 2), ('Gone', 'gone', 3)`,
		`DELETE FROM rooms WHERE id = 3`,
		`INSERT INTO users (name, name_key) VALUES ('Ada', 'ada'), ('member2', 'member2')`,
		`INSERT INTO messages (room_id, seq, author_id, author_name, body, token, created_at) VALUES
			(1, 1, 1, 'Ada', 'hello', 't1', 10), (1, 2, 2, 'member2', 'hi', 't2', 11), (2, 1, 1, 'Ada', 'café?', 't3', 12)`,
	)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	rooms, err := s.RoomsFor(ctx, 0, "", 0, 10)
	if err != nil {
		t.Fatalf("RoomsFor: %v", err)
	}
	want := []chat.Room{
		{ID: 2, Name: "Café", CreatedAt: fromNanos(2), Kind: chat.RoomOpen},
		{ID: 1, Name: "General", CreatedAt: fromNanos(1), Kind: chat.RoomOpen},
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
	if last, err := s.LastSeq(ctx, 2); err != nil || last != 1 {
		t.Errorf("LastSeq(Café) after migrating: got %d, %v, want 1", last, err)
	}
	if has, err := s.HasAccounts(ctx); err != nil || has {
		t.Errorf("HasAccounts after migrating: got %v, %v, want false: nobody had an email", has, err)
	}
	if _, err := s.Account(ctx, 1); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.NoMember {
		t.Errorf("Account(Ada) after migrating: got %v, want reason %s: she has no email", err, chat.NoMember)
	}
	if _, err := s.CreateRoom(ctx, "GENERAL", fromNanos(4)); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.Taken {
		t.Errorf("CreateRoom(GENERAL) after migrating: got %v, want reason %s", err, chat.Taken)
	}
	if r := storetest.MustCreateRoom(t, s, "Porch"); r.ID != 4 {
		t.Errorf("CreateRoom after migrating: got ID %d, want 4: room 3 was made once", r.ID)
	}
	if _, err := s.RenameUser(ctx, 2, "ADA"); chat.AsError(err) == nil || chat.AsError(err).Reason != chat.Taken {
		t.Errorf("RenameUser(ADA) after migrating: got %v, want reason %s", err, chat.Taken)
	}
	wantForeignKeysHold(t, s.write)

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
	storetest.MustAddMessage(t, s, chat.Message{Room: direct.ID, Body: "psst", Token: "t4"})
	if _, err := schemaProvider(t, s.write).DownTo(context.Background(), 3); err != nil {
		t.Fatalf("DownTo(3): %v", err)
	}
	wantForeignKeysHold(t, s.write)
	var names []string
	rows, err := s.write.QueryContext(ctx, `SELECT name FROM rooms ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if want := []string{"General", "Café", "Porch", private.Name}; !slices.Equal(names, want) {
		t.Errorf("rooms after going down: got %q, want %q", names, want)
	}
	if _, err := schemaProvider(t, s.write).Up(context.Background()); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	if r := storetest.MustCreateRoom(t, s, "Cellar"); r.ID != direct.ID+2 {
		t.Errorf("CreateRoom after going down and up: got ID %d, want %d: neither the direct room's number nor Attic's again", r.ID, direct.ID+2)
	}
}
