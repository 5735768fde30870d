package telegram

import (
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Telegram takes so many reactions of one user on a message (one, three
// with Premium: the server's appConfig says): the newest of the user's
// set go, and the login says how many (max_reactions; single_reaction
// for one), so the gateway tells clients. Every reaction went, and
// Telegram refused them all (REACTIONS_TOO_MANY); then the login said
// only one or no limit, so a Premium account's clients heard no limit.
func TestReactionsLimit(t *testing.T) {
	for _, c := range []struct {
		name    string
		premium bool
		limits  [2]int // the server's appConfig
		want    []string
	}{
		{"one", false, [2]int{0, 0}, []string{"🔥"}},
		{"server's default", false, [2]int{2, 4}, []string{"👍", "🔥"}},
		{"premium", true, [2]int{0, 0}, []string{"❤", "👍", "🔥"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newFake(t)
			me := alice
			me.Premium = c.premium
			srv.AddUser(me)
			if c.limits[0] != 0 {
				srv.SetReactionLimits(c.limits[0], c.limits[1])
			}
			s, h, _, _ := connectAlice(t, srv)
			ev := h.wait(t, 0, "connected", func(ev *pb.Event) bool {
				return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
			})
			if f := ev.GetLoginState().GetFeatures(); f == nil || int(f.MaxReactions) != len(c.want) || f.SingleReaction != (len(c.want) == 1) || !f.Reactions || !f.Edits {
				t.Errorf("login features %v, want max_reactions %d with the rest", f, len(c.want))
			}
			ctx := ctxT(t)
			from := h.count()
			gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "react to me")
			msg := h.wait(t, from, "bob's message", isMessage("1002", "react to me"))
			set := []string{"😂", "❤️", "👍", "🔥"}
			if _, err := s.React(ctx, sdk.Call{ChatID: "1002"}, &pb.React{TargetId: msg.EventId, Emojis: set}); err != nil {
				t.Fatalf("react: %v", err)
			}
			if got := srv.Reactions(gid)[alice.ID]; !slices.Equal(got, c.want) {
				t.Errorf("alice's reactions on Telegram %q, want %q", got, c.want)
			}
		})
	}
}
