package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// startPoll starts the user's poll in chat and returns its message as
// WhatsApp has it (the user's, sent from this device) and what was sent.
func startPoll(t *testing.T, s *Session, fake *wafake.Client, c sdk.Call, p *pb.Poll) (types.MessageInfo, wafake.Sent) {
	t.Helper()
	res, err := s.StartPoll(context.Background(), c, p)
	if err != nil {
		t.Fatalf("StartPoll %v: %v", p, err)
	}
	all := fake.Sent()
	if len(all) == 0 {
		t.Fatal("nothing sent")
	}
	sent := all[len(all)-1]
	if sent.ID != res.MessageID {
		t.Fatalf("the result names %s, the message sent is %s", res.MessageID, sent.ID)
	}
	if m, err := decodeMeta(res.Meta); err != nil || !m.FromMe || m.Sender != me {
		t.Errorf("the result's meta %q (%v): want the user's own message", res.Meta, err)
	}
	return types.MessageInfo{MessageSource: types.MessageSource{Chat: sent.To, Sender: me, IsFromMe: true, IsGroup: sent.To.Server == types.GroupServer},
		ID: sent.ID, Timestamp: time.Now()}, sent
}

// The user's poll from XMPP, in a group: WhatsApp gets a poll creation
// message with the question, the options and one answer to choose, and
// a secret; the user's message is corrected at once to the poll, and a
// contact's vote (encrypted with that secret, as their phone does)
// corrects it as the user's own with the counts, and so does the user's
// own vote from XMPP.
func TestStartPoll(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	from := r.host.count()
	poll, sent := startPoll(t, s, fake, sdk.Call{ChatID: group.String(), TxnID: "poll-1"},
		&pb.Poll{Question: "Lunch?", Options: []string{"pizza", "sushi"}})
	pc := sent.Msg.GetPollCreationMessage()
	if sent.To != group || pc.GetName() != "Lunch?" || len(pc.GetOptions()) != 2 || pc.GetOptions()[0].GetOptionName() != "pizza" ||
		pc.GetOptions()[1].GetOptionName() != "sushi" || pc.SelectableOptionsCount == nil || pc.GetSelectableOptionsCount() != 1 {
		t.Fatalf("sent %v to %s, want the poll Lunch? pizza / sushi, one answer, to the group", sent.Msg, sent.To)
	}
	if len(sent.Msg.GetMessageContextInfo().GetMessageSecret()) != 32 {
		t.Fatalf("the poll has no secret: %v", sent.Msg.GetMessageContextInfo())
	}

	x := &xmppVoter{t: t, r: r, s: s, fake: fake, poll: poll, chat: group.String(), from: from}
	x.correction("the poll as sent", lunchText("0 votes", "0 votes"))
	(&voter{t: t, fake: fake, poll: &poll}).vote(alice, "pizza")
	x.correction("alice's vote", lunchText("1 vote", "0 votes"))
	ev := r.host.since(x.from - 1)[0]
	if !ev.Sender.GetIsFromMe() || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP {
		t.Errorf("the correction %v: want the user's own message corrected in the group", ev)
	}

	x.vote("2")
	if s, chosen := x.sent(2); !sameOptions(chosen, "sushi") || !s.Msg.GetPollUpdateMessage().GetPollCreationMessageKey().GetFromMe() {
		t.Errorf("the user's vote: %v choosing %x, want sushi in the user's own poll", s.Msg, chosen)
	}
	x.correction("the user's vote from XMPP", lunchText("1 vote", "1 vote"))
}

// A poll allowing several answers is WhatsApp's poll of any number
// (a selectable count of 0), its text saying so once a vote counts; in
// a chat with a disappearing-messages timer it carries the timer, as
// the user's other messages there do.
func TestStartPollSeveral(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	if _, err := s.timers.set("+33611111111", 86400, when.Unix()); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	poll, sent := startPoll(t, s, fake, sdk.Call{ChatID: "+33611111111"},
		&pb.Poll{Question: "Lunch?", Options: []string{"pizza", "sushi"}, Multiple: true})
	if pc := sent.Msg.GetPollCreationMessage(); sent.To != alice || pc.SelectableOptionsCount == nil || pc.GetSelectableOptionsCount() != 0 ||
		pc.GetContextInfo().GetExpiration() != 86400 {
		t.Fatalf("sent %v to %s, want a poll of any number of answers to alice, disappearing after a day", sent.Msg, sent.To)
	}
	x := &xmppVoter{t: t, r: r, s: s, fake: fake, poll: poll, chat: "+33611111111", from: from}
	x.correction("the poll as sent", "Poll: Lunch? (several answers allowed)\n1. pizza: 0 votes\n2. sushi: 0 votes\n(vote with a reply: /vote 1, or on your phone)")
	(&voter{t: t, fake: fake, poll: &poll}).vote(alice, "pizza", "sushi")
	x.correction("alice's votes", "Poll: Lunch? (several answers allowed)\n1. pizza: 1 vote\n2. sushi: 1 vote\n(vote with a reply: /vote 1, or on your phone)")
}

// A poll sent again under its txn (the gateway's resend to a restarted
// plugin) goes under the same ID, delivered once, and with the secret
// whatsmeow kept for that ID when it kept one before the plugin died:
// the votes on the message delivered are decrypted with the kept one.
func TestStartPollResend(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	lunch := &pb.Poll{Question: "Lunch?", Options: []string{"pizza", "sushi"}}
	call := sdk.Call{ChatID: "+33611111111", TxnID: "origin-1"}
	first, _ := startPoll(t, s, fake, call, lunch)
	again, err := s.StartPoll(ctx, call, lunch)
	if err != nil || again.MessageID != first.ID {
		t.Fatalf("the resend: %v, message %s; want the same message %s", err, again.MessageID, first.ID)
	}
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("%d messages delivered for one poll sent twice", n)
	}

	// The plugin died once whatsmeow kept the secret, before the send.
	kept := bytes.Repeat([]byte{7}, 32)
	call.TxnID = "origin-2"
	id := s.sendID(call, 0).ID
	if err := fake.Device().MsgSecrets.PutMessageSecret(ctx, alice, me, id, kept); err != nil {
		t.Fatal(err)
	}
	_, sent := startPoll(t, s, fake, call, lunch)
	if sent.ID != id || !bytes.Equal(sent.Msg.GetMessageContextInfo().GetMessageSecret(), kept) {
		t.Errorf("the poll after a death mid-send: %s with secret %x, want %s with the kept %x", sent.ID, sent.Msg.GetMessageContextInfo().GetMessageSecret(), id, kept)
	}
}

// More options than WhatsApp's 12 are refused, naming the bound; a send
// WhatsApp refuses is the send's error. Nothing is kept of either.
func TestStartPollRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	many := make([]string, pollOptionsMax+1)
	for i := range many {
		many[i] = strings.Repeat("x", i+1)
	}
	_, err := s.StartPoll(ctx, sdk.Call{ChatID: group.String()}, &pb.Poll{Question: "Q?", Options: many})
	if se, ok := errors.AsType[*sdk.Error](err); !ok || se.Code != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(se.Text, "at most 12") {
		t.Errorf("13 options: %v, want BAD_REQUEST naming 12", err)
	}
	fake.SendErr = errors.New("the socket broke")
	_, err = s.StartPoll(ctx, sdk.Call{ChatID: group.String()}, &pb.Poll{Question: "Q?", Options: []string{"a", "b"}})
	if se, ok := errors.AsType[*sdk.Error](err); !ok || se.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("a failed send: %v, want UNAVAILABLE", err)
	}
	if n := len(fake.Sent()); n != 0 || len(s.polls.m) != 0 {
		t.Errorf("%d messages sent, %d polls kept", n, len(s.polls.m))
	}
}
