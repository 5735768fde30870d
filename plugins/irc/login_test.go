package irc_test

import (
	"slices"
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
		saved  string // in the saved state of a completed login
	}{
		{map[string]string{"server": ""}, "server", ""},
		{map[string]string{"nick": "9lives"}, "nick", ""},
		{map[string]string{"nick": "two words"}, "nick", ""},
		{map[string]string{"port": "70000"}, "port", ""},
		{map[string]string{"port": "x"}, "port", ""},
		{map[string]string{"tls": "maybe"}, "TLS", ""},
		{map[string]string{"sasl_user": "alice"}, "SASL", ""},
		{map[string]string{"throttle": "-2"}, "Throttle", ""},
		{map[string]string{"throttle": "fast"}, "Throttle", ""},
		{map[string]string{"throttle": "1000"}, "Throttle", ""},
		{map[string]string{"throttle": "NaN"}, "Throttle", ""},
		{map[string]string{"throttle": "1e-300"}, "Throttle", ""}, // a line an age
		{nil, "", ""},
		{map[string]string{"throttle": "off"}, "", `"throttle":0`},
		{map[string]string{"throttle": "-1"}, "", `"throttle":0`}, // biboumi's "no limit"
		{map[string]string{"throttle": "0.5"}, "", `"throttle":0.5`},
		{map[string]string{"server_password": "a\nb"}, "server password", ""},
		{map[string]string{"server_password": "user/net:pw"}, "", `"server_password":"user/net:pw"`},
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
		if !slices.ContainsFunc(step.GetForm().GetFields(), func(f *pb.FormField) bool { return f.Id == "throttle" }) {
			t.Fatalf("first step %v is no form with a throttle field", step)
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
		if s := string(done.SavedState); !strings.Contains(s, `"channels":["#a","#b"]`) || !strings.Contains(s, `"tls":true`) || !strings.Contains(s, tc.saved) {
			t.Errorf("%v: saved state %s", tc.change, s)
		}
		if s := string(done.SavedState); tc.saved == "" && strings.Contains(s, "throttle") {
			t.Errorf("no throttle given: saved state %s, want the default left out", s)
		}
	}
}
