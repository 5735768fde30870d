package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDamagedPageNoPanic: a real store file with one page overwritten,
// each page in turn. bbolt panics on some (its freelist, a bucket's root
// page); Open must never panic, and must say which file is damaged and
// point to `passerelle check-store`. A failed Open leaves no lock behind:
// every next Open gets the file at once.
func TestDamagedPageNoPanic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := openAt(t, path, Options{})
	var ps []Puppet
	for i := range 2000 {
		ps = append(ps, Puppet{Transport: "wa", LoginID: "l", UserID: fmt.Sprint("u", i), Name: "a contact"})
	}
	must(t, db.PutPuppets(bg, ps))
	must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "l"}))
	must(t, db.Close())
	pristine, err := os.ReadFile(path)
	must(t, err)
	const pageSize = 4096
	var panicked, failed int
	for pg := 2; pg < len(pristine)/pageSize; pg++ {
		b := append([]byte(nil), pristine...)
		for i := pg * pageSize; i < (pg+1)*pageSize; i++ {
			b[i] = 0xab
		}
		must(t, os.WriteFile(path, b, 0o600))
		db, err := OpenOptions(path, Options{LockTimeout: 100 * time.Millisecond})
		if err == nil {
			must(t, db.Close())
			continue
		}
		failed++
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "passerelle check-store") {
			t.Errorf("page %d: Open = %v; want ErrCorrupt naming the file and check-store", pg, err)
		}
		if strings.Contains(err.Error(), "(bbolt: ") {
			panicked++
		}
	}
	if panicked == 0 {
		t.Errorf("no damaged page made bbolt panic (%d failed Open otherwise): the test no longer covers the panic", failed)
	}
	t.Logf("%d pages: %d failed Open, %d of them through a bbolt panic", len(pristine)/pageSize-2, failed, panicked)
}
