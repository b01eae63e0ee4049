package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hxchat/chat"
	"hxchat/store/postgres"
	"hxchat/store/postgres/pgtest"
	"hxchat/store/storetest"
)

// TestTwoInstancesCrossRooms is two instances whose posters write into
// the same two rooms, those of one instance first into one room and then
// the other, those of the other instance the other way round, so that
// each instance's batches hold messages of both rooms while the other's
// do too. Were the rooms locked in arrival order, two batches would soon
// each hold one room and wait for the other; PostgreSQL would abort one
// as a deadlock. Every post must succeed, and each room's Seqs be
// 1..N, once each, as their posters were told.
func TestTwoInstancesCrossRooms(t *testing.T) {
	dbURL := pgtest.Schema(t)
	stores := []*postgres.Store{MustOpen(t, dbURL), MustOpen(t, dbURL)}
	// Rooms 12 IDs apart, so that one committer of each instance writes
	// both, whether an instance runs 1, 2, 3, 4, 6 or 12: each batch then
	// holds messages of both rooms.
	var rooms []chat.Room
	for i := range 13 {
		r := storetest.MustCreateRoom(t, stores[0], fmt.Sprint("Room ", i))
		if i == 0 || i == 12 {
			rooms = append(rooms, r)
		}
	}
	const perInstance, each = 32, 20
	got := make([][]chat.Message, 2*perInstance)
	var wg sync.WaitGroup
	for p := range got {
		instance := p % 2
		s := stores[instance]
		wg.Go(func() {
			for i := range each {
				room := rooms[(i+instance)%2]
				m := chat.Message{Room: room.ID, Body: fmt.Sprint(p, "-", i), Token: fmt.Sprint(p, "-", i)}
				stored, dup, err := s.AddMessage(t.Context(), m)
				if err != nil || dup {
					t.Errorf("instance %d, poster %d, message %d: got duplicate=%v, %v", instance, p, i, dup, err)
					return
				}
				got[p] = append(got[p], stored)
			}
		})
	}
	wg.Wait()
	for _, room := range rooms {
		told := slices.DeleteFunc(slices.Concat(got...), func(m chat.Message) bool { return m.Room != room.ID })
		storetest.WantTold(t, stores[1], room.ID, told, len(got)*each/2)
	}
}
