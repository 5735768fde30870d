package filenet_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/examples/filenet"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestBadLinesSkipped: a chat file's line that is no message (written by
// hand) or one the SDK refuses (an ID with a NUL byte) is logged and
// passed over; the line after it arrives. The refused one was read and
// refused again at each poll, in silence, and held up the chat for ever.
func TestBadLinesSkipped(t *testing.T) {
	dir, cfg := network(t, filenet.Account{Contacts: map[string]string{bob: "Bob"}})
	p := plugintest.Start(t, plugintest.BuildBinary(t, pkg), t.TempDir(), cfg)
	login := p.LoginSteps("phone", []plugintest.LoginStep{{Fields: map[string]string{"phone": me}}, {Act: readCode(dir)}})
	evs := p.Events()
	p.Connect(login.LoginId, login.SavedState)

	chat := filenet.ChatFile(dir, login.LoginId, bob)
	if err := os.WriteFile(chat, []byte("hi Bob, this is no JSON\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, l := range []filenet.Line{{ID: "b\x00ad", From: bob, Text: "refused"}, {ID: "b2", From: bob, Text: "after"}} {
		if err := filenet.AppendLine(chat, l); err != nil {
			t.Fatal(err)
		}
	}
	ev := evs.Await("the message after the bad lines", func(ev *pb.Event) bool {
		return ev.GetMessage() != nil && ev.ChatId == bob
	})
	if got := ev.GetMessage().GetText(); got != "after" {
		t.Errorf("the first message of the chat is %q, want \"after\"", got)
	}
	// The log was written before the event was sent, but comes through
	// a pipe of its own.
	deadline := time.Now().Add(plugintest.Timeout)
	for _, want := range []string{"is not a message, skipped", "cannot be delivered, skipped"} {
		for !strings.Contains(p.Stderr(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("the plugin's log does not say %q:\n%s", want, p.Stderr())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
