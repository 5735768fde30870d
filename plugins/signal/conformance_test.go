package signal_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

const pluginPkg = "passerelle.im/passerelle/cmd/passerelle-signal"

// The people of the tests.
const (
	alice     = "+15550000001" // the user
	aliceACI  = "a11ce000-0000-4000-8000-000000000001"
	bob       = "+15550000002"
	bobACI    = "b0b00000-0000-4000-8000-000000000002"
	carol     = "+15550000003"
	carolACI  = "ca201000-0000-4000-8000-000000000003"
	daveACI   = "dave0000-0000-4000-8000-000000000004" // hides his number
	daveNum   = "+15550000004"
	groupName = "Friends"
)

// bobAvatar is bob's profile picture: a PNG signature is enough to be
// told apart.
var bobAvatar = []byte("\x89PNG\r\n\x1a\nbob's face")

// startFake runs a fake daemon with alice's account, bob and carol as
// contacts and a group of the three.
func startFake(t *testing.T) (*fakesignal.Daemon, string) {
	t.Helper()
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(alice, aliceACI)
	d.SetContacts(alice, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob", Avatar: bobAvatar, AvatarTS: 1700000000000},
		fakesignal.Contact{Number: carol, UUID: carolACI, Given: "Carol"})
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: groupName, Description: "old friends",
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI, Admin: true}, {Number: bob, UUID: bobACI}, {Number: carol, UUID: carolACI}}})
	return d, gid
}

func socketConfig(d *fakesignal.Daemon) []byte {
	b, _ := json.Marshal(map[string]any{"socket": d.Path(), "accounts": adminAccounts()})
	return b
}

// adminAccounts gives alice's account, which the admin put in signal-cli,
// to the kit's user.
func adminAccounts() map[string]string { return map[string]string{alice: plugintest.UserJID} }

// sentTexts are the texts alice's account sent to a recipient.
func sentTexts(d *fakesignal.Daemon, recipient string) []string {
	var out []string
	for _, r := range d.Requests(alice) {
		if r.Method != "send" || r.Params["editTimestamp"] != nil {
			continue
		}
		rs, _ := r.Params["recipient"].([]any)
		if len(rs) == 1 && rs[0] == recipient {
			msg, _ := r.Params["message"].(string)
			out = append(out, msg)
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	d, gid := startFake(t)
	var n atomic.Int64
	plugintest.Run(t, plugintest.Config{
		Binary:      plugintest.BuildBinary(t, pluginPkg),
		ConfigJSON:  socketConfig(d),
		FlowID:      "existing",
		LoginFields: map[string]string{"account": alice},
		Contact:     bob,
		Group:       hexGroup(gid),
		Incoming: func(t testing.TB, loginID, chatID string) string {
			text := fmt.Sprintf("from bob %d", n.Add(1))
			d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", SourceDevice: 1,
				DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(text)}})
			return text
		},
		Delivered: func(t testing.TB, loginID, chatID string) []string { return sentTexts(d, chatID) },
	})
}
