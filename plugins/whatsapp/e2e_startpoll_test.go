package whatsapp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// A poll started from XMPP, through a real Prosody, the gateway (with
// XEP-0356 privileges) and the plugin process on the remote fake: the
// user's "/poll Lunch? pizza / sushi" to Bob reaches WhatsApp as the
// user's poll (its question, options and one answer to choose, and its
// secret), not as text. Bob's vote, encrypted with that secret as his
// phone does, corrects the user's own poll message (a carbon, from the
// user to Bob) with the counts; the user's "/vote 1" in a reply to it
// is the user's vote in their own poll, decrypted by Bob's phone, and
// counted beside his. In an announcement group, where only admins post,
// a poll is refused as any message is (the room is read-only for the
// user: the gateway forbids it, the SDK would say not-allowed) and
// reaches nobody.
func TestEndToEndStartPoll(t *testing.T) {
	srv := startRemote(t)
	announce := types.NewJID("120363000000000009", types.GroupServer)
	srv.Group(&types.GroupInfo{JID: announce, GroupName: types.GroupName{Name: "News"}, GroupAnnounce: types.GroupAnnounce{IsAnnounce: true},
		Participants: []types.GroupParticipant{{JID: me, PhoneNumber: me}, {JID: bob, PhoneNumber: bob, IsAdmin: true}}})
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: fakePlugin(t), Name: "whatsapp", Privileged: true,
		PluginConfig: `wafake_socket = "` + srv.Socket + `"`})
	alice := g.User("alice")
	g.WaitReady(alice)
	loginByQR(t, g, srv, alice)
	bobJID := g.JID("+" + bob.User)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	if err := alice.EnableCarbons(ctx); err != nil {
		t.Fatal(err)
	}

	if err := alice.SendRaw(ctx, `<message type='chat' id='pc1' to='`+bobJID+`'><body>/poll Lunch? pizza / sushi</body>`+
		`<origin-id xmlns='urn:xmpp:sid:0' id='pc1'/></message>`); err != nil {
		t.Fatal(err)
	}
	pollID, sent, err := srv.WaitSentID(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetPollCreationMessage() != nil
	})
	if err != nil {
		t.Fatalf("no poll sent to Bob: %v", err)
	}
	pc := sent.GetPollCreationMessage()
	if pc.GetName() != "Lunch?" || len(pc.GetOptions()) != 2 || pc.GetOptions()[0].GetOptionName() != "pizza" ||
		pc.GetOptions()[1].GetOptionName() != "sushi" || pc.SelectableOptionsCount == nil || pc.GetSelectableOptionsCount() != 1 {
		t.Errorf("the poll sent: %v, want Lunch? pizza / sushi, one answer", pc)
	}
	secret := sent.GetMessageContextInfo().GetMessageSecret()
	if len(secret) != 32 {
		t.Fatalf("the poll has no secret: %v", sent.GetMessageContextInfo())
	}

	corrected := func(what, want string) {
		t.Helper()
		c := g.Next(alice, what, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="pc1"`)
		})
		if !strings.Contains(c.XML, "urn:xmpp:carbons:2") || !strings.Contains(c.XML, `from="alice@localhost`) || !strings.Contains(c.XML, `to="`+bobJID+`"`) ||
			!strings.Contains(c.XML, strings.ReplaceAll(want, "\n", "&#xA;")) {
			t.Errorf("%s: %s, want a carbon of the user's poll to Bob corrected with\n%s", what, c.XML, want)
		}
	}
	// At once the user's message reads as the poll, not as typed.
	corrected("the poll as sent", "Poll: Lunch?\n1. pizza: 0 votes\n2. sushi: 0 votes\n(vote with a reply: /vote 1, or on your phone)")

	// Bob's phone keeps the poll's secret, as the user's message.
	bobsPhone := whatsmeow.NewClient(&store.Device{ID: &bob, MsgSecrets: pollSecret{chat: me, sender: me, id: pollID, secret: secret}}, waLog.Noop)
	pu, err := bobsPhone.EncryptPollVote(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: me, Sender: me}, ID: pollID},
		&waE2E.PollVoteMessage{SelectedOptions: whatsmeow.HashPollOptions([]string{"sushi"})})
	if err != nil {
		t.Fatal(err)
	}
	// The poll's key as Bob's phone writes it: the user's, in their chat.
	pu.PollCreationMessageKey = &waCommon.MessageKey{ID: proto.String(pollID), FromMe: proto.Bool(false), RemoteJID: proto.String(me.String())}
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "VOTE1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{PollUpdateMessage: pu}); err != nil {
		t.Fatal(err)
	}
	corrected("the correction for Bob's vote", "Poll: Lunch?\n1. pizza: 0 votes\n2. sushi: 1 vote\n(vote with a reply: /vote 1, or on your phone)")

	// The user's own vote, in a reply to the poll: Bob's phone decrypts
	// it as the user's vote in the user's poll.
	if err := alice.SendRaw(ctx, `<message type='chat' id='v1' to='`+bobJID+`'><body>/vote 1</body>`+
		`<reply xmlns='urn:xmpp:reply:0' to='`+bobJID+`' id='pc1'/></message>`); err != nil {
		t.Fatal(err)
	}
	vote, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetPollUpdateMessage() != nil
	})
	if err != nil {
		t.Fatalf("no vote sent to Bob: %v", err)
	}
	if k := vote.GetPollUpdateMessage().GetPollCreationMessageKey(); k.GetID() != pollID || !k.GetFromMe() {
		t.Errorf("the vote's key: %v, want the user's own poll %s", k, pollID)
	}
	// The key as Bob receives it: his copy of the poll is the user's.
	vote.PollUpdateMessage.PollCreationMessageKey = &waCommon.MessageKey{ID: proto.String(pollID), FromMe: proto.Bool(false), RemoteJID: proto.String(me.String())}
	pv, err := bobsPhone.DecryptPollVote(ctx, &events.Message{
		Info:    types.MessageInfo{MessageSource: types.MessageSource{Chat: me, Sender: me}, ID: "VOTE2", Timestamp: time.Now()},
		Message: vote})
	pizza := sha256.Sum256([]byte("pizza"))
	if err != nil || len(pv.GetSelectedOptions()) != 1 || !bytes.Equal(pv.GetSelectedOptions()[0], pizza[:]) {
		t.Errorf("the user's vote as Bob's phone reads it: %v, %v; want pizza", pv, err)
	}
	corrected("the correction for the user's vote", "Poll: Lunch?\n1. pizza: 1 vote\n2. sushi: 1 vote\n(vote with a reply: /vote 1, or on your phone)")

	// An announcement group: the user, no admin, may not post; a poll
	// neither.
	room := g.JID(announce.String())
	if err := alice.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	g.Next(alice, "the room's self-presence", func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "110")
	})
	if err := alice.SendRaw(ctx, `<message type='groupchat' id='pc2' to='`+room+`'><body>/poll Lunch? pizza / sushi</body></message>`); err != nil {
		t.Fatal(err)
	}
	e := g.Next(alice, "the error for the poll in the announcement group", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "error" && s.ID == "pc2"
	})
	if e.Err == nil || (e.Err.Condition != "not-allowed" && e.Err.Condition != "forbidden") {
		t.Errorf("the poll in the announcement group: %s, want not-allowed", e.XML)
	}
	if got := srv.SentTo(announce); len(got) != 0 {
		t.Errorf("sent to the announcement group: %v", got)
	}
	polls := 0
	for _, m := range srv.SentTo(bob) {
		if m.GetPollCreationMessage() != nil {
			polls++
		}
		if strings.Contains(m.GetConversation()+m.GetExtendedTextMessage().GetText(), "/poll") {
			t.Errorf("a /poll sent to Bob as text: %v", m)
		}
	}
	if polls != 1 {
		t.Errorf("%d polls sent to Bob, want 1", polls)
	}
}
