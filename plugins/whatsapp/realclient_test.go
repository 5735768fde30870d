package whatsapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
)

// TestRealClientBuffersDecrypted: the real client keeps what it
// decrypted in the device's store until the handler returned, so that a
// plugin killed in between handles the message at its next start (the
// copy WhatsApp delivers again can no longer be decrypted). The fake
// has no encryption to show the crash; this guards the setting, the
// one way it is made.
func TestRealClientBuffersDecrypted(t *testing.T) {
	c, err := openContainer(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cli, ok := NewWhatsmeowClient(c.NewDevice(), nil).(*whatsmeow.Client)
	if !ok {
		t.Fatal("NewWhatsmeowClient is not whatsmeow's client")
	}
	if !cli.EnableDecryptedEventBuffer || !cli.ManualHistorySyncDownload {
		t.Errorf("decrypted event buffer %v, manual history download %v; want both on", cli.EnableDecryptedEventBuffer, cli.ManualHistorySyncDownload)
	}
}

// The real client's reconnection backoff stops growing at 5 minutes:
// whatsmeow waits 2 s more after each failed attempt, without bound (a
// day cut off, and it tried again every 10 minutes). Its hook, called
// after each failure, caps the count the wait is made of, and lets it
// go on trying.
func TestRealClientReconnectBackoffCapped(t *testing.T) {
	c, err := openContainer(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cli := NewWhatsmeowClient(c.NewDevice(), nil).(*whatsmeow.Client)
	if cli.AutoReconnectHook == nil {
		t.Fatal("no reconnection hook: whatsmeow's wait grows without bound")
	}
	for _, failures := range []int{3, 150, 294, 10000} {
		cli.AutoReconnectErrors = failures
		if !cli.AutoReconnectHook(errors.New("dial tcp: network is unreachable")) {
			t.Errorf("after %d failures: reconnection given up", failures)
		}
		if wait := time.Duration(cli.AutoReconnectErrors) * 2 * time.Second; wait > 5*time.Minute || (failures <= 150 && cli.AutoReconnectErrors != failures) {
			t.Errorf("after %d failures: next wait %s, want %s at most 5m", failures, wait, time.Duration(failures)*2*time.Second)
		}
	}
}
