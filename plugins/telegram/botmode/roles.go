package botmode

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/rights"
)

// SetRole changes a member's rights, by the rules of package rights (the
// user-account mode's too): an admin is made with promoteChatMember
// (with a group admin's moderation rights), and one kept from sending
// with restrictChatMember. The Bot API does both in supergroups
// only, and the bot needs the rights to add admins (can_promote_members)
// or to restrict members (can_restrict_members). Ownership cannot be
// given.
func (s *Session) SetRole(ctx context.Context, c sdk.Call, r *pb.SetRole) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	userID, err := strconv.ParseInt(r.UserId, 10, 64)
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram user ID", r.UserId)
	}
	if err := rights.NotARole(r); err != nil {
		return err // before anything is asked of Telegram
	}
	if ch, ok := s.chats.head(chatID); ok {
		switch ch.Type {
		case models.ChatTypeGroup:
			return basicGroupError()
		case models.ChatTypeChannel, models.ChatTypePrivate:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: members' rights are changed in groups, not in a channel or a private chat")
		}
	}
	m, err := s.bot.GetChatMember(ctx, &bot.GetChatMemberParams{ChatID: chatID, UserID: userID})
	if err != nil {
		return roleError("looking up this member", "", err)
	}
	if !inChat(*m) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is not in the group", r.UserId)
	}
	creator := m.Type == models.ChatMemberTypeOwner
	isAdmin := creator || m.Type == models.ChatMemberTypeAdministrator
	isMuted := mutedOf(*m)
	who := r.UserId
	if u := memberUser(*m); u != nil {
		who = userName(u)
	}
	admin, muted, keep, err := rights.Want(r, creator, isAdmin, who)
	if err != nil || keep {
		return err
	}
	changed := false
	if admin != isAdmin {
		changed = true
		// Demoting: every right false.
		p := &bot.PromoteChatMemberParams{ChatID: chatID, UserID: userID}
		if admin {
			p.CanManageChat, p.CanDeleteMessages, p.CanRestrictMembers = true, true, true
			p.CanInviteUsers, p.CanPinMessages, p.CanManageVideoChats = true, true, true
			// A forum's admins run its topics.
			p.CanManageTopics = len(s.chats.threads(chatID)) > 0
		}
		what := "making " + who + " an admin"
		if !admin {
			what = "taking " + who + "'s admin rights away"
		}
		if _, err := s.bot.PromoteChatMember(ctx, p); err != nil {
			return roleError(what, "add new admins (can_promote_members); it may take away only the admin rights it gave", err)
		}
	}
	if !admin && muted != isMuted {
		changed = true
		perms := sendRights(m, !muted)
		what := "keeping " + who + " from sending"
		if !muted {
			what = "letting " + who + " send again"
		}
		if _, err := s.bot.RestrictChatMember(ctx, &bot.RestrictChatMemberParams{ChatID: chatID, UserID: userID,
			Permissions: perms, UseIndependentChatPermissions: true}); err != nil {
			return roleError(what, "restrict members (can_restrict_members)", err)
		}
	}
	if changed {
		s.roleChanged(chatID, m, admin, muted && !admin)
	}
	return nil
}

// roleChanged tells the room of a member's new rights at once (Telegram's
// chat_member update that follows is then no news), and keeps them.
func (s *Session) roleChanged(chatID int64, m *models.ChatMember, admin, muted bool) {
	who := memberUser(*m)
	c, ok := s.chats.head(chatID)
	if who == nil || !ok {
		return
	}
	aff, status := pb.Affiliation_AFFILIATION_MEMBER, models.ChatMemberTypeMember
	switch {
	case admin:
		aff, status = pb.Affiliation_AFFILIATION_ADMIN, models.ChatMemberTypeAdministrator
	case muted:
		status = models.ChatMemberTypeRestricted
	}
	me := s.identity()
	by := &models.User{ID: me.ID, IsBot: true, FirstName: me.Name}
	evs := s.memberChange(&models.Chat{ID: chatID, Type: c.Type}, int(time.Now().Unix()), by, who, pb.MemberEvent_KIND_ROLE_CHANGED, aff, status, muted)
	for _, ev := range s.toTopics(evs) {
		ev.LoginId = s.cfg.LoginID
		s.cfg.Host.Emit(ev)
	}
	if len(evs) > 0 {
		if err := s.chats.save(); err != nil {
			s.log.Warn("telegram bot: the chat list could not be saved", "err", err)
		}
	}
}

// sendRights is a member's permissions with every right to send set to
// may, the others as they are (a member not restricted has them all: the
// chat's defaults still apply over them).
func sendRights(m *models.ChatMember, may bool) *models.ChatPermissions {
	p := &models.ChatPermissions{CanChangeInfo: true, CanInviteUsers: true, CanPinMessages: true, CanManageTopics: true}
	if m.Type == models.ChatMemberTypeRestricted {
		r := m.Restricted
		p.CanChangeInfo, p.CanInviteUsers, p.CanPinMessages, p.CanManageTopics = r.CanChangeInfo, r.CanInviteUsers, r.CanPinMessages, r.CanManageTopics
	}
	p.CanSendMessages, p.CanSendAudios, p.CanSendDocuments, p.CanSendPhotos = may, may, may, may
	p.CanSendVideos, p.CanSendVideoNotes, p.CanSendVoiceNotes, p.CanSendPolls = may, may, may, may
	p.CanSendOtherMessages, p.CanAddWebPagePreviews = may, may
	return p
}

// basicGroupError is the refusal in a basic group, where the Bot API
// changes no one's rights.
func basicGroupError() error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot changes members' rights only in supergroups; "+
		"in a basic group Telegram's Bot API cannot (an owner makes it a supergroup in Telegram's apps, e.g. by making the group's history visible to new members)")
}

// roleError is a rights change's error: a missing right of the bot
// named, a basic group said so, Telegram's other words as commandError
// has them.
func roleError(what, right string, err error) error {
	if err == nil {
		return nil
	}
	lower := strings.ToLower(err.Error())
	switch {
	case strings.Contains(lower, "supergroup") && (strings.Contains(lower, "only") || strings.Contains(lower, "method is available")):
		return basicGroupError()
	case right != "" && (strings.Contains(lower, "not enough rights") || strings.Contains(lower, "have no rights") ||
		strings.Contains(lower, "chat_admin_required")):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram refuses %s: the bot must be an admin with the right to %s (%s)", what, right, clip(err.Error(), 300))
	case strings.Contains(lower, "user is an administrator"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: an admin cannot be kept from sending; take their admin rights away first (%s)", clip(err.Error(), 300))
	}
	return commandError(what, err)
}
