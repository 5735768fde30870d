package irc

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// The plugin's line is read between the server's lines, never inside
// one the server has not finished, and only once the server has been
// quiet; the server's close is the reader's end after it.
func TestQuietConnLineBetweenLines(t *testing.T) {
	server, client := net.Pipe()
	q := newQuietConn(client)
	defer q.Close()
	r := bufio.NewReader(q)
	go func() {
		server.Write([]byte(":srv 001 kit :Welcome\r\n:srv 005 kit CHANTYPES=# :are supported\r\n:srv NOTICE kit :half"))
	}()
	for _, want := range []string{":srv 001 kit :Welcome\r\n", ":srv 005 kit CHANTYPES=# :are supported\r\n"} {
		if got, err := r.ReadString('\n'); err != nil || got != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	implied := make(chan struct{})
	q.welcomed(50*time.Millisecond, ":srv 422 kit :implied\r\n", func() { close(implied) })
	// Half a line stays half past the quiet time: no line of the
	// plugin's inside it.
	time.Sleep(200 * time.Millisecond)
	select {
	case <-implied:
		t.Fatal("a line read inside the server's unfinished one")
	default:
	}
	go func() {
		server.Write([]byte(" a line\r\n"))
	}()
	for _, want := range []string{":srv NOTICE kit :half a line\r\n", ":srv 422 kit :implied\r\n"} {
		if got, err := r.ReadString('\n'); err != nil || got != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	<-implied
	go server.Close()
	if got, err := r.ReadString('\n'); err == nil {
		t.Fatalf("read %q after the server's close", got)
	}
}

// A server that ends its MOTD in time gets no line of the plugin's.
func TestQuietConnEndedInTime(t *testing.T) {
	server, client := net.Pipe()
	q := newQuietConn(client)
	defer q.Close()
	// The end first: welcomed's quiet time counts from the connection's
	// start, and a test paused past it between the two calls (a loaded
	// machine) would see the implied line of a server that ended in time.
	q.motdEnded()
	q.welcomed(20*time.Millisecond, ":srv 422 kit :implied\r\n", func() { t.Error("implied after the end came") })
	done := make(chan string)
	go func() {
		l, _ := bufio.NewReader(q).ReadString('\n')
		done <- l
	}()
	time.Sleep(100 * time.Millisecond)
	go server.Write([]byte("PING :x\r\n"))
	if got := <-done; got != "PING :x\r\n" {
		t.Errorf("read %q, want the server's PING", got)
	}
}
