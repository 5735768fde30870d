package signal

import (
	"os"
	"path/filepath"
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
