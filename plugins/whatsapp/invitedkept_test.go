package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The private invitations received are kept in the login's folder
// (invitesFile): after a restart of the plugin (a network and session
// anew on the same folder), the group's room joins without the password
// by the invitation received before, and a decline of another still
// finds it. Before, they were kept in memory only: both were NOT_FOUND
// after a restart, and only a join with the password worked.
func TestInvitationKeptOverRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	exp := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	joinG, declineG := linkGroup("120363000000000801", "Rowing", false), linkGroup("120363000000000802", "Sailing", false)
	for i, g := range []*types.GroupInfo{joinG, declineG} {
		code := "KePt0" + string(rune('1'+i))
		fake.AddInvitation(g, alice, code, exp)
		from := r.host.count()
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: types.MessageID("GK" + code), Timestamp: time.Now(), PushName: "Alice"},
			inviteMsg(g, code, exp))
		r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetInvited() != nil && ev.ChatId == g.JID.String() })
	}
	s.Disconnect(ctx)

	// The plugin anew: another network, the same login folder; WhatsApp
	// still holds the invitation.
	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	fake2.AddInvitation(joinG, alice, "KePt01", exp)
	if joined, err := s2.JoinChat(ctx, sdk.Call{ChatID: joinG.JID.String()}, &pb.JoinChat{Nick: "me"}); err != nil || joined != joinG.JID.String() {
		t.Fatalf("join without the password after a restart: %q, %v", joined, err)
	}
	if asked := fake2.InvitationJoins(); len(asked) != 1 || asked[0].Code != "KePt01" || asked[0].Inviter != alice || !asked[0].Expiration.Equal(exp) {
		t.Errorf("WhatsApp asked to join by %+v", asked)
	}
	from := r2.host.count()
	if err := s2.DeclineInvite(ctx, sdk.Call{ChatID: declineG.JID.String()}, &pb.DeclineInvite{}); err != nil {
		t.Fatalf("decline after a restart: %v", err)
	}
	note, _ := r2.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId == "+33611111111" })
	if !strings.Contains(note.GetMessage().GetText(), "You declined the invitation to "+declineG.JID.String()) {
		t.Errorf("the decline's notice: %v", note)
	}
	s2.Disconnect(ctx)

	// Joined and declined, both are forgotten on disk too.
	r3 := newRig(t, "")
	s3, _ := r3.load(t, info)
	for _, g := range []*types.GroupInfo{joinG, declineG} {
		if err := s3.DeclineInvite(ctx, sdk.Call{ChatID: g.JID.String()}, &pb.DeclineInvite{}); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("decline of %s, joined or declined before the restart: %v, want NOT_FOUND", g.Name, err)
		}
	}
}
