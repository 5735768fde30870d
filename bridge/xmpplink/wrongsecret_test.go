package xmpplink

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/prosodytest"
)

// TestWrongSecretSaysSo: Prosody refuses a wrong secret with
// not-authorized, and only for that (an unknown component is
// host-unknown): the log says plainly that the secret does not match and
// names the settings to compare, not "or no such component configured".
func TestWrongSecretSaysSo(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.Options{Components: []prosodytest.Component{{Domain: "gw.localhost", Secret: "s"}}})
	_, logs := runLinkWith(t, Config{Addr: srv.ComponentAddr(), Domain: "gw.localhost", Secret: "Wr0ngS3cr3t",
		SecretFrom: "secret_file /etc/passerelle/echo.secret"})
	logSays(t, logs, "component handshake refused", "not-authorized",
		"the component secret does not match the server's",
		"the transport's secret_file (/etc/passerelle/echo.secret)",
		`component_secret of Component \"gw.localhost\"`)
	if s := logs.String(); strings.Contains(s, "wrong secret, or no such component") {
		t.Errorf("the refusal still reads as maybe an unknown component:\n%s", s)
	}
	if s := logs.String(); strings.Contains(s, "Wr0ngS3cr3t") {
		t.Errorf("the secret is in the log:\n%s", s)
	}
}

// TestSecretKey: each SecretFrom names the setting to fix.
func TestSecretKey(t *testing.T) {
	for from, want := range map[string]string{
		"":                        "the transport's secret / secret_file",
		"secret":                  "the transport's secret",
		"secret_file /a b/s.txt":  "the transport's secret_file (/a b/s.txt)",
		"env PASSERELLE_SECRET_X": "the environment variable PASSERELLE_SECRET_X",
	} {
		if got := secretKey(from); got != want {
			t.Errorf("secretKey(%q) = %q, want %q", from, got, want)
		}
	}
}
