package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// What the user may do in a group, by its settings and their role, as
// WhatsApp's apps offer it: a member who is no admin may not remove
// anyone or change roles; in a group whose info only admins edit
// (locked: WhatsApp's "Edit group settings") not its name, description,
// picture, disappearing-messages timer or pins; where only admins add
// members (member add mode admin_add) not add anyone. Who may post is
// read_only (chatOf). The gateway shows a room accordingly (no
// configuration form, no subject change), and the SDK refuses the rest
// (a /timer, a /pin) before the session is asked, where WhatsApp would
// refuse later: the timer with an IQ error whose text says nothing of
// admins, a pin with a refusal in the message's acknowledgement.

// groupFeatures is what the user may do in g: every feature but those
// its settings keep for admins, when the user is none (selfAdmin). It is
// never nil, so that a ChatEvent carrying it lifts a limit as well as
// it sets one; the SDK and the gateway keep only what the network has.
func groupFeatures(g *types.GroupInfo, selfAdmin bool) *pb.Features {
	f := sdk.AllFeatures()
	if selfAdmin {
		return f
	}
	f.GroupKick, f.GroupRoles, f.GroupUnban = false, false, false
	if g.IsAnnounce && !g.IsDefaultSubGroup {
		// Only admins post: the members of a community's announcement
		// group react (encrypted: secretmsg.go), whether those of
		// another such group may is not known, and they were refused.
		f.Reactions = false
	}
	if g.IsLocked {
		f.GroupName, f.GroupTopic, f.GroupAvatar = false, false, false
		f.ChatTimer, f.Pin = false, false
	}
	if g.MemberAddMode == types.GroupMemberAddModeAdmin {
		f.GroupInvite = false
	}
	return f
}

// addModeChange is the member add mode a group's notification sets:
// whatsmeow parses no such change, and leaves its element among the
// unknown ones, its content the mode, as in the group's info.
func addModeChange(e *events.GroupInfo) (types.GroupMemberAddMode, bool) {
	for _, n := range e.UnknownChanges {
		if n == nil || n.Tag != "member_add_mode" {
			continue
		}
		var mode types.GroupMemberAddMode
		switch c := n.Content.(type) {
		case []byte:
			mode = types.GroupMemberAddMode(c)
		case string:
			mode = types.GroupMemberAddMode(c)
		}
		if mode == types.GroupMemberAddModeAdmin || mode == types.GroupMemberAddModeAllMember {
			return mode, true
		}
	}
	return "", false
}

// settingsChanged says whether e changes who may do what in its group:
// who may post (a suspension: no one), edit its info or add members.
func settingsChanged(e *events.GroupInfo) bool {
	_, mode := addModeChange(e)
	return e.Announce != nil || e.Locked != nil || mode || e.Suspended || e.Unsuspended
}

// applySettings sets on g the settings e changes (settingsChanged).
func applySettings(g *types.GroupInfo, e *events.GroupInfo) {
	if e.Announce != nil {
		g.IsAnnounce = e.Announce.IsAnnounce
	}
	if e.Locked != nil {
		g.IsLocked = e.Locked.IsLocked
	}
	if mode, ok := addModeChange(e); ok {
		g.MemberAddMode = mode
	}
	if e.Suspended || e.Unsuspended {
		g.Suspended = e.Suspended
	}
}

// settingsKeptFromUser says whether chat is a group whose settings only
// its admins may edit (the timer and pins among them) while the user is
// none, from the group as known (asked of WhatsApp when not known yet;
// should that fail, WhatsApp decides). The SDK refuses those commands
// already by the chat's features (groupFeatures); this holds for a
// group it did not know then.
func (s *Session) settingsKeptFromUser(ctx context.Context, chat types.JID) bool {
	if chat.Server != types.GroupServer {
		return false
	}
	s.mu.Lock()
	g := s.groups[chat]
	s.mu.Unlock()
	if g == nil {
		if _, err := s.group(ctx, chat); err != nil {
			s.log.Info("group unknown before a change of its settings: WhatsApp decides", "chat", chat, "err", err)
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g = s.groups[chat]
	return g != nil && g.IsLocked && !s.isSelfAdmin(g)
}
