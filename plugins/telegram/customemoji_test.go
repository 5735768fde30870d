package telegram

import (
	"slices"
	"strconv"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A contact's custom emoji reaction reads as the emoji it stands for
// (its document's alt, as Telegram's clients show it), asked of Telegram
// once and kept; while Telegram does not tell, it reads as ⭐ and is not
// lost. A custom emoji in a message's text keeps its alt character. The
// reaction read as ⭐ whatever it stood for.
func TestCustomEmojiReaction(t *testing.T) {
	const party, unknown = 5001, 5002
	srv := newFake(t)
	srv.SetCustomEmoji(party, "🎉")
	_, h, _, _ := connectAlice(t, srv)
	from := h.count()
	gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "party 🎉 time",
		tgfake.WithEntities(&tg.MessageEntityCustomEmoji{Offset: 6, Length: 2, DocumentID: party}))
	h.wait(t, from, "bob's message with its custom emoji's alt", isMessage("1002", "party 🎉 time"))

	bobs := func(what string, emojis ...string) []string {
		t.Helper()
		from := h.count()
		srv.React(bob.ID, gid, emojis...)
		return h.wait(t, from, what, func(ev *pb.Event) bool {
			return ev.GetReaction() != nil && ev.Sender.GetUserId() == "1002"
		}).GetReaction().Emojis
	}
	const ask = "messages.getCustomEmojiDocuments"
	srv.FailRequestCode(ask, 0, 500, "INTERNAL")
	if got := bobs("bob's reaction, Telegram failing", tgfake.CustomReaction(party)); !slices.Equal(got, []string{"⭐"}) {
		t.Errorf("bob's custom emoji reaction while Telegram fails: %q, want ⭐", got)
	}
	if got := bobs("bob's reactions", tgfake.CustomReaction(party), "❤"); !slices.Equal(got, []string{"❤️", "🎉"}) {
		t.Errorf("bob's reactions %q, want ❤️ and 🎉 (the custom emoji's alt)", got)
	}
	asked := srv.Requests(ask)
	if got := bobs("bob's reaction again", tgfake.CustomReaction(party)); !slices.Equal(got, []string{"🎉"}) {
		t.Errorf("bob's reaction %q, want 🎉", got)
	}
	if n := srv.Requests(ask); n != asked {
		t.Errorf("the alt known was asked again: %d questions, want %d", n, asked)
	}
	if got := bobs("bob's unknown custom emoji", tgfake.CustomReaction(unknown)); !slices.Equal(got, []string{"⭐"}) {
		t.Errorf("a custom emoji Telegram does not know: %q, want ⭐", got)
	}
}

// The user's own custom emoji reaction (from Telegram's app) reads as
// its alt; when their XMPP client sends it back with another, as
// clients send the user's whole set, it stays the custom emoji. It went
// as the alt, a plain emoji, which Telegram may not offer as a reaction.
func TestOwnCustomEmojiReactionKept(t *testing.T) {
	const unicorn = 5003
	srv := newFake(t)
	me := alice
	me.Premium = true
	srv.AddUser(me)
	srv.SetCustomEmoji(unicorn, "🦄")
	s, h, _, _ := connectAlice(t, srv)
	from := h.count()
	gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "react to me")
	ev := h.wait(t, from, "bob's message", isMessage("1002", "react to me"))
	srv.React(alice.ID, gid, tgfake.CustomReaction(unicorn))
	mine := h.wait(t, from, "the user's own reaction", func(ev *pb.Event) bool { return ev.GetReaction() != nil && ev.Sender.GetIsFromMe() })
	if got := mine.GetReaction().Emojis; !slices.Equal(got, []string{"🦄"}) {
		t.Fatalf("the user's custom emoji reaction %q, want 🦄", got)
	}
	if _, err := s.React(ctxT(t), sdk.Call{ChatID: "1002"}, &pb.React{TargetId: ev.EventId, Emojis: []string{"🦄", "👍"}}); err != nil {
		t.Fatalf("react 🦄 👍: %v", err)
	}
	if got := srv.Reactions(gid)[alice.ID]; !slices.Equal(got, []string{tgfake.CustomReaction(unicorn), "👍"}) {
		t.Errorf("alice's reactions on Telegram %q, want her custom emoji kept and 👍", got)
	}
}

// A container of several reaction updates (a catch-up's difference)
// asks Telegram once for the custom emoji they all name, not once per
// update: while Telegram did not answer, the update stream waited up to
// 5 s for each. Before, each update asked apart (2 questions a round).
func TestCustomEmojiAskedOncePerContainer(t *testing.T) {
	const party, unicorn = 5001, 5002
	srv := newFake(t)
	srv.SetCustomEmoji(party, "🎉")
	srv.SetCustomEmoji(unicorn, "🦄")
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	reacted := func(msg int, doc int64) tg.UpdateClass {
		ce := &tg.ReactionCustomEmoji{DocumentID: doc}
		r := tg.MessageReactions{
			Results:         []tg.ReactionCount{{Reaction: ce, Count: 1}},
			RecentReactions: []tg.MessagePeerReaction{{PeerID: &tg.PeerUser{UserID: bob.ID}, Reaction: ce, Date: 1700000000}},
		}
		r.SetFlags()
		return &tg.UpdateMessageReactions{Peer: &tg.PeerUser{UserID: bob.ID}, MsgID: msg, Reactions: r}
	}
	const ask = "messages.getCustomEmojiDocuments"
	round := func(what string, first int, want ...string) {
		t.Helper()
		from, asked := h.count(), srv.Requests(ask)
		if err := s.handle(ctx, &tg.Updates{Updates: []tg.UpdateClass{reacted(first, party), reacted(first+1, unicorn)}}); err != nil {
			t.Fatalf("%s: handle: %v", what, err)
		}
		for i, w := range want {
			target := strconv.Itoa(first + i)
			ev := h.wait(t, from, what+": bob's reaction to "+target, func(ev *pb.Event) bool {
				return ev.GetReaction().GetTargetId() == target && ev.Sender.GetUserId() == "1002"
			})
			if got := ev.GetReaction().Emojis; !slices.Equal(got, []string{w}) {
				t.Errorf("%s: bob's reaction to %s %q, want %s", what, target, got, w)
			}
		}
		if n := srv.Requests(ask) - asked; n != 1 {
			t.Errorf("%s: %d questions for one container, want 1", what, n)
		}
	}
	srv.FailRequestCode(ask, 0, 500, "INTERNAL")
	round("Telegram failing", 101, "⭐", "⭐")
	round("Telegram answering", 103, "🎉", "🦄")
}

// A message of custom emoji only (Telegram's text is their alts, each
// covered by its entity) reads as those alts, with no span left of the
// entities: not an empty message.
func TestCustomEmojiOnlyMessage(t *testing.T) {
	const party, unicorn = 5001, 5003
	srv := newFake(t)
	srv.SetCustomEmoji(party, "🎉")
	srv.SetCustomEmoji(unicorn, "🦄")
	_, h, _, _ := connectAlice(t, srv)
	from := h.count()
	srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "🎉🦄",
		tgfake.WithEntities(&tg.MessageEntityCustomEmoji{Offset: 0, Length: 2, DocumentID: party},
			&tg.MessageEntityCustomEmoji{Offset: 2, Length: 2, DocumentID: unicorn}))
	ev := h.wait(t, from, "bob's custom emoji", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetMessage() != nil
	})
	if m := ev.GetMessage(); m.Text != "🎉🦄" || len(m.Spans) != 0 || len(m.Attachments) != 0 {
		t.Errorf("a message of custom emoji only: %v; want the text 🎉🦄, no span, no file", m)
	}
}
