package irc

import "testing"

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
