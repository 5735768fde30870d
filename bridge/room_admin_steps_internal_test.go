package bridge

import (
	"context"
	"strings"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// TestAdminPromotionRefusedAfterAdd: making a contact who is not in the
// group an admin is two network commands, an add and a promotion. When
// the network takes the add (an invitation the contact must accept
// first: IRC's INVITE) and then refuses the promotion (they are in no
// group yet), the one error says both: they were added or invited, and
// not made an admin. Before, the error was the network's refusal alone
// ("echo-6 is not in the group"), as if nothing had been done.
func TestAdminPromotionRefusedAfterAdd(t *testing.T) {
	_, s, r, sent := linkedRoom(t)
	st, err := wire.Parse(`<iq type='set' from='alice@localhost/phone' to='g1@echo.localhost' id='a1'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' jid='echo-6@echo.localhost'/></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	// What addAdminCommands makes of the item (room_admin.go).
	cmds := []*pb.Command{
		{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Invite{Invite: &pb.Invite{UserId: "echo-6"}}},
		{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_SetRole{SetRole: &pb.SetRole{UserId: "echo-6", Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}}},
	}
	var asked []string
	network := func(c *pb.Command, cb func(*pb.CommandResult)) {
		if c.GetSetRole() != nil {
			asked = append(asked, "promote")
			cb(&pb.CommandResult{Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_NOT_FOUND, Text: "echo-6 is not in the group"}})
			return
		}
		asked = append(asked, "add")
		cb(&pb.CommandResult{})
	}
	s.sendStepsFrom(context.Background(), st, cmds, 0, network)
	out := sent()
	if strings.Join(asked, ",") != "add,promote" {
		t.Errorf("network asked %v, want add then promote", asked)
	}
	if len(out) != 1 || out[0].Type() != "error" || out[0].ID() != "a1" {
		t.Fatalf("answer: %v, want one error to a1", out)
	}
	cond, text := out[0].ErrorCondition()
	for _, want := range []string{"echo-6 was added to the group", "invited", "not made an admin", "once they are in the group", "echo-6 is not in the group"} {
		if !strings.Contains(text, want) {
			t.Errorf("error text %q lacks %q", text, want)
		}
	}
	if cond != string(wire.ItemNotFound) {
		t.Errorf("condition %s, want the refusal's (item-not-found)", cond)
	}

	// A first command refused: the network's words alone, nothing done.
	s.sendStepsFrom(context.Background(), st, cmds[1:], 0, network)
	out = sent()
	if len(out) != 1 {
		t.Fatalf("answer: %v, want one error", out)
	}
	if _, text := out[0].ErrorCondition(); text != "echo-6 is not in the group" {
		t.Errorf("a refusal with nothing done before: %q, want the network's text", text)
	}
}
