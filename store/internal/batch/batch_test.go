package batch_test

import (
	"context"
	"slices"
	"testing"

	"hxchat/store/internal/batch"
)

func TestRunTakesWhatIsWaitingUpToMax(t *testing.T) {
	in := make(chan int, 10)
	for i := range 5 {
		in <- i
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got [][]int
	done := make(chan struct{})
	go func() {
		defer close(done)
		batch.Run(ctx, in, 3, func(b []int) {
			got = append(got, slices.Clone(b))
			if len(got) == 2 {
				cancel()
			}
		})
	}()
	<-done
	if want := [][]int{{0, 1, 2}, {3, 4}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
}

func TestRunWritesALoneItemAtOnce(t *testing.T) {
	in := make(chan int)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	written := make(chan []int)
	go batch.Run(ctx, in, 64, func(b []int) { written <- slices.Clone(b) })
	in <- 7
	if b := <-written; !slices.Equal(b, []int{7}) {
		t.Errorf("batch %v, want [7]", b)
	}
}

func TestRunStopsWhenCtxEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		batch.Run(ctx, make(chan int), 8, func([]int) { t.Error("write called with nothing sent") })
	}()
	cancel()
	<-done
}
