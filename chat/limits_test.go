package chat_test

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"hxchat/chat"
)

func TestKeyedRefillsAndForgets(t *testing.T) {
	clock := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	k := chat.NewKeyed(rate.Every(time.Second), 2, func() time.Time { return clock })
	type step struct {
		ok, first bool
	}
	var got []step
	for range 4 {
		ok, first := k.Allow("a")
		got = append(got, step{ok, first})
	}
	want := []step{{true, false}, {true, false}, {false, true}, {false, false}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Allow #%d: got %+v, want %+v (only the first refusal of a streak is to be reported)", i, got[i], want[i])
		}
	}
	if ok, _ := k.Allow("b"); !ok {
		t.Error("another key: refused, want its own burst")
	}
	clock = clock.Add(time.Second)
	if ok, _ := k.Allow("a"); !ok {
		t.Error("after a second: refused, want one token back")
	}
	if ok, first := k.Allow("a"); ok || !first {
		t.Errorf("a new streak of refusals: got ok=%v first=%v, want refused and reported again", ok, first)
	}
	clock = clock.Add(time.Hour)
	k.Allow("c")
	if got := k.Len(); got != 1 {
		t.Errorf("after an hour idle: %d keys remembered, want only the one just used", got)
	}
}
