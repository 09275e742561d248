package bidi

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// wsServer is the server side of RFC 6455, as small as the tests need:
// it accepts one connection and hands it to serve.
func wsServer(t *testing.T, accept func(key string) string, serve func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("Sec-WebSocket-Version") != "13" {
			http.Error(w, "not a websocket upgrade", http.StatusBadRequest)
			return
		}
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+accept(r.Header.Get("Sec-WebSocket-Key"))+"\r\n\r\n")
		serve(c, rw.Reader)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/session"
}

// serverFrame writes one unmasked frame, as a server must.
func serverFrame(c net.Conn, fin bool, op byte, payload []byte) {
	b := []byte{op, 0}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b[1] = byte(n)
	case n <= 0xffff:
		b[1] = 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	c.Write(append(b, payload...))
}

// clientFrame reads one frame from the client, checking that it is masked.
func clientFrame(t *testing.T, r *bufio.Reader) (op byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Errorf("reading the client's frame: %v", err)
		return 0, nil
	}
	if h[0]&0x80 == 0 || h[1]&0x80 == 0 {
		t.Errorf("client frame header %08b %08b: want FIN and MASK set", h[0], h[1])
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	var mask [4]byte
	io.ReadFull(r, mask[:])
	payload = make([]byte, n)
	io.ReadFull(r, payload)
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return h[0] & 0x0f, payload
}

func dialTest(t *testing.T, url string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dialWS(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.conn.Close() })
	return c
}

// TestWebSocketMessages: the client's frames are masked with the right
// lengths (7-, 16- and 64-bit), and it joins a fragmented message, answers
// a ping in the middle of it with the same payload, and reports the
// server's close code.
func TestWebSocketMessages(t *testing.T) {
	sizes := []int{5, 300, 70000}
	pong := make(chan string, 1)
	url := wsServer(t, acceptKey, func(c net.Conn, r *bufio.Reader) {
		for _, n := range sizes {
			op, p := clientFrame(t, r)
			if op != opText || len(p) != n || strings.Trim(string(p), "x") != "" {
				t.Errorf("the client sent opcode %#x with %d bytes, want a text frame of %d x", op, len(p), n)
			}
			serverFrame(c, true, opText, p) // echo
		}
		serverFrame(c, false, opText, []byte(`{"id":`))
		serverFrame(c, true, opPing, []byte("are you there"))
		serverFrame(c, false, opContinuation, []byte(`1,`))
		serverFrame(c, true, opContinuation, []byte(`"type":"success"}`))
		if op, p := clientFrame(t, r); op != opPong {
			t.Errorf("the client answered a ping with opcode %#x", op)
		} else {
			pong <- string(p)
		}
		serverFrame(c, true, opClose, append(binary.BigEndian.AppendUint16(nil, 1001), "going away"...))
		clientFrame(t, r) // the client's close
	})
	c := dialTest(t, url)
	for _, n := range sizes {
		if err := c.WriteText([]byte(strings.Repeat("x", n))); err != nil {
			t.Fatal(err)
		}
		if got, err := c.ReadMessage(); err != nil || len(got) != n {
			t.Fatalf("echo of %d bytes: %d bytes, %v", n, len(got), err)
		}
	}
	got, err := c.ReadMessage()
	if err != nil || string(got) != `{"id":1,"type":"success"}` {
		t.Fatalf("the fragmented message read as %q, %v", got, err)
	}
	if p := <-pong; p != "are you there" {
		t.Errorf("pong payload %q, want the ping's", p)
	}
	_, err = c.ReadMessage()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 1001 || ce.Reason != "going away" {
		t.Errorf("after the server's close frame: %v, want code 1001 going away", err)
	}
}

// TestWebSocketRefusals: a server that does not prove it speaks WebSocket,
// or breaks the protocol, ends the connection with an error saying how.
func TestWebSocketRefusals(t *testing.T) {
	bad := wsServer(t, func(string) string { return "bm90IHRoZSBrZXk=" }, func(net.Conn, *bufio.Reader) {})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := dialWS(ctx, bad); err == nil || !strings.Contains(err.Error(), "Sec-WebSocket-Accept") {
		t.Errorf("a wrong accept key: %v, want an error naming Sec-WebSocket-Accept", err)
	}
	if _, err := dialWS(ctx, "wss://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "only ws://") {
		t.Errorf("dialing wss: %v", err)
	}
	for name, c := range map[string]struct {
		frame []byte
		want  string
	}{
		"masked":       {[]byte{0x81, 0x81, 1, 2, 3, 4, 'x'}, "masked"},
		"continuation": {[]byte{0x80, 0x01, 'x'}, "continuation"},
		"reserved":     {[]byte{0xc1, 0x01, 'x'}, "reserved"},
		"opcode":       {[]byte{0x83, 0x01, 'x'}, "opcode"},
		"big ping":     {append([]byte{0x89, 126, 0, 200}, make([]byte, 200)...), "control frame"},
	} {
		url := wsServer(t, acceptKey, func(conn net.Conn, r *bufio.Reader) {
			conn.Write(c.frame)
			io.Copy(io.Discard, r)
		})
		ws := dialTest(t, url)
		if _, err := ws.ReadMessage(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, c.want)
		}
	}
}

// TestConnCall: answers are matched to their commands by id whatever their
// order, events go to OnEvent, error answers become *Error, and a
// connection that ends fails the commands still waiting.
func TestConnCall(t *testing.T) {
	url := wsServer(t, acceptKey, func(c net.Conn, r *bufio.Reader) {
		ids := map[string]int{}
		for range 2 {
			_, p := clientFrame(t, r)
			var cmd struct {
				ID     int
				Method string
			}
			json.Unmarshal(p, &cmd)
			ids[cmd.Method] = cmd.ID
		}
		serverFrame(c, true, opText, []byte(`{"type":"event","method":"log.entryAdded","params":{"type":"console","level":"info","text":"hello"}}`))
		serverFrame(c, true, opText, fmt.Appendf(nil, `{"type":"success","id":%d,"result":{"ready":true}}`, ids["session.status"]))
		serverFrame(c, true, opText, fmt.Appendf(nil, `{"type":"error","id":%d,"error":"no such frame","message":"context 7 is gone"}`, ids["browsingContext.navigate"]))
		clientFrame(t, r) // never answered
		c.Close()
	})
	events := make(chan LogEntry, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, func(method string, params json.RawMessage) {
		var e LogEntry
		json.Unmarshal(params, &e)
		events <- e
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	navigated := make(chan error, 1)
	go func() { navigated <- c.Call(ctx, "browsingContext.navigate", map[string]string{"context": "7"}, nil) }()
	var st struct{ Ready bool }
	if err := c.Call(ctx, "session.status", nil, &st); err != nil || !st.Ready {
		t.Errorf("session.status: %v, ready %v", err, st.Ready)
	}
	var be *Error
	if err := <-navigated; !errors.As(err, &be) || be.Code != "no such frame" || !strings.Contains(be.Error(), "context 7 is gone") {
		t.Errorf("the error answer: %v", err)
	}
	if e := <-events; e.Text != "hello" || e.Level != "info" {
		t.Errorf("event %+v", e)
	}
	if err := c.Call(ctx, "script.evaluate", nil, nil); err == nil || !strings.Contains(err.Error(), "ended") {
		t.Errorf("a command on a connection the server closed: %v", err)
	}
}
