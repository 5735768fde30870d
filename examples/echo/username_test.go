package echo_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestUsernameControlCharactersRefused: a username holding a line break
// or another control character is asked for again with the reason, as a
// real network refuses it, and the same login then completes with a
// good one. The echo network took "alice\nbob" as an account, its login
// ID and display name two lines.
func TestUsernameControlCharactersRefused(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, echoPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	c := p.Client()
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID, LoginDir: p.LoginDir()})
	if err != nil {
		t.Fatal(err)
	}
	pid := step.ProcessId
	for name, want := range map[string]string{
		"alice\nbob": "line break",
		"al\rice":    "line break",
		"al\tice":    "U+0009",
		"al\x00ice":  "U+0000",
		"al\u0085ce": "U+0085",
	} {
		step, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: pid, Fields: map[string]string{"username": name}})
		if err != nil {
			t.Fatalf("username %q: %v, want the form again with the reason", name, err)
		}
		if step.GetComplete() != nil {
			t.Errorf("username %q: the login completed (login ID %q), want it refused", name, step.GetComplete().LoginId)
			continue
		}
		if step.GetForm() == nil || !strings.Contains(step.Error, want) {
			t.Errorf("username %q: step %v, want the username form again, its error naming %q", name, step, want)
		}
	}
	step, err = c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: pid, Fields: map[string]string{"username": "alice"}})
	if err != nil || step.GetComplete().GetLoginId() != "alice" {
		t.Fatalf("then alice: %v %v, want the login complete", step, err)
	}
}
