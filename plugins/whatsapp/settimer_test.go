package whatsapp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

const weekText = "Disappearing messages turned on: messages disappear 1 week after they are sent"

// sendChecked sends a text into chatID and checks the timer its message
// carries (n-th sent) and the deadline its result says.
func sendChecked(t *testing.T, s *Session, fake *wafake.Client, chatID string, n int, want uint32) {
	t.Helper()
	res, err := s.SendMessage(context.Background(), sdk.Call{ChatID: chatID}, &pb.SendMessage{Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	m, exp := sentTimer(t, fake, n)
	if exp != want {
		t.Errorf("to %s: %v, want a timer of %d", chatID, m, want)
	}
	switch {
	case want == 0 && !res.Expires.IsZero():
		t.Errorf("to %s without a timer: expires %v", chatID, res.Expires)
	case want > 0 && !res.Expires.Equal(res.Time.Add(time.Duration(want)*time.Second)):
		t.Errorf("to %s: expires %v, want %v after %v", chatID, res.Expires, time.Duration(want)*time.Second, res.Time)
	}
}

// The user sets a one-to-one chat's timer from XMPP: WhatsApp gets the
// EPHEMERAL_SETTING message, the chat says the change once, as the
// user's (not again should WhatsApp bring the message back from the
// phone), and the next message carries the timer, its result the
// deadline; off, neither. A length WhatsApp does not offer is refused,
// naming those it does, and asks nothing of WhatsApp.
func TestSetChatTimerOneToOne(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	const chat = "+33611111111"
	call := sdk.Call{ChatID: chat}

	from := r.host.count()
	if err := s.SetChatTimer(ctx, call, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	// Sent as whatsmeow's SetDisappearingTimer sends it, under the ID
	// the change is shown under.
	m, _ := sentTimer(t, fake, 1)
	setAt := time.Unix(m.GetProtocolMessage().GetEphemeralSettingTimestamp(), 0)
	if pm := m.GetProtocolMessage(); pm.GetType() != waE2E.ProtocolMessage_EPHEMERAL_SETTING || pm.GetEphemeralExpiration() != 604800 ||
		time.Since(setAt) > time.Minute || fake.Sent()[0].To != alice {
		t.Errorf("sent: %v", m)
	}
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != weekText || ev.ChatId != chat || ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT ||
		!ev.Sender.GetIsFromMe() || ev.Sender.GetUserId() != s.login.LoginID || ev.EventId != fake.Sent()[0].ID ||
		ev.TimestampUnixMicro != setAt.UnixMicro() {
		t.Errorf("the change: %v", ev)
	}
	// Kept at once: the next message carries it.
	sendChecked(t, s, fake, chat, 2, 604800)
	// The same setting back from the user's devices says nothing more.
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "ECHO", Timestamp: setAt},
		timerMessage(604800, setAt))
	fenceMessage(t, r, fake, i+1)

	from = r.host.count()
	if err := s.SetChatTimer(ctx, call, 0); err != nil {
		t.Fatal(err)
	}
	if m, _ := sentTimer(t, fake, 3); m.GetProtocolMessage().GetEphemeralExpiration() != 0 || m.GetProtocolMessage() == nil {
		t.Errorf("sent: %v", m)
	}
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "Disappearing messages turned off" || !ev.Sender.GetIsFromMe() {
		t.Errorf("turned off: %v", ev)
	}
	sendChecked(t, s, fake, chat, 4, 0)

	from = r.host.count()
	err := s.SetChatTimer(ctx, call, time.Hour)
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), "24 hours, 7 days or 90 days") ||
		!strings.Contains(err.Error(), "not 1 hour") {
		t.Errorf("an hour: %v, want BAD_REQUEST naming WhatsApp's lengths", err)
	}
	if got := len(fake.Sent()); got != 4 {
		t.Errorf("WhatsApp got %d messages, want the 2 timers it offers and 2 texts", got)
	}
	for _, ev := range r.host.since(from) {
		if ev.GetMessage() != nil {
			t.Errorf("a refused timer said: %v", ev)
		}
	}
	sendChecked(t, s, fake, chat, 5, 0)
}

// The user sets a group's timer from XMPP: WhatsApp's group has it, the
// room says it once, as the user's, not again when WhatsApp's
// notification of the change comes back (after WhatsApp's answer, or
// before), and the next message carries it. Where only admins may change the group's settings, WhatsApp
// refuses a user who is none: NOT_ALLOWED, nothing said, nothing kept.
func TestSetChatTimerGroup(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	g2 := types.NewJID("120363000000000002", types.GroupServer)
	g3 := types.NewJID("120363000000000003", types.GroupServer)
	members := []types.GroupParticipant{{JID: phone, PhoneNumber: phone}, {JID: alice, PhoneNumber: alice, IsAdmin: true}}
	fake.SetGroup(&types.GroupInfo{JID: g2, GroupName: types.GroupName{Name: "Open"}, Participants: members})
	fake.SetGroup(&types.GroupInfo{JID: g3, GroupName: types.GroupName{Name: "Locked"}, GroupLocked: types.GroupLocked{IsLocked: true},
		GroupEphemeral: types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 86400}, Participants: members})
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}

	from := r.host.count()
	if err := s.SetChatTimer(ctx, sdk.Call{ChatID: g2.String()}, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if g := fake.Group(g2); !g.IsEphemeral || g.DisappearingTimer != 604800 {
		t.Errorf("WhatsApp's group: %+v", g.GroupEphemeral)
	}
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != weekText || ev.ChatId != g2.String() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP ||
		!ev.Sender.GetIsFromMe() || !strings.HasPrefix(ev.EventId, "timer-") {
		t.Errorf("the change: %v", ev)
	}
	sendChecked(t, s, fake, g2.String(), 1, 604800) // kept at once
	// WhatsApp tells the group's members, the user's device too, by
	// their LID, its time a few seconds off the local clock's.
	ownLID := s.d.dev.LID
	fake.Emit(&events.GroupInfo{JID: g2, Sender: &ownLID, SenderPN: &phone, Timestamp: time.Now().Add(3 * time.Second),
		Ephemeral: &types.GroupEphemeral{IsEphemeral: true, DisappearingTimer: 604800}})
	fenceMessage(t, r, fake, i+1)

	// The echo handled before WhatsApp's answer to the request comes
	// back: said once all the same.
	from = r.host.count()
	fake.OnTimerSet = func(ts wafake.TimerSet) {
		fake.Emit(&events.GroupInfo{JID: ts.Chat, Sender: &phone, Timestamp: time.Now(),
			Ephemeral: &types.GroupEphemeral{IsEphemeral: ts.Timer != 0, DisappearingTimer: uint32(ts.Timer / time.Second)}})
	}
	if err := s.SetChatTimer(ctx, sdk.Call{ChatID: g2.String()}, 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	fake.OnTimerSet = nil
	ev, i = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "Disappearing messages turned on: messages disappear 90 days after they are sent" || !ev.Sender.GetIsFromMe() {
		t.Errorf("the change: %v", ev)
	}
	fenceMessage(t, r, fake, i+1)
	sendChecked(t, s, fake, g2.String(), 2, 7776000)

	from = r.host.count()
	err := s.SetChatTimer(ctx, sdk.Call{ChatID: g3.String()}, 90*24*time.Hour)
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "only the group's admins") {
		t.Errorf("a locked group, not an admin: %v, want NOT_ALLOWED naming the admins", err)
	}
	if got := len(fake.TimerSets()); got != 2 || fake.TimerAsks() != 2 {
		t.Errorf("WhatsApp asked %d times (%d taken) after the locked group's, want 2: refused before", fake.TimerAsks(), got)
	}
	if g := fake.Group(g3); g.DisappearingTimer != 86400 {
		t.Errorf("WhatsApp's locked group: %+v", g.GroupEphemeral)
	}
	for _, ev := range r.host.since(from) {
		if ev.GetMessage() != nil {
			t.Errorf("a refused timer said: %v", ev)
		}
	}
	sendChecked(t, s, fake, g3.String(), 3, 86400)

	// A later change by someone else is said as theirs.
	from = r.host.count()
	fake.Emit(&events.GroupInfo{JID: g2, Sender: &aliceLID, SenderPN: &alice, Timestamp: time.Now().Add(time.Minute),
		Ephemeral: &types.GroupEphemeral{IsEphemeral: false}})
	ev, _ = r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "Disappearing messages turned off" || ev.Sender.GetUserId() != "+33611111111" {
		t.Errorf("turned off by Alice: %v", ev)
	}
	sendChecked(t, s, fake, g2.String(), 4, 0)
}

// A refusal of WhatsApp's is typed: a length it does not offer in a
// group (400) is BAD_REQUEST naming those it does; 401 and 403 are
// NOT_ALLOWED.
func TestSetChatTimerErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want pb.ErrorCode
	}{
		{fmt.Errorf("%w: %w", whatsmeow.ErrInvalidDisappearingTimer, whatsmeow.ErrIQBadRequest), pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{&whatsmeow.IQError{Code: 401, Text: "not-authorized"}, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED},
		{&whatsmeow.IQError{Code: 403, Text: "forbidden"}, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED},
	} {
		err := timerErr(tc.err)
		if codeOf(err) != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, err, tc.want)
		}
		if tc.want == pb.ErrorCode_ERROR_CODE_BAD_REQUEST && !strings.Contains(err.Error(), "24 hours, 7 days or 90 days") {
			t.Errorf("%v: %v, want WhatsApp's lengths named", tc.err, err)
		}
	}
}
