package whatsapp

import (
	"context"
	"os"
	"path/filepath"
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
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

const dayText = "Disappearing messages turned on: messages disappear 1 day after they are sent"

// timerMessage is the protocol message a one-to-one chat's timer change
// comes as.
func timerMessage(secs uint32, at time.Time) *waE2E.Message {
	return &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
		EphemeralExpiration: proto.Uint32(secs), EphemeralSettingTimestamp: proto.Int64(at.Unix())}}
}

// sentTimer is the timer the last message sent carried (0: none).
func sentTimer(t *testing.T, fake *wafake.Client, n int) (*waE2E.Message, uint32) {
	t.Helper()
	sent, err := fake.WaitSent(n, eventWait)
	if err != nil {
		t.Fatal(err)
	}
	m := sent[n-1].Msg
	return m, contextOf(m).GetExpiration()
}

// A contact turns disappearing messages on: the chat says so, from them,
// and the user's messages carry the chat's timer (text, replies,
// locations, files), after a restart of the plugin too; turned off, they
// carry none again.
func TestDisappearingOneToOne(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}

	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "before"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 1); exp != 0 || m.GetConversation() != "before" {
		t.Errorf("before any timer: %v", m)
	}

	from := r.host.count()
	set := time.Now().Add(-time.Minute)
	// The timer is kept before the change is shown: the user's answer
	// to it must carry it.
	var kept []uint32
	r.host.mu.Lock()
	r.host.gate = func() { kept = append(kept, s.timers.get("+33611111111")) }
	r.host.mu.Unlock()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T1", Timestamp: set, PushName: "Alice"},
		timerMessage(86400, set))
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	r.host.mu.Lock()
	r.host.gate = nil
	r.host.mu.Unlock()
	if len(kept) != 1 || kept[0] != 86400 {
		t.Errorf("the timer when the change was shown: %v, want it kept (86400)", kept)
	}
	if ev.GetMessage().Text != dayText || ev.EventId != "T1" || ev.ChatId != "+33611111111" || ev.Sender.GetUserId() != "+33611111111" {
		t.Errorf("the change: %v", ev)
	}

	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "now it disappears"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 2); exp != 86400 || m.GetExtendedTextMessage().GetText() != "now it disappears" {
		t.Errorf("text with a timer on: %v", m)
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "yes", ReplyToId: "T0", ReplyToMeta: msgMeta{Sender: alice}.encode()}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 3); exp != 86400 || contextOf(m).GetStanzaID() != "T0" {
		t.Errorf("reply with a timer on: %v", m)
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "geo:1,2"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 4); exp != 86400 || m.GetLocationMessage() == nil {
		t.Errorf("location with a timer on: %v", m)
	}
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "cat.jpg", MimeType: "image/jpeg"}, strings.NewReader("JPEGDATA"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "cat",
		Attachments: []*pb.Attachment{{Name: "cat.jpg", MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}}}}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 5); exp != 86400 || m.GetImageMessage().GetCaption() != "cat" {
		t.Errorf("image with a timer on: %v", m)
	}
	// Another chat has none.
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33622222222"}, &pb.SendMessage{Text: "bob"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 6); exp != 0 || m.GetConversation() != "bob" {
		t.Errorf("another chat: %v", m)
	}
	s.Disconnect(ctx)

	// The plugin again, on the same folder: the timer is still known.
	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	if _, err := s2.SendMessage(ctx, call, &pb.SendMessage{Text: "after a restart"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake2, 1); exp != 86400 {
		t.Errorf("after a restart: %v", m)
	}
	// An older setting (a message from before the change, delivered
	// late) changes nothing; turned off by the user on the phone, it is
	// off, said as the user's.
	from = r2.host.count()
	fake2.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "OLD", Timestamp: set.Add(-time.Hour)},
		&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("old"),
			ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(604800), EphemeralSettingTimestamp: proto.Int64(set.Add(-time.Hour).Unix())}}})
	off := time.Now()
	fake2.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "T2", Timestamp: off},
		timerMessage(0, off))
	ev, _ = r2.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "T2" })
	if ev.GetMessage().GetText() != "Disappearing messages turned off" || !ev.Sender.GetIsFromMe() || ev.ChatId != "+33611111111" {
		t.Errorf("turned off: %v", ev)
	}
	if _, err := s2.SendMessage(ctx, call, &pb.SendMessage{Text: "stays"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake2, 2); exp != 0 || m.GetConversation() != "stays" {
		t.Errorf("turned off: %v", m)
	}
}

// A chat's timer learnt from what else says it: a message carrying it
// (the chat was set before the device was linked), a history sync, a
// group's info and its notifications (shown as from who changed it).
func TestDisappearingLearnt(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	n := 0
	check := func(chatID string, want uint32) {
		t.Helper()
		n++
		if _, err := s.SendMessage(ctx, sdk.Call{ChatID: chatID}, &pb.SendMessage{Text: "x"}); err != nil {
			t.Fatal(err)
		}
		if m, exp := sentTimer(t, fake, n); exp != want {
			t.Errorf("to %s: %v, want a timer of %d", chatID, m, want)
		}
	}

	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "B1", Timestamp: when},
		&waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("hi"), ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(604800), EphemeralSettingTimestamp: proto.Int64(when.Unix())}}}}})
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "B1" })
	check("+33622222222", 604800)

	carol := types.NewJID("33633333333", types.DefaultUserServer)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(carol.String()), EphemeralExpiration: proto.Uint32(7776000),
			EphemeralSettingTimestamp: proto.Int64(when.Unix())}}})
	check("+33633333333", 7776000)

	g2 := types.NewJID("120363000000000002", types.GroupServer)
	fake.SetGroup(&types.GroupInfo{JID: g2, GroupName: types.GroupName{Name: "Secret"},
		GroupEphemeral: types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 86400},
		Participants:   []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice}}})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	check(g2.String(), 86400)

	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: g2, Sender: &aliceLID, SenderPN: &alice, Timestamp: time.Now(),
		Ephemeral: &types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 604800}})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != g2.String() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "+33611111111" ||
		ev.GetMessage().Text != "Disappearing messages turned on: messages disappear 1 week after they are sent" ||
		!strings.HasPrefix(ev.EventId, "timer-") {
		t.Errorf("a group's change: %v", ev)
	}
	check(g2.String(), 604800)
	// The same change as a protocol message too says it once.
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: g2, Sender: alice, IsGroup: true}, ID: "GT", Timestamp: time.Now()},
		timerMessage(604800, time.Now()))
	fenceMessage(t, r, fake, r.host.count())
}

// A history's stub of a timer change says it; one whose timer cannot be
// read says nothing.
func TestDisappearingHistoryStub(t *testing.T) {
	for param, want := range map[string]string{"86400": dayText, "0": "Disappearing messages turned off", "soon": ""} {
		web := &waWeb.WebMessageInfo{MessageStubType: waWeb.WebMessageInfo_CHANGE_EPHEMERAL_SETTING.Enum(), MessageStubParameters: []string{param}}
		ev := testConv.message(&events.Message{Info: direct(alice, "S2"), SourceWebMsg: web})
		if got := ev.GetMessage().GetText(); got != want {
			t.Errorf("%q: %v, want %q", param, ev, want)
		}
	}
	ev := testConv.message(&events.Message{Info: direct(alice, "S3"), Message: timerMessage(86400, when)})
	if ev.GetMessage().GetText() != dayText || ev.EventId != "S3" {
		t.Errorf("a protocol message: %v", ev)
	}
}

// withTimer sets the timer wherever the content keeps its ContextInfo,
// and nothing when it is off.
func TestWithTimer(t *testing.T) {
	plain := textMessage("hi", nil, nil)
	if got := withTimer(plain, 0); got.GetConversation() != "hi" || contextOf(got) != nil {
		t.Errorf("off: %v", got)
	}
	for _, m := range []*waE2E.Message{
		textMessage("hi", nil, nil),
		textMessage("hi", &quoted{ID: "M1", Meta: msgMeta{Sender: alice}}, nil),
		{ImageMessage: &waE2E.ImageMessage{}}, {VideoMessage: &waE2E.VideoMessage{}}, {AudioMessage: &waE2E.AudioMessage{}},
		{DocumentMessage: &waE2E.DocumentMessage{}}, {LocationMessage: &waE2E.LocationMessage{}},
		{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{}}}},
	} {
		got := withTimer(m, 3600)
		if contextOf(got).GetExpiration() != 3600 {
			t.Errorf("%v: no timer", got)
		}
	}
}

// A timers file that holds null (or is damaged) is as none: a timer set
// then is kept, not a panic.
func TestTimersFileNull(t *testing.T) {
	for _, content := range []string{"null", "{damaged"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, timersFile), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		tm := newTimers(dir, nil)
		if changed, err := tm.set("+33611111111", 86400, 100); err != nil || !changed {
			t.Errorf("%s: set: %v %v", content, changed, err)
		}
		if got := newTimers(dir, nil).get("+33611111111"); got != 86400 {
			t.Errorf("%s: kept %d, want 86400", content, got)
		}
	}
}

// A group's timer as a fetch of its info says it: a group without one is
// not kept, a fetch that says what is known writes nothing, and a fetch
// stamps no local time on it, so that a change WhatsApp tells later
// applies even with the local clock ahead of WhatsApp's.
func TestDisappearingGroupFetch(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	g2 := types.NewJID("120363000000000002", types.GroupServer)
	g3 := types.NewJID("120363000000000003", types.GroupServer)
	fake.SetGroup(&types.GroupInfo{JID: g2, GroupName: types.GroupName{Name: "Secret"},
		GroupEphemeral: types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 86400},
		Participants:   []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice}}})
	fake.SetGroup(&types.GroupInfo{JID: g3, GroupName: types.GroupName{Name: "Plain"},
		Participants: []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice}}})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.timers.path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), g2.String()) || strings.Contains(string(b), g3.String()) {
		t.Errorf("timers kept: %s, want %s's alone", b, g2)
	}
	if err := os.Remove(s.timers.path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // another second of the local clock
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChatInfo(ctx, g2.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.timers.path); !os.IsNotExist(err) {
		t.Errorf("timers written again by fetches that changed nothing: %v", err)
	}

	// WhatsApp's clock a minute behind the local one.
	from := r.host.count()
	fake.Emit(&events.GroupInfo{JID: g2, Sender: &aliceLID, SenderPN: &alice, Timestamp: time.Now().Add(-time.Minute),
		Ephemeral: &types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 604800}})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: g2.String()}, &pb.SendMessage{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if m, exp := sentTimer(t, fake, 1); exp != 604800 {
		t.Errorf("after the change: %v, want a timer of 604800", m)
	}
}

// A group's timer change comes as its notification and as a protocol
// message, in either order: both carry the same event ID, so that the
// gateway shows it once; also when the protocol message's setting time
// (the phone's clock) is a little off the notification's (WhatsApp's).
func TestDisappearingGroupBothOrders(t *testing.T) {
	const weekText = "Disappearing messages turned on: messages disappear 1 week after they are sent"
	for _, tc := range []struct {
		protoFirst bool
		skew       time.Duration
	}{{false, 0}, {true, 0}, {false, 2 * time.Second}, {true, 2 * time.Second}, {true, -3 * time.Second}} {
		protoFirst := tc.protoFirst
		r := newRig(t, "")
		_, fake := r.connected(t)
		ctx := context.Background()
		g2 := types.NewJID("120363000000000002", types.GroupServer)
		set := time.Now().Add(-time.Minute).Truncate(time.Second)
		notify := func() {
			fake.Emit(&events.GroupInfo{JID: g2, Sender: &aliceLID, SenderPN: &alice, Timestamp: set,
				Ephemeral: &types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 604800}})
		}
		message := func() {
			fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: g2, Sender: alice, IsGroup: true}, ID: "GT", Timestamp: set},
				timerMessage(604800, set.Add(tc.skew)))
		}
		from := r.host.count()
		if protoFirst {
			message()
			notify()
		} else {
			notify()
			message()
		}
		var ids []string
		last := 0
		for i := from; ; i++ {
			ev, j := r.host.next(t, i, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
			i, last = j, j
			if ev.GetMessage().Text != weekText {
				t.Fatalf("protocol message first %v: %v", protoFirst, ev)
			}
			ids = append(ids, ev.EventId)
			if !protoFirst || len(ids) == 2 {
				break
			}
		}
		if len(ids) == 2 && ids[0] != ids[1] {
			t.Errorf("protocol message first (%v off): the change shown as %q and %q, want one ID", tc.skew, ids[0], ids[1])
		}
		if len(ids) == 1 && !strings.HasPrefix(ids[0], "timer-") {
			t.Errorf("notification first: %q", ids[0])
		}
		fenceMessage(t, r, fake, last+1)
		// Delivered again (after a restart): under the same ID, for the
		// gateway to drop.
		from = r.host.count()
		notify()
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if ev.EventId != ids[0] {
			t.Errorf("protocol message first %v (%v off): the notification again as %q, first shown as %q", protoFirst, tc.skew, ev.EventId, ids[0])
		}
		fenceMessage(t, r, fake, r.host.count())
	}
}

// The user's own change of a group's timer, from their phone, is the
// user's whether WhatsApp names them by phone number or by LID.
func TestDisappearingGroupOwnChange(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	g2 := types.NewJID("120363000000000002", types.GroupServer)
	ownLID := s.d.dev.LID
	for i, by := range []struct{ sender, pn *types.JID }{{&phone, nil}, {&ownLID, nil}, {&ownLID, &phone}} {
		from := r.host.count()
		fake.Emit(&events.GroupInfo{JID: g2, Sender: by.sender, SenderPN: by.pn, Timestamp: time.Now().Add(time.Duration(i) * time.Second),
			Ephemeral: &types.GroupEphemeral{IsEphemeral: i%2 == 0, DisappearingTimer: 86400}})
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if !ev.Sender.GetIsFromMe() || ev.Sender.GetUserId() != s.login.LoginID {
			t.Errorf("changed by %v (%v): sender %v, want the user", by.sender, by.pn, ev.Sender)
		}
	}
}
