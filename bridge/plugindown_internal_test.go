package bridge

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/pluginhost"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/store"
)

// TestPluginDownSaysRefusal: a plugin that stays down because it refuses
// its Init (its config) is not "being restarted" to its users: the
// gateway's presence says the admin must act, and says it anew when a
// plugin that crashed (told as restarting) then refuses to start. It
// said "it is being restarted" whatever the cause.
func TestPluginDownSaysRefusal(t *testing.T) {
	tr := newTestTransport(t)
	tr.host = pluginhost.New(pluginhost.Config{Name: "echo", Log: slog.New(slog.DiscardHandler)}) // never run
	s := tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "alice-echo"})
	told := make(chan string, 4)
	tell := func() { told <- string(s.gatewayPresence()) }
	next := func(want string) {
		t.Helper()
		select {
		case p := <-told:
			if !strings.Contains(p, want) {
				t.Errorf("the gateway's presence %s, want it to say %q", p, want)
			}
		case <-time.After(pluginDownGrace + 5*time.Second):
			t.Fatalf("the users were never told (want %q)", want)
		}
	}
	tr.down.stopped(errors.New("plugin exited: signal: killed"), tell, &tr.bg)
	next("it is being restarted")
	refusal := &pluginhost.InitError{Err: &sdk.Error{Code: pb.ErrorCode_ERROR_CODE_BAD_REQUEST, Text: `echo: unknown key "contactz"`}}
	tr.down.stopped(refusal, tell, &tr.bg)
	next("Stopped: the gateway&apos;s echo plugin refused to start: its setup needs the gateway&apos;s admin")

	tr.down.up()
	tr.down.stopped(refusal, tell, &tr.bg)
	next("refused to start")
	if p := string(s.gatewayPresence()); strings.Contains(p, "contactz") {
		t.Errorf("the plugin's own words reach the user (they are the admin's): %s", p)
	}
}
