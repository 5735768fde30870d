package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// stanzaIDOf is the room's stanza-id on st; "" for none.
func stanzaIDOf(st *wire.Stanza) string {
	if c := st.Child(wire.NSSID, "stanza-id"); c != nil {
		return c.Attr("id")
	}
	return ""
}

// TestRoomCorrectionReflected: a correction the user sends in a room is
// reflected to every joined resource (XEP-0045 §7.4) with its own
// stanza-id, and archived (history, MAM), though the network answered
// the EditMessage with the edited message's own ID, as WhatsApp, Signal
// and Telegram do. It was archived under that ID, found a duplicate of
// the original, and sent to nobody.
func TestRoomCorrectionReflected(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	// m1 (archived by roomFixture) is the user's message orig-1.
	s.remember(ctx, sentMsg{chatID: r.chatID, id: "orig-1"}, &pb.CommandResult{MessageId: "m1"})
	origSID, err := tr.db.ArchivedStanzaID(ctx, tr.roomKey(s.user, r.chatID), "m1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='c1' type='groupchat'>` +
		`<body>hi, corrected</body><replace xmlns='urn:xmpp:message-correct:0' id='orig-1'/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	// The plugin's answer to the Edit of m1.
	s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "m1", TimestampUnixMicro: time.Now().UnixMicro()}, nil, nil)
	var to []string
	for _, got := range sent() {
		if got.Kind() != "message" || !bodyIs(got, "hi, corrected") {
			continue
		}
		to = append(to, got.To())
		if got.ID() != "c1" || got.Child(nsCorrect, "replace") == nil {
			t.Errorf("the reflection is not the client's correction: id %q", got.ID())
		}
		if sid := stanzaIDOf(got); sid == "" || sid == origSID {
			t.Errorf("the correction's stanza-id %q (the original's is %s)", sid, origSID)
		}
	}
	if strings.Join(to, " ") != "alice@localhost/laptop alice@localhost/phone" {
		t.Errorf("correction reflected to %v, want alice@localhost/laptop and alice@localhost/phone", to)
	}
	if n := archivedCount(t, tr, s); n != 2 {
		t.Errorf("the room's archive holds %d messages, want the original and its correction", n)
	}
}

// TestRoomEchoBeforeReflection: the network's echo of the user's room
// message comes (docs/plugins.md allows it once the command is
// answered) before the reflection is stored, and is shown. The
// reflection still goes out, under the stanza-id the echo got, so that
// the sending client gets its id and origin-id back (XEP-0045 §7.4) and
// clients see one message. The reflection was dropped as the echo's
// duplicate.
func TestRoomEchoBeforeReflection(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	echo := groupEv(&pb.MessageEvent{})
	echo.EventId, echo.Sender = "net-m2", &pb.Sender{UserId: s.LoginID(), IsFromMe: true}
	echo.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "two"}}
	for _, b := range tr.renderRoom(ctx, delivery{ev: echo, xid: "x-echo"}, s) {
		tr.send(ctx, b)
	}
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='m2' type='groupchat'><body>two</body><origin-id xmlns='urn:xmpp:sid:0' id='o2'/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "net-m2", TimestampUnixMicro: time.Now().UnixMicro()}, &sentMsg{chatID: r.chatID, originID: "o2", id: "m2"}, nil)
	sids := map[string]bool{}
	reflected := false
	for _, got := range sent() {
		if !bodyIs(got, "two") {
			continue
		}
		sids[stanzaIDOf(got)] = true
		if got.To() == "alice@localhost/phone" && got.ID() == "m2" {
			reflected = true
			if o := got.Child(wire.NSSID, "origin-id"); o == nil || o.Attr("id") != "o2" {
				t.Error("the reflection lacks the client's origin-id")
			}
		}
	}
	if !reflected {
		t.Error("the phone never got its message m2 reflected: only the network's echo, under another id")
	}
	if len(sids) != 1 || sids[""] {
		t.Errorf("the echo and the reflection are not one message: stanza-ids %v", sids)
	}
	if n := archivedCount(t, tr, s); n != 2 {
		t.Errorf("the room's archive holds %d messages, want m1 and m2 once", n)
	}
}

// TestRoomOwnMessageOccupantID: the user's own words told by the network
// under the login's user ID, not flagged is_from_me, come from the
// user's nick with the user's own occupant-id (XEP-0421: one occupant,
// one id, as in the self-presence and the reflections), live and in the
// history. They carried the occupant-id of the user's puppet JID.
func TestRoomOwnMessageOccupantID(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	r.mu.Lock()
	self := s.selfOccupantLocked(r).OccupantID
	r.mu.Unlock()
	for i, snd := range []*pb.Sender{
		{UserId: s.LoginID()},    // the login's user ID
		{UserId: "alice-member"}, // the member marked as the user
	} {
		if i == 1 {
			s.updateRoom(ctx, r, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
				Members: []*pb.Member{{UserId: "alice-member", IsSelf: true}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}}}, false)
		}
		ev := groupEv(&pb.MessageEvent{})
		ev.EventId, ev.Sender = "own-"+snd.UserId, snd
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: "from my phone " + snd.UserId}}
		out := tr.renderRoom(ctx, delivery{ev: ev}, s)
		allHave(t, "own message", out, 2, `from="g1@echo.localhost/Alice"`)
		for _, b := range out {
			if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != self {
				t.Errorf("the user's own message (sender %s) from their nick with occupant-id %v, the user's is %s: %s", snd.UserId, ids, self, b)
			}
		}
	}
	h := muc.History{Given: true, MaxChars: -1, MaxStanzas: -1, Seconds: -1}
	n := 0
	for _, b := range tr.roomHistory(ctx, s, r, s.user+"/phone", h) {
		if !strings.Contains(string(b), "from my phone") {
			continue
		}
		n++
		if ids := occupantIDs(t, b); len(ids) != 1 || ids[0] != self {
			t.Errorf("the user's own message in the history with occupant-id %v, the user's is %s: %s", ids, self, b)
		}
	}
	if n != 2 {
		t.Errorf("%d of the user's own messages in the history, want 2", n)
	}
}
