package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// A contact's new secret chat is said in the private chat, plainly: it
// was dropped, the contact writing into a chat no one read.
func TestSecretChatRequested(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 1002, AccessHash: 2, FirstName: "Bob"}}, nil)
	ctx := context.Background()
	evs := s.convert(ctx, &tg.UpdateEncryption{Date: 1700000000, Chat: &tg.EncryptedChatRequested{
		ID: 77, AccessHash: 1, Date: 1700000000, AdminID: 1002, ParticipantID: 1001, GA: []byte{1}}})
	if len(evs) != 1 || evs[0].ChatId != "1002" || evs[0].Sender.GetUserId() != "1002" || evs[0].Sender.GetName() != "Bob" ||
		evs[0].EventId != "secret-77" || evs[0].GetMessage().GetText() != secretChatText {
		t.Fatalf("events %v: want one message from Bob saying the secret chat cannot be opened here", evs)
	}
	// The user's own request from another app, and what follows a
	// request, say nothing.
	for _, c := range []tg.EncryptedChatClass{
		&tg.EncryptedChatRequested{ID: 78, AdminID: 1001, ParticipantID: 1002},
		&tg.EncryptedChatWaiting{ID: 77, AdminID: 1002, ParticipantID: 1001},
		&tg.EncryptedChatDiscarded{ID: 77},
	} {
		if evs := s.convert(ctx, &tg.UpdateEncryption{Chat: c}); len(evs) != 0 {
			t.Errorf("%T: %v, want nothing", c, evs)
		}
	}
}
