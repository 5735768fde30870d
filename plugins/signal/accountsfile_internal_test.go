package signal

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// signal-cli's accounts.json is believed only where it is plain: a file
// missing, cut short or not JSON, an entry whose number is no number,
// and an account named twice differently give nothing (the login then
// ends as before, told to log in again), never a wrong number or ACI.
// (Before: the first of two entries was taken, and any "+" text as a
// number.)
func TestStoredAccountsBelievedWherePlain(t *testing.T) {
	const aci, aci2 = "a11ce000-0000-4000-8000-000000000001", "a11ce000-0000-4000-8000-000000000002"
	dir := t.TempDir()
	n := &Network{host: &recordingHost{}, cfg: Config{DataDir: dir}}
	write := func(s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "data", "accounts.json"), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name, wantNumber, wantACI string) {
		t.Helper()
		if got := n.storedNumber(aci); got != wantNumber {
			t.Errorf("%s: storedNumber = %q, want %q", name, got, wantNumber)
		}
		if got := n.storedACI("+15550000001"); got != wantACI {
			t.Errorf("%s: storedACI = %q, want %q", name, got, wantACI)
		}
	}
	check("missing", "", "")
	write(`{"accounts":[{"number":"+15550000001","uuid":"` + aci + `"}`)
	check("cut short", "", "")
	write(`not json`)
	check("not JSON", "", "")
	write(`{"accounts":[{"number":"+1 555; rm","uuid":"` + aci + `"}]}`)
	check("no number", "", "")
	write(`{"accounts":[{"number":"+15550000009","uuid":"` + aci + `"},{"number":"+15550000008","uuid":"` + aci + `"}]}`)
	check("an ACI twice", "", "")
	write(`{"accounts":[{"number":"+15550000001","uuid":"` + aci + `"},{"number":"+15550000001","uuid":"` + aci2 + `"}]}`)
	check("a number twice", "+15550000001", "")
	write(`{"accounts":[{"number":"+15550000001","uuid":"` + aci + `"},{"number":null,"uuid":null}],"version":2}`)
	check("plain", "+15550000001", aci)
}

// An accounts.json over maxAccountsFile is refused, said in the log,
// and gives nothing, as one that cannot be read (the login then ends as
// before, told to log in again); read no further than the bound.
// (Before: read whole, however big, and believed.)
func TestStoredAccountsTooBigRefused(t *testing.T) {
	const aci = "a11ce000-0000-4000-8000-000000000001"
	dir := t.TempDir()
	var log bytes.Buffer
	n := &Network{host: &loggingHost{recordingHost: &recordingHost{}, out: &log}, cfg: Config{DataDir: dir}}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	plain := `{"accounts":[{"number":"+15550000001","uuid":"` + aci + `"}]}`
	path := filepath.Join(dir, "data", "accounts.json")
	if err := os.WriteFile(path, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := n.storedACI("+15550000001"); got != aci {
		t.Fatalf("storedACI = %q from a plain file, want %q", got, aci)
	}
	// Valid JSON, padded past the bound.
	if err := os.WriteFile(path, append([]byte(plain), bytes.Repeat([]byte{' '}, maxAccountsFile)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := n.storedACI("+15550000001"); got != "" {
		t.Errorf("storedACI = %q from a file over %d bytes, want none", got, maxAccountsFile)
	}
	if !strings.Contains(log.String(), "accounts.json is refused") {
		t.Errorf("the refusal is not logged: %q", log.String())
	}
}

// loggingHost is a recordingHost whose log goes to out.
type loggingHost struct {
	*recordingHost
	out *bytes.Buffer
}

func (h *loggingHost) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(h.out, nil)) }
