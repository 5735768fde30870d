package signal_test

import (
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// signal-cli forgets an envelope once it wrote it to the socket (it has
// no acknowledgement): a plugin killed after reading it, before its
// event was journalled, handles it at its next start.
func TestEnvelopeSurvivesKill(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	// A group the session has not seen: its first message makes the
	// plugin read the group (listGroups), which signal-cli leaves
	// unanswered while the plugin is killed.
	gid := fakesignal.NewGroupID()
	d.SetGroup(alice, fakesignal.Group{ID: gid, Name: "new group",
		Members: []fakesignal.Member{{Number: alice, UUID: aliceACI}, {Number: bob, UUID: bobACI}}})
	d.Stall("listGroups")
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("kept through the kill"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Type: "DELIVER"}}})
	waitStalled(t, d, "listGroups", gid)
	s.p.Kill()
	d.Unstall("listGroups")

	s.crash()
	ev := s.next(isText("kept through the kill"))
	if ev.ChatId != hexGroup(gid) || ev.Sender.GetUserId() != bob {
		t.Fatalf("the envelope handled after the restart: %v", ev)
	}
}

// waitStalled waits until the plugin asked method for the group gid and
// the daemon left it unanswered.
func waitStalled(t *testing.T, d *fakesignal.Daemon, method, gid string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, p := range d.StalledRequests(method) {
			if p["groupId"] == gid {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin did not ask %s for the group", method)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
