package irc

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// codecConn reads lines in the server's encoding as UTF-8 however the
// bytes come (a line in pieces, a multi-byte character cut between two
// reads, a full 510-byte line, which doubles), and writes UTF-8 in it.
func TestCodecConn(t *testing.T) {
	for _, tc := range []struct{ enc, wire, want string }{
		{"koi8-r", ":m!u@h PRIVMSG kit :\xd0\xd2\xc9\xd7\xc5\xd4\r\n", ":m!u@h PRIVMSG kit :привет\r\n"},
		{"koi8-r", ":m!u@h PRIVMSG kit :" + strings.Repeat("\xc1", 490) + "\r\n", ":m!u@h PRIVMSG kit :" + strings.Repeat("а", 490) + "\r\n"},
		{"koi8-r", ":m!u@h PRIVMSG kit :déjà\n", ":m!u@h PRIVMSG kit :déjà\n"},
		{"shift_jis", ":m!u@h PRIVMSG kit :\x82\xa0\x82\xa2\r\n", ":m!u@h PRIVMSG kit :あい\r\n"},
	} {
		c, err := lookupEncoding(tc.enc)
		if err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		conn := newCodecConn(client, c, nil)
		go func() {
			// A byte at a time: every cut there is.
			for i := range len(tc.wire) {
				server.Write([]byte{tc.wire[i]})
			}
			server.Close()
		}()
		got, _ := io.ReadAll(conn)
		if string(got) != tc.want {
			t.Errorf("%s: read %q, want %q", tc.enc, got, tc.want)
		}
	}
	c, _ := lookupEncoding("latin1")
	client, server := net.Pipe()
	conn := newCodecConn(client, c, nil)
	go func() {
		conn.Write([]byte("PRIVMSG dave :café €\r\n"))
		conn.Close()
	}()
	got, _ := io.ReadAll(server)
	if string(got) != "PRIVMSG dave :caf\xe9 ?\r\n" {
		t.Errorf("wrote %q, want café in ISO-8859-1, ? for €", got)
	}
	if r, bad := c.unencodable("café €"); !bad || r != '€' {
		t.Errorf("unencodable: %q %v, want €", r, bad)
	}
}

// codecConn reads many lines that come in pieces of every size, several
// in a read and lines cut between reads, read in small pieces too, as
// it would decode them one at a time: its buffers, used again from read
// to read, keep nothing of a line read before.
func TestCodecConnPieces(t *testing.T) {
	c, err := lookupEncoding("koi8-r")
	if err != nil {
		t.Fatal(err)
	}
	var wire, want strings.Builder
	for i := range 300 {
		text := strings.Repeat("\xd0\xd2\xc9\xd7\xc5\xd4 ", i%40) + "x"
		fmt.Fprintf(&wire, ":m!u@h PRIVMSG kit :%d %s\r\n", i, text)
		fmt.Fprintf(&want, ":m!u@h PRIVMSG kit :%d %s\r\n", i, c.decodeLine([]byte(text)))
	}
	for _, size := range []int{1, 7, 100, 509, 4096, 9000} {
		client, server := net.Pipe()
		conn := newCodecConn(client, c, nil)
		go func() {
			for w := wire.String(); w != ""; {
				n := min(size, len(w))
				server.Write([]byte(w[:n]))
				w = w[n:]
			}
			server.Close()
		}()
		var got []byte
		buf := make([]byte, 13)
		for {
			n, err := conn.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		if string(got) != want.String() {
			t.Errorf("in pieces of %d: read %d bytes, not the %d lines decoded", size, len(got), 300)
		}
	}
}
