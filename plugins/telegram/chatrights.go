package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// What the user may do in a group by their own rights on Telegram (the
// group's features, Chat.features): the creator everything; an admin
// what their admin rights (ChatAdminRights) give, and what every member
// may; a member what the group's default rights (default_banned_rights)
// do not forbid, nor their own restriction (a supergroup's banned_rights
// for them). In a broadcast channel the members may nothing but read.
// Telegram's apps judge so too (TDLib: an admin has the members' rights
// as well as their own).

// networkFeatures is what the transport does in user mode (the SDK's
// derived features included); callers get their own copy.
var networkFeatures = sync.OnceValue(func() *pb.Features {
	f, _ := sdk.Features((*Session)(nil), transportFeatures())
	return f
})

// groupRights is the user's standing in a group, as its object says.
type groupRights struct {
	creator, admin, broadcast bool
	adminRights               tg.ChatAdminRights
	banned                    tg.ChatBannedRights // the default rights, with the user's own restriction
}

// channelRights is the user's standing in a supergroup or channel.
func channelRights(c *tg.Channel) groupRights {
	r := groupRights{creator: c.Creator, admin: isAdmin(c.AdminRights), broadcast: c.Broadcast,
		adminRights: c.AdminRights, banned: c.DefaultBannedRights}
	if !r.admin && !r.creator {
		own := restrictionNow(c.BannedRights, time.Now()) // restrictexpiry.go
		b := &r.banned
		b.ChangeInfo = b.ChangeInfo || own.ChangeInfo
		b.InviteUsers = b.InviteUsers || own.InviteUsers
		b.PinMessages = b.PinMessages || own.PinMessages
		b.SendPolls = b.SendPolls || own.SendPolls
		b.SendMedia = b.SendMedia || own.SendMedia || noMediaKind(own)
		b.SendMessages = b.SendMessages || own.SendMessages
	}
	return r
}

// chatRights is the user's standing in a basic group (no one is
// restricted alone there).
func chatRights(c *tg.Chat) groupRights {
	return groupRights{creator: c.Creator, admin: isAdmin(c.AdminRights), adminRights: c.AdminRights, banned: c.DefaultBannedRights}
}

// noMediaKind: rights that forbid every kind of file one by one
// (Telegram's finer rights since layer 150), which is no media at all.
func noMediaKind(r tg.ChatBannedRights) bool {
	return r.SendPhotos && r.SendVideos && r.SendRoundvideos && r.SendAudios && r.SendVoices && r.SendDocs
}

// may is whether the user has a right: as an admin (adminRight), or as
// every member where the group's rights do not forbid it (banned).
func (r groupRights) may(adminRight, banned bool) bool {
	return r.creator || r.admin && adminRight || !r.broadcast && !banned
}

// narrow leaves in f what the user may do by r: the group's name, topic
// (its description), picture and auto-delete timer with change_info;
// adding people with invite_users; pins with pin_messages (a channel's
// with edit_messages, an admin's right alone there); polls with
// send_polls and files with send_media (an admin's always); removals and bans with an
// admin's ban_users; roles with ban_users (muting) or add_admins.
func (r groupRights) narrow(f *pb.Features) {
	b, a := r.banned, r.adminRights
	if !r.may(a.ChangeInfo, b.ChangeInfo) {
		f.GroupName, f.GroupTopic, f.GroupAvatar, f.ChatTimer = false, false, false, false
	}
	if !r.may(a.InviteUsers, b.InviteUsers) {
		f.GroupInvite = false
	}
	pin := r.may(a.PinMessages, b.PinMessages)
	if r.broadcast {
		pin = r.creator || r.admin && a.EditMessages
	}
	if !pin {
		f.Pin = false
	}
	// What a member may send binds no admin.
	if !r.may(true, b.SendPolls) {
		f.PollCreate = false
	}
	if !r.may(true, b.SendMedia || noMediaKind(b)) {
		f.Attachments, f.MediaUpload = false, false
	}
	if !r.creator && !(r.admin && a.BanUsers) {
		f.GroupKick, f.GroupUnban = false, false
	}
	if !r.creator && !(r.admin && (a.BanUsers || a.AddAdmins)) {
		f.GroupRoles = false
	}
}

// rightsFeatures are ChatLimits' features in user mode, without the read-only
// narrowing: the group's (forum's) features by the user's rights; nil
// for a private chat or a chat not in the cache (the network's).
func (s *Session) rightsFeatures(kind peerKind, n int64) *pb.Features {
	var r groupRights
	switch kind {
	case peerChat:
		c, ok := s.peers.chat(n)
		if !ok {
			return nil
		}
		r = chatRights(c)
	case peerChannel:
		c, ok := s.peers.channel(n)
		if !ok {
			return nil
		}
		r = channelRights(c)
	default:
		return nil
	}
	f := proto.CloneOf(networkFeatures())
	r.narrow(f)
	return f
}

// limitChatEvents gives every group's chat event among evs the chat's
// features and read-only as ChatLimits says them now: the gateway takes
// a chat event's features only when it carries them, so a room's are
// told again whenever the group is (new rights, new default rights, a
// service message).
func (s *Session) limitChatEvents(ctx context.Context, evs []*pb.Event) {
	if s.bot != nil {
		return // bot mode's chat events are its own
	}
	for _, ev := range evs {
		c := ev.GetChat().GetChat()
		if c == nil || c.Type == pb.ChatType_CHAT_TYPE_DIRECT || c.Features != nil {
			continue
		}
		l, err := s.ChatLimits(ctx, c.ChatId)
		if err != nil || l.Features == nil {
			continue
		}
		c.Features = sdk.IntersectFeatures(networkFeatures(), l.Features)
		c.ReadOnly = c.ReadOnly || l.ReadOnly
	}
}

// describeAgain is a group's chat event as it is now (ChatInfo; the
// cache without an answer), for a room to take its new rights.
func (s *Session) describeAgain(ctx context.Context, chat string) []*pb.Event {
	info, err := s.ChatInfo(ctx, chat)
	if err != nil {
		s.n.log().Warn("telegram: a group's new rights not read", "login", s.login.LoginID, "chat", chat, "err", err)
		if info = s.chatOf(chat); info == nil {
			return nil
		}
		info.Members = []*pb.Member{s.member(userID(s.self))}
	}
	return []*pb.Event{{ChatId: chat, ChatType: info.Type, Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: info}}}}
}
