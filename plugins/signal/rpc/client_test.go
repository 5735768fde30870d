package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is a scripted JSON-RPC peer on a Unix socket.
type server struct {
	t      *testing.T
	path   string
	ln     net.Listener
	handle func(c net.Conn, req map[string]any)
	mu     sync.Mutex
	conns  []net.Conn
}

func newServer(t *testing.T, handle func(c net.Conn, req map[string]any)) *server {
	s := &server{t: t, path: filepath.Join(t.TempDir(), "s.sock"), handle: handle}
	s.listen()
	t.Cleanup(s.stop)
	return s
}

func (s *server) listen() {
	ln, err := net.Listen("unix", s.path)
	if err != nil {
		s.t.Fatal(err)
	}
	s.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			go func() {
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					var req map[string]any
					if json.Unmarshal(sc.Bytes(), &req) == nil {
						s.handle(c, req)
					}
				}
			}()
		}
	}()
}

// stop closes the listener and every connection: the daemon died.
func (s *server) stop() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
}

func write(c net.Conn, v any) {
	b, _ := json.Marshal(v)
	c.Write(append(b, '\n'))
}

func echo(c net.Conn, req map[string]any) {
	switch req["method"] {
	case "echo":
		write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": req["params"]})
	case "fail":
		write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "error": map[string]any{"code": -1, "message": "no such group"}})
	case "slow":
		go func() {
			time.Sleep(300 * time.Millisecond)
			write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": "slow"})
		}()
	case "notify":
		for i := range 100 {
			write(c, map[string]any{"jsonrpc": "2.0", "method": "receive", "params": map[string]any{"n": i}})
		}
		write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": 0})
	case "hang":
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestCallsMatchAnswersByID(t *testing.T) {
	s := newServer(t, echo)
	c := Dial(s.path, Options{})
	defer c.Close()
	if err := c.WaitUp(ctx(t)); err != nil {
		t.Fatal(err)
	}
	// A slow answer does not hold up a quick one on the same connection.
	slow := make(chan error, 1)
	go func() {
		var got string
		err := c.Call(ctx(t), "slow", nil, &got)
		if err == nil && got != "slow" {
			err = fmt.Errorf("slow answered %q", got)
		}
		slow <- err
	}()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got map[string]int
			if err := c.Call(ctx(t), "echo", map[string]int{"i": i}, &got); err != nil || got["i"] != i {
				t.Errorf("echo %d: %v %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

func TestErrorAnswer(t *testing.T) {
	s := newServer(t, echo)
	c := Dial(s.path, Options{})
	defer c.Close()
	c.WaitUp(ctx(t))
	err := c.Call(ctx(t), "fail", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUserError || e.Message != "no such group" {
		t.Fatalf("err = %v, want the daemon's error", err)
	}
}

func TestTimeout(t *testing.T) {
	s := newServer(t, echo)
	c := Dial(s.path, Options{})
	defer c.Close()
	c.WaitUp(ctx(t))
	cx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := c.Call(cx, "hang", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("the timeout was not kept")
	}
	// The client still works.
	if err := c.Call(ctx(t), "echo", []int{1}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestNotificationsInOrder(t *testing.T) {
	s := newServer(t, echo)
	var mu sync.Mutex
	var got []int
	done := make(chan struct{})
	var c *Client
	c = Dial(s.path, Options{Notify: func(n Note) {
		var p struct{ N int }
		json.Unmarshal(n.Params, &p)
		// The handler may call the client: it runs apart from the reader.
		if p.N == 50 {
			if err := c.Call(ctx(t), "echo", "x", nil); err != nil {
				t.Error(err)
			}
		}
		mu.Lock()
		got = append(got, p.N)
		if len(got) == 100 {
			close(done)
		}
		mu.Unlock()
	}})
	defer c.Close()
	c.WaitUp(ctx(t))
	if err := c.Call(ctx(t), "notify", nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("got %d notifications", len(got))
	}
	for i, n := range got {
		if n != i {
			t.Fatalf("notification %d is %d: out of order", i, n)
		}
	}
}

// When the daemon restarts, a pending call fails as disconnected, the
// client dials again by itself and says so with Up.
func TestReconnect(t *testing.T) {
	s := newServer(t, echo)
	ups := make(chan struct{}, 10)
	downs := make(chan error, 10)
	c := Dial(s.path, Options{Up: func() { ups <- struct{}{} }, Down: func(err error) { downs <- err }, MaxBackoff: 200 * time.Millisecond})
	defer c.Close()
	<-ups
	pending := make(chan error, 1)
	go func() { pending <- c.Call(ctx(t), "hang", nil, nil) }()
	time.Sleep(100 * time.Millisecond)
	s.stop()
	if err := <-pending; !errors.Is(err, ErrDisconnected) {
		t.Fatalf("pending call: %v, want ErrDisconnected", err)
	}
	<-downs
	if err := c.Call(ctx(t), "echo", nil, nil); !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrDisconnected) {
		t.Fatalf("call while down: %v", err)
	}
	s.listen()
	select {
	case <-ups:
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnection")
	}
	if err := c.Call(ctx(t), "echo", "back", nil); err != nil {
		t.Fatal(err)
	}
}

func TestClosed(t *testing.T) {
	s := newServer(t, echo)
	c := Dial(s.path, Options{})
	c.WaitUp(ctx(t))
	c.Close()
	if err := c.Call(ctx(t), "echo", nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v", err)
	}
}

// CallOn calls on the connection it names only: once that one is gone, a
// call meant for it is not sent on the next (a subscription meant for a
// connection lost must not make a second one on the new connection).
func TestCallOnGoneConnection(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	s := newServer(t, func(c net.Conn, req map[string]any) {
		mu.Lock()
		got[fmt.Sprint(req["method"])]++
		mu.Unlock()
		echo(c, req)
	})
	ups := make(chan struct{}, 10)
	c := Dial(s.path, Options{Up: func() { ups <- struct{}{} }, MaxBackoff: 200 * time.Millisecond})
	defer c.Close()
	<-ups
	first := c.Conn()
	if first == 0 {
		t.Fatal("connected, and Conn is 0")
	}
	if err := c.CallOn(ctx(t), first, "echo", nil, nil); err != nil {
		t.Fatal(err)
	}
	s.stop()
	s.listen()
	select {
	case <-ups:
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnection")
	}
	if now := c.Conn(); now == first || now == 0 {
		t.Fatalf("Conn after a reconnection: %d, first %d", now, first)
	}
	if err := c.CallOn(ctx(t), first, "echo", nil, nil); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("CallOn the connection gone: %v, want ErrNotConnected", err)
	}
	if err := c.CallOn(ctx(t), c.Conn(), "echo", nil, nil); err != nil {
		t.Fatalf("CallOn the current connection: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["echo"] != 2 {
		t.Fatalf("the daemon read %d echo calls, want 2", got["echo"])
	}
}

// Lines that are no answer of the daemon's to a call never answer one: a
// request of the daemon's (a method with an ID) that happens to carry a
// pending call's ID, garbage, an error answer of no call (ID null); an
// answer whose error cannot be read fails its call at once, not at its
// timeout; the connection stays up throughout.
func TestHostileLines(t *testing.T) {
	s := newServer(t, func(c net.Conn, req map[string]any) {
		switch req["method"] {
		case "request":
			id := req["id"]
			c.Write([]byte("not json at all\n[1,2,3]\n{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}\n"))
			write(c, map[string]any{"jsonrpc": "2.0", "id": id, "method": "ping", "params": map[string]any{}})
			write(c, map[string]any{"jsonrpc": "2.0", "id": id, "result": "the answer"})
		case "badError":
			write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "error": "a string, no object"})
		default:
			echo(c, req)
		}
	})
	c := Dial(s.path, Options{})
	defer c.Close()
	if err := c.WaitUp(ctx(t)); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c.Call(ctx(t), "request", nil, &got); err != nil || got != "the answer" {
		t.Fatalf("call: %q %v; want the daemon's answer, not its request", got, err)
	}
	start := time.Now()
	err := c.Call(ctx(t), "badError", nil, nil)
	if err == nil || errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("an answer whose error cannot be read: %v after %v; want a failure at once", err, time.Since(start))
	}
	if err := c.Call(ctx(t), "echo", "still up", nil); err != nil {
		t.Fatalf("after the hostile lines: %v", err)
	}
}

// A long answer (an attachment, base64, from getAttachment) is read
// whole, and its buffer goes with it: the connection does not keep the
// largest line it ever read for the rest of its life (a session that
// once downloaded a video held hundreds of MiB).
func TestLongLineNotKept(t *testing.T) {
	big := strings.Repeat("A", 20<<20)
	s := newServer(t, func(c net.Conn, req map[string]any) {
		if req["method"] == "big" {
			write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": map[string]any{"data": big}})
			return
		}
		echo(c, req)
	})
	c := Dial(s.path, Options{})
	defer c.Close()
	if err := c.WaitUp(ctx(t)); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Data string `json:"data"`
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Call(cctx, "big", nil, &res); err != nil || len(res.Data) != len(big) {
		t.Fatalf("the long answer: %d bytes, %v", len(res.Data), err)
	}
	res.Data, big = "", ""
	if err := c.Call(ctx(t), "echo", "after", nil); err != nil {
		t.Fatal(err)
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	if m.HeapAlloc > 12<<20 {
		t.Fatalf("%d MiB still allocated after the long answer was read and dropped", m.HeapAlloc>>20)
	}
}

// Notes injected are handed to Notify with their Ref, after those
// queued before, and Drain waits for them; a closed client takes none.
func TestInject(t *testing.T) {
	s := newServer(t, echo)
	got := make(chan Note, 2)
	c := Dial(s.path, Options{Notify: func(n Note) { got <- n }})
	c.WaitUp(ctx(t))
	if !c.Inject([]Note{{Method: "receive", Params: json.RawMessage(`{"n":1}`), Ref: 7}, {Method: "receive", Params: json.RawMessage(`{"n":2}`), Ref: 8}}) {
		t.Fatal("Inject refused by an open client")
	}
	if err := c.Drain(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if a, b := <-got, <-got; a.Ref != 7 || b.Ref != 8 || string(b.Params) != `{"n":2}` {
		t.Fatalf("notes handed over: %+v %+v", a, b)
	}
	c.Close()
	if c.Inject([]Note{{Method: "receive", Ref: 9}}) {
		t.Fatal("Inject taken by a closed client")
	}
}
