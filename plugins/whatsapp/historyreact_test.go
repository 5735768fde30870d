package whatsapp

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The reactions a history message carries (WhatsApp keeps them with the
// message, not as messages of their own) come after it in its batch,
// from whoever reacted: the contact, the user, a group member; one taken
// back (no text) is none.
func TestHistoryReactions(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	grp := types.NewJID("120363000000000077", types.GroupServer)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	react := func(chat types.JID, id string, fromMe bool, participant, text string, at time.Time) *waWeb.Reaction {
		key := &waCommon.MessageKey{RemoteJID: proto.String(chat.String()), ID: proto.String(id), FromMe: proto.Bool(fromMe)}
		if participant != "" {
			key.Participant = proto.String(participant)
		}
		return &waWeb.Reaction{Key: key, Text: proto.String(text), SenderTimestampMS: proto.Int64(at.UnixMilli())}
	}
	direct := webMsg(alice, "HR1", false, now.Add(-time.Hour), "react to this")
	direct.Message.Reactions = []*waWeb.Reaction{
		react(alice, "R1", false, "", "👍", now.Add(-50*time.Minute)),
		react(alice, "R2", true, "", "❤", now.Add(-40*time.Minute)),
		react(alice, "R3", false, "", "", now.Add(-30*time.Minute)),
	}
	inGroup := webMsg(grp, "HR2", false, now.Add(-time.Hour), "and this")
	inGroup.Message.Key.Participant = proto.String(bob.String())
	inGroup.Message.Reactions = []*waWeb.Reaction{react(grp, "R4", false, carol.String(), "😂", now.Add(-20*time.Minute))}
	fake.History(context.Background(), &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{direct}},
			{ID: proto.String(grp.String()), Messages: []*waHistorySync.HistorySyncMsg{inGroup}},
		}})
	var got []string
	for _, b := range r.host.waitHistory(t, 2) {
		for _, ev := range b.Events {
			if re := ev.GetReaction(); re != nil {
				got = append(got, b.ChatId+" "+ev.GetSender().GetUserId()+" "+re.TargetId+" "+re.Emojis[0])
			} else {
				got = append(got, b.ChatId+" "+ev.EventId)
			}
		}
	}
	slices.Sort(got)
	want := []string{
		"+33611111111 +33600000000 HR1 ❤",
		"+33611111111 +33611111111 HR1 👍",
		"+33611111111 HR1",
		"120363000000000077@g.us +33633333333 HR2 😂",
		"120363000000000077@g.us HR2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("history with reactions:\n got %q\nwant %q", got, want)
	}
}

// A reaction seen live, then in a history sync with its message (the
// phone's pushes after linking hold what came live meanwhile), has the
// same event ID both times, its reaction message's, so that the gateway
// drops the history's copy: it had none, and an older reaction in the
// history, delivered after a newer one made live, put the old emoji
// back.
func TestHistoryReactionSeenLive(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "RL1", Timestamp: now.Add(-time.Minute)},
		&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: &waCommon.MessageKey{RemoteJID: proto.String(alice.String()), ID: proto.String("HL1"), FromMe: proto.Bool(true)},
			Text: proto.String("👍"), SenderTimestampMS: proto.Int64(now.Add(-time.Minute).UnixMilli())}})
	live, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if live.EventId != "RL1" {
		t.Errorf("live reaction's ID %q, want its message's, RL1", live.EventId)
	}

	msg := webMsg(alice, "HL1", true, now.Add(-time.Hour), "react to this")
	msg.Message.Reactions = []*waWeb.Reaction{{Key: &waCommon.MessageKey{RemoteJID: proto.String(alice.String()), ID: proto.String("RL1"), FromMe: proto.Bool(false)},
		Text: proto.String("👍"), SenderTimestampMS: proto.Int64(now.Add(-time.Minute).UnixMilli())}}
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{msg}}}})
	var got []string
	for _, ev := range r.host.waitHistory(t, 1)[0].Events {
		if ev.GetReaction() != nil {
			got = append(got, ev.EventId)
		}
	}
	if !slices.Equal(got, []string{live.EventId}) {
		t.Errorf("history's reactions have IDs %q, want the live one's, %q", got, live.EventId)
	}
}
