package telegram

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/editwindow"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A correction to the text the message has already (an XMPP client lets
// one correct a message without changing it; Telegram answers
// MESSAGE_NOT_MODIFIED) is no error: the message is as asked.
func TestEditUnchanged(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "e1"}, &pb.SendMessage{Text: "same words"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.EditMessage{TargetId: res.MessageID, Text: "same words"}); err != nil {
		t.Errorf("a correction without a change: %v", err)
	}
	box := srv.Messages(bob.ID)
	if last := box[len(box)-1]; last.Message != "same words" || last.EditDate != 0 {
		t.Errorf("bob's copy %q (edited at %d)", last.Message, last.EditDate)
	}
}

// Telegram lets a message be corrected for 48 h, a message of Saved
// Messages for ever: the plugin refuses no correction by age (the
// transport's edit window is advisory), so an old note to oneself is
// corrected, and an old message to bob is refused as Telegram refuses it
// (MESSAGE_EDIT_TIME_EXPIRED, EXPIRED), in the words bot mode says it in.
func TestEditSavedMessagesOld(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	old := tgfake.WithDate(int(time.Now().Add(-72 * time.Hour).Unix()))
	note := srv.ID(srv.Send(alice.ID, &tg.PeerUser{UserID: alice.ID}, "note to self", old), alice.ID)
	toBob := srv.ID(srv.Send(alice.ID, &tg.PeerUser{UserID: bob.ID}, "old news", old), alice.ID)
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "1001"}, &pb.EditMessage{TargetId: strconv.Itoa(note), Text: "note to self, corrected"}); err != nil {
		t.Errorf("a 3-day-old message of Saved Messages: %v, want it corrected", err)
	}
	_, err := s.EditMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.EditMessage{TargetId: strconv.Itoa(toBob), Text: "old news, corrected"})
	var se *sdk.Error
	if want := editwindow.Expired().Error(); !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_EXPIRED || err.Error() != want {
		t.Errorf("a 3-day-old message to bob: %v, want %s (bot mode's words: TestEditExpiredBot)", err, want)
	}
	for _, m := range srv.Messages(alice.ID) {
		if m.ID == note && m.Message != "note to self, corrected" {
			t.Errorf("the note reads %q", m.Message)
		}
	}
}

// Corrections within one second (a bot streaming its answer edits its
// message several times a second; Telegram's edit_date counts seconds)
// are each their own event, as the gateway drops an event whose ID it
// has seen; the same update told again (a getDifference after a
// restart), or with the text it had (views changed), keeps its ID.
func TestEditsInOneSecond(t *testing.T) {
	s, _ := unitSession(t)
	ctx := t.Context()
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bot"}}, nil)
	edit := func(text string, pts int) *pb.Event {
		m := &tg.Message{ID: 5, PeerID: &tg.PeerUser{UserID: 1002}, Date: 1700000000, EditDate: 1700000003, Message: text}
		m.SetFlags()
		evs := s.convert(ctx, &tg.UpdateEditMessage{Message: m, Pts: pts, PtsCount: 1})
		if len(evs) != 1 || evs[0].GetEdit().GetText() != text {
			t.Fatalf("edit %q: events %v", text, evs)
		}
		return evs[0]
	}
	a, b := edit("The answer", 10), edit("The answer is 42.", 11)
	if a.EventId == b.EventId {
		t.Errorf("two corrections in one second share the event ID %q: the gateway drops the second", a.EventId)
	}
	if again := edit("The answer is 42.", 12); again.EventId != b.EventId {
		t.Errorf("the same correction told again: ID %q, then %q", b.EventId, again.EventId)
	}
}
