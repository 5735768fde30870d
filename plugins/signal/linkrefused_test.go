package signal_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A QR code that ends unscanned or refused is replaced by a new one
// whose step says why, in signal-cli's terms made plain: it expired,
// signal-cli has the account already, signal-cli forgot the code, or
// another refusal in signal-cli's words. (Before: every one "expired".)
func TestLinkRefusedSaysWhy(t *testing.T) {
	d, _ := startFake(t)
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	c := p.Client()
	ctx, cancel := p.CallContext()
	defer cancel()
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link", LoginDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fail      string // finishLink's user error; "": not scanned in time
		want, not string
	}{
		{"The user +15550000003 already exists\nDelete \"/var/lib/signal-cli/data/+15550000003\" before trying again.", "has this Signal account already (The user +15550000003 already exists)", "/var/lib"},
		{"Unknown device link uri.", "no longer knew the last QR code", "expired"},
		{"Some refusal of a later signal-cli.", "The link was refused (signal-cli: Some refusal of a later signal-cli)", "expired"},
		{"", "expired before it was scanned", "refused"},
	} {
		if tc.fail != "" {
			d.FailNext("finishLink", -1, tc.fail)
		} else {
			d.SetLinkTimeout(100 * time.Millisecond)
		}
		again, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
		if err != nil {
			t.Fatalf("%q: %v", tc.fail, err)
		}
		if again.GetDisplay().GetType() != pb.DisplayType_DISPLAY_TYPE_QR || !strings.Contains(again.Error, tc.want) || strings.Contains(again.Error, tc.not) {
			t.Errorf("after %q: a new code %v with %q, want it saying %q", tc.fail, again.GetDisplay() != nil, again.Error, tc.want)
		}
	}
}
