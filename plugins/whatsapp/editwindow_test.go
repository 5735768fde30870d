package whatsapp

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A correction past WhatsApp's edit window (the 15 minutes the plugin
// declares in EditWindowSeconds; WhatsApp's apps drop a later edit) is
// refused as EXPIRED, as the contract asks of the plugin (nothing else
// enforces it): before, it went out and never showed on WhatsApp while
// the user's client showed the message corrected. A message whose time
// the plugin did not keep (its meta from an older version):
// TestOldMetaWindows.
func TestEditWindow(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	setFor(t, clock, time.Now)

	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "typo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "fixed"}); err != nil {
		t.Errorf("edit within the window: %v", err)
	}
	clock.set(func() time.Time { return time.Now().Add(16 * time.Minute) })
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "late"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("edit 16 minutes later: %v, want EXPIRED", err)
	}
	clock.set(time.Now)

	// The user's message from the phone, 16 minutes old.
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "PH1", Timestamp: time.Now().Add(-16 * time.Minute)},
		&waE2E.Message{Conversation: proto.String("from the phone")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "PH1" })
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "PH1", TargetMeta: ev.Meta, Text: "late"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("edit of a phone message 16 minutes old: %v, want EXPIRED", err)
	}
}

// The meta keeps a message's parts and its time, within maxMeta, and
// reads the forms of before.
func TestMetaTime(t *testing.T) {
	at := time.UnixMilli(1796288400123)
	m := msgMeta{Sender: phone, FromMe: true, Parts: []types.MessageID{"P1", "P2"}, Time: at}
	got, err := decodeMeta(m.encode())
	if err != nil || got.Sender != phone || !got.FromMe || len(got.Parts) != 2 || got.Parts[1] != "P2" || !got.Time.Equal(at) {
		t.Errorf("%s read back as %+v, %v", m.encode(), got, err)
	}
	var many []types.MessageID
	for range 100 {
		many = append(many, "3EB0123456789ABCDEF012")
	}
	b := msgMeta{Sender: phone, FromMe: true, Parts: many, Time: at}.encode()
	if got, err := decodeMeta(b); len(b) > maxMeta || err != nil || !got.Time.Equal(at) || len(got.Parts) == 0 {
		t.Errorf("many parts: %d bytes, %+v, %v", len(b), got, err)
	}
	for _, old := range []string{"33600000000@s.whatsapp.net|1", "33600000000@s.whatsapp.net|1|P1,P2", "33611111111@s.whatsapp.net|0"} {
		if got, err := decodeMeta([]byte(old)); err != nil || !got.Time.IsZero() {
			t.Errorf("%s: %+v, %v", old, got, err)
		}
	}
	if _, err := decodeMeta([]byte("33600000000@s.whatsapp.net|1||soon")); err == nil {
		t.Error("a damaged time read")
	}
	// A spoiler of the user's: kept with the rest, and no other flag.
	hidden := msgMeta{Sender: phone, FromMe: true, Time: at, Spoiler: true}
	if got, err := decodeMeta(hidden.encode()); err != nil || !got.FromMe || !got.Spoiler || !got.Time.Equal(at) {
		t.Errorf("%s read back as %+v, %v", hidden.encode(), got, err)
	}
	if got, err := decodeMeta(m.encode()); err != nil || got.Spoiler {
		t.Errorf("%s read back as a spoiler: %+v, %v", m.encode(), got, err)
	}
}

// Deleting one's own message for everyone past WhatsApp's window (about
// two days; the apps ignore a later deletion) is refused as EXPIRED:
// before, the message went from XMPP while everyone on WhatsApp kept it.
// Within the window it goes as before.
func TestRevokeWindow(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	setFor(t, clock, time.Now)

	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "oops"})
	if err != nil {
		t.Fatal(err)
	}
	clock.set(func() time.Time { return time.Now().Add(49 * time.Hour) })
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("deleted 49 hours later: %v, want EXPIRED", err)
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d messages sent, want the first alone", n)
	}
	clock.set(func() time.Time { return time.Now().Add(47 * time.Hour) })
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Errorf("deleted 47 hours later: %v", err)
	}
}

// Someone else's message in a group is deleted for everyone only by an
// admin: WhatsApp's apps drop a member's deletion of it (WhatsApp does
// not refuse it), which would show deleted on XMPP alone. Refused
// before anything is sent; once the user is an admin, sent.
func TestRevokeOthersAdminOnly(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me}, {JID: bob, IsAdmin: true}}})
	call := sdk.Call{ChatID: group.String()}
	bobs := &pb.Retract{TargetId: "G1", TargetMeta: msgMeta{Sender: bob}.encode()}
	if _, err := s.Retract(ctx, call, bobs); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || len(fake.Sent()) != 0 {
		t.Errorf("a member deleting another's message: %v, sent %v", err, fake.Sent())
	}
	fake.Emit(&events.GroupInfo{JID: group, Sender: &bob, Timestamp: when, Promote: []types.JID{me}})
	if _, err := s.Retract(ctx, call, bobs); err != nil {
		t.Errorf("an admin deleting another's message: %v", err)
	}
	if all := fake.Sent(); len(all) != 1 || all[0].Msg.GetProtocolMessage().GetKey().GetParticipant() != bob.String() {
		t.Errorf("sent: %v", all)
	}
}

// A group admin's deletion of another member's message past WhatsApp's
// window (the same "about 2 days" as the user's own; the apps offer no
// later one) is refused as EXPIRED: before, it went out with no check,
// and the message showed deleted on XMPP alone. The member's message as
// received keeps its time in its meta (it did for the user's own
// alone); within the window, or with no time kept, the deletion goes.
func TestRevokeOthersAdminWindow(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setFor(t, clock, time.Now)
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me, IsAdmin: true}, {JID: bob}}})
	call := sdk.Call{ChatID: group.String()}

	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "GB1", Timestamp: time.Now().Add(-49 * time.Hour)},
		&waE2E.Message{Conversation: proto.String("spam")})
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "GB1" })
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "GB1", TargetMeta: ev.Meta}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("an admin deleting a member's message 49 hours old: %v, want EXPIRED", err)
	}
	if n := len(fake.Sent()); n != 0 {
		t.Errorf("%d messages sent, want none", n)
	}
	clock.set(func() time.Time { return time.Now().Add(-2 * time.Hour) })
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "GB1", TargetMeta: ev.Meta}); err != nil {
		t.Errorf("an admin deleting a member's message 47 hours old: %v", err)
	}
	clock.set(time.Now)
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "GB0", TargetMeta: msgMeta{Sender: bob}.encode()}); err != nil {
		t.Errorf("an admin deleting a member's message whose time is not kept: %v", err)
	}
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d messages sent, want 2", n)
	}
}

// A message whose meta has no time (an older version's, which kept none
// or, for others' messages, none before this one) was sent before this
// version first ran for the login, noted in the login's folder
// (meta-times.json) and kept across restarts: once that is past a
// window, a correction or deletion of it is refused as EXPIRED, as one
// of a message whose time is kept. Before, it went at any age, which
// WhatsApp's apps ignore while XMPP showed it done. Within the window
// of that first run it goes, as its age is not known.
func TestOldMetaWindows(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	setFor(t, clock, time.Now)
	call := sdk.Call{ChatID: "+33611111111"}
	own := []byte("33600000000@s.whatsapp.net|1")
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "OLD1", TargetMeta: own, Text: "fixed"}); err != nil {
		t.Errorf("edit of an old meta's message just after the first run: %v", err)
	}
	// Restarted: the first run's time is read back, not noted anew.
	s = newSession(r.n, s.login, s.d)
	clock.set(func() time.Time { return time.Now().Add(16 * time.Minute) })
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "OLD1", TargetMeta: own, Text: "late"}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("edit of an old meta's message 16 minutes after the first run: %v, want EXPIRED", err)
	}
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "OLD1", TargetMeta: own}); err != nil {
		t.Errorf("deletion of an old meta's message 16 minutes after the first run: %v", err)
	}
	clock.set(func() time.Time { return time.Now().Add(49 * time.Hour) })
	if _, err := s.Retract(ctx, call, &pb.Retract{TargetId: "OLD1", TargetMeta: own}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("deletion of an old meta's message 49 hours after the first run: %v, want EXPIRED", err)
	}
	fake.SetGroup(&types.GroupInfo{JID: group, Participants: []types.GroupParticipant{{JID: me, IsAdmin: true}, {JID: bob}}})
	if _, err := s.Retract(ctx, sdk.Call{ChatID: group.String()}, &pb.Retract{TargetId: "GB0", TargetMeta: msgMeta{Sender: bob}.encode()}); codeOf(err) != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Errorf("an admin deleting an old meta's member message 49 hours after the first run: %v, want EXPIRED", err)
	}
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d messages sent, want the edit and the deletion in time", n)
	}
}

// A message the user sends now, whose acknowledgement by WhatsApp says
// no time (whatsmeow's zero SendResponse.Timestamp), keeps the time it
// went in its meta: it is not taken for an older version's meta, sent
// before this version first ran for the login (meta-times.json), and
// its correction goes within editWindow. Before, its meta had no time,
// and once that first run was more than 15 minutes ago the correction
// was refused as EXPIRED.
func TestSentWithoutAckTime(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	s.metaTimesSince = time.Now().Add(-time.Hour) // the first run, an hour ago
	fake.AckWithoutTime = true
	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "typo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "fixed"}); err != nil {
		t.Errorf("edit of a message just sent: %v", err)
	}
	// A file with a caption, its meta made when its parts are known.
	res, err = s.SendMessage(ctx, call, &pb.SendMessage{Text: "see", Attachments: []*pb.Attachment{
		{Name: "a.txt", MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("a")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: res.MessageID, TargetMeta: res.Meta, Text: "look"}); err != nil {
		t.Errorf("caption edit of a file just sent: %v", err)
	}
}
