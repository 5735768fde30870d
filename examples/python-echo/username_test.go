package pythonecho_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestUsernameControlCharactersRefused: as examples/echo does, a
// username holding a line break or another control character is asked
// for again with the reason named, not only the rule, and the same
// login then completes with a good one.
func TestUsernameControlCharactersRefused(t *testing.T) {
	p := start(t, "")
	ctx, cancel := p.CallContext()
	defer cancel()
	c := p.Client()
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{})
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
		"no spaces":  "letters, digits",
		"   ":        "must not be empty",
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
