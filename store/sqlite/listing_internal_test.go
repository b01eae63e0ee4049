package sqlite

import (
	"slices"
	"strings"
	"testing"
)

// TestRoomListReadsNoTable checks SQLite's plans for the room list and
// the direct rooms: each table is searched through an index, never
// scanned, so that a page costs the same among ten thousand rooms; and
// the open rooms come from rooms_by_kind_name, which holds them in the
// page's order.
func TestRoomListReadsNoTable(t *testing.T) {
	s := mustOpen(t)
	tests := []struct {
		name      string
		query     string
		args      []any
		wantIndex string
	}{
		{"everyone", roomsForEveryone, []any{"", 0, 50}, "rooms_by_kind_name"},
		{"member", roomsForMember, []any{"", 0, 50, 3}, "room_members_by_user"},
		{"direct", directRooms, []any{3, 10}, "room_members_by_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := queryPlan(t, s, tt.query, tt.args...)
			for _, step := range plan {
				if table, scan := strings.CutPrefix(step, "SCAN "); scan && !strings.HasPrefix(table, "(") && table != "mine" {
					t.Errorf("plan reads a whole table: %q in\n%s", step, strings.Join(plan, "\n"))
				}
			}
			if !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "INDEX "+tt.wantIndex) }) {
				t.Errorf("plan does not use %s:\n%s", tt.wantIndex, strings.Join(plan, "\n"))
			}
		})
	}
}

// queryPlan returns the steps of EXPLAIN QUERY PLAN for query.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var (
			id, parent, unused int
			detail             string
		)
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
