package telegram

import (
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// On the fake Telegram: Bob's reply to the user's story, and the user's
// own (from another app) to Bob's, say which story they answer on a
// first line, the text's formatting kept after it. They came as their
// text alone, answering nothing.
func TestStoryReply(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	bold := &tg.MessageEntityBold{Offset: 0, Length: 4}
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "nice view!", tgfake.WithStoryReply(alice.ID, 7), tgfake.WithEntities(bold))
	ev := h.wait(t, 0, "bob's story reply", isMessage("1002", "nice view!"))
	want := "Replying to your story (see it in Telegram):\nnice view!"
	m := ev.GetMessage()
	if m.Text != want || m.ReplyToId != "" {
		t.Errorf("bob's reply to the story: %q (reply to %q), want %q", m.Text, m.ReplyToId, want)
	}
	if len(m.Spans) != 1 || want[m.Spans[0].Start:m.Spans[0].End] != "nice" || m.Spans[0].Style != pb.Span_STYLE_BOLD {
		t.Errorf("bob's reply's formatting: %v, want \"nice\" bold", m.Spans)
	}
	srv.Send(alice.ID, &tg.PeerUser{UserID: bob.ID}, "thanks", tgfake.WithStoryReply(bob.ID, 3))
	ev = h.wait(t, 0, "the user's story reply", isMessage("1002", "thanks"))
	if want := "Replying to Bob's story (see it in Telegram):\nthanks"; ev.GetMessage().Text != want || !ev.Sender.GetIsFromMe() {
		t.Errorf("the user's reply to bob's story: %v, want %q as the user's", ev, want)
	}
}

// The user's reply to the story of a contact named "you" names the
// contact's story: whose story it is goes by the user's ID, not by the
// name. It read "Replying to your story".
func TestStoryReplyContactNamedYou(t *testing.T) {
	srv := newFake(t)
	you := tgfake.User{ID: 1009, FirstName: "you", Phone: "33600000009", Code: "99999"}
	srv.AddUser(you)
	srv.AddContact(alice.ID, you.ID)
	_, h, _, _ := connectAlice(t, srv)
	srv.Send(alice.ID, &tg.PeerUser{UserID: you.ID}, "ha", tgfake.WithStoryReply(you.ID, 5))
	ev := h.wait(t, 0, "the user's story reply", isMessage("1009", "ha"))
	if want := "Replying to you's story (see it in Telegram):\nha"; ev.GetMessage().Text != want || !ev.Sender.GetIsFromMe() {
		t.Errorf("the user's reply to the story of a contact named \"you\": %v, want %q as the user's", ev, want)
	}
}
