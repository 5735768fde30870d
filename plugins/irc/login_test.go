package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Wrong login input is asked again with a message saying what is wrong;
// right input completes the login, with the channels and the casefolded
// nick in it.
func TestLoginForm(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	c := p.Client()
	ok := map[string]string{"server": "irc.example.org", "nick": "Alice[1]", "tls": "on", "channels": "#a, b"}
	for _, tc := range []struct {
		change map[string]string
		want   string // in the error; "" = completes
	}{
		{map[string]string{"server": ""}, "server"},
		{map[string]string{"nick": "9lives"}, "nick"},
		{map[string]string{"nick": "two words"}, "nick"},
		{map[string]string{"port": "70000"}, "port"},
		{map[string]string{"port": "x"}, "port"},
		{map[string]string{"tls": "maybe"}, "TLS"},
		{map[string]string{"sasl_user": "alice"}, "SASL"},
		{nil, ""},
	} {
		fields := map[string]string{}
		for k, v := range ok {
			fields[k] = v
		}
		for k, v := range tc.change {
			fields[k] = v
		}
		step, err := c.StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		if len(step.GetForm().GetFields()) == 0 {
			t.Fatalf("first step %v is no form", step)
		}
		step, err = c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: fields})
		if err != nil {
			t.Fatalf("%v: %v", tc.change, err)
		}
		if tc.want != "" {
			if step.GetForm() == nil || !strings.Contains(step.Error, tc.want) {
				t.Errorf("%v: step %v, want the form again with an error about %s", tc.change, step, tc.want)
			}
			continue
		}
		done := step.GetComplete()
		if done == nil {
			t.Fatalf("right input: step %v", step)
		}
		if done.LoginId != "alice{1}@irc.example.org:6697" {
			t.Errorf("login ID %q", done.LoginId)
		}
		if s := string(done.SavedState); !strings.Contains(s, `"channels":["#a","#b"]`) || !strings.Contains(s, `"tls":true`) {
			t.Errorf("saved state %s", s)
		}
	}
}
