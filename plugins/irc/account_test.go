package irc

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"
)

// TestAccountKeepsLatin1Channels: a channel named in Latin-1 is saved and
// read back byte for byte (JSON alone makes U+FFFD of it, and the login
// rejoined another channel after a restart); saved state without
// channel_bytes still reads.
func TestAccountKeepsLatin1Channels(t *testing.T) {
	acc := Account{Server: "irc.example.org", Port: 6667, Nick: "ned",
		Channels: []string{"#go-nuts", "#caf\xe9", "#na\xefve"},
		Keys:     map[string]string{"#café,latin1": "secret"}}
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
	if back.Nick != "ned" || back.Port != 6667 || !maps.Equal(back.Keys, acc.Keys) {
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

// TestAccountMovesLatin1Keys: the key of a channel named in Latin-1,
// saved when its ID was its name read as Latin-1 (#café, the UTF-8
// #café's ID too), is read as the key of its ID of now (#café,latin1);
// it stays under the old ID as well while the UTF-8 channel of that ID
// is on the list, which used it.
func TestAccountMovesLatin1Keys(t *testing.T) {
	latin1 := base64.StdEncoding.EncodeToString([]byte("#Caf\xe9"))
	for _, tc := range []struct {
		channels string
		want     map[string]string
	}{
		{`"channels":["#go"]`, map[string]string{"#café,latin1": "pw", "#go": "g"}},
		{`"channels":["#go","#café"]`, map[string]string{"#café,latin1": "pw", "#café": "pw", "#go": "g"}},
	} {
		var acc Account
		saved := `{"server":"s","port":6667,"nick":"ned",` + tc.channels + `,"channel_bytes":["` + latin1 + `"],"keys":{"#café":"pw","#go":"g"}}`
		if err := json.Unmarshal([]byte(saved), &acc); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(acc.Keys, tc.want) {
			t.Errorf("keys read from %s: %v, want %v", saved, acc.Keys, tc.want)
		}
	}
}

// TestAccountKeepsThrottle: the login's throttle, off (0) or a pace, is
// saved and read back as given, and with it the pacer of its lines (nil:
// none); saved state without one (earlier versions, or the field left
// empty) reads as the default pace.
func TestAccountKeepsThrottle(t *testing.T) {
	off, two := 0.0, 2.0
	for _, tc := range []struct {
		throttle *float64
		every    time.Duration // of the lines' pacer; 0 = none
	}{{nil, lineEvery}, {&off, 0}, {&two, 500 * time.Millisecond}} {
		b, err := json.Marshal(Account{Server: "s", Port: 6667, Nick: "ned", Throttle: tc.throttle})
		if err != nil {
			t.Fatal(err)
		}
		var back Account
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if (back.Throttle == nil) != (tc.throttle == nil) || back.Throttle != nil && *back.Throttle != *tc.throttle {
			t.Errorf("throttle read back as %v from %s", back.Throttle, b)
		}
		p := linePacer(back)
		switch {
		case tc.every == 0 && p != nil:
			t.Errorf("%s: a pacer of %v, want none", b, p.every)
		case tc.every != 0 && (p == nil || p.every != tc.every || p.burst != lineBurst):
			t.Errorf("%s: pacer %+v, want %d at once then one each %v", b, p, lineBurst, tc.every)
		}
	}
}
