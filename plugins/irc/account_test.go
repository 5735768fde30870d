package irc

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestAccountKeepsLatin1Channels: a channel named in Latin-1 is saved and
// read back byte for byte (JSON alone makes U+FFFD of it, and the login
// rejoined another channel after a restart); saved state without
// channel_bytes still reads.
func TestAccountKeepsLatin1Channels(t *testing.T) {
	acc := Account{Server: "irc.example.org", Port: 6667, Nick: "ned",
		Channels: []string{"#go-nuts", "#caf\xe9", "#na\xefve"},
		Keys:     map[string]string{"#café": "secret"}}
	b, err := json.Marshal(acc)
	if err != nil {
		t.Fatal(err)
	}
	var back Account
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Channels, acc.Channels) {
		t.Errorf("channels read back %q, want %q (saved as %s)", back.Channels, acc.Channels, b)
	}
	if back.Nick != "ned" || back.Port != 6667 || back.Keys["#café"] != "secret" {
		t.Errorf("account read back %+v from %s", back, b)
	}

	var old Account
	if err := json.Unmarshal([]byte(`{"server":"irc.example.org","port":6697,"tls":true,"nick":"ned","channels":["#go-nuts"]}`), &old); err != nil {
		t.Fatal(err)
	}
	if !old.TLS || !slices.Equal(old.Channels, []string{"#go-nuts"}) {
		t.Errorf("earlier saved state read as %+v", old)
	}
}
