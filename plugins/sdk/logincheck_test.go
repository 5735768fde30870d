package sdk

import (
	"strings"
	"sync"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A login process that completes with an ID the gateway cannot keep
// (over MaxIDBytes, or holding a NUL) is refused by the SDK, as Serve
// runs a Connector: the host is answered BAD_REQUEST saying why, the
// login is logged out on the network at once (loaded, then its
// session's Logout), and the process takes no more steps nor a Cancel;
// a login with a good ID completes as before. Before, the completed
// login went to the host, whose store refused it, and the plugin kept
// it: on a network that links a device, one linked with nothing to use
// or end it.
func TestCompletedLoginIDChecked(t *testing.T) {
	var (
		mu       sync.Mutex
		sessions []*plain
	)
	n := &testNet[*plain]{mk: func(l LoginInfo) *plain {
		p := &plain{info: l}
		mu.Lock()
		sessions = append(sessions, p)
		mu.Unlock()
		return p
	}}
	c := startServer(t, newConnectorTransport[*plain](n), "")
	ctx := testContext(t)
	for _, tc := range []struct{ name, id, want string }{
		{"too long", strings.Repeat("a", MaxIDBytes+1), "4097 bytes, over the gateway's limit of 4096"},
		{"NUL", "al\x00ice", "holds a NUL byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			sessions = nil
			mu.Unlock()
			step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: "u@x", LoginDir: "/logins/1"})
			if err != nil || step.GetForm() == nil {
				t.Fatalf("StartLogin: %v %v", step, err)
			}
			done, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"name": tc.id}})
			e := FromGRPC(err)
			if err == nil || e.Code != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(e.Text, tc.want) || !strings.Contains(e.Text, "logged out") {
				t.Fatalf("a login with a bad ID: want BAD_REQUEST saying %q, got a login of %d bytes of ID, err %v", tc.want, len(done.GetComplete().GetLoginId()), err)
			}
			mu.Lock()
			got := sessions
			mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("the refused login was loaded %d times, want once (to log it out)", len(got))
			}
			if s := got[0]; s.info.LoginID != tc.id || s.info.UserJID != "u@x" || s.info.Dir != "/logins/1" || strings.Join(s.calls, ",") != "logout" {
				t.Fatalf("the refused login: loaded as %+v, calls %v; want it logged out alone", s.info, s.calls)
			}
			// The process is over: another step is refused, and the
			// host's cancel reaches no completed process.
			if _, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"name": "bob"}}); err == nil {
				t.Fatal("a step after the refused login was taken")
			}
			if _, err := c.CancelLogin(ctx, &pb.LoginProcessRef{ProcessId: step.ProcessId}); err != nil {
				t.Fatalf("CancelLogin: %v", err)
			}
			n.mu.Lock()
			cancels := n.cancel
			n.mu.Unlock()
			if cancels != 0 {
				t.Fatalf("the completed process was cancelled %d times", cancels)
			}
		})
	}
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: "u@x"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"name": strings.Repeat("a", MaxIDBytes)}})
	if err != nil || len(done.GetComplete().GetLoginId()) != MaxIDBytes {
		t.Fatalf("a login of an ID at the limit: %v %v", done, err)
	}
}
