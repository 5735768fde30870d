package signal

import (
	"context"
	"strconv"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Someone who adds the user to a group without the user's profile key
// (Signal shares it with contacts one wrote to) only invites them:
// the user is among the group's pending members, gets none of its
// messages, and accepts or declines in Signal's apps. signal-cli keeps
// such a group, no member of it; its update reads like a removal from
// a group the gateway never had, so the invitation went untold and the
// group out of sight. The user is told in the inviter's chat, once a
// session; the room comes with the update that lets them in, once
// they accept on the phone.

// selfPending reports whether the user is invited to the group g, not
// yet in it.
func (s *Session) selfPending(g groupEntry) bool {
	for _, raw := range g.PendingMembers {
		a := readAddress(raw)
		if (a.Number != "" && a.Number == s.acc.Number) || (a.UUID != "" && s.acc.ACI != "" && a.UUID == s.acc.ACI) {
			return true
		}
	}
	return false
}

// invitation tells the user that by invited them to the group g (chat
// chatID), by the update's time at (Unix ms).
func (s *Session) invitation(ctx context.Context, chatID string, g groupEntry, by *pb.Sender, at int64) {
	s.mu.Lock()
	if s.invitedTold == nil {
		s.invitedTold = map[string]bool{}
	}
	told := s.invitedTold[chatID]
	s.invitedTold[chatID] = true
	s.mu.Unlock()
	if told {
		return
	}
	name := g.Name
	if name == "" {
		name = "a group with no name"
	} else {
		name = strconv.Quote(name)
	}
	s.n.host.Logger().Info("signal: the user is invited to a group", "login", s.loginID, "chat", chatID)
	if by == nil || by.UserId == "" || by.IsFromMe || by.UserId == s.selfID() {
		return // no inviter's chat to tell it in
	}
	who := by.Name
	if who == "" {
		who = by.UserId
	}
	text := "✉ " + who + " invited you to the Signal group " + name + ". Accept the invitation " + onPhone +
		" (open the group's chat in Signal), and its room comes here; until then its messages do not reach you."
	s.emit(ctx, &pb.Event{ChatId: by.UserId, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: by, TimestampUnixMicro: at * 1000,
		EventId: "invited-" + chatID + "-" + strconv.FormatInt(at, 10),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}, true)
}
