package storetest

import (
	"path/filepath"
	"slices"
	"testing"
)

// VersionsQuery lists the migration versions goose recorded as applied,
// with how many times each was recorded.
const VersionsQuery = `SELECT version_id, count(*) FROM goose_db_version WHERE is_applied GROUP BY version_id ORDER BY version_id`

// Rows is what WantVersionsOnce reads the answer to VersionsQuery from:
// *sql.Rows and pgx.Rows both are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// WantVersionsOnce fails t unless rows, the answer to VersionsQuery,
// record every file in the test's migrations/ folder as applied exactly
// once, besides goose's own version 0.
func WantVersionsOnce(t *testing.T, rows Rows) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	var versions []int64
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("version %d recorded %d times, want once", v, n)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := SeqRange(0, int64(len(files))); !slices.Equal(versions, want) {
		t.Errorf("applied versions: got %v, want %v (one per migration file)", versions, want)
	}
}
