package stomp_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/chat"
	"hxchat/hub"
	"hxchat/stomp"
)

// BenchmarkBroadcast measures what a delivery costs, per recipient, to
// htmx pages, to STOMP subscribers and to a room of both, on the whole
// stack: the hub encodes each message once per format present, and each
// recipient's writer sends it. ns/delivery is the time per message
// divided by the recipients; a STOMP delivery adds its subscription's
// headers to the shared tail and goes out as a message of its own, where
// pages' messages are joined into one write.
//
//	go test -run XXX -bench Broadcast -benchtime 2000x ./stomp/
func BenchmarkBroadcast(b *testing.B) {
	const n, window = 200, 256
	for _, mix := range []struct {
		name          string
		pages, stomps int
	}{{"htmx", n, 0}, {"stomp", 0, n}, {"mixed", n / 2, n / 2}} {
		b.Run(fmt.Sprintf("%s/subscribers=%d", mix.name, n), func(b *testing.B) {
			s := mustStart(b, options{hubCfg: hub.Config{QueueSize: 4 * window, PresenceWait: time.Hour, WriteInterval: time.Nanosecond}})
			author, err := s.svc.NewUser(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			room := s.general.ID
			first := s.mustPost(b, room, author, 1)

			// Each reader counts the messages it reads and reports every
			// window of them; it has joined once it read the first.
			progress := make(chan int, n)
			errs := make(chan error, n)
			joined := make(chan struct{}, n)
			// Readers reuse one buffer: the cost measured is the server's,
			// not the test client's allocations per message.
			read := func(ws *websocket.Conn, count func([]byte) int) {
				seen := -1
				var buf bytes.Buffer
				for seen < b.N {
					_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
					_, r, err := ws.NextReader()
					if err == nil {
						buf.Reset()
						_, err = buf.ReadFrom(r)
					}
					if err != nil {
						errs <- err
						return
					}
					for range count(buf.Bytes()) {
						seen++
						if seen == 0 {
							joined <- struct{}{}
						} else if seen%window == 0 || seen == b.N {
							progress <- seen
						}
					}
				}
			}
			for range mix.pages {
				u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + fmt.Sprintf("/ws/chat?room=%d", room)
				ws, _, err := websocket.DefaultDialer.DialContext(b.Context(), u, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { ws.Close() })
				if err := ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"after":"%d"}`, first.Seq-1)); err != nil {
					b.Fatal(err)
				}
				go read(ws, func(data []byte) int { return bytes.Count(data, []byte("data-seq=")) })
			}
			for i := range mix.stomps {
				c := s.dial(b, nil)
				c.connect("heart-beat", "0,0")
				c.send(frame(stomp.SUBSCRIBE, "", "id", fmt.Sprint("sub-", i), "destination", stomp.RoomDestination(room),
					"after-seq", fmt.Sprint(first.Seq-1)))
				go read(c.ws, func(data []byte) int {
					if bytes.HasPrefix(data, []byte("MESSAGE\n")) && bytes.Contains(data, []byte(`"type":"CHAT"`)) {
						return 1
					}
					return 0
				})
			}
			for range n {
				select {
				case <-joined:
				case err := <-errs:
					b.Fatalf("subscriber: %v", err)
				}
			}
			m := chat.Message{Room: room, Author: author, Body: strings.Repeat("x", 200), CreatedAt: time.Now()}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				m.Seq = first.Seq + int64(i) + 1
				m.ID = m.Seq
				s.hub.Deliver(chat.Event{Kind: chat.EventMessage, Room: room, Message: &m})
				if sent := i + 1; sent%window == 0 || sent == b.N {
					for range n {
						select {
						case <-progress:
						case err := <-errs:
							b.Fatalf("subscriber: %v", err)
						}
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
	}
}
