package storetest

import (
	"fmt"
	"sync"
	"testing"

	"hxchat/chat"
)

// benchRooms is how many rooms BenchRoomsFor lists: a large
// installation's worth, so that a query that sorted or walked every room
// for a page would show.
const benchRooms = 10_000

// benchPage is the room list's page.
const benchPage = 50

// BenchRoomsFor measures RoomsFor reading one page of benchPage rooms of
// benchRooms, walking the whole list page by page and starting again at
// its end: for everyone (user 0); for a person who is in a tenth of the
// private rooms and has direct rooms; and for one in none. One room in
// five is private. open must return an empty store.
func BenchRoomsFor(b *testing.B, open func(b *testing.B) chat.Store) {
	s := open(b)
	member, outsider := MustCreateAccount(b, s, "Member"), MustCreateAccount(b, s, "Outsider")
	for i := range 50 {
		other := MustCreateAccount(b, s, fmt.Sprint("Friend ", i))
		MustCreateRoomOf(b, s, chat.RoomDirect, "", member.ID, other.ID)
	}
	fillRooms(b, s, member.ID)
	for _, who := range []struct {
		name string
		id   int64
	}{{"everyone", 0}, {"member", member.ID}, {"outsider", outsider.ID}} {
		b.Run(who.name, func(b *testing.B) {
			var (
				key   string
				after int64
			)
			for b.Loop() {
				page, err := s.RoomsFor(b.Context(), who.id, key, after, benchPage)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) < benchPage {
					key, after = "", 0
					continue
				}
				last := page[len(page)-1]
				key, after = chat.NameKey(last.Name), last.ID
			}
		})
	}
}

// fillRooms stores benchRooms rooms, from a few goroutines, in an order
// of IDs that is not their order of names; every fifth is private, and
// every tenth private room has member in it.
func fillRooms(b *testing.B, s chat.Store, member int64) {
	const writers = 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < benchRooms; i += writers {
				name := fmt.Sprintf("Room %05d", i*7919%benchRooms)
				var err error
				switch {
				case i%50 == 0:
					_, err = s.CreateRoomOf(b.Context(), chat.Room{Name: name, Kind: chat.RoomPrivate, CreatedBy: member, CreatedAt: t0}, nil)
				case i%5 == 0:
					_, err = s.CreateRoomOf(b.Context(), chat.Room{Name: name, Kind: chat.RoomPrivate, CreatedAt: t0}, nil)
				default:
					_, err = s.CreateRoom(b.Context(), name, t0)
				}
				if err != nil {
					b.Errorf("room %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}
