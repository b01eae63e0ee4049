package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestRunServesSTOMP: /ws/stomp is mounted, and a shutdown closes STOMP
// connections with 1012 whether they subscribed to a room or not.
func TestRunServesSTOMP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the program: -short leaves it out")
	}
	db := filepath.Join(t.TempDir(), "hxchat.db")
	a := MustRun(t, []string{"-open", "-addr", "127.0.0.1:0", "-db", db}, nil)
	url := "ws" + strings.TrimPrefix(a.base, "http") + "/ws/stomp"
	dial := func() *websocket.Conn {
		d := websocket.Dialer{Subprotocols: []string{"v12.stomp"}, HandshakeTimeout: wait}
		ws, _, err := d.Dial(url, nil)
		if err != nil {
			t.Fatalf("dial /ws/stomp: %v", err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	// send writes a frame and reads until a frame of command want.
	send := func(ws *websocket.Conn, frame, want string) {
		t.Helper()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatalf("write: %v", err)
		}
		for {
			_ = ws.SetReadDeadline(time.Now().Add(wait))
			_, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("reading for %s: %v", want, err)
			}
			if strings.HasPrefix(string(data), want+"\n") {
				return
			}
		}
	}
	const connect = "CONNECT\naccept-version:1.2\nhost:localhost\n\n\x00"
	idle, subscribed := dial(), dial()
	send(idle, connect, "CONNECTED")
	send(subscribed, connect, "CONNECTED")
	send(subscribed, "SUBSCRIBE\nid:0\ndestination:/subscribe/chat/room/1\nreceipt:r\n\n\x00", "RECEIPT")

	if err := a.stop(t); err != nil {
		t.Errorf("run after cancel: got %v, want nil", err)
	}
	for name, ws := range map[string]*websocket.Conn{"idle": idle, "subscribed": subscribed} {
		_ = ws.SetReadDeadline(time.Now().Add(wait))
		var err error
		for err == nil {
			_, _, err = ws.ReadMessage()
		}
		if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
			t.Errorf("%s STOMP connection at shutdown: got %v, want close 1012", name, err)
		}
	}
}
