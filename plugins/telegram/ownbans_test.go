package telegram

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// The user's ban whose removal (the service message Telegram tells a ban
// with) comes before the answer to channels.editBanned, as when the
// supergroup is followed since the connection and the pushed copy is
// applied as it comes: carol is banned (with its reason), never kicked
// first. Before (ownbans.go), the removal was told as a kick, and the
// room showed carol kicked (307), not banned (301): TestGatewayBanList
// failed under load.
func TestOwnBanRemovalBeforeAnswer(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 655, Title: "Door", Members: []int64{alice.ID, bob.ID, carol.ID}, Creator: alice.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	_, evs := earlyUpdate(t, srv, h, "channels.editBanned", func() (sdk.Result, error) {
		return sdk.Result{}, s.Kick(ctx, sdk.Call{ChatID: "-100655"}, &pb.Kick{UserId: "1003", Ban: true, Reason: "spam"})
	})
	var kinds []pb.MemberEvent_Kind
	for _, ev := range evs {
		if m := ev.GetMember(); ev.ChatId == "-100655" && m.GetMember().GetUserId() == "1003" {
			kinds = append(kinds, m.Kind)
			if m.Kind == pb.MemberEvent_KIND_BANNED && m.Reason != "spam" {
				t.Errorf("carol banned for %q, want spam", m.Reason)
			}
		}
	}
	if len(kinds) == 0 {
		t.Fatal("no event of carol's ban")
	}
	for _, k := range kinds {
		if k != pb.MemberEvent_KIND_BANNED {
			t.Errorf("carol's events %v, want her banned alone", kinds)
			break
		}
	}
}
