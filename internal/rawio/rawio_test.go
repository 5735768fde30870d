package rawio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

const isLinux = runtime.GOOS == "linux"

// pair returns a wrapped client end and the plain server end of a loopback
// TCP connection.
func pair(t *testing.T) (wrapped, plain net.Conn) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := lis.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return Wrap(c), s
}

// More than the sockets' buffers hold each way, so that both Read and
// Write meet EAGAIN and wait on the netpoller; what arrives is what was
// sent, and the end of the stream is io.EOF.
func TestConnReadWriteBeyondBuffers(t *testing.T) {
	w, p := pair(t)
	if _, ok := w.(*conn); !ok && isLinux {
		t.Fatalf("Wrap gave %T, want the raw conn", w)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	// Wrapped end writes; the plain end reads it all back.
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(p, int64(len(data))))
		got <- b
	}()
	if n, err := w.Write(data); err != nil || n != len(data) {
		t.Fatalf("Write: %d, %v; want %d, nil", n, err, len(data))
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("peer read %d bytes, not what was written", len(b))
	}
	// The plain end writes; the wrapped end reads it all, then EOF.
	go func() {
		p.Write(data)
		p.(*net.TCPConn).CloseWrite()
	}()
	b, err := io.ReadAll(w)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("ReadAll: %d bytes, %v; want %d and the end of the stream", len(b), err, len(data))
	}
	if n, err := w.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read after the end: %d, %v; want 0, io.EOF", n, err)
	}
}

// A deadline ends a waiting Read with a timeout, and Close with
// net.ErrClosed, as with the plain conn.
func TestConnDeadlineAndClose(t *testing.T) {
	w, _ := pair(t)
	w.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := w.Read(make([]byte, 10))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past the deadline: %v, want a timeout", err)
	}
	w.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := w.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	w.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read on close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return on Close")
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
}

// A write to a peer that is gone fails with the system's error instead of
// succeeding or hanging.
func TestConnWriteToClosedPeer(t *testing.T) {
	w, p := pair(t)
	p.(*net.TCPConn).SetLinger(0)
	p.Close() // a reset
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := w.Write(bytes.Repeat([]byte("x"), 1<<16))
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				t.Fatalf("write error %v: not the peer's reset", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a reset peer kept succeeding")
		}
	}
}

// What has no file descriptor is returned as is.
func TestWrapPipeUnchanged(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("a pipe was wrapped")
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one ", "two"} {
		if n, err := WriteFile(f, []byte(s)); err != nil || n != len(s) {
			t.Fatalf("WriteFile %q: %d, %v", s, n, err)
		}
	}
	f.Close()
	if b, _ := os.ReadFile(path); string(b) != "one two" {
		t.Fatalf("file holds %q", b)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var pe *os.PathError
	if _, err := WriteFile(ro, []byte("x")); !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("WriteFile to a read-only file: %v, want a *os.PathError naming it", err)
	}
	ro.Close()
	if _, err := WriteFile(ro, []byte("x")); err == nil {
		t.Fatal("WriteFile to a closed file succeeded")
	}
}

// The credentials hand gRPC wrapped connections on both ends.
func TestInsecureWraps(t *testing.T) {
	_, b := pair(t)
	ca, _, err := Insecure().ClientHandshake(context.Background(), "x", b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ca.(*conn); !ok && isLinux {
		t.Fatalf("client handshake gave %T, want the raw conn", ca)
	}
	sa, _, err := Insecure().ServerHandshake(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sa.(*conn); !ok && isLinux {
		t.Fatalf("server handshake gave %T, want the raw conn", sa)
	}
	if Insecure().Info().SecurityProtocol != "insecure" {
		t.Fatalf("protocol %q", Insecure().Info().SecurityProtocol)
	}
}

// ReadFile on a pipe waits for data on the netpoller, then reads it; the
// writer's close is io.EOF, and a closed file an error.
func TestReadFilePipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("late"))
		w.Close()
	}()
	buf := make([]byte, 16)
	n, err := ReadFile(r, buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("ReadFile: %q, %v; want late", buf[:n], err)
	}
	if n, err := ReadFile(r, buf); n != 0 || err != io.EOF {
		t.Fatalf("ReadFile after the writer closed: %d, %v; want io.EOF", n, err)
	}
	r.Close()
	if _, err := ReadFile(r, buf); err == nil {
		t.Fatal("ReadFile of a closed file succeeded")
	}
}
