package whatsapp_test

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestConformance runs the plugintest kit on the plugin with WhatsApp
// faked (internal/fakeplugin). The kit logs in with a single form, so the
// fake plugin, told so by wafake_kit, adapts: it logs in by phone number
// and types the pairing code itself (see fakeplugin's kitLogin).
func TestConformance(t *testing.T) {
	sockDir, err := os.MkdirTemp("", "wa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	srv, err := wafake.NewServer(sockDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me, IsAdmin: true}, {JID: bob, PhoneNumber: bob}}})
	srv.User(bob)
	var n atomic.Int64
	plugintest.Run(t, plugintest.Config{
		Binary:      fakePlugin(t),
		ConfigJSON:  []byte(fmt.Sprintf(`{"wafake_socket": %q, "wafake_kit": true}`, srv.Socket)),
		FlowID:      "phone",
		LoginFields: map[string]string{"phone": "+" + me.User},
		Contact:     "+" + bob.User,
		Group:       group.String(),
		Incoming: func(t testing.TB, loginID, chatID string) string {
			text := fmt.Sprintf("from bob %d", n.Add(1))
			info, msg := incoming(bob, fmt.Sprintf("K%d", n.Load()), text)
			if err := srv.Receive(info, msg); err != nil {
				t.Fatal(err)
			}
			return text
		},
		Delivered: func(t testing.TB, loginID, chatID string) []string {
			time.Sleep(300 * time.Millisecond) // the agent reports sends as they go
			var out []string
			for _, m := range srv.SentTo(bob) {
				if c := m.GetConversation(); c != "" {
					out = append(out, c)
				}
			}
			return out
		},
	})
}
