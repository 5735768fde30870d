package whatsapp

import (
	"context"
	"fmt"
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

// The invitations kept are bounded: an expired one is forgotten at the
// next change, and past invitesMax the soonest to expire goes first
// (one without an expiry last), on disk too.
func TestInvitesBoundedAndExpired(t *testing.T) {
	dir := t.TempDir()
	p := newPendingInvites(dir, nil)
	inviter := types.NewJID("33611111111", types.DefaultUserServer)
	group := func(i int) types.JID { return types.NewJID("1203630000009"+fmt.Sprintf("%05d", i), types.GroupServer) }
	at := now().Unix()
	put := func(i int, exp int64) {
		t.Helper()
		if err := p.put(group(i).String(), invitation{group: group(i), inviter: inviter, expiration: exp, code: fmt.Sprintf("C%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	put(0, at-60) // expired
	put(1, 0)     // no expiry given
	if _, ok := newPendingInvites(dir, nil).get(group(0).String()); ok {
		t.Error("an expired invitation is kept")
	}
	for i := 2; i <= invitesMax+1; i++ {
		put(i, at+int64(i)*3600)
	}
	kept := newPendingInvites(dir, nil)
	for i, want := range map[int]bool{0: false, 1: true, 2: false, 3: true, invitesMax + 1: true} {
		if _, ok := kept.get(group(i).String()); ok != want {
			t.Errorf("invitation %d kept: %v, want %v", i, ok, want)
		}
	}
	if n := len(kept.by); n != invitesMax {
		t.Errorf("%d invitations kept, want %d", n, invitesMax)
	}
}
