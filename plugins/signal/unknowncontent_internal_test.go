package signal

import (
	"encoding/json"
	"slices"
	"testing"
)

// A field of a kind the plugin does not know counts as content only when
// it carries something: a newer signal-cli's flag or list left at its
// zero value (false, 0, "", [], {}) on a message with nothing to show (a
// profile key update) is no message the gateway cannot show.
func TestUnknownKeysSkipZeroValues(t *testing.T) {
	raw := json.RawMessage(`{"timestamp":1,"message":null,"expiresInSeconds":0,"viewOnce":false,` +
		`"isNewFlag":false,"newCount":0,"newText":"","newList":[],"newObject":{},"newNull":null,"giftBadge":{"receiptCredentialPresentation":"AAEC"},"newOn":true}`)
	if got, want := unknownKeys(raw), []string{"giftBadge", "newOn"}; !slices.Equal(got, want) {
		t.Fatalf("unknownKeys = %q, want %q", got, want)
	}
}
