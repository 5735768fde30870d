package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestIgnoredSecretEnvSaid: examples/passerelle.toml has secret =
// "secret"; an admin who puts the real one in the unit's secrets.env
// (PASSERELLE_SECRET_ECHO) and leaves that line gets the file's, as
// documented, but check-config's summary and the start's log say the
// variable is ignored and what to remove, instead of only a handshake
// refused for a wrong secret later.
func TestIgnoredSecretEnvSaid(t *testing.T) {
	isolate(t)
	t.Setenv("PASSERELLE_SECRET_ECHO", "the-real-one")
	c, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.Transports[0]; tr.Secret != "s3cr3t" || tr.SecretEnvIgnored != "PASSERELLE_SECRET_ECHO" {
		t.Errorf("secret %q, ignored %q", tr.Secret, tr.SecretEnvIgnored)
	}
	want := "PASSERELLE_SECRET_ECHO is set too but ignored: secret in the file wins; remove secret to use the variable"
	if s := c.Summary(); !strings.Contains(s, "  secret:   from secret\n  warning:  "+want+"\n") {
		t.Errorf("summary lacks the warning:\n%s", s)
	}
	var buf bytes.Buffer
	c.WarnIgnoredSecrets(slog.New(slog.NewTextHandler(&buf, nil)))
	if !strings.Contains(buf.String(), `level=WARN msg="secret variable ignored" transport=echo why="`+want+`"`) {
		t.Errorf("log = %q", buf.String())
	}
	// Used, or not set: nothing said.
	c, err = parse(t, strings.Replace(minimal, `secret = "s3cr3t"`, "", 1))
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	c.WarnIgnoredSecrets(slog.New(slog.NewTextHandler(&buf, nil)))
	if buf.Len() != 0 || strings.Contains(c.Summary(), "warning") {
		t.Errorf("variable used, yet: %q\n%s", buf.String(), c.Summary())
	}
}

// TestSecretEnvTrimmed: a secrets.env saved on Windows leaves "\r" (and a
// shell may leave "\n") at the end of the variable; it is dropped as a
// secret_file's final newline is, and said at debug level. A variable of
// only white space is an error, not an empty secret.
func TestSecretEnvTrimmed(t *testing.T) {
	isolate(t)
	noSecret := strings.Replace(minimal, `secret = "s3cr3t"`, "", 1)
	for _, v := range []string{"the-real-one\r", "the-real-one\r\n", " the-real-one\n"} {
		t.Setenv("PASSERELLE_SECRET_ECHO", v)
		c, err := parse(t, noSecret)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if tr := c.Transports[0]; tr.Secret != "the-real-one" || tr.SecretSource != "env PASSERELLE_SECRET_ECHO" {
			t.Errorf("%q: secret %q from %q", v, tr.Secret, tr.SecretSource)
		}
		var buf bytes.Buffer
		c.WarnIgnoredSecrets(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		if !strings.Contains(buf.String(), `level=DEBUG msg="white space around the secret dropped" transport=echo secret_from="env PASSERELLE_SECRET_ECHO"`) {
			t.Errorf("%q: log = %q", v, buf.String())
		}
	}
	// Nothing to trim: nothing said.
	t.Setenv("PASSERELLE_SECRET_ECHO", "the-real-one")
	c, err := parse(t, noSecret)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	c.WarnIgnoredSecrets(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if buf.Len() != 0 {
		t.Errorf("untrimmed secret, yet: %q", buf.String())
	}
	t.Setenv("PASSERELLE_SECRET_ECHO", "\r\n")
	if _, err := parse(t, noSecret); err == nil || !strings.Contains(err.Error(), "only white space") {
		t.Errorf("blank variable: err = %v", err)
	}
}
