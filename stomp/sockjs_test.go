package stomp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hxchat/stomp"
)

// sockJSPoller is a SockJS client on the xhr-polling transport, written
// from the protocol: a POST to .../xhr returns what is queued (or waits
// for it), a POST to .../xhr_send carries a JSON array of messages.
type sockJSPoller struct {
	t    *testing.T
	base string
	dec  *stomp.Decoder
	// queue holds messages received but not yet decoded.
	queue []string
}

func (s *stack) sockJSPoll(t *testing.T, session string) *sockJSPoller {
	t.Helper()
	p := &sockJSPoller{t: t, base: s.srv.URL + "/stomp-chat/000/" + session, dec: stomp.NewDecoder(stomp.V12, stomp.Limits{MaxFrame: 1 << 20, MaxBody: 1 << 20})}
	if got := p.poll(); len(got) != 1 || got[0] != "o" {
		t.Fatalf("opening poll got %q, want the open frame", got)
	}
	return p
}

// post sends a request and returns the status and body.
func (p *sockJSPoller) post(path string, body []byte) (int, string) {
	p.t.Helper()
	req, err := http.NewRequestWithContext(p.t.Context(), http.MethodPost, p.base+path, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain")
	client := http.Client{Timeout: wait + 30*time.Second}
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// poll returns the SockJS frames of one poll: "o", "h", a message, or
// "c" with its code and reason; an array frame is split into messages.
func (p *sockJSPoller) poll() []string {
	p.t.Helper()
	status, body := p.post("/xhr", nil)
	if status != http.StatusOK {
		p.t.Fatalf("poll: status %d %q", status, body)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		switch {
		case strings.HasPrefix(line, "a"):
			var msgs []string
			if err := json.Unmarshal([]byte(line[1:]), &msgs); err != nil {
				p.t.Fatalf("array frame %q: %v", line, err)
			}
			out = append(out, msgs...)
		default:
			out = append(out, line)
		}
	}
	return out
}

// send sends STOMP frames, each as one SockJS message.
func (p *sockJSPoller) send(frames ...*stomp.Frame) {
	p.t.Helper()
	msgs := make([]string, len(frames))
	for i, f := range frames {
		msgs[i] = string(stomp.Encode(stomp.V12, f))
	}
	data, _ := json.Marshal(msgs)
	if status, body := p.post("/xhr_send", data); status != http.StatusNoContent {
		p.t.Fatalf("xhr_send: status %d %q", status, body)
	}
}

// next returns the next STOMP frame, polling as needed; SockJS heart-beats
// and STOMP's (an EOL) are skipped.
func (p *sockJSPoller) next() *stomp.Frame {
	p.t.Helper()
	for {
		f, err := p.dec.Next()
		if err != nil {
			p.t.Fatalf("decode: %v", err)
		}
		if f != nil {
			return f
		}
		if len(p.queue) == 0 {
			for _, m := range p.poll() {
				if m != "h" {
					p.queue = append(p.queue, m)
				}
			}
			continue
		}
		m := p.queue[0]
		p.queue = p.queue[1:]
		if strings.HasPrefix(m, "c[") {
			p.t.Fatalf("session closed: %s", m)
		}
		p.dec.Feed([]byte(m))
	}
}

func (p *sockJSPoller) expect(command string) *stomp.Frame {
	p.t.Helper()
	f := p.next()
	if f.Command != command {
		p.t.Fatalf("got %s %v %q, want %s", f.Command, f.Headers, f.Body, command)
	}
	return f
}

func TestSockJSPollingChatsWithTheRoom(t *testing.T) {
	s := mustStart(t, options{})
	p := s.sockJSPoll(t, "poll1")
	p.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "host", "localhost", "heart-beat", "0,0"))
	p.expect(stomp.CONNECTED)
	room := fmt.Sprint(s.general.ID)
	p.send(frame(stomp.SUBSCRIBE, "", "id", "0", "destination", "/subscribe/chat/room/"+room, "receipt", "sub"))
	if r := p.expect(stomp.RECEIPT); r.Headers[0].Value != "sub" {
		t.Fatalf("RECEIPT %v, want receipt-id sub", r.Headers)
	}
	p.send(frame(stomp.SEND, `{"chatRoomId":"`+room+`","message":"over xhr polling"}`, "destination", "/publish/chat/message"))
	for {
		f := p.expect(stomp.MESSAGE)
		b := body[stomp.MessageBody](t, f)
		if b.Type != stomp.TypeChat {
			continue
		}
		if b.Message != "over xhr polling" || b.ChatRoomID != room {
			t.Fatalf("got %+v, want the message sent", b)
		}
		break
	}
}

func TestSockJSWebsocketTransportCarriesSTOMP(t *testing.T) {
	s := mustStart(t, options{})
	ws, _, err := websocket.DefaultDialer.DialContext(t.Context(), "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/stomp-chat/000/ws1/websocket", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.Close()
	read := func() string {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(wait))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return string(data)
	}
	if got := read(); got != "o" {
		t.Fatalf("got %q, want the open frame", got)
	}
	msgs, _ := json.Marshal([]string{string(stomp.Encode(stomp.V12, frame(stomp.CONNECT, "", "accept-version", "1.1,1.2", "host", "localhost")))})
	if err := ws.WriteMessage(websocket.TextMessage, msgs); err != nil {
		t.Fatal(err)
	}
	got := read()
	var frames []string
	if !strings.HasPrefix(got, "a") || json.Unmarshal([]byte(got[1:]), &frames) != nil || len(frames) != 1 || !strings.HasPrefix(frames[0], "CONNECTED\nversion:1.2\n") {
		t.Fatalf("got %q, want one CONNECTED frame of version 1.2", got)
	}
}

func TestSockJSServesOnlyItsThreeTransports(t *testing.T) {
	s := mustStart(t, options{})
	for _, path := range []string{"/000/x/jsonp?c=f", "/000/x/eventsource", "/000/x/htmlfile?c=f", "/iframe.html", "/iframe-1.html"} {
		resp, err := http.Get(s.srv.URL + "/stomp-chat" + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(s.srv.URL + "/stomp-chat/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /stomp-chat/info: status %d, want 200", resp.StatusCode)
	}
}

func TestSockJSRefusesAnotherOrigin(t *testing.T) {
	s := mustStart(t, options{})
	for _, path := range []string{"/info", "/000/o1/xhr"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+"/stomp-chat"+path, nil)
		if path == "/info" {
			req.Method = http.MethodGet
		}
		req.Header.Set("Origin", "http://elsewhere.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s from another origin: status %d, want 403", req.Method, path, resp.StatusCode)
		}
	}
}

func TestSockJSSignsInWithAToken(t *testing.T) {
	s := mustStart(t, options{accounts: true})
	ada, _ := s.mustAccount(t, "Ada")
	_, secret := s.mustToken(t, ada)
	anon := s.sockJSPoll(t, "anon")
	anon.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "host", "localhost"))
	anon.expect(stomp.ERROR)

	p := s.sockJSPoll(t, "tok")
	p.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "host", "localhost", "login", ada.Email, "passcode", secret))
	if f := p.expect(stomp.CONNECTED); !bytes.Contains(stomp.Encode(stomp.V12, f), []byte("user-name:Ada")) {
		t.Errorf("CONNECTED %v, want user-name Ada", f.Headers)
	}
}

func TestSockJSSecondPollWhileTheFirstWaitsIsRefused(t *testing.T) {
	s := mustStart(t, options{})
	p := s.sockJSPoll(t, "twice")
	// Two polls at once: one is attached and waits, since there is
	// nothing to send yet; the other is refused as the protocol says,
	// after the server asked again in case the first was only letting
	// go.
	answers := make(chan string, 2)
	for range 2 {
		go func() {
			_, body := p.post("/xhr", nil)
			answers <- body
		}()
	}
	refused := <-answers
	if !strings.HasPrefix(refused, `c[2010,`) {
		t.Fatalf("first answer %q, want a refusal with 2010", refused)
	}
	p.send(frame(stomp.CONNECT, "", "accept-version", "1.2", "host", "localhost"))
	if got := <-answers; !strings.Contains(got, "CONNECTED") {
		t.Fatalf("the waiting poll got %q, want CONNECTED", got)
	}
}
