package whatsapp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// memberIDs is a chat's members' user IDs, the user's own marked "self:".
func memberIDs(c *pb.Chat) []string {
	var out []string
	for _, m := range c.GetMembers() {
		id := m.UserId
		if m.IsSelf {
			id = "self:" + id
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// A group created from XMPP: WhatsApp is asked for it with the name and
// the contacts (not the user, not twice); the contacts it refuses (their
// privacy settings, or another code) do not fail the creation, and the
// ChatEvents (the plugin's and the one of WhatsApp's own notification)
// list who is in it, the user as its owner.
func TestCreateGroup(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	if f, _ := sdk.Features(s, &pb.Features{}); !f.GetCreateChat() {
		t.Errorf("create_chat not advertised: %v", f)
	}
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	dave := types.NewJID("33644444444", types.DefaultUserServer)
	fake.RefuseAdd(carol, 403)
	fake.RefuseAdd(dave, 408)
	erin := types.NewJID("33655555555", types.DefaultUserServer)
	fake.RefuseAdd(erin, 409) // "already in it": in it
	from := r.host.count()
	id, err := s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: "  Weekend  ",
		MemberIds: []string{"+33611111111", "+33622222222", "+33633333333", "+33644444444", "+33655555555", "+33611111111", s.login.LoginID}})
	if err != nil {
		t.Fatalf("CreateChat: %v", err)
	}
	jid, err := types.ParseJID(id)
	if err != nil || jid.Server != types.GroupServer {
		t.Fatalf("chat ID %q is not a group's (%v)", id, err)
	}

	reqs := fake.Created()
	if len(reqs) != 1 {
		t.Fatalf("creations asked: %+v", reqs)
	}
	if want := []types.JID{alice, bob, carol, dave, erin}; reqs[0].Name != "Weekend" || !slices.Equal(reqs[0].Participants, want) {
		t.Errorf("asked for %q with %v, want \"Weekend\" with %v", reqs[0].Name, reqs[0].Participants, want)
	}

	wantMembers := []string{"+33611111111", "+33622222222", "+33655555555", "self:+33600000000"}
	var chats []*pb.Event
	for _, ev := range r.host.since(from) {
		if ev.GetChat() != nil {
			chats = append(chats, ev)
		}
	}
	if len(chats) != 2 {
		t.Fatalf("ChatEvents after the creation: %v; want WhatsApp's notification's and the plugin's", chats)
	}
	for _, ev := range chats {
		c := ev.GetChat().GetChat()
		if ev.ChatId != id || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || c.ChatId != id || c.Name != "Weekend" || c.Type != pb.ChatType_CHAT_TYPE_GROUP {
			t.Errorf("ChatEvent: %v", ev)
		}
		if got := memberIDs(c); !slices.Equal(got, wantMembers) {
			t.Errorf("ChatEvent members %v, want %v", got, wantMembers)
		}
		for _, m := range c.Members {
			if m.IsSelf && (m.Affiliation != pb.Affiliation_AFFILIATION_OWNER || m.Role != pb.Role_ROLE_MODERATOR) {
				t.Errorf("the creator is not the owner: %v", m)
			}
		}
	}
	if c, err := s.ChatInfo(ctx, id); err != nil || !slices.Equal(memberIDs(c), wantMembers) {
		t.Errorf("the group as WhatsApp has it: %v, %v", c, err)
	}
}

// What the creation refuses, and how.
func TestCreateGroupRefused(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	create := func(name string, members ...string) error {
		_, err := s.CreateChat(ctx, sdk.Call{}, &pb.CreateChat{Name: name, MemberIds: members})
		return err
	}

	// Before asking WhatsApp: a name too long or blank, a member that is
	// not a WhatsApp user.
	long := strings.Repeat("é", maxGroupName+1)
	if err := create(long, "+33611111111"); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), "at most 100 characters") {
		t.Errorf("a name of %d characters: %v", maxGroupName+1, err)
	}
	if err := create(strings.Repeat("é", maxGroupName), "+33611111111"); err != nil {
		t.Errorf("a name of %d characters (%d bytes): %v", maxGroupName, 2*maxGroupName, err)
	}
	if err := create("   ", "+33611111111"); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a blank name: %v", err)
	}
	for _, bad := range []string{"alice", group.String()} {
		if err := create("Bad", bad); codeOf(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
			t.Errorf("member %q: %v", bad, err)
		}
	}
	if n := len(fake.Created()); n != 1 {
		t.Errorf("%d creations asked of WhatsApp, want only the valid one", n)
	}

	// WhatsApp's refusals.
	for _, c := range []struct {
		err  error
		want pb.ErrorCode
	}{
		{whatsmeow.ErrIQRateOverLimit, pb.ErrorCode_ERROR_CODE_RATE_LIMITED},
		{whatsmeow.ErrIQNotAcceptable, pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{whatsmeow.ErrIQForbidden, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED},
		{whatsmeow.ErrIQTimedOut, pb.ErrorCode_ERROR_CODE_UNAVAILABLE},
	} {
		fake.FailCreate(c.err)
		if err := create("Friends", "+33611111111"); codeOf(err) != c.want {
			t.Errorf("WhatsApp answering %v: %v, want %v", c.err, err, c.want)
		}
	}
	fake.FailCreate(nil)

	// Not connected.
	fake.Disconnect()
	if err := create("Friends", "+33611111111"); codeOf(err) != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("not connected: %v", err)
	}
}
