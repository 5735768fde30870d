package irc

import (
	"strings"
	"testing"
)

// A NickServ password is kept for the connection; one with a line break
// (it would send a command of its own to the server) is refused.
func TestParseFormNickServ(t *testing.T) {
	f := map[string]string{"server": "irc.example.org", "nick": "kit", "nickserv_password": "s3cret"}
	if acc, problem := parseForm(f); problem != "" || acc.NickServPassword != "s3cret" {
		t.Fatalf("parseForm: %+v, %q", acc, problem)
	}
	f["nickserv_password"] = "x\r\nQUIT"
	if _, problem := parseForm(f); problem == "" {
		t.Fatal("a password with a line break was taken")
	}
}

// parseFingerprint takes a SHA-256 fingerprint as pasted (case, colons,
// spaces) in one form, lower-case hex, and says what is wrong with
// anything else.
func TestParseFingerprint(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	for _, tc := range []struct{ in, fp, problem string }{
		{"", "", ""},
		{"  ", "", ""},
		{hex64, hex64, ""},
		{strings.ToUpper(strings.Repeat("AB:", 31) + "AB"), hex64, ""},
		{" " + strings.Repeat("ab ", 32) + "\t", hex64, ""},
		{strings.Repeat("ab", 20), "", "SHA-1"},
		{strings.Repeat("zz", 32), "", "64 hexadecimal"},
		{hex64 + "a", "", "64 hexadecimal"},
		{hex64[:62], "", "64 hexadecimal"},
	} {
		fp, problem := parseFingerprint(tc.in)
		if fp != tc.fp || (tc.problem == "") != (problem == "") || !strings.Contains(problem, tc.problem) {
			t.Errorf("parseFingerprint(%q): %q, %q; want %q and a problem saying %q", tc.in, fp, problem, tc.fp, tc.problem)
		}
	}
}

// An empty (or absent) TLS answer takes the form's default, on: the
// chat login's skipped field, or a client that sent none, read as off
// and logged in without TLS on port 6667.
func TestParseFormEmptyTLS(t *testing.T) {
	for _, tls := range []string{"", " "} {
		acc, problem := parseForm(map[string]string{"server": "irc.example.org", "nick": "kit", "tls": tls})
		if problem != "" || !acc.TLS || acc.Port != 6697 {
			t.Errorf("tls %q: TLS %v, port %d, problem %q; want TLS on port 6697", tls, acc.TLS, acc.Port, problem)
		}
	}
	if acc, problem := parseForm(map[string]string{"server": "irc.example.org", "nick": "kit"}); problem != "" || !acc.TLS {
		t.Errorf("no tls answer: TLS %v, problem %q; want TLS on", acc.TLS, problem)
	}
	if def := loginForm("", "").GetForm().Fields[2]; def.Id != "tls" || def.DefaultValue != "true" {
		t.Errorf("the form's tls field %v, want its default true", def)
	}
	if acc, problem := parseForm(map[string]string{"server": "irc.example.org", "nick": "kit", "tls": "no"}); problem != "" || acc.TLS {
		t.Errorf("tls no: TLS %v, problem %q; want off", acc.TLS, problem)
	}
}
