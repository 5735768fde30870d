package botmode_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/sdk"

	pb "passerelle.im/passerelle/plugins/proto"
)

// waitConfirmed waits until the offset file asks from past update last.
func waitConfirmed(t *testing.T, dir string, last int64) {
	t.Helper()
	want := fmt.Sprintf(`{"asked":%d}`, last+1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(dir, "offset"))
		if string(data) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("offset file holds %q, want %s", data, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A reaction names no topic: the topics of forum messages, received or
// sent, are kept in the login's folder, so a reaction after a restart
// still lands in the topic's room.
func TestReactionTopicAfterRestart(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	forum := fmt.Sprint(groupID)
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	from := `"from":{"id":600,"is_bot":false,"first_name":"Owner"}`
	api.push(fmt.Sprintf(`{"message":{"message_id":20,"date":1700000000,%s,%s,"message_thread_id":20,"is_topic_message":true,"forum_topic_created":{"name":"Plans","icon_color":0}}}`, chatJSON, from))
	last := api.push(fmt.Sprintf(`{"message":{"message_id":21,"date":1700000001,%s,%s,"message_thread_id":20,"is_topic_message":true,"text":"in plans"}}`, chatJSON, from))
	h1 := newFakeHost()
	s1 := newSession(t, api, h1, dir)
	connect(t, s1, h1)
	h1.waitFor(t, 0, "the topic message", isText("in plans"))
	ctx := context.Background()
	res, err := s1.SendMessage(ctx, sdk.Call{ChatID: forum + "_20"}, &pb.SendMessage{Text: "from xmpp"})
	if err != nil {
		t.Fatal(err)
	}
	waitConfirmed(t, dir, last)
	s1.Disconnect(ctx)

	h2 := newFakeHost()
	s2 := newSession(t, api, h2, dir)
	connect(t, s2, h2)
	react := func(msg string) string {
		t.Helper()
		mark := len(h2.events())
		api.push(fmt.Sprintf(`{"message_reaction":{%s,"message_id":%s,"user":{"id":600,"is_bot":false,"first_name":"Owner"},"date":1700000004,
			"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`, chatJSON, msg))
		return h2.waitEvent(t, mark, "the reaction to "+msg, func(ev *pb.Event) bool {
			return ev.GetReaction().GetTargetId() == msg
		}).ChatId
	}
	if room := react("21"); room != forum+"_20" {
		t.Errorf("a reaction after a restart to a message received in the topic: in %s, want %s_20", room, forum)
	}
	if room := react(res.MessageID); room != forum+"_20" {
		t.Errorf("a reaction after a restart to a message sent to the topic: in %s, want %s_20", room, forum)
	}
	if room := react("5"); room != forum {
		t.Errorf("a reaction to a message of General: in %s, want the forum's room", room)
	}
}

// A damaged file of messages' topics (garbage, a line cut short by a
// crash) keeps what reads well, is repaired, and the log says so.
func TestDamagedMessageTopics(t *testing.T) {
	api := newFakeAPI(t)
	dir := t.TempDir()
	forum := fmt.Sprint(groupID)
	path := filepath.Join(dir, "message_topics")
	os.WriteFile(path, []byte(fmt.Sprintf("%d 21 20\n\x00garbage here\n%d 22 3", groupID, groupID)), 0o600)
	h := newFakeHost()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	if logs := h.logs.String(); !strings.Contains(logs, "damaged") || !strings.Contains(logs, "repaired") {
		t.Errorf("the log does not say the file was repaired:\n%s", logs)
	}
	if data, _ := os.ReadFile(path); string(data) != fmt.Sprintf("%d 21 20\n", groupID) {
		t.Errorf("the repaired file holds %q", data)
	}
	chatJSON := fmt.Sprintf(`"chat":{"id":%d,"type":"supergroup","title":"Forum","is_forum":true}`, groupID)
	for _, c := range []struct{ msg, room string }{{"21", forum + "_20"}, {"22", forum}} {
		mark := len(h.events())
		api.push(fmt.Sprintf(`{"message_reaction":{%s,"message_id":%s,"user":{"id":600,"is_bot":false,"first_name":"Owner"},"date":1700000004,
			"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"👍"}]}}`, chatJSON, c.msg))
		ev := h.waitEvent(t, mark, "the reaction", func(ev *pb.Event) bool { return ev.GetReaction().GetTargetId() == c.msg })
		if ev.ChatId != c.room {
			t.Errorf("reaction to %s in %s, want %s", c.msg, ev.ChatId, c.room)
		}
	}
}
