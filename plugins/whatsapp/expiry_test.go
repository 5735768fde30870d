package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// disappearing is text in a chat with a timer, as the apps send it: an
// EphemeralMessage around an extended text whose ContextInfo says the
// timer.
func disappearing(text string, timer time.Duration) *waE2E.Message {
	return &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
		Text: proto.String(text), ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(uint32(timer / time.Second))}}}}}
}

// wrappedText is a plain text wrapped as disappearing, saying no timer:
// a Conversation has no ContextInfo.
func wrappedText(text string) *waE2E.Message {
	return &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{Conversation: proto.String(text)}}}
}

// expiry is a message event's deadline, as a time (zero: none).
func expiry(ev *pb.Event) time.Time {
	if us := ev.GetMessage().GetExpiresUnixMicro(); us != 0 {
		return time.UnixMicro(us)
	}
	return time.Time{}
}

// Incoming messages that disappear say when: their time plus the timer
// they carry, whoever sent them (a contact, the user from the phone) and
// whatever the content (text, a photo, a kind the plugin only names); a
// message without a timer says none.
func TestExpiresIncoming(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	info := func(id string, fromMe bool) *types.MessageInfo {
		if fromMe {
			return &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: id, Timestamp: at}
		}
		return &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: id, Timestamp: at, PushName: "Alice"}
	}
	photo := &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
		Mimetype: proto.String("image/jpeg"), DirectPath: proto.String("/v/x"), Caption: proto.String("cat"),
		ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(uint32(week / time.Second))}}}}}
	cases := []struct {
		id     string
		fromMe bool
		msg    *waE2E.Message
		want   time.Duration // 0: none
	}{
		{"E1", false, disappearing("gone tomorrow", day), day},
		{"E2", false, &waE2E.Message{Conversation: proto.String("stays")}, 0},
		{"E3", false, &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("a reply that stays"),
			ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("E2")}}}, 0},
		// From the user's phone: WhatsApp's DeviceSentMessage around it.
		{"E4", true, &waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{DestinationJID: proto.String(alice.String()),
			Message: disappearing("mine, gone tomorrow", day)}}, day},
		{"E5", true, photo, week},
		// A kind the plugin only names: its ContextInfo found all the same.
		{"E6", false, &waE2E.Message{ButtonsMessage: &waE2E.ButtonsMessage{ContentText: proto.String("pick"),
			ContextInfo: &waE2E.ContextInfo{Expiration: proto.Uint32(uint32(90 * day / time.Second))}}}, 90 * day},
	}
	for _, c := range cases {
		from := r.host.count()
		fake.Receive(ctx, info(c.id, c.fromMe), c.msg)
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == c.id })
		if ev.GetMessage() == nil || ev.Sender.GetIsFromMe() != c.fromMe {
			t.Fatalf("%s: %v", c.id, ev)
		}
		want := time.Time{}
		if c.want != 0 {
			want = at.Add(c.want)
		}
		if got := expiry(ev); !got.Equal(want) {
			t.Errorf("%s: expires %v, want %v", c.id, got, want)
		}
	}
}

// A send into a chat with a timer (learnt from the contact's change)
// says when it disappears: WhatsApp's time of the send plus the timer
// the message carried; text and files alike. Into a chat without one,
// and once the timer is off, no deadline.
func TestExpiresSend(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	set := time.Now().Add(-time.Minute)
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T1", Timestamp: set}, timerMessage(86400, set))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "T1" })

	n := 0
	send := func(chat sdk.Call, msg *pb.SendMessage) (sdk.Result, uint32) {
		t.Helper()
		res, err := s.SendMessage(ctx, chat, msg)
		if err != nil {
			t.Fatal(err)
		}
		n++
		_, exp := sentTimer(t, fake, n)
		return res, exp
	}
	res, exp := send(call, &pb.SendMessage{Text: "gone tomorrow"})
	if exp != 86400 || res.Time.IsZero() || !res.Expires.Equal(res.Time.Add(day)) {
		t.Errorf("text: carried %d, result %+v, want it to expire a day after %v", exp, res, res.Time)
	}
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "cat.jpg", MimeType: "image/jpeg"}, strings.NewReader("JPEGDATA"))
	if err != nil {
		t.Fatal(err)
	}
	res, exp = send(call, &pb.SendMessage{Text: "cat",
		Attachments: []*pb.Attachment{{Name: "cat.jpg", MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}}}})
	if exp != 86400 || !res.Expires.Equal(res.Time.Add(day)) {
		t.Errorf("file: carried %d, result %+v", exp, res)
	}
	if res, exp = send(sdk.Call{ChatID: "+33622222222"}, &pb.SendMessage{Text: "stays"}); exp != 0 || !res.Expires.IsZero() {
		t.Errorf("a chat without a timer: carried %d, expires %v", exp, res.Expires)
	}

	off := time.Now()
	from = r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T2", Timestamp: off}, timerMessage(0, off))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "T2" })
	if res, exp = send(call, &pb.SendMessage{Text: "stays now"}); exp != 0 || !res.Expires.IsZero() {
		t.Errorf("timer off: carried %d, expires %v", exp, res.Expires)
	}
}

// historyMsg is a message of history with text, changed by opts.
func historyMsg(chat types.JID, id string, at time.Time, msg *waE2E.Message, opts ...func(*waWeb.WebMessageInfo)) *waHistorySync.HistorySyncMsg {
	hm := webMsg(chat, id, false, at, "")
	hm.Message.Message = msg
	for _, o := range opts {
		o(hm.Message)
	}
	return hm
}

// History's messages say their deadline: their own timer; else the one
// WhatsApp Web keeps beside them, counted from when it says; else the
// conversation's, for what was sent since it was set and not marked as
// sent against it, or came wrapped as disappearing. One kept in the chat
// (even with a timer of its own), or from before the timer, stays; one
// whose deadline passed still says it (the gateway drops it); a keep in
// history is no event.
func TestExpiresHistory(t *testing.T) {
	r := newRig(t, `{"history_days": 30}`)
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	set := now.Add(-5 * day) // the conversation's timer of a day set then
	text := func(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }
	start := now.Add(-30 * time.Minute)
	msgs := []*waHistorySync.HistorySyncMsg{ // newest first, as WhatsApp sends them
		// A keep in the chat as history has it: only the kept message's
		// state (the keep itself, should it come, changes nothing).
		historyMsg(alice, "K9", now.Add(-time.Hour/2), keepMessage("H8", waE2E.KeepType_KEEP_FOR_ALL)),
		historyMsg(alice, "H8", now.Add(-time.Hour), disappearing("kept, its own timer", day), func(w *waWeb.WebMessageInfo) {
			w.KeepInChat = &waWeb.KeepInChat{KeepType: waE2E.KeepType_KEEP_FOR_ALL.Enum()}
		}),
		historyMsg(alice, "H7", now.Add(-time.Hour), text("kept"), func(w *waWeb.WebMessageInfo) {
			w.KeepInChat = &waWeb.KeepInChat{KeepType: waE2E.KeepType_KEEP_FOR_ALL.Enum()}
		}),
		historyMsg(alice, "H6", now.Add(-2*time.Hour), text("from an old app"), func(w *waWeb.WebMessageInfo) { w.EphemeralOutOfSync = proto.Bool(true) }),
		historyMsg(alice, "H5", now.Add(-3*time.Hour), text("counted from its start"), func(w *waWeb.WebMessageInfo) {
			w.EphemeralDuration = proto.Uint32(uint32(week / time.Second))
			w.EphemeralStartTimestamp = proto.Uint64(uint64(start.Unix()))
		}),
		historyMsg(alice, "H4", now.Add(-4*time.Hour), text("the chat's timer")),
		historyMsg(alice, "H3", now.Add(-4*day), disappearing("long gone", day)),
		historyMsg(alice, "H2", now.Add(-6*time.Hour), disappearing("its own", 90*day)),
		historyMsg(alice, "H1", now.Add(-6*day), text("before the timer")),
		historyMsg(alice, "H0", now.Add(-7*day), wrappedText("wrapped, before the timer")),
	}
	// A conversation whose timer's time is not known: a message wrapped
	// as disappearing has it, one not wrapped may be from before it.
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	carolMsgs := []*waHistorySync.HistorySyncMsg{
		historyMsg(carol, "C2", now.Add(-time.Hour), text("not wrapped")),
		historyMsg(carol, "C1", now.Add(-2*time.Hour), wrappedText("wrapped")),
	}
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), EphemeralExpiration: proto.Uint32(86400), EphemeralSettingTimestamp: proto.Int64(set.Unix()), Messages: msgs},
			{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{historyMsg(bob, "B1", now.Add(-time.Hour), text("no timer"))}},
			{ID: proto.String(carol.String()), EphemeralExpiration: proto.Uint32(86400), Messages: carolMsgs},
		}})
	got := map[string]time.Time{}
	for _, b := range r.host.waitHistory(t, 3) {
		for _, ev := range b.Events {
			got[ev.EventId] = expiry(ev)
		}
	}
	want := map[string]time.Time{
		"H1": {}, "H2": now.Add(-6 * time.Hour).Add(90 * day), "H3": now.Add(-4 * day).Add(day), "H4": now.Add(-4 * time.Hour).Add(day),
		"H5": start.Add(week), "H6": {}, "H7": {}, "H8": {}, "H0": {}, "B1": {}, "C1": now.Add(-2 * time.Hour).Add(day), "C2": {},
	}
	if len(got) != len(want) {
		t.Errorf("events %v, want %d", got, len(want))
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || !g.Equal(w) {
			t.Errorf("%s: expires %v, want %v", id, g, w)
		}
	}
}

// A page of history on demand says its messages' deadlines too.
func TestExpiresOnDemand(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	now := time.Now().Truncate(time.Second)
	old := now.Add(-6 * time.Hour)
	fake.SetPhoneHistory(alice,
		historyMsg(alice, "P1", old, disappearing("disappears", week)).Message,
		historyMsg(alice, "P2", old.Add(time.Minute), &waE2E.Message{Conversation: proto.String("stays")}).Message)
	push := pushed(t, r, fake, now)
	if err := s.Backfill(context.Background(), sdk.BackfillRequest{ChatID: "+33611111111", Cursor: push.Cursor, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	page := r.host.waitHistory(t, 2)[1]
	if eventIDs(page) != "P1,P2" {
		t.Fatalf("page: %v", page)
	}
	if got := expiry(page.Events[0]); !got.Equal(old.Add(week)) {
		t.Errorf("P1 expires %v, want %v", got, old.Add(week))
	}
	if got := expiry(page.Events[1]); !got.IsZero() {
		t.Errorf("P2 expires %v, want never", got)
	}
}

// keepMessage is someone keeping message id in the chat (WhatsApp's
// "keep"), or undoing that.
func keepMessage(id string, kt waE2E.KeepType) *waE2E.Message {
	return &waE2E.Message{KeepInChatMessage: &waE2E.KeepInChatMessage{
		Key: &waCommon.MessageKey{RemoteJID: proto.String(alice.String()), ID: proto.String(id)}, KeepType: kt.Enum(),
		TimestampMS: proto.Int64(time.Now().UnixMilli())}}
}

// A disappearing message kept in the chat by a contact never disappears
// (an ExpiryEvent with no deadline, from them); the user undoing it from
// the phone gives it the chat's timer back (counted by the gateway from
// the message's time), as the user's. The same keep again has the same
// event ID (the gateway drops it); an undo in a chat without a timer
// says nothing; nothing is shown as a message.
func TestExpiresKeep(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	set := time.Now().Add(-time.Hour).Truncate(time.Second)
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T1", Timestamp: set}, timerMessage(86400, set))
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "E1", Timestamp: set.Add(time.Minute)},
		disappearing("keep me", day))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "E1" })

	fromAlice := func(id string, msg *waE2E.Message) {
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: types.MessageID(id),
			Timestamp: time.Now(), PushName: "Alice"}, msg)
	}
	expiryOf := func(id string) (*pb.Event, *pb.ExpiryEvent) {
		t.Helper()
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == id })
		if ev.GetExpiry() == nil {
			t.Fatalf("%s: %v, want an expiry", id, ev)
		}
		return ev, ev.GetExpiry()
	}

	from = r.host.count()
	// As the apps send it in such a chat: wrapped as disappearing.
	fromAlice("K1", &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: keepMessage("E1", waE2E.KeepType_KEEP_FOR_ALL)}})
	ev, x := expiryOf("keep-K1")
	if x.TargetId != "E1" || x.ExpiresUnixMicro != 0 || x.ExpiresAfterSeconds != 0 {
		t.Errorf("kept: %v, want E1 kept for good", x)
	}
	if ev.ChatId != "+33611111111" || ev.Sender.GetUserId() != "+33611111111" || ev.Sender.GetIsFromMe() {
		t.Errorf("kept by alice: %v", ev)
	}

	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "K2", Timestamp: time.Now()},
		&waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{DestinationJID: proto.String(alice.String()),
			Message: keepMessage("E1", waE2E.KeepType_UNDO_KEEP_FOR_ALL)}})
	ev, x = expiryOf("keep-K2")
	if x.TargetId != "E1" || x.ExpiresUnixMicro != 0 || x.ExpiresAfterSeconds != 86400 {
		t.Errorf("undone: %v, want E1 with the chat's day again", x)
	}
	if ev.ChatId != "+33611111111" || !ev.Sender.GetIsFromMe() {
		t.Errorf("undone by the user: %v", ev)
	}

	// K1 again (WhatsApp delivers it anew after a restart): the same ID.
	n := r.host.count()
	fromAlice("K1", keepMessage("E1", waE2E.KeepType_KEEP_FOR_ALL))
	r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == "keep-K1" })

	// Bob's chat has no timer: an undo there says nothing (a keep does).
	n = r.host.count()
	fromBob := func(id string, msg *waE2E.Message) {
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: types.MessageID(id), Timestamp: time.Now()}, msg)
	}
	fromBob("K3", keepMessage("B1", waE2E.KeepType_UNDO_KEEP_FOR_ALL))
	fromBob("K4", keepMessage("B1", waE2E.KeepType_KEEP_FOR_ALL))
	r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == "keep-K4" })
	for _, ev := range r.host.since(from) {
		if ev.EventId == "keep-K3" || ev.GetMessage() != nil {
			t.Errorf("shown: %v", ev)
		}
	}
}

// A message wrapped as disappearing (an EphemeralMessage) that says no
// timer of its own (a plain text has no ContextInfo) disappears with the
// chat's timer, counted from its time, from a contact or from the
// user's phone; in a chat without a timer, sent before the chat's timer
// was set, or not wrapped (sent against the chat's setting), it stays.
func TestExpiresEphemeralPlain(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	set := time.Now().Add(-time.Hour).Truncate(time.Second)
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "T1", Timestamp: set}, timerMessage(86400, set))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "T1" })

	at := set.Add(time.Minute)
	plain := func(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }
	wrapped := func(m *waE2E.Message) *waE2E.Message {
		return &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: m}}
	}
	cases := []struct {
		id   string
		info types.MessageInfo
		msg  *waE2E.Message
		want time.Time // zero: never
	}{
		{"P1", types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, Timestamp: at}, wrapped(plain("plain")), at.Add(day)},
		{"P2", types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, Timestamp: at},
			&waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{DestinationJID: proto.String(alice.String()), Message: wrapped(plain("mine"))}}, at.Add(day)},
		{"P3", types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, Timestamp: at},
			wrapped(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("a reply, no timer"),
				ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("P1")}}}), at.Add(day)},
		{"P4", types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, Timestamp: at}, wrapped(plain("no timer here")), time.Time{}},
		{"P5", types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, Timestamp: set.Add(-time.Minute)},
			wrapped(plain("from before the timer")), time.Time{}},
		{"P6", types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, Timestamp: at}, plain("against the setting"), time.Time{}},
	}
	for _, c := range cases {
		c.info.ID = types.MessageID(c.id)
		n := r.host.count()
		fake.Receive(ctx, &c.info, c.msg)
		ev, _ := r.host.next(t, n, func(ev *pb.Event) bool { return ev.EventId == c.id })
		if got := expiry(ev); ev.GetMessage() == nil || !got.Equal(c.want) {
			t.Errorf("%s: %v expires %v, want %v", c.id, ev, got, c.want)
		}
	}
}
