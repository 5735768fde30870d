package bridge

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/config"
)

// TestRunNotAStoreAgreesWithCheckStore: store.path naming a file bbolt
// cannot open is either another program's file or a store whose first
// pages are damaged, and check-store cannot tell which either: Run says
// both, each with its fix, and does not send the admin to check-store for
// the answer. It said "`passerelle check-store` tells which".
func TestRunNotAStoreAgreesWithCheckStore(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "other.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a bbolt file\n", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Store: config.Store{Path: junk}}
	err := Run(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if !errors.Is(err, ErrStoreUnusable) {
		t.Fatalf("Run on a file that is no store: %v, want ErrStoreUnusable", err)
	}
	msg := err.Error()
	for _, want := range []string{"another program's file", "store.path", "first pages damaged", "restore a backup"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Run's error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "tells which") {
		t.Errorf("Run's error says check-store tells which, which it cannot:\n%s", msg)
	}
}
