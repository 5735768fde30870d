package rpc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileServer answers getAttachment with file, base64 in one line as
// signal-cli writes it (Jackson: the id after the result), in two
// halves: the second only once the client has written part of the file
// to disk, which a client that holds the line whole never does.
func fileServer(t *testing.T, spool string, file []byte, needOnDisk int64) *server {
	return newServer(t, func(c net.Conn, req map[string]any) {
		switch req["method"] {
		case "echo":
			write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": req["params"]})
		case "getAttachment":
			line := fmt.Sprintf(`{"jsonrpc":"2.0","result":{"data":"%s"},"id":"%s"}`+"\n", base64.StdEncoding.EncodeToString(file), req["id"])
			half := len(line) / 2
			c.Write([]byte(line[:half]))
			for deadline := time.Now().Add(20 * time.Second); needOnDisk > 0 && onDisk(spool) < needOnDisk; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Error("nothing of the file reached the disk before its answer ended")
					break
				}
			}
			c.Write([]byte(line[half:]))
		}
	})
}

// onDisk is how much the files being written in dir hold.
func onDisk(dir string) int64 {
	var n int64
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if fi, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "getfile-") {
			n += fi.Size()
		}
	}
	return n
}

// A file answered is decoded to disk as its line is read, not held
// whole, and comes back whole.
func TestCallFileStreams(t *testing.T) {
	spool := t.TempDir()
	file := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB
	s := fileServer(t, spool, file, 512<<10)
	c := Dial(s.path, Options{SpoolDir: spool, MaxFile: 100 << 20})
	defer c.Close()
	c.WaitUp(ctx(t))
	path, size, err := c.CallFile(ctx(t), "getAttachment", map[string]any{"id": "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	got, _ := os.ReadFile(path)
	if size != int64(len(file)) || !bytes.Equal(got, file) {
		t.Fatalf("file of %d bytes (said %d), want %d", len(got), size, len(file))
	}
	if filepath.Dir(path) != spool {
		t.Errorf("the file is in %s, want the spool folder", path)
	}
}

// A file over the bound is refused, read past without being kept; the
// connection goes on. A short answer comes as a file too.
func TestCallFileBounded(t *testing.T) {
	spool := t.TempDir()
	s := fileServer(t, spool, bytes.Repeat([]byte{7}, 1<<20), 0)
	c := Dial(s.path, Options{SpoolDir: spool, MaxFile: 256 << 10})
	defer c.Close()
	c.WaitUp(ctx(t))
	if _, _, err := c.CallFile(ctx(t), "getAttachment", map[string]any{"id": "x"}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if n := onDisk(spool); n != 0 {
		t.Errorf("%d bytes of the refused file left on disk", n)
	}
	var got string
	if err := c.Call(ctx(t), "echo", "still here", &got); err != nil || got != "still here" {
		t.Fatalf("after the refusal: %q %v", got, err)
	}

	small := newServer(t, func(c net.Conn, req map[string]any) {
		write(c, map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("tiny"))}})
	})
	c2 := Dial(small.path, Options{SpoolDir: spool, MaxFile: 256 << 10})
	defer c2.Close()
	c2.WaitUp(ctx(t))
	path, size, err := c2.CallFile(ctx(t), "getAttachment", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	if b, _ := os.ReadFile(path); string(b) != "tiny" || size != 4 {
		t.Fatalf("short answer: %q (%d)", b, size)
	}
}
