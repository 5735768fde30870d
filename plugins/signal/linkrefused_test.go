package signal_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A QR code that ends unscanned or refused is replaced by a new one
// whose step says why, in signal-cli's terms made plain: it expired,
// signal-cli forgot the code, or another refusal in signal-cli's words.
// (Before: every one "expired".)
func TestLinkRefusedSaysWhy(t *testing.T) {
	d, _ := startFake(t)
	c, ctx, step := startLink(t, d)
	for _, tc := range []struct {
		fail      string // finishLink's user error; "": not scanned in time
		want, not string
	}{
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

// A link signal-cli refuses because it has the account already (linked
// or registered before in its data folder) ends the login with a
// conflict saying what to do, not a new code: every code scanned by
// that phone would be refused the same way. The user to whom the config
// gives that account is pointed to the "existing account" login.
func TestLinkAccountExistsEndsLogin(t *testing.T) {
	d, _ := startFake(t)
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	c := p.Client()
	ctx, cancel := p.CallContext()
	defer cancel()
	for _, tc := range []struct {
		number, want string
	}{
		{"+15550000009", "Ask the gateway's admin"},
		{alice, "log in with the \"existing account\" flow"},
	} {
		step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, FlowId: "link", LoginDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		d.FailNext("finishLink", -1, "The user "+tc.number+" already exists\nDelete \"/var/lib/signal-cli/data/x\" before trying again.")
		again, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
		if st, _ := status.FromError(err); st.Code() != codes.AlreadyExists || !strings.Contains(st.Message(), tc.number) ||
			!strings.Contains(st.Message(), tc.want) || strings.Contains(st.Message(), "/var/lib") {
			t.Fatalf("finishLink refused, the account %s exists: step %v, error %v; want a conflict naming it, saying %q", tc.number, again, err, tc.want)
		}
	}
}

// signal-cli restarting while a QR code waits for its scan (it died and
// was started again, or the admin restarted it) forgets the code: the
// login shows a new one, from the daemon once it is back, saying why,
// and the phone scanning it completes the login. Before, the login
// ended: "linking failed: signal-cli went away before it answered, so
// it may have gone through all the same", and the user started over.
func TestLinkSurvivesDaemonRestart(t *testing.T) {
	d, _ := startFake(t)
	c, ctx, step := startLink(t, d)
	type result struct {
		step *pb.LoginStep
		err  error
	}
	wait := func() <-chan result {
		ch := make(chan result, 1)
		go func() {
			s, err := c.WaitLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId})
			ch <- result{s, err}
		}()
		return ch
	}
	first := wait()
	for deadline := time.Now().Add(10 * time.Second); d.Calls("finishLink") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no finishLink asked")
		}
	}
	d.Crash()
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	r := <-first
	if r.err != nil {
		t.Fatalf("signal-cli restarted while the code waited: %v, want a new code", r.err)
	}
	uri := r.step.GetDisplay().GetData()
	if r.step.GetDisplay().GetType() != pb.DisplayType_DISPLAY_TYPE_QR || uri == step.GetDisplay().GetData() || !strings.Contains(r.step.Error, "restarted") {
		t.Fatalf("after signal-cli restarted: %v, want a new QR code saying signal-cli restarted", r.step)
	}
	second := wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := d.Scan(uri, carol, carolACI); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	if r := <-second; r.err != nil || r.step.GetComplete().GetLoginId() != carol {
		t.Fatalf("the new code scanned: %v %v, want carol logged in", r.step, r.err)
	}
}
