package whatsapp_test

import (
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The owner of a channel corrects (XEP-0308) and deletes (XEP-0424) a
// post from XMPP, in the plugin process on the remote fake: the
// correction goes to the channel as whatsmeow's admin edit (the post's
// own ID, its new text), the deletion as its admin deletion (a REVOKE
// of the post's ID). A follower's correction or deletion is refused,
// read-only, nothing sent. Before, both were refused, not allowed in
// the chat (a channel's features had neither), and past that "only your
// own messages" (a channel's post is the channel's, not the user's).
func TestChannelAdminEditRetractProcess(t *testing.T) {
	srv, p, evs, done := processLoggedIn(t)
	mine, theirs := ownAndFollowedChannels(t, srv, evs, 120363100000000047, "Notes", types.NewsletterRoleOwner, "SYNC4")
	cmds := p.Commands()
	post := cmds.Send(plugintest.SendText(done.LoginId, mine.String(), "p1", "helo followers"))
	if post.Error != nil || post.MessageId == "" {
		t.Fatalf("the owner's post: %v", post)
	}

	res := cmds.Send(plugintest.Act(done.LoginId, mine.String(), "e1", &pb.EditMessage{TargetId: post.MessageId, TargetMeta: post.Meta, Text: "hello followers"}))
	if res.Error != nil || res.MessageId != post.MessageId {
		t.Fatalf("the owner's correction of the post: %v, want done, naming the post", res)
	}
	id, _, err := srv.WaitSentID(plugintest.Timeout, func(to string, m *waE2E.Message) bool {
		pm := m.GetEditedMessage().GetMessage().GetProtocolMessage()
		return to == mine.String() && pm.GetType() == waE2E.ProtocolMessage_MESSAGE_EDIT && pm.GetKey().GetID() == post.MessageId &&
			strings.Contains(pm.GetEditedMessage().GetConversation()+pm.GetEditedMessage().GetExtendedTextMessage().GetText(), "hello followers")
	})
	if err != nil || id != types.MessageID(post.MessageId) {
		t.Errorf("the correction sent to the channel: %v (under ID %q), want the post's edit under its ID %q", err, id, post.MessageId)
	}

	res = cmds.Send(plugintest.Act(done.LoginId, mine.String(), "r1", &pb.Retract{TargetId: post.MessageId, TargetMeta: post.Meta}))
	if res.Error != nil {
		t.Fatalf("the owner's deletion of the post: %v", res)
	}
	id, _, err = srv.WaitSentID(plugintest.Timeout, func(to string, m *waE2E.Message) bool {
		pm := m.GetProtocolMessage()
		return to == mine.String() && pm.GetType() == waE2E.ProtocolMessage_REVOKE && pm.GetKey().GetID() == post.MessageId
	})
	if err != nil || id != types.MessageID(post.MessageId) {
		t.Errorf("the deletion sent to the channel: %v (under ID %q), want the post's deletion under its ID %q", err, id, post.MessageId)
	}

	for _, c := range []*pb.Command{
		plugintest.Act(done.LoginId, theirs.String(), "e2", &pb.EditMessage{TargetId: "NLPOST1", TargetMeta: post.Meta, Text: "mine now"}),
		plugintest.Act(done.LoginId, theirs.String(), "r2", &pb.Retract{TargetId: "NLPOST1", TargetMeta: post.Meta}),
	} {
		if res := cmds.Send(c); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			t.Errorf("a follower's %v: %v, want not allowed", c.Action, res)
		}
	}
	if got := srv.SentTo(theirs); len(got) != 0 {
		t.Errorf("sent to the channel followed: %v", got)
	}
}
