package signal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// connectAs connects the login of s with the saved state given, on a
// plugin process restarted (a new event stream), and returns the first
// login state that says connected naming want, or ends the login.
func connectAs(t *testing.T, s *session, state []byte, want string) *pb.LoginStateEvent {
	t.Helper()
	s.evs = s.p.Events()
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: s.loginID, UserJid: plugintest.UserJID, SavedState: state, LoginDir: s.dir}); err != nil {
		t.Fatal(err)
	}
	// (The state told by the process before may come again first.)
	return s.next(func(ev *pb.Event) bool {
		st := ev.GetLoginState()
		return st.GetState() == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || (st.GetState() == pb.LoginState_LOGIN_STATE_CONNECTED && strings.Contains(st.Message, want))
	}).GetLoginState()
}

// The number changed on the phone while the plugin was stopped, with a
// signal-cli before 0.14.6 (it knows an account by its number only):
// signal-cli's accounts.json, in the data folder the plugin may read,
// gives the account's ACI its new number. The login goes on at it,
// saying so, with the Note to Self's notice, and sends from it. Before,
// the login ended as unlinked ("log in again", which a QR code cannot
// do); so did it with an "existing" account, whose ACI was never asked
// (here learnt from accounts.json at the login).
func TestOwnNumberChangedWhileStoppedOldSignalCLI(t *testing.T) {
	d, _ := startFake(t)
	d.NumbersOnly()
	data := t.TempDir()
	if err := d.SetDataDir(data); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"socket": d.Path(), "data_dir": data, "accounts": adminAccounts()})
	p := plugintest.Start(t, pluginBinary(t), "", cfg)
	done := p.Login("existing", map[string]string{"account": alice})
	s := &session{t: t, d: d, p: p, loginID: done.LoginId, saved: done.SavedState, dir: t.TempDir()}
	s.evs = p.Events()
	s.connect(done.SavedState)
	s.p.Restart()
	d.ChangeNumber(alice, aliceNew, false)
	if st := connectAs(t, s, done.SavedState, aliceNew); st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("the login's state: %v, want it connected at the new number", st)
	}
	// The saved state, the notice in the Note to Self: as for a change
	// seen live.
	if saved := s.next(func(ev *pb.Event) bool { return ev.GetSavedState() != nil }); !strings.Contains(string(saved.GetSavedState().GetSavedState()), aliceNew) {
		t.Fatalf("the saved state: %s", saved.GetSavedState().GetSavedState())
	}
	if notice := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); !strings.Contains(notice.GetMessage().GetText(), "from "+alice+" to "+aliceNew) {
		t.Fatalf("the notice: %v", notice)
	}
	s.cmds = s.p.Commands()
	if res := s.do(bob, &pb.SendMessage{Text: "from the new number"}); res.Error != nil {
		t.Fatalf("a send: %v", res.Error)
	}
	if got := sentTextsOf(d, aliceNew, bob); len(got) != 1 {
		t.Fatalf("sent from the new number: %q", got)
	}
	d.Deliver(aliceNew, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("hello again")}})
	s.next(isText("hello again"))
}

// A login of the "existing" flow saved before its ACI was asked (its
// state names the number only) learns it at its connection (newer
// signal-cli lists it) and saves it: a number changed while the plugin
// is stopped is then found by it. Before, such a login ended as
// unlinked, the ACI never known. Its messages' IDs keep naming the
// number.
func TestExistingLoginLearnsACI(t *testing.T) {
	d, _ := startFake(t)
	p := plugintest.Start(t, pluginBinary(t), "", socketConfig(d))
	s := &session{t: t, d: d, p: p, loginID: alice, dir: t.TempDir()}
	s.evs = p.Events()
	s.connect([]byte(`{"number":"` + alice + `"}`))
	saved := s.next(func(ev *pb.Event) bool { return ev.LoginId == alice && ev.GetSavedState() != nil }).GetSavedState().GetSavedState()
	var acc map[string]any
	if json.Unmarshal(saved, &acc) != nil || acc["aci"] != aliceACI || acc["number"] != alice {
		t.Fatalf("the saved state: %s, want the number and the ACI", saved)
	}
	// The user's messages are named as before the ACI was known: the
	// IDs the gateway holds of the earlier ones still match.
	s.cmds = p.Commands()
	if res := s.do(bob, &pb.SendMessage{Text: "named by the number"}); res.Error != nil || !strings.HasSuffix(res.MessageId, ":"+alice) {
		t.Fatalf("a send: %v, want its ID naming %s", res, alice)
	}
	s.p.Restart()
	d.ChangeNumber(alice, aliceNew, false)
	if st := connectAs(t, s, saved, aliceACI); st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("the login's state: %v, want it connected by the ACI", st)
	}
}
