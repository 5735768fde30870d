package irc

import (
	"cmp"
	"strings"
	"testing"
)

// The server field as users type it: a host, a host with its port, an
// IPv6 address bare or in brackets, with or without a port. The address
// dialled is host:port with one pair of brackets at most (an IPv6
// address typed in brackets got a second pair, and a host with its port
// was taken for an IPv6 address).
func TestServerSpellings(t *testing.T) {
	for _, tc := range []struct {
		server, port, tls string
		addr, problem     string
	}{
		{server: "irc.example.org", addr: "irc.example.org:6667"},
		{server: "irc.example.org", tls: "on", addr: "irc.example.org:6697"},
		{server: "irc.example.org:7000", addr: "irc.example.org:7000"},
		{server: "irc.example.org:7000", port: "7000", addr: "irc.example.org:7000"},
		{server: "irc.example.org:7000", port: "6667", problem: "give one"},
		{server: "irc.example.org:x", problem: "port after the server"},
		{server: "::1", addr: "[::1]:6667"},
		{server: "[::1]", addr: "[::1]:6667"},
		{server: "[::1]:6697", addr: "[::1]:6697"},
		{server: "127.0.0.1:6668", addr: "127.0.0.1:6668"},
		{server: "[irc.example.org", problem: "host name"},
	} {
		acc, problem := parseForm(map[string]string{"server": tc.server, "port": tc.port, "tls": cmp.Or(tc.tls, "off"), "nick": "alice"})
		switch {
		case tc.problem != "":
			if !strings.Contains(problem, tc.problem) {
				t.Errorf("%q port %q: problem %q, want one saying %q", tc.server, tc.port, problem, tc.problem)
			}
		case problem != "":
			t.Errorf("%q port %q: %s", tc.server, tc.port, problem)
		case acc.addr() != tc.addr:
			t.Errorf("%q port %q: dials %s, want %s", tc.server, tc.port, acc.addr(), tc.addr)
		}
	}
}
