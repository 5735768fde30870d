package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A group's update handled late (kept on Signal's servers while no
// session was subscribed, drained at a reconnection, or replayed from
// the inbox) is told at its own time, as the messages around it are: its
// events (the name, the topic, a member in, the picture) bear the
// update's timestamp, not the time it was read.
func TestGroupUpdateKeepsItsTime(t *testing.T) {
	d, gid, s, group := groupKnown(t)

	g, _ := d.GetGroup(alice, gid)
	g.Name, g.Description, g.Revision = "renamed", "new topic", g.Revision+1
	g.Members = append(g.Members, fakesignal.Member{Number: "+15550000009", UUID: "d0d00000-0000-4000-8000-000000000009"})
	g.Avatar = []byte("\x89PNG\r\n\x1a\nnot much of a picture")
	d.SetGroup(alice, g)
	at := d.Now() - 3_600_000 // an hour ago
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: carol, SourceUUID: carolACI, Timestamp: at, DataMessage: &fakesignal.DataMessage{
		Timestamp: at, GroupInfo: &fakesignal.GroupInfo{GroupID: gid, Revision: g.Revision, Type: "UPDATE"}}})
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("marker")}})
	seen := map[string]bool{}
	s.next(func(ev *pb.Event) bool {
		if ev.ChatId == group && ev.GetMessage() == nil {
			what := "other"
			switch {
			case ev.GetChat().GetChat().GetAvatarId() != "":
				what = "picture"
			case ev.GetChat() != nil:
				what = "name"
			case ev.GetTopic() != nil:
				what = "topic"
			case ev.GetMember() != nil:
				what = "member"
			}
			seen[what] = true
			if ev.TimestampUnixMicro != at*1000 {
				t.Errorf("the update's %s event at %d, want the update's time %d", what, ev.TimestampUnixMicro, at*1000)
			}
		}
		return isText("marker")(ev)
	})
	for _, what := range []string{"name", "topic", "member", "picture"} {
		if !seen[what] {
			t.Errorf("no %s event for the update (saw %v)", what, seen)
		}
	}
}
