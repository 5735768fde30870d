package signal_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

const aliceNew = "+15550000099"

// The user changes their account's number on the phone while the
// gateway runs: signal-cli applies the phone's sync message and renames
// the account, every later notification naming the new number, every
// request naming the old one refused ("Specified account does not
// exist"). The login goes on at the new number: what comes after is
// shown, sends go, the saved state names the new number (a restart
// subscribes by it), the Note to Self moves there, and the user is told
// once. Before, every envelope naming the new number was dropped as
// another account's, without a word, and the next command (or liveness
// check) ended the login as unlinked, "log in again".
func TestOwnNumberChange(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.ChangeNumber(alice, aliceNew, true)

	saved := s.next(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	var acc struct {
		Number string   `json:"number"`
		ACI    string   `json:"aci"`
		Former []string `json:"former"`
	}
	if err := json.Unmarshal(saved.GetSavedState().GetSavedState(), &acc); err != nil || acc.Number != aliceNew || acc.ACI != aliceACI ||
		len(acc.Former) != 1 || acc.Former[0] != alice {
		t.Fatalf("the saved state after the change: %s (%v), want the new number, the old one among the former and the ACI learnt", saved.GetSavedState().GetSavedState(), err)
	}
	moved := s.next(func(ev *pb.Event) bool { return ev.GetIdentity() != nil })
	if id := moved.GetIdentity(); id.OldUserId != alice || id.GetContact().GetUserId() != aliceNew {
		t.Fatalf("the Note to Self's move: %v", moved)
	}
	notice := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if txt := notice.GetMessage().GetText(); notice.ChatId != aliceNew ||
		!strings.Contains(txt, "from "+alice+" to "+aliceNew) {
		t.Fatalf("the notice: %v", notice)
	}
	if st := s.state(pb.LoginState_LOGIN_STATE_CONNECTED); !strings.Contains(st.Message, aliceNew) {
		t.Fatalf("the login's state after the change: %q", st.Message)
	}

	d.Deliver(aliceNew, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after your change")}})
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.GetMessage().GetText() != "after your change" {
		t.Fatalf("the next message: %v", ev)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "still here"}); res.Error != nil {
		t.Fatalf("a send after the change: %v", res.Error)
	}
	if got := sentTextsOf(d, aliceNew, bob); len(got) != 1 || got[0] != "still here" {
		t.Fatalf("sent from the new number: %q", got)
	}

	// The Note to Self a client kept at the old number: nothing goes to
	// that number, which may be someone else's now.
	if res := s.do(alice, &pb.SendMessage{Text: "a note"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND ||
		!strings.Contains(res.Error.GetText(), aliceNew) {
		t.Fatalf("a send to the former number: %v", res)
	}
	if got := sentTextsOf(d, aliceNew, alice); len(got) != 0 {
		t.Fatalf("sent to the former number: %q", got)
	}

	// A restart: the saved state names the new number.
	s.saved = saved.GetSavedState().GetSavedState()
	s.crash()
	d.Deliver(aliceNew, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("after the restart")}})
	s.next(isText("after the restart"))
	// The former number, saved, is still refused after it.
	if res := s.do(alice, &pb.SendMessage{Text: "a note again"}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Fatalf("a send to the former number after the restart: %v", res)
	}
}

// sentTextsOf are the texts an account (by its number now) sent to a
// recipient.
func sentTextsOf(d *fakesignal.Daemon, account, recipient string) []string {
	var out []string
	for _, r := range d.Requests(account) {
		if r.Method != "send" {
			continue
		}
		for _, to := range anyStrings(r.Params["recipient"]) {
			if to == recipient {
				m, _ := r.Params["message"].(string)
				out = append(out, m)
			}
		}
	}
	return out
}

// The number changed while the plugin did not run, and signal-cli
// renamed the account as it loaded it (its whoAmI check), with no
// message: the saved number is refused, and signal-cli 0.14.6 and later
// know the account by its ACI, which the saved state has (a linked
// account's; the existing flow's once learnt from a rename). The login
// connects by it, saying so, and takes the new number from the next
// notification, telling it as above. Before, the login ended as
// unlinked, "log in again", which a QR code cannot do: signal-cli has
// the account already.
func TestOwnNumberChangedWhileStopped(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	s.p.Restart()
	d.ChangeNumber(alice, aliceNew, false)
	s.evs = s.p.Events()
	s.saved = []byte(`{"number":"` + alice + `","aci":"` + aliceACI + `"}`)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: s.loginID, UserJid: plugintest.UserJID, SavedState: s.saved, LoginDir: s.dir}); err != nil {
		t.Fatal(err)
	}
	// (The state told by the process before may come again first.)
	st := s.next(func(ev *pb.Event) bool {
		st := ev.GetLoginState()
		return st.GetState() == pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || (st.GetState() == pb.LoginState_LOGIN_STATE_CONNECTED && strings.Contains(st.Message, aliceACI))
	}).GetLoginState()
	if st.State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Fatalf("the login's state: %v, want it connected by the ACI, saying so", st)
	}
	s.cmds = s.p.Commands()
	if res := s.do(bob, &pb.SendMessage{Text: "by the ACI"}); res.Error != nil {
		t.Fatalf("a send before the new number is known: %v", res.Error)
	}
	d.Deliver(aliceNew, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("hello again")}})
	saved := s.next(func(ev *pb.Event) bool { return ev.GetSavedState() != nil })
	if !strings.Contains(string(saved.GetSavedState().GetSavedState()), aliceNew) {
		t.Fatalf("the saved state: %s", saved.GetSavedState().GetSavedState())
	}
	notice := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if !strings.Contains(notice.GetMessage().GetText(), "from "+alice+" to "+aliceNew) {
		t.Fatalf("the notice: %v", notice)
	}
	s.next(isText("hello again"))
	if got := sentTextsOf(d, aliceNew, bob); len(got) != 1 || got[0] != "by the ACI" {
		t.Fatalf("sent: %q", got)
	}
}

// signal-cli gives an account added while a session is subscribed (a
// second user's, linked by QR code) to that subscription too, its
// envelopes naming it: they are not taken for the session's new number
// (signal-cli still lists the session's number), nor shown to its user.
func TestOtherAccountOnSubscriptionNotTaken(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const other = "+15550000077"
	d.AddAccount(other, fakesignal.NewUUID())
	d.Deliver(other, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("for the other account")}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("for alice")}})
	ev := s.next(func(ev *pb.Event) bool {
		return ev.GetMessage() != nil || ev.GetSavedState() != nil || ev.GetIdentity() != nil
	})
	if ev.GetMessage().GetText() != "for alice" {
		t.Fatalf("after another account's envelope: %v", ev)
	}
	if res := s.do(bob, &pb.SendMessage{Text: "still alice"}); res.Error != nil {
		t.Fatalf("a send: %v", res.Error)
	}
	if got := sentTextsOf(d, alice, bob); len(got) != 1 {
		t.Fatalf("sent by alice: %q", got)
	}
}

// Another account added while the session is subscribed (a second
// user's) whose envelope comes after signal-cli renamed the session's
// account but before the rename's own notification: signal-cli lists
// both new numbers and no longer the session's, and the other account's
// envelope must not be taken for the session's new number (its messages
// shown to this user, its number saved as theirs). The rename's own
// notification, from the account itself, names the new number.
func TestOtherAccountNotTakenDuringRename(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const other = "+15550000077"
	d.AddAccount(other, fakesignal.NewUUID())
	d.ChangeNumber(alice, aliceNew, false) // the notification not written yet
	d.Deliver(other, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("for the other account")}})
	renameNotice(d)
	d.Deliver(aliceNew, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("for alice")}})
	saved := s.next(func(ev *pb.Event) bool { return ev.GetSavedState() != nil || ev.GetMessage() != nil })
	if got := string(saved.GetSavedState().GetSavedState()); !strings.Contains(got, aliceNew) || strings.Contains(got, other) {
		t.Fatalf("first after the rename: %v, want the saved state naming %s", saved, aliceNew)
	}
	if ev := s.next(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId != aliceNew }); ev.GetMessage().GetText() != "for alice" {
		t.Fatalf("the first message shown after the rename: %v", ev)
	}
}

// A command asked between signal-cli's rename of the account and the
// rename's notification is refused, naming the old number ("Specified
// account does not exist", nothing sent): it waits for the notification
// (RenameWait) and is asked again by the new number, once. The message
// goes once, from the new number.
func TestCommandDuringRenameSentOnce(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.ChangeNumber(alice, aliceNew, false) // the notification not written yet
	before := d.Calls("send")
	txn := s.txn()
	res := make(chan *pb.CommandResult, 1)
	go func() { res <- s.cmds.Send(plugintest.Act(s.loginID, bob, txn, &pb.SendMessage{Text: "once"})) }()
	for i := 0; d.Calls("send") == before; i++ { // refused by the old number
		if i > 3000 {
			t.Fatal("the send was never asked")
		}
		time.Sleep(10 * time.Millisecond)
	}
	renameNotice(d)
	if r := <-res; r.Error != nil {
		t.Fatalf("the send asked during the rename: %v", r.Error)
	}
	if got := sentTextsOf(d, aliceNew, bob); len(got) != 1 || got[0] != "once" {
		t.Fatalf("sent from the new number: %q, want it once", got)
	}
	if n := d.Calls("send") - before; n != 2 {
		t.Fatalf("send asked %d times, want 2 (refused by the old number, then by the new one)", n)
	}
}

// renameNotice writes the notification of the rename of alice's account
// to aliceNew (as ChangeNumber does with sync true), for a test that
// renamed it without: an envelope from the account itself, an empty
// syncMessage.
func renameNotice(d *fakesignal.Daemon) {
	d.DeliverRaw(aliceNew, json.RawMessage(`{"source":"`+aliceNew+`","sourceNumber":"`+aliceNew+`","sourceUuid":"`+aliceACI+
		`","sourceDevice":1,"timestamp":`+itoa(d.Now())+`,"syncMessage":{}}`))
}
