package stomp_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"hxchat/chat"
	"hxchat/stomp"
)

// complete decodes a MESSAGE tail the way a subscription completes it,
// with its command line, subscription and destination.
func complete(t *testing.T, tail []byte) *stomp.Frame {
	t.Helper()
	d := stomp.NewDecoder(stomp.V12, stomp.Limits{})
	d.Feed(append([]byte("MESSAGE\nsubscription:s\ndestination:/topic/room.5\n"), tail...))
	f, err := d.Next()
	if err != nil || f == nil {
		t.Fatalf("decoding %q: %v, %v", tail, f, err)
	}
	if d.Pending() {
		t.Errorf("bytes left after the frame in %q", tail)
	}
	return f
}

func TestEncoderMessages(t *testing.T) {
	enc := stomp.NewEncoder()
	at := time.Date(2026, time.December, 3, 10, 15, 30, 0, time.UTC)
	msgs := []chat.Message{
		{ID: 901, Room: 5, Seq: 42, Author: chat.User{ID: 7, Name: "Ana"}, Body: "Shall we? <b>now</b> & \x00 \"then\"", CreatedAt: at},
		{ID: 902, Room: 5, Seq: 43, Author: chat.User{ID: 8, Name: "Bo"}, Body: "Yes", CreatedAt: at.Add(time.Second)},
	}
	frames, err := enc.Messages(5, msgs)
	if err != nil || len(frames) != 2 {
		t.Fatalf("Messages: %d frames, %v; want 2", len(frames), err)
	}
	for i, tail := range frames {
		f := complete(t, tail)
		m := msgs[i]
		if got, want := header(f, "message-id"), "5-"+i64(m.Seq); got != want {
			t.Errorf("message-id %q, want %q", got, want)
		}
		if got := header(f, "content-type"); got != stomp.ContentType {
			t.Errorf("content-type %q", got)
		}
		if got, want := header(f, "content-length"), i64(int64(len(f.Body))); got != want {
			t.Errorf("content-length %q, want %q", got, want)
		}
		var b stomp.MessageBody
		if err := json.Unmarshal(f.Body, &b); err != nil {
			t.Fatalf("body %q: %v", f.Body, err)
		}
		want := stomp.MessageBody{
			Type: "CHAT", ChatRoomID: "5", Writer: m.Author.Name, WriterID: i64(m.Author.ID), Message: m.Body,
			ID: i64(m.ID), Seq: m.Seq, SentAt: m.CreatedAt.Format(time.RFC3339),
		}
		if b != want {
			t.Errorf("body %+v, want %+v", b, want)
		}
	}
	// A page is its messages, for a client that appends what it gets.
	page, err := enc.Log(5, chat.Page{Messages: msgs[1:], More: true})
	if err != nil || len(page) != 1 || string(page[0]) != string(frames[1]) {
		t.Errorf("Log: %q, %v; want the page's message as Messages encodes it", page, err)
	}
}

func TestEncoderPresence(t *testing.T) {
	enc := stomp.NewEncoder()
	frames, err := enc.Presence(chat.Presence{Room: 5, Online: []chat.User{{ID: 7, Name: "Ana"}}, Total: 1})
	if err != nil || frames != nil {
		t.Errorf("nobody came or went: %q, %v; want no frames", frames, err)
	}
	frames, err = enc.Presence(chat.Presence{
		Room: 5, Joined: []chat.User{{ID: 7, Name: "Ana"}, {ID: 9, Name: "Cy"}}, Left: []chat.User{{ID: 8, Name: "Bo"}},
	})
	if err != nil || len(frames) != 3 {
		t.Fatalf("Presence: %d frames, %v; want 3", len(frames), err)
	}
	want := []stomp.MessageBody{
		{Type: "JOIN", ChatRoomID: "5", Writer: "Ana", WriterID: "7", Message: "Ana joined."},
		{Type: "JOIN", ChatRoomID: "5", Writer: "Cy", WriterID: "9", Message: "Cy joined."},
		{Type: "LEAVE", ChatRoomID: "5", Writer: "Bo", WriterID: "8", Message: "Bo left."},
	}
	ids := map[string]bool{}
	for i, tail := range frames {
		f := complete(t, tail)
		ids[header(f, "message-id")] = true
		var b stomp.MessageBody
		if err := json.Unmarshal(f.Body, &b); err != nil || b != want[i] {
			t.Errorf("notice %d: %+v, %v; want %+v", i, b, err, want[i])
		}
	}
	if len(ids) != 3 {
		t.Errorf("message-ids %v, want three different ones", ids)
	}
}

func TestEncoderEnded(t *testing.T) {
	enc := stomp.NewEncoder()
	for reason, want := range map[chat.Reason]string{
		chat.SignedOut: "signed out", chat.Removed: "removed from the room", chat.Archived: "the room was archived",
	} {
		frames, err := enc.Ended(reason)
		if err != nil || len(frames) != 1 {
			t.Fatalf("Ended(%s): %d frames, %v", reason, len(frames), err)
		}
		// Read as every version reads it.
		for _, v := range []string{stomp.V10, stomp.V11, stomp.V12} {
			d := stomp.NewDecoder(v, stomp.Limits{})
			d.Feed(frames[0])
			f, err := d.Next()
			if err != nil || f == nil || f.Command != stomp.ERROR {
				t.Fatalf("Ended(%s) in %s: %v, %v", reason, v, f, err)
			}
			if header(f, "message") != want || header(f, "reason") != string(reason) {
				t.Errorf("Ended(%s) in %s: headers %v, want message %q", reason, v, f.Headers, want)
			}
		}
	}
}

// i64 formats n.
func i64(n int64) string { return strconv.FormatInt(n, 10) }

// BenchmarkEncoderMessages encodes one chat message for every STOMP
// subscriber of a room: the work done once per event.
func BenchmarkEncoderMessages(b *testing.B) {
	enc := stomp.NewEncoder()
	msgs := []chat.Message{{
		ID: 901, Room: 5, Seq: 42, Author: chat.User{ID: 7, Name: "Ana"},
		Body: "Shall we move the stand-up to half past ten tomorrow?", CreatedAt: time.Now(),
	}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Messages(5, msgs); err != nil {
			b.Fatal(err)
		}
	}
}
