package postgres

import (
	"slices"
	"strconv"
	"strings"

	"hxchat/chat"
)

// newRoom returns r as CreateRoomOf stores it: of kind open when none is
// given, stamped, not archived, and without a name when it is direct.
func newRoom(r chat.Room) chat.Room {
	if r.Kind == "" {
		r.Kind = chat.RoomOpen
	}
	if r.Kind == chat.RoomDirect {
		r.Name = ""
	}
	r.CreatedAt, r.Archived, r.People = stamp(r.CreatedAt), false, nil
	return r
}

// memberSet returns the people to add to r: members and r's creator,
// sorted, each once. An open room has no member list.
func memberSet(r chat.Room, members []int64) []int64 {
	if r.Open() {
		return nil
	}
	set := slices.Clone(members)
	if r.CreatedBy != 0 {
		set = append(set, r.CreatedBy)
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// directKey is the name_key of the direct room of members, a sorted set:
// "direct:3,8". It has an index of its own, so it cannot clash with the
// name of an open or private room even if someone named one so.
func directKey(members []int64) string {
	var b strings.Builder
	b.WriteString("direct:")
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(m, 10))
	}
	return b.String()
}
