package bridge

import (
	"context"
	"strings"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// An admin change may take several network commands in turn (a ban
// lifted, then the contact added, then promoted: room_admin.go), and the
// network may refuse a later one once an earlier one went through: a
// contact added by an invitation they must accept first (IRC's INVITE,
// a network's privacy setting) is in no group to be promoted in yet.
// The answer is one error then, whose text says what was done before
// the refusal and what was not, so that the user is not left with a
// change half made and an error that reads as if nothing was.

// sendInTurn sends cmds one after the other, each once the one before
// succeeded, and answers st: an IQ result once all are done, or the
// first refusal's error (a message only gets the error).
func (s *session) sendInTurn(ctx context.Context, st *wire.Stanza, cmds []*pb.Command) {
	s.sendStepsFrom(ctx, st, cmds, 0, s.sendCommand) // room_invite_once.go
}

// sendStepsFrom is sendInTurn from cmds[i] on, the earlier ones done,
// each command sent with send.
func (s *session) sendStepsFrom(ctx context.Context, st *wire.Stanza, cmds []*pb.Command, i int, send func(*pb.Command, func(*pb.CommandResult))) {
	t := s.t
	c := cmds[i]
	send(c, func(res *pb.CommandResult) {
		if u := c.GetUnban(); u != nil && res.Error == nil {
			s.unbanned(c.ChatId, u.UserId)
		}
		switch {
		case res.Error != nil:
			t.send(ctx, wire.ErrorReply(st, conditionOf(res.Error.Code), s.partlyDone(cmds[:i], c, res.Error.Text)))
		case i+1 < len(cmds):
			s.sendStepsFrom(ctx, st, cmds, i+1, send)
		case st.Kind() == "iq":
			t.send(ctx, wire.Result(st).Bytes())
		}
	})
}

// partlyDone is the text of the error for failed, refused with the
// network's text why, after the commands done went through: why alone
// when none did.
func (s *session) partlyDone(done []*pb.Command, failed *pb.Command, why string) string {
	if len(done) == 0 {
		return why
	}
	name := func(id string) string { return s.memberNames([]*pb.Member{{UserId: id}})[id] }
	var b strings.Builder
	added := ""
	for i, c := range done {
		if i > 0 {
			b.WriteString("; ")
		}
		switch a := c.Action.(type) {
		case *pb.Command_Unban:
			b.WriteString("the ban on " + name(a.Unban.UserId) + " was lifted")
		case *pb.Command_Invite:
			added = a.Invite.UserId
			b.WriteString(name(added) + " was added to the group (or invited to it, where they must accept first)")
		case *pb.Command_SetRole:
			b.WriteString(name(a.SetRole.UserId) + "'s role was changed")
		default:
			b.WriteString("an earlier change was made")
		}
	}
	b.WriteString(", but ")
	switch a := failed.Action.(type) {
	case *pb.Command_Invite:
		b.WriteString(name(a.Invite.UserId) + " was not added")
	case *pb.Command_SetRole:
		what := "given that role"
		if a.SetRole.Affiliation == pb.Affiliation_AFFILIATION_ADMIN {
			what = "made an admin"
		}
		b.WriteString(name(a.SetRole.UserId) + " was not " + what)
		if a.SetRole.UserId == added {
			b.WriteString(" (do it again once they are in the group)")
		}
	default:
		b.WriteString("the next change was refused")
	}
	if why != "" {
		b.WriteString(": " + why)
	}
	return b.String()
}
