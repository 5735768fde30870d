package whatsapp_test

import (
	"testing"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A request to join a group that ends without an answer from the user,
// in the plugin process on the remote fake, as WhatsApp tells its
// admins: <revoked_membership_requests> naming the requester (the form
// Baileys reads; WhatsApp's Android app lists the element among a
// group's participant changes), from the requester when they withdrew
// it, from an admin who rejected it. The room said who asked, and then
// nothing: an admin on XMPP inviting them, as the asking line says,
// added someone who had withdrawn, or whom another admin had turned
// away. Each is now a line: withdrawn, from the room; rejected, from
// the admin.
func TestJoinRequestEndedProcess(t *testing.T) {
	srv, _, evs, _ := processLoggedIn(t)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	carolLID := types.NewJID("99933333333", types.HiddenUserServer)
	requested := func(tag string, lid, pn types.JID) waBinary.Node {
		return waBinary.Node{Tag: tag, Content: []waBinary.Node{{Tag: "participant", Attrs: waBinary.Attrs{"jid": lid, "phone_number": pn}}}}
	}
	if err := srv.NotifyGroup(group, carolLID, requested("revoked_membership_requests", carolLID, carol)); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != group.String() || ev.GetSender().GetUserId() != "" || ev.GetMessage().Text != "+33633333333 withdrew their request to join this group" {
		t.Errorf("a request withdrawn: %v", ev)
	}

	daveLID := types.NewJID("99944444444", types.HiddenUserServer)
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	if err := srv.NotifyGroup(group, bob, requested("revoked_membership_requests", daveLID, dave)); err != nil {
		t.Fatal(err)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != group.String() || ev.GetSender().GetUserId() != "+"+bob.User ||
		ev.GetMessage().Text != "Rejected the request to join this group of +33644444444" {
		t.Errorf("a request rejected by another admin: %v", ev)
	}
}
