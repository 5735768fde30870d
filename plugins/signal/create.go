package signal

import (
	"context"
	"slices"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// createResult is signal-cli's answer to updateGroup without a groupId:
// the new group's ID, and how its first update went to each member.
type createResult struct {
	sendResult
	GroupID string `json:"groupId"`
}

// CreateChat creates a Signal group named cc.Name with the contacts
// cc.MemberIds, the user its admin: signal-cli's updateGroup without a
// groupId. signal-cli refuses the whole group when a number is not on
// Signal, so such a member is left out and the group made without them;
// one it has no profile key of is only invited. Both are logged and told
// in the new room, and the ChatEvent says who is in.
func (s *Session) CreateChat(ctx context.Context, _ sdk.Call, cc *pb.CreateChat) (string, error) {
	const what = "could not create the group"
	var members []string
	for _, id := range cc.MemberIds {
		if !strings.HasPrefix(id, "+") && !isUUID(id) {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no Signal user", id)
		}
		if id != s.selfID() && id != s.account().Number && id != s.account().ACI && !slices.Contains(members, id) {
			members = append(members, id)
		}
	}
	var res createResult
	var notOnSignal []string
	for {
		p := map[string]any{"name": cc.Name}
		if len(members) > 0 {
			p["members"] = members
		}
		err := s.callRaw(ctx, what, "updateGroup", p, &res)
		if who := unregistered(err, members); who != "" {
			notOnSignal = append(notOnSignal, who)
			members = slices.DeleteFunc(members, func(m string) bool { return m == who })
			continue // at most once per member
		}
		if err != nil {
			return "", s.mapError(what, err)
		}
		break
	}
	chatID := groupChatID(res.GroupID)
	if chatID == "" {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: signal-cli did not say the new group's ID (%q)", what, res.GroupID)
	}
	log := s.n.host.Logger().With("login", s.loginID, "chat", chatID)
	if failed := res.failures(); len(failed) > 0 {
		log.Warn("signal: some members did not get the new group's first update", "failed", strings.Join(failed, ", "))
	}
	g, chat, err := s.readGroup(ctx, chatID)
	var invited, missing []string
	if err != nil || chat == nil {
		// The group exists: say what is sure of it; its members come
		// with its next update or message.
		log.Warn("signal: the new group could not be read", "err", err)
		chat = &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: cc.Name,
			Members: []*pb.Member{{UserId: s.selfID(), IsSelf: true, Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}}}
	} else {
		invited, missing = outOf(g, members)
	}
	if len(notOnSignal)+len(invited)+len(missing) > 0 {
		log.Warn("signal: the new group lacks members asked for", "not_on_signal", strings.Join(notOnSignal, ", "),
			"invited", strings.Join(invited, ", "), "not_added", strings.Join(missing, ", "))
	}
	s.announce(ctx, chat)
	// After the room: the user reads there who of those they asked for
	// is not in, and why; before, only the log said it.
	s.tellRoom(ctx, chatID, membersOutText(notOnSignal, invited, missing))
	return chatID, nil
}

// membersOutText says why members asked for are not in a group: not on
// Signal, only invited (Signal adds them once they accept: signal-cli
// has no profile key of theirs, which Signal shares with the contacts
// one wrote to), or not added; "" when all are in.
func membersOutText(notOnSignal, invited, missing []string) string {
	var parts []string
	if len(notOnSignal) > 0 {
		parts = append(parts, isAre(strings.Join(notOnSignal, ", "), len(notOnSignal))+" not on Signal, and not in the group")
	}
	if len(invited) > 0 {
		parts = append(parts, isAre(strings.Join(invited, ", "), len(invited))+" only invited: Signal adds them once they accept the invitation in their app (Signal invites those whose profile your account has not got: they get it once you write to them)")
	}
	if len(missing) > 0 {
		parts = append(parts, isAre(strings.Join(missing, ", "), len(missing))+" not in the group: Signal did not add them")
	}
	if len(parts) == 0 {
		return ""
	}
	return "⚠ " + strings.Join(parts, "; ") + "."
}

// unregistered is the member signal-cli's error says is not on Signal
// ("The user +33612345678 is not registered."), "" for any other error.
func unregistered(err error, members []string) string {
	msg, ok := userErrorMessage(err)
	if !ok || !strings.Contains(msg, "not registered") {
		return ""
	}
	for _, m := range members {
		if strings.Contains(msg, "user "+m+" ") {
			return m
		}
	}
	return ""
}

// outOf sorts the members asked for that are not in the group g: those
// only invited (pending), and the others.
func outOf(g groupEntry, asked []string) (invited, missing []string) {
	in, pending := map[string]bool{}, map[string]bool{}
	for _, raw := range g.Members {
		a := readAddress(raw)
		in[a.Number], in[a.UUID] = true, true
	}
	for _, raw := range g.PendingMembers {
		a := readAddress(raw)
		pending[a.Number], pending[a.UUID] = true, true
	}
	for _, m := range asked {
		switch {
		case in[m]:
		case pending[m]:
			invited = append(invited, m)
		default:
			missing = append(missing, m)
		}
	}
	return invited, missing
}
