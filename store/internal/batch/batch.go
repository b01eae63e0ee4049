// Package batch gathers what arrives on a channel into batches, for the
// stores' group commit: a writer that takes the first request, then
// whatever others are already waiting, writes a lone request at once and
// the requests that arrive during one write together in the next, with
// no timer and no added latency.
package batch

import "context"

// Run calls write with each batch from in, of at most max items, until
// ctx ends. It waits for a batch's first item, then takes only what is
// already waiting. write must not keep the slice: it is cleared and
// reused, so that finished items can be collected.
func Run[T any](ctx context.Context, in <-chan T, max int, write func([]T)) {
	b := make([]T, 0, max)
	for {
		select {
		case <-ctx.Done():
			return
		case v := <-in:
			b = append(b, v)
		}
	drain:
		for len(b) < max {
			select {
			case v := <-in:
				b = append(b, v)
			default:
				break drain
			}
		}
		write(b)
		clear(b)
		b = b[:0]
	}
}
