package whatsapp

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A member's reaction in a community's announcement group comes
// encrypted with the message's secret: it is the member's reaction to
// that message (taken back too), not dropped; one to a message the
// device never saw is dropped.
func TestEncryptedReaction(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	secret := make([]byte, 32)
	rand.Read(secret)
	ann := inGroup(alice, "ANN1")
	from := r.host.count()
	fake.Receive(ctx, &ann, &waE2E.Message{Conversation: proto.String("Meeting at 8"), MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret}})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })

	react := func(id, emoji string, target *types.MessageInfo) {
		t.Helper()
		msg, err := fake.EncReaction(ctx, strangerL, target, emoji)
		if err != nil {
			t.Fatalf("EncReaction: %v", err)
		}
		info := inGroup(strangerL, id)
		fake.Receive(ctx, &info, msg)
	}
	react("R1", "👍", &ann)
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if rc := ev.GetReaction(); rc.TargetId != "ANN1" || !slices.Equal(rc.Emojis, []string{"👍"}) || ev.Sender.UserId != "lid-444555666" || ev.ChatId != group.String() {
		t.Fatalf("reaction: %v", ev)
	}
	react("R2", "", &ann)
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if rc := ev.GetReaction(); rc.TargetId != "ANN1" || len(rc.Emojis) != 0 {
		t.Fatalf("reaction taken back: %v", ev)
	}

	// A message the device never saw: no secret to read it with.
	bad := inGroup(strangerL, "R3")
	fake.Receive(ctx, &bad, &waE2E.Message{EncReactionMessage: &waE2E.EncReactionMessage{
		TargetMessageKey: &waCommon.MessageKey{ID: proto.String("ANN0"), RemoteJID: proto.String(group.String()), Participant: proto.String(alice.String())},
		EncPayload:       []byte("sealed"), EncIV: make([]byte, 12)}})
	after := inGroup(alice, "ANN2")
	fake.Receive(ctx, &after, &waE2E.Message{Conversation: proto.String("see you")})
	_, j := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	for _, ev := range r.host.since(i + 1)[:j-i-1] {
		if ev.GetReaction() != nil {
			t.Errorf("an unreadable reaction shown: %v", ev)
		}
	}
}

// The user's reaction from XMPP in a community's announcement group goes
// as the apps send one there, encrypted with the message's secret (a
// member's phone reads it with whatsmeow's DecryptReaction); elsewhere
// it goes plain; to an announcement whose secret was not kept it is
// refused as not found.
func TestEncryptedReactionSent(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setCommunity(t, fake)
	if _, err := s.ChatList(ctx); err != nil { // the groups, as the gateway lists them at the start
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	ann := types.MessageInfo{MessageSource: types.MessageSource{Chat: announce, Sender: alice, IsGroup: true}, ID: "ANN1", Timestamp: when}
	from := r.host.count()
	fake.Receive(ctx, &ann, &waE2E.Message{Conversation: proto.String("Meeting at 8"), MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })

	if _, err := s.React(ctx, sdk.Call{ChatID: announce.String()}, &pb.React{TargetId: "ANN1", TargetMeta: ev.Meta, Emojis: []string{"🎉"}}); err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(1, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	x := sent[0]
	enc := x.Msg.GetEncReactionMessage()
	if enc == nil || x.Msg.GetReactionMessage() != nil || x.Meta == nil || x.Meta.DeprecatedLIDSession == nil || *x.Meta.DeprecatedLIDSession {
		t.Fatalf("sent %v (meta %v)", x.Msg, x.Meta)
	}
	if k := enc.GetTargetMessageKey(); k.GetID() != "ANN1" || k.GetParticipant() != alice.String() {
		t.Errorf("target %v", k)
	}
	rc, err := fake.Real.DecryptReaction(ctx, &events.Message{Info: types.MessageInfo{
		MessageSource: types.MessageSource{Chat: announce, Sender: s.d.dev.LID, IsGroup: true}, ID: x.ID}, Message: x.Msg})
	if err != nil || rc.GetText() != "🎉" {
		t.Fatalf("decrypted %v, %v", rc, err)
	}

	// An announcement whose secret was not kept.
	old := types.MessageInfo{MessageSource: types.MessageSource{Chat: announce, Sender: alice, IsGroup: true}, ID: "ANN0", Timestamp: when}
	fake.Receive(ctx, &old, &waE2E.Message{Conversation: proto.String("Welcome")})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "ANN0" })
	if _, err := s.React(ctx, sdk.Call{ChatID: announce.String()}, &pb.React{TargetId: "ANN0", TargetMeta: ev.Meta, Emojis: []string{"🎉"}}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("no secret: %v", err)
	}

	// In another group of the community: plain.
	g := types.MessageInfo{MessageSource: types.MessageSource{Chat: garden, Sender: alice, IsGroup: true}, ID: "G1", Timestamp: when}
	fake.Receive(ctx, &g, &waE2E.Message{Conversation: proto.String("Tomatoes!")})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "G1" })
	if _, err := s.React(ctx, sdk.Call{ChatID: garden.String()}, &pb.React{TargetId: "G1", TargetMeta: ev.Meta, Emojis: []string{"🍅"}}); err != nil {
		t.Fatal(err)
	}
	sent, _ = fake.WaitSent(2, eventWait)
	if rm := sent[len(sent)-1].Msg.GetReactionMessage(); rm.GetText() != "🍅" || rm.GetKey().GetID() != "G1" {
		t.Errorf("plain reaction: %v", sent[len(sent)-1].Msg)
	}
}

// What the user posts from XMPP in a community's announcement group (as
// one of its admins) carries a message secret, as the apps' posts do:
// a member's encrypted reaction to it is read as theirs. Elsewhere no
// secret is added.
func TestAnnouncementSecret(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	admins := []types.GroupParticipant{{JID: phone, IsAdmin: true}, {JID: alice, IsSuperAdmin: true}}
	if err := fake.SetCommunity(&types.GroupInfo{JID: community, GroupName: types.GroupName{Name: "Village"}, Participants: admins},
		&types.GroupInfo{JID: announce, GroupName: types.GroupName{Name: "Village"}, GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
			GroupIsDefaultSub: types.GroupIsDefaultSub{IsDefaultSubGroup: true}, Participants: admins},
		&types.GroupInfo{JID: garden, GroupName: types.GroupName{Name: "Gardening"}, Participants: admins}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: announce.String(), TxnID: "txn-ann"}, &pb.SendMessage{Text: "Meeting at 8"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: garden.String(), TxnID: "txn-garden"}, &pb.SendMessage{Text: "Tomatoes!"}); err != nil {
		t.Fatal(err)
	}
	sent, err := fake.WaitSent(2, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent[0].Msg.GetMessageContextInfo().GetMessageSecret()) != 32 || sent[1].Msg.GetMessageContextInfo().GetMessageSecret() != nil {
		t.Fatalf("sent %v", sent)
	}

	own := types.MessageInfo{MessageSource: types.MessageSource{Chat: announce, Sender: phone, IsFromMe: true, IsGroup: true}, ID: types.MessageID(res.MessageID)}
	msg, err := fake.EncReaction(ctx, strangerL, &own, "🎉")
	if err != nil {
		t.Fatalf("EncReaction: %v", err)
	}
	from := r.host.count()
	info := inGroup(strangerL, "R1")
	info.Chat = announce
	fake.Receive(ctx, &info, msg)
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	if rc := ev.GetReaction(); rc.TargetId != res.MessageID || !slices.Equal(rc.Emojis, []string{"🎉"}) {
		t.Errorf("reaction: %v", ev)
	}
}

// A member's comment on an announcement, which WhatsApp sends encrypted
// with the announcement's secret, is their message in reply to it, not
// a notice of a message the plugin cannot show.
func TestEncryptedComment(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	secret := make([]byte, 32)
	rand.Read(secret)
	ann := inGroup(alice, "ANN1")
	from := r.host.count()
	fake.Receive(ctx, &ann, &waE2E.Message{Conversation: proto.String("Meeting at 8"), MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret}})
	_, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })

	msg, err := fake.EncComment(ctx, strangerL, &ann, "I'll be there")
	if err != nil {
		t.Fatalf("EncComment: %v", err)
	}
	info := inGroup(strangerL, "C1")
	fake.Receive(ctx, &info, msg)
	ev, _ := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if m := ev.GetMessage(); ev.EventId != "C1" || m.Text != "I'll be there" || m.ReplyToId != "ANN1" || ev.Sender.UserId != "lid-444555666" {
		t.Fatalf("comment: %v", ev)
	}
}
