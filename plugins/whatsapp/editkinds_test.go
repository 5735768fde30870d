package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A correction of the user's own poll or shared location (sent from
// XMPP, or from the phone) is refused with an error that says why and
// what to do, nothing sent: WhatsApp edits text and captions only, and
// a text edit of a poll or a location is not what the apps apply, so
// the message showed corrected on XMPP alone. Before, the edit went to
// WhatsApp as a text.
func TestEditPollOrLocationRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	chat := sdk.Call{ChatID: "+33611111111"}
	loc, err := s.SendMessage(ctx, sdk.Call{ChatID: chat.ChatID, TxnID: "txn-loc"}, &pb.SendMessage{Text: "geo:48.8584,2.2945"})
	if err != nil {
		t.Fatal(err)
	}
	poll, err := s.StartPoll(ctx, sdk.Call{ChatID: chat.ChatID, TxnID: "txn-poll"}, &pb.Poll{Question: "Lunch?", Options: []string{"Pizza", "Sushi"}})
	if err != nil {
		t.Fatal(err)
	}
	// The same kinds sent from the phone: their meta as the plugin gave it.
	metaOf := func(id string, m *waE2E.Message) []byte {
		t.Helper()
		from := r.host.count()
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: types.MessageID(id), Timestamp: time.Now()}, m)
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == id })
		return ev.Meta
	}
	phoneLoc := metaOf("PLOC", &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(1), DegreesLongitude: proto.Float64(2)}})
	phonePoll := metaOf("PPOLL", &waE2E.Message{PollCreationMessageV3: &waE2E.PollCreationMessage{Name: proto.String("Q?"),
		Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("a")}, {OptionName: proto.String("b")}}}})
	sentBefore := len(fake.Sent())

	for _, c := range []struct {
		name, id string
		meta     []byte
		want     string
	}{
		{"a location sent", loc.MessageID, loc.Meta, "share the new one"},
		{"a poll started", poll.MessageID, poll.Meta, "a poll cannot be corrected"},
		{"a location from the phone", "PLOC", phoneLoc, "share the new one"},
		{"a poll from the phone", "PPOLL", phonePoll, "a poll cannot be corrected"},
	} {
		_, err := s.EditMessage(ctx, chat, &pb.EditMessage{TargetId: c.id, TargetMeta: c.meta, Text: "something else"})
		if codeOf(err) != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s corrected: %v, want UNSUPPORTED saying %q", c.name, err, c.want)
		}
	}
	if n := len(fake.Sent()); n != sentBefore {
		t.Errorf("%d messages sent for the refused corrections: %v", n-sentBefore, fake.Sent()[sentBefore:])
	}
}
