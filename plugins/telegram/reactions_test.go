package telegram

import (
	"context"
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// groupReactions is a message's reactions in a large group: the recent
// reactors named (each with 👍), the count of all.
func groupReactions(count int, recent ...int64) tg.MessageReactions {
	r := tg.MessageReactions{Results: []tg.ReactionCount{{Reaction: &tg.ReactionEmoji{Emoticon: "👍"}, Count: count}}}
	for _, id := range recent {
		r.RecentReactions = append(r.RecentReactions, tg.MessagePeerReaction{PeerID: &tg.PeerUser{UserID: id}, Reaction: &tg.ReactionEmoji{Emoticon: "👍"}})
	}
	return r
}

// Telegram names only the latest reactors of a large group: one who
// drops out of that list while the count says their reaction is still
// there has not taken it back; once the count falls, they have.
func TestReactionsRecentListShort(t *testing.T) {
	s, _ := unitSession(t)
	ctx := context.Background()
	react := func(r tg.MessageReactions) map[string][]string {
		got := map[string][]string{}
		for _, ev := range s.convert(ctx, &tg.UpdateMessageReactions{Peer: &tg.PeerChat{ChatID: 77}, MsgID: 9, Reactions: r}) {
			got[ev.Sender.UserId] = ev.GetReaction().GetEmojis()
		}
		return got
	}
	if got := react(groupReactions(3, 1002, 1003, 1004)); len(got) != 3 {
		t.Fatalf("first reactions %v: want three", got)
	}
	// 1005 reacts; 1002 drops out of the recent list.
	if got := react(groupReactions(4, 1003, 1004, 1005)); len(got) != 1 || len(got["1005"]) != 1 {
		t.Errorf("a fourth reaction: events %v, want 1005's alone (1002's is still counted)", got)
	}
	// 1002 takes theirs back: the count falls.
	if got := react(groupReactions(3, 1003, 1004, 1005)); len(got) != 1 || len(got["1002"]) != 0 {
		t.Errorf("a reaction taken back: events %v, want 1002's removal", got)
	}
}

// A group's reactions without a recent list (Telegram does not show who
// reacted) take back no one's reaction seen before while the counts
// still hold it.
func TestReactionsNoRecentList(t *testing.T) {
	s, _ := unitSession(t)
	ctx := context.Background()
	up := func(r tg.MessageReactions) int {
		return len(s.convert(ctx, &tg.UpdateMessageReactions{Peer: &tg.PeerChannel{ChannelID: 500}, MsgID: 9, Reactions: r}))
	}
	if n := up(groupReactions(1, 1002)); n != 1 {
		t.Fatalf("first reaction: %d events, want 1", n)
	}
	if n := up(groupReactions(2)); n != 0 {
		t.Errorf("counts alone: %d events, want none (1002's reaction still counted)", n)
	}
	if n := up(groupReactions(0)); n != 1 {
		t.Errorf("count down to none: %d events, want 1002's removal", n)
	}
}

// XMPP clients write a heart as "❤️" (with the emoji variation
// selector), Telegram's reactions without it ("❤"): the user's goes as
// Telegram's (it was REACTION_INVALID), and a contact's reads as XMPP
// clients write it, so both are the same reaction there. (Alice has
// Premium: two reactions.)
func TestReactionVariationSelector(t *testing.T) {
	srv := newFake(t)
	me := alice
	me.Premium = true
	srv.AddUser(me)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	from := h.count()
	gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "react to me")
	ev := h.wait(t, from, "bob's message", isMessage("1002", "react to me"))
	if _, err := s.React(ctx, sdk.Call{ChatID: "1002"}, &pb.React{TargetId: ev.EventId, Emojis: []string{"❤️", "👍"}}); err != nil {
		t.Fatalf("react ❤️: %v", err)
	}
	if got := srv.Reactions(gid)[alice.ID]; !slices.Equal(got, []string{"❤", "👍"}) {
		t.Errorf("alice's reactions on Telegram %q, want ❤ (no variation selector) and 👍", got)
	}
	srv.React(bob.ID, gid, "❤", "☃")
	ev = h.wait(t, from, "bob's reaction", func(ev *pb.Event) bool { return ev.GetReaction() != nil && ev.Sender.GetUserId() == "1002" })
	if got := ev.GetReaction().Emojis; !slices.Equal(got, []string{"☃️", "❤️"}) {
		t.Errorf("bob's reactions %q, want ☃️ and ❤️ as XMPP clients write them", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events[from:] {
		if r := ev.GetReaction(); r != nil && ev.Sender.GetIsFromMe() && slices.Contains(r.Emojis, "❤") {
			t.Errorf("the user's own reaction came back as Telegram writes it: %v", r.Emojis)
		}
	}
}

// The reactions last seen are kept for the reactionsKept newest messages
// reacted to, not for every message of the session's life (a busy
// group's reactions grew the map for as long as the plugin ran); the
// newest still tell a change alone.
func TestReactionCacheBound(t *testing.T) {
	s, _ := unitSession(t)
	heart := func(n int) tg.MessageReactions {
		return tg.MessageReactions{Results: []tg.ReactionCount{{Reaction: &tg.ReactionEmoji{Emoticon: "❤"}, Count: n}}}
	}
	for id := 1; id <= reactionsKept+10; id++ {
		s.reactionEvents(context.Background(), "1002", id, heart(1))
	}
	s.react.mu.Lock()
	kept := len(s.react.last)
	s.react.mu.Unlock()
	if kept > reactionsKept {
		t.Errorf("%d messages' reactions kept, want at most %d", kept, reactionsKept)
	}
	if evs := s.reactionEvents(context.Background(), "1002", reactionsKept+10, heart(1)); len(evs) != 0 {
		t.Errorf("the newest message's reactions again: %v, want nothing new", evs)
	}
}
