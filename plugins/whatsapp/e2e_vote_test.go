package whatsapp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// pollSecret is the one poll secret the test knows, for whatsmeow to
// decrypt votes with on the test's side (the plugin's store is in its
// process): the contact's phone made it and sent it with the poll.
type pollSecret struct {
	chat, sender types.JID
	id           types.MessageID
	secret       []byte
}

func (p pollSecret) PutMessageSecrets(context.Context, []store.MessageSecretInsert) error { return nil }
func (p pollSecret) PutMessageSecret(context.Context, types.JID, types.JID, types.MessageID, []byte) error {
	return nil
}
func (p pollSecret) GetMessageSecret(_ context.Context, chat, sender types.JID, id types.MessageID) ([]byte, types.JID, error) {
	if chat == p.chat && sender == p.sender && id == p.id {
		return p.secret, p.sender, nil
	}
	return nil, types.EmptyJID, nil
}

// Voting in a contact's poll from XMPP, through a real Prosody, the
// gateway and the plugin process on the remote fake. Bob's poll reaches
// the user with its options numbered; the user's "/vote 2" in a reply
// (XEP-0461) to it is no message to Bob but the user's vote on WhatsApp,
// encrypted with the poll's secret (decrypted here as Bob's phone does:
// sushi), and the poll's message is corrected (XEP-0308) with the vote
// counted. "/vote 3" is refused naming the options, "/vote 1" replying
// to nothing with the usage; neither reaches Bob.
func TestEndToEndPollVote(t *testing.T) {
	g, srv, alice := aliceLoggedIn(t)
	bobJID := g.JID("+" + bob.User)
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()

	secret := make([]byte, 32)
	rand.Read(secret)
	if err := srv.Receive(types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: bob}, ID: "POLL1", Timestamp: time.Now(), PushName: "Bob"},
		&waE2E.Message{
			PollCreationMessageV3: &waE2E.PollCreationMessage{Name: proto.String("Lunch?"), SelectableOptionsCount: proto.Uint32(1),
				Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("pizza")}, {OptionName: proto.String("sushi")}}},
			MessageContextInfo: &waE2E.MessageContextInfo{MessageSecret: secret},
		}); err != nil {
		t.Fatal(err)
	}
	poll := g.NextMessage(alice, bobJID)
	if poll.Body != "Poll: Lunch?\n1. pizza\n2. sushi\n(vote with a reply: /vote 1, or on your phone)" || poll.ID == "" {
		t.Fatalf("Bob's poll: %s", poll.XML)
	}
	vote := func(body, replyTo string) string {
		t.Helper()
		id := alice.NewID()
		reply := ""
		if replyTo != "" {
			reply = `<reply xmlns='urn:xmpp:reply:0' to='` + bobJID + `' id='` + replyTo + `'/>`
		}
		if err := alice.SendRaw(ctx, `<message type='chat' id='`+id+`' to='`+bobJID+`'><body>`+body+`</body>`+reply+`</message>`); err != nil {
			t.Fatal(err)
		}
		return id
	}

	vote("/vote 2", poll.ID)
	sent, err := srv.WaitSent(gatewaytest.Timeout, func(to string, m *waE2E.Message) bool {
		return to == bob.String() && m.GetPollUpdateMessage() != nil
	})
	if err != nil {
		t.Fatalf("no vote sent to Bob: %v", err)
	}
	pu := sent.GetPollUpdateMessage()
	if k := pu.GetPollCreationMessageKey(); k.GetID() != "POLL1" || k.GetRemoteJID() != bob.String() || k.GetFromMe() {
		t.Errorf("the vote's poll key: %v, want Bob's POLL1 in his chat", k)
	}
	// Bob's phone decrypts it with the poll's secret, as the user's.
	bobsPhone := whatsmeow.NewClient(&store.Device{MsgSecrets: pollSecret{chat: bob, sender: bob, id: "POLL1", secret: secret}}, waLog.Noop)
	pv, err := bobsPhone.DecryptPollVote(ctx, &events.Message{
		Info:    types.MessageInfo{MessageSource: types.MessageSource{Chat: bob, Sender: me}, ID: "VOTE", Timestamp: time.Now()},
		Message: sent})
	if err != nil {
		t.Fatalf("the vote is not decrypted with the poll's secret as the user's: %v", err)
	}
	sushi := sha256.Sum256([]byte("sushi"))
	if got := pv.GetSelectedOptions(); len(got) != 1 || !bytes.Equal(got[0], sushi[:]) {
		t.Errorf("the vote chose %x, want sushi's hash %x", got, sushi)
	}
	c := g.Next(alice, "the poll's correction", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && strings.Contains(s.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+poll.ID+`"`)
	})
	if gatewaytest.Bare(c.From) != bobJID ||
		c.Body != "Poll: Lunch?\n1. pizza: 0 votes\n2. sushi: 1 vote\n(vote with a reply: /vote 1, or on your phone)" {
		t.Errorf("the poll's correction: %s", c.XML)
	}

	refused := func(what, id, text string) {
		t.Helper()
		e := g.Next(alice, "the error for "+what, func(s xmpptest.Stanza) bool { return s.Name == "message" && s.Type == "error" })
		if e.ID != id || e.Err == nil || e.Err.Condition != "bad-request" || !strings.Contains(e.Err.Text, text) {
			t.Errorf("%s: %s, want bad-request saying %q", what, e.XML, text)
		}
	}
	refused("/vote 3", vote("/vote 3", poll.ID), "1. pizza, 2. sushi")
	refused("/vote 1 replying to nothing", vote("/vote 1", ""), "reply to the poll")

	// Bob's next message comes after all of that: no other correction,
	// error or vote, and no /vote went to Bob as a message.
	info, msg := incoming(bob, "AFTER1", "after the votes")
	if err := srv.Receive(info, msg); err != nil {
		t.Fatal(err)
	}
	if got := g.NextMessage(alice, bobJID); got.Body != "after the votes" {
		t.Fatalf("after the votes: %s", got.XML)
	}
	for _, s := range alice.Pending() {
		if strings.Contains(s.XML, "urn:xmpp:message-correct:0") || s.Type == "error" {
			t.Errorf("after the refusals: %s", s.XML)
		}
	}
	votes := 0
	for _, m := range srv.SentTo(bob) {
		if m.GetPollUpdateMessage() != nil {
			votes++
		}
		if strings.Contains(m.GetConversation()+m.GetExtendedTextMessage().GetText(), "/vote") {
			t.Errorf("a /vote sent to Bob as a message: %v", m)
		}
	}
	if votes != 1 {
		t.Errorf("%d votes sent to Bob, want the one", votes)
	}
}
