package whatsapp

import (
	"context"
	"testing"

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
