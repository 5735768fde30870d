package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// pinOf is a PinInChatMessage naming message id of chat.
func pinOf(chat types.JID, id string, typ waE2E.PinInChatMessage_Type) *waE2E.Message {
	return &waE2E.Message{
		PinInChatMessage:   &waE2E.PinInChatMessage{Key: key(chat, id, false), Type: typ.Enum(), SenderTimestampMS: proto.Int64(when.UnixMilli())},
		MessageContextInfo: &waE2E.MessageContextInfo{MessageAddOnDurationInSecs: proto.Uint32(86400)},
	}
}

// isPinNotice says whether ev is the notice that target was pinned (or
// unpinned) in chat, by sender, under id.
func isPinNotice(ev *pb.Event, id, chat, sender string, fromMe bool, target string, unpin bool) bool {
	m := ev.GetMessage()
	return m != nil && ev.EventId == id && ev.ChatId == chat && ev.Sender.GetUserId() == sender && ev.Sender.GetIsFromMe() == fromMe &&
		m.Text == mediatext.PinText(unpin) && m.ReplyToId == target && len(m.Attachments) == 0 && m.ExpiresUnixMicro == 0 && len(ev.Meta) == 0
}

// Pins made on WhatsApp, through whatsmeow's own handling of decrypted
// messages: a contact's pin of a message is the chat's notice from them,
// a reply to the message pinned, under the pin's own ID; an unpin the
// same with its words; a group member's pin comes in the group; the
// user's pin from the phone is the user's (IsFromMe), in the chat the
// phone names. A pin of a kind not known, or naming no message, shows
// nothing. (Before: nothing at all was shown for any of them.)
func TestPinReceived(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	receive := func(info types.MessageInfo, msg *waE2E.Message) *pb.Event {
		t.Helper()
		n := r.host.count()
		fake.Receive(ctx, &info, msg)
		ev, _ := r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == info.ID })
		return ev
	}

	if ev := receive(direct(alice, "PIN1"), pinOf(alice, "IN1", waE2E.PinInChatMessage_PIN_FOR_ALL)); !isPinNotice(ev, "PIN1", "+33611111111", "+33611111111", false, "IN1", false) {
		t.Errorf("Alice's pin: %v", ev)
	}
	if ev := receive(direct(alice, "PIN2"), pinOf(alice, "IN1", waE2E.PinInChatMessage_UNPIN_FOR_ALL)); !isPinNotice(ev, "PIN2", "+33611111111", "+33611111111", false, "IN1", true) {
		t.Errorf("Alice's unpin: %v", ev)
	}
	if ev := receive(inGroup(bob, "PIN3"), pinOf(group, "G1", waE2E.PinInChatMessage_PIN_FOR_ALL)); !isPinNotice(ev, "PIN3", group.String(), "+33622222222", false, "G1", false) {
		t.Errorf("Bob's pin in the group: %v", ev)
	}
	fromPhone := types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "PIN4", Timestamp: when}
	ev := receive(fromPhone, &waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{DestinationJID: proto.String(alice.String()),
		Message: pinOf(alice, "IN1", waE2E.PinInChatMessage_PIN_FOR_ALL)}})
	if !isPinNotice(ev, "PIN4", "+33611111111", "+33600000000", true, "IN1", false) {
		t.Errorf("the user's pin from the phone: %v", ev)
	}

	// Neither of these shows anything: the next message comes first.
	n := r.host.count()
	fake.Receive(ctx, new(direct(alice, "PIN5")), pinOf(alice, "IN1", waE2E.PinInChatMessage_UNKNOWN_TYPE))
	fake.Receive(ctx, new(direct(alice, "PIN6")), pinOf(alice, "", waE2E.PinInChatMessage_PIN_FOR_ALL))
	fake.Receive(ctx, new(direct(alice, "IN2")), &waE2E.Message{Conversation: proto.String("fence")})
	_, i := r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == "IN2" })
	if shown := messagesOf(r.host.since(n)[:i-n]); len(shown) != 0 {
		t.Errorf("shown before the fence: %v", shown)
	}
}

// A pin in history, as a message (a PinInChatMessage) or as the line
// WhatsApp Web keeps for it (a PINNED_MESSAGE_IN_CHAT stub carrying the
// pin), is the same notice, under its own ID, from whoever pinned.
func TestPinHistory(t *testing.T) {
	r := newRig(t, `{"history_days": 30}`)
	_, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	stub := &waHistorySync.HistorySyncMsg{Message: &waWeb.WebMessageInfo{
		Key:              &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("HP2"), FromMe: proto.Bool(false), Participant: proto.String(bob.String())},
		MessageTimestamp: proto.Uint64(uint64(now.Add(-time.Hour).Unix())),
		MessageStubType:  waWeb.WebMessageInfo_PINNED_MESSAGE_IN_CHAT.Enum(),
		PinInChat: &waWeb.PinInChat{Type: waWeb.PinInChat_UNPIN_FOR_ALL.Enum(),
			Key: &waCommon.MessageKey{RemoteJID: proto.String(group.String()), ID: proto.String("HG1"), Participant: proto.String(alice.String())}},
	}}
	fake.History(context.Background(), &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
				historyMsg(alice, "HP1", now.Add(-time.Hour), pinOf(alice, "H1", waE2E.PinInChatMessage_PIN_FOR_ALL)),
				historyMsg(alice, "H1", now.Add(-2*time.Hour), &waE2E.Message{Conversation: proto.String("pinned")}),
			}},
			{ID: proto.String(group.String()), Messages: []*waHistorySync.HistorySyncMsg{stub}},
		}})
	got := map[string]*pb.Event{}
	for _, b := range r.host.waitHistory(t, 2) {
		for _, ev := range b.Events {
			got[ev.EventId] = ev
		}
	}
	if ev := got["HP1"]; !isPinNotice(ev, "HP1", "+33611111111", "+33611111111", false, "H1", false) {
		t.Errorf("the pin in history: %v", ev)
	}
	if ev := got["HP2"]; !isPinNotice(ev, "HP2", group.String(), "+33622222222", false, "HG1", true) {
		t.Errorf("the unpin's line in history: %v", ev)
	}
	if got["H1"].GetMessage().GetText() != "pinned" || len(got) != 3 {
		t.Errorf("history: %v", got)
	}
}

// pinCall pins (or unpins) target from XMPP in chat, under txn.
func pinCall(s *Session, chat, txn, target string, meta msgMeta, unpin bool) error {
	return s.Pin(context.Background(), sdk.Call{ChatID: chat, TxnID: txn}, &pb.Pin{TargetId: target, TargetMeta: meta.encode(), Unpin: unpin})
}

// The user pins from XMPP (sdk.Pinner): a contact's message goes to
// WhatsApp as a PinInChatMessage naming it by its key (not the user's;
// in a group, with its sender), for 7 days (WhatsApp's default), under
// the ID the command's txn gives, and the chat's notice comes once, as
// the user's, under that ID, a reply to the message; an unpin of the
// user's own message names it as theirs and says no length. The same
// command again (the gateway's resend) goes under the same ID. A
// message without its metadata is NOT_FOUND, nothing sent. (Before:
// the session had no Pin, and the feature pin was not advertised.)
func TestPinFromXMPP(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	if f, _ := sdk.Features(s, &pb.Features{}); !f.GetPin() {
		t.Errorf("feature pin not advertised: %v", f)
	}
	pinned := func(n int) wafake.Sent {
		t.Helper()
		all, err := fake.WaitSent(n, eventWait)
		if err != nil || len(all) != n {
			t.Fatalf("%d messages sent, want %d: %v", len(all), n, err)
		}
		return all[n-1]
	}
	notice := func(from int, id, chat, target string, unpin bool) {
		t.Helper()
		var got []*pb.Event
		for _, ev := range r.host.since(from) {
			if ev.GetMessage() != nil {
				got = append(got, ev)
			}
		}
		if len(got) != 1 || !isPinNotice(got[0], id, chat, "+33600000000", true, target, unpin) || got[0].TimestampUnixMicro == 0 {
			t.Errorf("notices %v, want one of %s pinned (unpin %v) under %s", got, target, unpin, id)
		}
	}

	n := r.host.count()
	if err := pinCall(s, "+33611111111", "tx1", "IN1", msgMeta{Sender: alice}, false); err != nil {
		t.Fatal(err)
	}
	sent := pinned(1)
	p := sent.Msg.GetPinInChatMessage()
	if sent.To != alice || p.GetType() != waE2E.PinInChatMessage_PIN_FOR_ALL || p.GetKey().GetID() != "IN1" || p.GetKey().GetFromMe() ||
		p.GetKey().GetRemoteJID() != alice.String() || p.GetKey().Participant != nil || p.GetSenderTimestampMS() == 0 ||
		sent.Msg.GetMessageContextInfo().GetMessageAddOnDurationInSecs() != 7*24*3600 {
		t.Errorf("the pin sent: %v to %s", sent.Msg, sent.To)
	}
	if want := s.sendID(sdk.Call{ChatID: "+33611111111", TxnID: "tx1"}, 0).ID; sent.ID != want || want == "" {
		t.Errorf("the pin's ID %q, want the txn's %q", sent.ID, want)
	}
	notice(n, string(sent.ID), "+33611111111", "IN1", false)

	// The gateway's resend: the same ID (WhatsApp delivers it once).
	n = r.host.count()
	if err := pinCall(s, "+33611111111", "tx1", "IN1", msgMeta{Sender: alice}, false); err != nil {
		t.Fatal(err)
	}
	notice(n, string(sent.ID), "+33611111111", "IN1", false)
	if all := fake.Sent(); len(all) != 1 {
		t.Errorf("the resend delivered again: %v", all)
	}

	n = r.host.count()
	if err := pinCall(s, "+33611111111", "tx2", "OUT1", msgMeta{Sender: me, FromMe: true}, true); err != nil {
		t.Fatal(err)
	}
	sent = pinned(2)
	p = sent.Msg.GetPinInChatMessage()
	if p.GetType() != waE2E.PinInChatMessage_UNPIN_FOR_ALL || p.GetKey().GetID() != "OUT1" || !p.GetKey().GetFromMe() || sent.Msg.GetMessageContextInfo() != nil {
		t.Errorf("the unpin sent: %v", sent.Msg)
	}
	notice(n, string(sent.ID), "+33611111111", "OUT1", true)

	// A group member's message: the key names its sender.
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me}, {JID: bob}}})
	n = r.host.count()
	if err := pinCall(s, group.String(), "tx3", "G1", msgMeta{Sender: bob}, false); err != nil {
		t.Fatal(err)
	}
	sent = pinned(3)
	if k := sent.Msg.GetPinInChatMessage().GetKey(); sent.To != group || k.GetID() != "G1" || k.GetParticipant() != bob.String() || k.GetFromMe() {
		t.Errorf("the group pin sent: %v to %s", sent.Msg, sent.To)
	}
	notice(n, string(sent.ID), group.String(), "G1", false)

	n = r.host.count()
	err := s.Pin(context.Background(), sdk.Call{ChatID: "+33611111111", TxnID: "tx4"}, &pb.Pin{TargetId: "IN9"})
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND || len(fake.Sent()) != 3 || len(messagesOf(r.host.since(n))) != 0 {
		t.Errorf("a pin without metadata: %v; sent %d, messages %v", err, len(fake.Sent()), messagesOf(r.host.since(n)))
	}
}

// A group whose settings only its admins may edit (pins among them)
// refuses the user's pin with NOT_ALLOWED when the user is no admin:
// from the group as the plugin knows it (asked of WhatsApp, then kept
// current by the group's notifications), nothing sent; and should
// WhatsApp refuse a pin the plugin thought allowed (its error in the
// acknowledgement), the same. No notice either way. An admin pins.
func TestPinLockedGroup(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	members := []types.GroupParticipant{{JID: me}, {JID: bob, IsAdmin: true}}
	fake.SetGroup(&types.GroupInfo{JID: group, GroupLocked: types.GroupLocked{IsLocked: true}, Participants: members})
	// refused: NOT_ALLOWED saying text, nothing sent, no notice.
	refused := func(what, txn, text string) {
		t.Helper()
		n, sent := r.host.count(), len(fake.Sent())
		err := pinCall(s, group.String(), txn, "G1", msgMeta{Sender: bob}, false)
		if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), text) || len(fake.Sent()) != sent || len(messagesOf(r.host.since(n))) != 0 {
			t.Errorf("%s: %v; sent %d, messages %v", what, err, len(fake.Sent())-sent, messagesOf(r.host.since(n)))
		}
	}
	refused("locked, not an admin", "tx1", "only the group's admins may pin")

	// Unlocked as far as the plugin knows, locked on WhatsApp's side.
	fake.Emit(&events.GroupInfo{JID: group, Sender: &bob, Timestamp: when, Locked: &types.GroupLocked{IsLocked: false}})
	refused("WhatsApp's refusal", "tx2", "WhatsApp does not let you (403")
	if err := pinErr("pin", group, errors.New("other")); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("another error: %v", err)
	}
	if err := pinErr("pin", alice, fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 401)); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED ||
		strings.Contains(err.Error(), "group") {
		t.Errorf("WhatsApp's 401 in a one-to-one chat: %v", err)
	}

	// WhatsApp unlocks it, the plugin hears it locked again: refused
	// before anything is sent.
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: members})
	fake.Emit(&events.GroupInfo{JID: group, Sender: &bob, Timestamp: when, Locked: &types.GroupLocked{IsLocked: true}})
	refused("locked by a notification", "tx3", "only the group's admins may pin")

	// Bob makes the user an admin: pinned.
	fake.Emit(&events.GroupInfo{JID: group, Sender: &bob, Timestamp: when, Promote: []types.JID{me}})
	if err := pinCall(s, group.String(), "tx4", "G1", msgMeta{Sender: bob}, false); err != nil {
		t.Errorf("an admin's pin: %v", err)
	}
	if all := fake.Sent(); len(all) != 1 || all[0].Msg.GetPinInChatMessage() == nil {
		t.Errorf("sent: %v", all)
	}
}

// serverCode reads the code of whatsmeow's error for WhatsApp's refusal
// of a message, wrapped or not.
func TestServerCode(t *testing.T) {
	for err, want := range map[error]int{
		fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 403):                        403,
		fmt.Errorf("pin: %w", fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 401)): 401,
		whatsmeow.ErrServerReturnedError:                                                  0,
		whatsmeow.ErrNotConnected:                                                         0,
	} {
		if got := serverCode(err); got != want {
			t.Errorf("serverCode(%v) = %d, want %d", err, got, want)
		}
	}
}

// messagesOf is the messages among evs (a pin's notice is one): what a
// test says was not shown, whatever else background work emitted
// meanwhile (a presence, a chat's state).
func messagesOf(evs []*pb.Event) []*pb.Event {
	var out []*pb.Event
	for _, ev := range evs {
		if ev.GetMessage() != nil {
			out = append(out, ev)
		}
	}
	return out
}
