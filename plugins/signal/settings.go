package signal

import (
	"context"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group's settings (who may send, edit its details, add members; its
// link) change with an update that names no member: Signal's apps show
// it in the group's chat, "Bob changed the group settings to only allow
// admins to send messages.", and the room says it alike, from the room
// itself. Before, the room's limits changed without a word: a member
// found the room read-only, or a command refused, not knowing why.

// groupPerms are a group's permissions as signal-cli lists them
// (EVERY_MEMBER, ONLY_ADMINS).
type groupPerms struct {
	send, edit, add string
}

func permsOf(g groupEntry) groupPerms {
	return groupPerms{send: g.PermissionSendMessage, edit: g.PermissionEditDetails, add: g.PermissionAddMember}
}

// shownOf is what the room of group g is told of its settings and
// invitations (pending: of g, by user ID): the fields settingsTold and
// invitesTold compare.
func shownOf(g groupEntry, pending map[string]bool) *group {
	return &group{perms: permsOf(g), link: g.GroupInviteLink, pending: pending}
}

// settingsSince is what the room of chatID was last told of the group's
// settings and invitations (nil: nothing yet, so nothing to tell), and
// notes g's as told. Compared with what was told, not with the read
// before, as the timer is (calls.go): a read (the groups read at a
// reconnection, a query's) may have seen the change before its
// update's envelope was handled, and the notice was lost.
func (s *Session) settingsSince(chatID string, g groupEntry) *group {
	return s.told.settingsSince(chatID, shownOf(g, s.pendingOf(g)))
}

// settingsTold tells in the room of chatID what the update at (Unix ms)
// by changed of group g's settings since old. An update of no known
// author says it without one.
func (s *Session) settingsTold(ctx context.Context, chatID string, old *group, g groupEntry, chat *pb.Chat, by *pb.Sender, at int64) {
	who, author := "The group's admins", ""
	if by != nil && by.UserId != "" {
		author = by.UserId
		who = s.displayName(by.UserId)
		if by.IsFromMe || by.UserId == s.selfID() {
			who = "You"
		}
	}
	notice := func(kind, text string) { s.groupNotice(ctx, chatID, kind, at, author, text) }
	was, now := old.perms, permsOf(g)
	admin := limitsOf(g, chat).Features == nil // the user is an admin there
	if was.send != "" && now.send != "" && was.send != now.send {
		if now.send == "ONLY_ADMINS" {
			text := who + " changed the group settings to only allow admins to send messages."
			if !admin {
				text += " Your messages there are refused until an admin allows all members again."
			}
			notice("settings-send", text)
		} else {
			notice("settings-send", who+" changed the group settings to allow all members to send messages.")
		}
	}
	if was.edit != "" && now.edit != "" && was.edit != now.edit {
		notice("settings-edit", who+` changed who can edit group info to "`+permName(now.edit)+`".`)
	}
	if was.add != "" && now.add != "" && was.add != now.add {
		notice("settings-add", who+` changed who can edit group membership to "`+permName(now.add)+`".`)
	}
	// Named by what they say: an update's envelope handled again at
	// the next start (its notice's confirmation lost) may read the link
	// changed again since, which is another notice.
	switch link := g.GroupInviteLink; {
	case old.link == link:
	case old.link == "":
		notice("settings-link-on", who+" turned on the group link.")
	case link == "":
		notice("settings-link-off", who+" turned off the group link.")
	default:
		notice("settings-link-reset", who+" reset the group link.")
	}
}

// permName is how Signal's apps name a permission.
func permName(p string) string {
	if p == "ONLY_ADMINS" {
		return "Only admins"
	}
	return "All members"
}
