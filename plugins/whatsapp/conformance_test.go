package whatsapp_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// TestConformance runs the plugintest kit on the plugin with WhatsApp
// faked (internal/fakeplugin). Every login is the QR flow as a user goes
// through it: the kit gets the QR code and the test's phone scans it.
func TestConformance(t *testing.T) {
	runKit(t, "qr", func(srv *wafake.Server) []plugintest.LoginStep {
		return []plugintest.LoginStep{{Act: func(t testing.TB, step *pb.LoginStep) map[string]string {
			if d := step.GetDisplay(); d.GetType() != pb.DisplayType_DISPLAY_TYPE_QR || !strings.HasPrefix(d.GetData(), "2@fake-qr-") {
				t.Fatalf("want the QR code to scan, got %v", step)
			}
			srv.Scan(me, "Alice")
			return nil
		}}}
	})
}

// TestConformancePhone is the kit with the pairing code flow: the phone
// number (a malformed one first, asked again), then the code shown, which
// the test's phone "types".
func TestConformancePhone(t *testing.T) {
	runKit(t, "phone", func(srv *wafake.Server) []plugintest.LoginStep {
		return []plugintest.LoginStep{
			{Wrong: map[string]string{"phone": "not a number"}, Fields: map[string]string{"phone": "+" + me.User}},
			{Act: func(t testing.TB, step *pb.LoginStep) map[string]string {
				if d := step.GetDisplay(); d.GetType() != pb.DisplayType_DISPLAY_TYPE_CODE || d.GetData() != "FAKE-CODE" {
					t.Fatalf("want the pairing code to type, got %v", step)
				}
				srv.Scan(me, "Alice")
				return nil
			}},
		}
	})
}

// runKit runs the kit against a fake WhatsApp where the user is in a
// group with Bob, logging in by flow as login says.
func runKit(t *testing.T, flow string, login func(*wafake.Server) []plugintest.LoginStep) {
	srv := startRemote(t)
	srv.Group(&types.GroupInfo{JID: group, GroupName: types.GroupName{Name: "Builders"},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me, IsAdmin: true}, {JID: bob, PhoneNumber: bob}}})
	srv.User(bob)
	var n atomic.Int64
	plugintest.Run(t, plugintest.Config{
		Binary:     fakePlugin(t),
		ConfigJSON: []byte(fmt.Sprintf(`{"wafake_socket": %q}`, srv.Socket)),
		FlowID:     flow,
		Login:      login(srv),
		Contact:    "+" + bob.User,
		Group:      group.String(),
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
