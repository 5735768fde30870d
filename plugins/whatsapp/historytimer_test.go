package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A group's timer change seen live, then again in a history sync (the
// phone's pushes after linking hold what came live meanwhile): the
// history's copy, the member's protocol message or WhatsApp Web's stub
// of the notification, has the ID the live one had, so the gateway
// drops it as a duplicate. It had the message's own ID, and the change
// was said twice in the room. A change the plugin did not see live keeps
// the ID its time gives.
func TestHistoryGroupTimerSeenLive(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	g1 := types.NewJID("120363000000000081", types.GroupServer)
	g2 := types.NewJID("120363000000000082", types.GroupServer)
	g3 := types.NewJID("120363000000000083", types.GroupServer)

	// Live: a member's protocol message in g1; WhatsApp's notification
	// in g2.
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: g1, Sender: bob, IsGroup: true}, ID: "GT1", Timestamp: now.Add(-2 * time.Minute)},
		timerMessage(604800, now.Add(-2*time.Minute)))
	live1, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.ChatId == g1.String() && ev.GetMessage() != nil })
	fake.Emit(&events.GroupInfo{JID: g2, Sender: &bob, Timestamp: now.Add(-time.Minute), Ephemeral: &types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 86400}})
	live2, _ := r.host.next(t, i, func(ev *pb.Event) bool { return ev.ChatId == g2.String() && ev.GetMessage() != nil })

	// History: the same two, the notification as WhatsApp Web's stub
	// (its time WhatsApp's, a few seconds off), and a change in g3 never
	// seen live.
	member := webMsg(g1, "GT1", false, now.Add(-2*time.Minute), "")
	member.Message.Message = timerMessage(604800, now.Add(-2*time.Minute))
	member.Message.Key.Participant = proto.String(bob.String())
	stub := func(chat types.JID, id string, at time.Time, secs string) *waHistorySync.HistorySyncMsg {
		m := webMsg(chat, id, false, at, "")
		m.Message.Message = nil
		m.Message.Participant = proto.String(bob.String())
		m.Message.MessageStubType = waWeb.WebMessageInfo_CHANGE_EPHEMERAL_SETTING.Enum()
		m.Message.MessageStubParameters = []string{secs}
		return m
	}
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{
			// The conversation's timer as the phone keeps it, its time
			// the notification's, seconds after the protocol message's.
			{ID: proto.String(g1.String()), Messages: []*waHistorySync.HistorySyncMsg{member},
				EphemeralExpiration: proto.Uint32(604800), EphemeralSettingTimestamp: proto.Int64(now.Add(-2*time.Minute + 4*time.Second).Unix())},
			{ID: proto.String(g2.String()), Messages: []*waHistorySync.HistorySyncMsg{stub(g2, "STUB2", now.Add(-time.Minute+3*time.Second), "86400")},
				EphemeralExpiration: proto.Uint32(86400), EphemeralSettingTimestamp: proto.Int64(now.Add(-time.Minute + 3*time.Second).Unix())},
			{ID: proto.String(g3.String()), Messages: []*waHistorySync.HistorySyncMsg{stub(g3, "STUB3", now.Add(-time.Hour), "7776000")}},
		}})
	ids := map[string]string{}
	for _, b := range r.host.waitHistory(t, 3) {
		for _, ev := range b.Events {
			if strings.HasPrefix(ev.GetMessage().GetText(), "Disappearing messages") {
				ids[b.ChatId] = ev.EventId
			}
		}
	}
	if ids[g1.String()] != live1.EventId || ids[g2.String()] != live2.EventId {
		t.Errorf("history's copies have IDs %q, %q; live %q, %q", ids[g1.String()], ids[g2.String()], live1.EventId, live2.EventId)
	}
	if want := groupTimerID(now.Add(-time.Hour).Unix(), 7776000); ids[g3.String()] != want {
		t.Errorf("a change not seen live: %q, want %q", ids[g3.String()], want)
	}
}

// The user sets a one-to-one chat's timer from XMPP, then the phone's
// history holds the message sent for it (the user's, under the ID it was
// sent with): the history's copy has the ID the change was shown under
// live, so the gateway drops it as a duplicate. The change was shown
// under an ID of the plugin's (timer-…) and sent under a random one,
// and was said twice.
func TestHistoryOwnTimerOneToOne(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()

	from := r.host.count()
	if err := s.SetChatTimer(ctx, sdk.Call{ChatID: "+33611111111"}, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	live, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Msg.GetProtocolMessage().GetType() != waE2E.ProtocolMessage_EPHEMERAL_SETTING {
		t.Fatalf("sent: %v", sent)
	}
	m := webMsg(alice, sent[0].ID, true, time.Now().Truncate(time.Second), "")
	m.Message.Message = sent[0].Msg
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{m}}}})
	var got []string
	for _, b := range r.host.waitHistory(t, 1) {
		for _, ev := range b.Events {
			if ev.GetMessage().GetText() == weekText {
				got = append(got, ev.EventId)
			}
		}
	}
	if len(got) != 1 || got[0] != live.EventId {
		t.Errorf("history's copy has IDs %q; live %q", got, live.EventId)
	}
}
