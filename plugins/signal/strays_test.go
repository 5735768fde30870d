package signal_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A second user links by QR code while alice's login is subscribed:
// signal-cli adds the new account to alice's subscription and starts
// receiving for it at once, so what comes before the new login's own
// subscription (the phone's first lists, a message) is written to
// alice's only. It is the new login's all the same, and comes once:
// later envelopes, written to both subscriptions, are not shown twice.
// Before, alice's session dropped them as another account's.
func TestSecondLinkFirstEnvelopesKept(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	done := linkAccount(t, s.p, d, carol, carolACI)
	from := func(text string) fakesignal.Envelope {
		return fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(text)}}
	}
	d.Deliver(carol, from("before carol's login connects"))

	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: done.LoginId, UserJid: plugintest.UserJID, SavedState: done.SavedState, LoginDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	// Every message of carol's shown, whichever wait reads it.
	seen := map[string]int{}
	count := func(ev *pb.Event) {
		if ev.LoginId == done.LoginId && ev.GetMessage() != nil {
			seen[ev.GetMessage().GetText()]++
		}
	}
	s.next(func(ev *pb.Event) bool {
		count(ev)
		return ev.LoginId == done.LoginId && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	d.Deliver(carol, from("after"))
	// alice's connection handles in order: once her own message is
	// shown, carol's envelopes written there before were handed over.
	d.Deliver(alice, from("alice's marker"))
	s.next(func(ev *pb.Event) bool {
		count(ev)
		return ev.LoginId == s.loginID && ev.GetMessage().GetText() == "alice's marker"
	})
	d.Deliver(carol, from("end"))
	s.next(func(ev *pb.Event) bool {
		count(ev)
		return ev.LoginId == done.LoginId && ev.GetMessage().GetText() == "end"
	})
	if seen["before carol's login connects"] != 1 || seen["after"] != 1 {
		t.Fatalf("carol's messages shown: %v, want each once", seen)
	}
}

// An envelope of carol's that came on alice's subscription while carol's
// login was not connected is kept in alice's inbox until carol's login
// has it: the plugin killed meanwhile, carol's login gets it all the
// same. (Before: it was kept in memory only, and lost.)
func TestStrayKeptAcrossRestart(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	done := linkAccount(t, s.p, d, carol, carolACI)
	d.Deliver(carol, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("kept for carol")}})
	// alice's connection handles in order: once her own message is
	// shown, carol's envelope written before was read and kept.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("alice's marker")}})
	s.next(func(ev *pb.Event) bool {
		return ev.LoginId == s.loginID && ev.GetMessage().GetText() == "alice's marker"
	})

	s.p.Restart()
	s.evs = s.p.Events()
	s.connect(s.saved)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: done.LoginId, UserJid: plugintest.UserJID, SavedState: done.SavedState, LoginDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	s.next(func(ev *pb.Event) bool {
		return ev.LoginId == done.LoginId && ev.GetMessage().GetText() == "kept for carol"
	})
}

// An envelope of carol's that signal-cli wrote to both subscriptions is
// handled once even when the plugin is killed between the two copies:
// carol's own copy handled (its message shown), alice's copy read into
// alice's inbox and not yet handed over (her connection busy on a group
// signal-cli does not answer), the restarted plugin hands alice's copy
// to carol's login, which knows it handled it. (Before: which envelopes
// were handled was in memory only, and the message came twice out of
// the plugin.)
func TestStrayDedupSurvivesKill(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	done := linkAccount(t, s.p, d, carol, carolACI)
	carolDir := t.TempDir()
	connectCarol := func() {
		t.Helper()
		ctx, cancel := s.p.CallContext()
		defer cancel()
		if _, err := s.p.Client().Connect(ctx, &pb.ConnectRequest{LoginId: done.LoginId, UserJid: plugintest.UserJID, SavedState: done.SavedState, LoginDir: carolDir}); err != nil {
			t.Fatal(err)
		}
	}
	connectCarol()
	s.next(func(ev *pb.Event) bool {
		return ev.LoginId == done.LoginId && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	waitGroupsRead(t, d)

	// alice's connection stops at a group it has to read.
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "new group",
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI}}})
	d.Stall("listGroups")
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("alice's stuck"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	waitStalled(t, d, "listGroups", gid)

	d.Deliver(carol, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("once")}})
	first := s.next(func(ev *pb.Event) bool { return ev.LoginId == done.LoginId && ev.GetMessage().GetText() == "once" })
	// alice's copy is on disk in her inbox, pending; carol's left hers
	// (a kill before that handles it again: the inbox's, not this).
	inboxHas := func(dir string, want bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			b, _ := os.ReadFile(filepath.Join(dir, "inbox.jsonl"))
			if strings.Contains(string(b), `"once"`) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the inbox in %s: %s", dir, b)
			}
		}
	}
	inboxHas(s.dir, true)
	inboxHas(carolDir, false)
	s.p.Kill()
	d.Unstall("listGroups")

	s.crash()
	connectCarol()
	// Seen after the restart: a replay of the event before (same seq),
	// or the envelope handled again (a new one).
	again := 0
	count := func(ev *pb.Event) {
		if ev.LoginId == done.LoginId && ev.GetMessage().GetText() == "once" && ev.Seq != first.Seq {
			again++
		}
	}
	s.next(func(ev *pb.Event) bool {
		count(ev)
		return ev.LoginId == s.loginID && ev.GetMessage().GetText() == "alice's stuck"
	})
	// alice's copy was handed over before her marker is shown; carol's
	// login handles it before her own marker, read after.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("alice's marker")}})
	s.next(func(ev *pb.Event) bool {
		count(ev)
		return ev.LoginId == s.loginID && ev.GetMessage().GetText() == "alice's marker"
	})
	d.Deliver(carol, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("end")}})
	s.next(func(ev *pb.Event) bool {
		count(ev)
		return ev.LoginId == done.LoginId && ev.GetMessage().GetText() == "end"
	})
	if again != 0 {
		t.Fatalf("carol's message came %d more times after the restart, want none", again)
	}
}
