package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDamagedMetaSaid: one of bbolt's two meta pages zeroed is reported
// as that, with what to do; bbolt's own check stopped at it with
// "panic: assertion failed: page 0: has unexpected type/flags: 0". The
// store still opens from the other page, and its writes rewrite the
// damaged one, after which the check passes, as the report says.
func TestDamagedMetaSaid(t *testing.T) {
	for _, page := range []int{0, 1} {
		t.Run(fmt.Sprint("page", page), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.db")
			db := openAt(t, path, Options{})
			must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: "alice@example.org", LoginID: "l"}))
			must(t, db.Close())
			b, err := os.ReadFile(path)
			must(t, err)
			clear(b[page*4096 : (page+1)*4096])
			must(t, os.WriteFile(path, b, 0o600))

			r, err := Inspect(path, 100*time.Millisecond)
			must(t, err)
			want := fmt.Sprintf("meta page %d is damaged; bbolt reads the file from meta page %d", page, 1-page)
			if !r.Damaged() || len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0], want) || !strings.Contains(r.Problems[0], "start passerelle once") {
				t.Fatalf("problems %q; want one, %q", r.Problems, want)
			}
			// The gateway opens it, and writes mend it.
			db, err = OpenOptions(path, Options{LockTimeout: 100 * time.Millisecond})
			must(t, err)
			for i := range 3 {
				must(t, db.PutLogin(bg, Login{Transport: "wa", UserJID: fmt.Sprint("u", i, "@example.org"), LoginID: fmt.Sprint("l", i)}))
			}
			must(t, db.Close())
			r, err = Inspect(path, 100*time.Millisecond)
			must(t, err)
			if r.Damaged() {
				t.Errorf("after writes: problems %q", r.Problems)
			}
		})
	}
}
