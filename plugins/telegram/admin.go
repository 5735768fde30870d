package telegram

import (
	"bytes"
	"context"
	"strconv"

	"github.com/gotd/td/telegram/downloader"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.UserInfoer   = (*Session)(nil)
	_ sdk.Leaver       = (*Session)(nil)
	_ sdk.TopicSetter  = (*Session)(nil)
	_ sdk.ChatAvatarer = (*Session)(nil)
	_ sdk.ChatNamer    = (*Session)(nil)
	_ sdk.Kicker       = (*Session)(nil)
)

// AvatarLimit is the largest avatar UserInfo fetches.
const AvatarLimit = 1 << 20

// UserInfo describes a user, with their profile photo.
func (s *Session) UserInfo(ctx context.Context, user string) (*pb.Contact, error) {
	if s.bot != nil {
		return s.bot.UserInfo(ctx, user)
	}
	api, _, err := s.client()
	if err != nil {
		return nil, err
	}
	kind, id, err := parsePeer(user)
	if err != nil || kind != peerUser {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %q is no user", user)
	}
	in, err := s.peers.inputUser(id)
	if err != nil {
		return nil, err
	}
	full, err := api.UsersGetFullUser(ctx, in)
	if err != nil {
		return nil, cmdErr("user info", err)
	}
	s.peers.add(full.Users, full.Chats)
	u, ok := s.peers.user(id)
	if !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: no user %s", user)
	}
	c := contactOf(u)
	if p, ok := full.FullUser.ProfilePhoto.(*tg.Photo); ok {
		if b := downloadPhoto(ctx, api, p); b != nil {
			c.Avatar, c.AvatarMime, c.AvatarId = b, "image/jpeg", strconv.FormatInt(p.ID, 10)
		}
	}
	return c, nil
}

// downloadPhoto is a photo's largest size, nil when it is larger than
// AvatarLimit or cannot be downloaded (a description without it rather
// than none).
func downloadPhoto(ctx context.Context, api *tg.Client, p *tg.Photo) []byte {
	typ, _, _, size := largest(p.Sizes)
	if typ == "" || size > AvatarLimit {
		return nil
	}
	var b bytes.Buffer
	loc := &tg.InputPhotoFileLocation{ID: p.ID, AccessHash: p.AccessHash, FileReference: p.FileReference, ThumbSize: typ}
	if _, err := downloader.NewDownloader().Download(api, loc).Stream(ctx, &b); err != nil || b.Len() > AvatarLimit {
		return nil
	}
	return b.Bytes()
}

// setPicture names a group's picture in its chat: its photo's ID, or
// none.
func setPicture(c *pb.Chat, photo tg.ChatPhotoClass) {
	switch p := photo.(type) {
	case *tg.ChatPhoto:
		c.AvatarId = strconv.FormatInt(p.PhotoID, 10)
	case *tg.ChatPhotoEmpty:
		c.NoAvatar = true
	}
}

// ChatAvatar is a group's or channel's picture (sdk.ChatAvatarer); a
// forum topic's is its forum's.
func (s *Session) ChatAvatar(ctx context.Context, chat string) ([]byte, string, error) {
	if s.bot != nil {
		return s.bot.ChatAvatar(ctx, chat)
	}
	api, _, err := s.client()
	if err != nil {
		return nil, "", err
	}
	forum, _, err := splitTopic(chat)
	if err != nil {
		return nil, "", err
	}
	kind, n, err := parsePeer(forum)
	if err != nil {
		return nil, "", err
	}
	var photo tg.PhotoClass
	switch kind {
	case peerChat:
		full, err := api.MessagesGetFullChat(ctx, n)
		if err != nil {
			return nil, "", cmdErr("group picture", err)
		}
		s.peers.add(full.Users, full.Chats)
		if cf, ok := full.FullChat.(*tg.ChatFull); ok {
			photo = cf.ChatPhoto
		}
	case peerChannel:
		ch, err := s.peers.inputChannel(n)
		if err != nil {
			return nil, "", err
		}
		full, err := api.ChannelsGetFullChannel(ctx, ch)
		if err != nil {
			return nil, "", cmdErr("group picture", err)
		}
		s.peers.add(full.Users, full.Chats)
		if cf, ok := full.FullChat.(*tg.ChannelFull); ok {
			photo = cf.ChatPhoto
		}
	default:
		return nil, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is a person, not a group", chat)
	}
	p, ok := photo.(*tg.Photo)
	if !ok {
		return nil, "", nil
	}
	if b := downloadPhoto(ctx, api, p); b != nil {
		return b, "image/jpeg", nil
	}
	return nil, "", nil
}

// LeaveChat leaves a group or channel.
func (s *Session) LeaveChat(ctx context.Context, c sdk.Call) error {
	s.typingKeeper().Stop(c.ChatID)
	if s.bot != nil {
		return s.bot.LeaveChat(ctx, c)
	}
	if err := inTopic(c.ChatID, "leave the forum"); err != nil {
		return err
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	kind, id, err := parsePeer(c.ChatID)
	if err != nil {
		return err
	}
	var upd tg.UpdatesClass
	switch kind {
	case peerChat:
		upd, err = api.MessagesDeleteChatUser(ctx, &tg.MessagesDeleteChatUserRequest{ChatID: id, UserID: &tg.InputUserSelf{}})
	case peerChannel:
		var ch *tg.InputChannel
		if ch, err = s.peers.inputChannel(id); err == nil {
			upd, err = api.ChannelsLeaveChannel(ctx, ch)
		}
	default:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a private chat cannot be left")
	}
	if err != nil {
		return cmdErr("leave", err)
	}
	_ = mgr.Handle(ctx, upd)
	return nil
}

// SetTopic sets a group's description ("about").
func (s *Session) SetTopic(ctx context.Context, c sdk.Call, topic string) error {
	if s.bot != nil {
		return s.bot.SetTopic(ctx, c, topic)
	}
	if err := inTopic(c.ChatID, "set the forum's description"); err != nil {
		return err
	}
	api, _, err := s.client()
	if err != nil {
		return err
	}
	peer, err := s.inputPeer(ctx, api, c.ChatID)
	if err != nil {
		return err
	}
	_, err = api.MessagesEditChatAbout(ctx, &tg.MessagesEditChatAboutRequest{Peer: peer, About: topic})
	if tgerr.Is(err, "CHAT_ABOUT_NOT_MODIFIED") {
		return nil // the description it has (a client setting the subject again): done
	}
	return cmdErr("set the description", err)
}

// SetChatName renames a group or channel.
func (s *Session) SetChatName(ctx context.Context, c sdk.Call, name string) error {
	if s.bot != nil {
		return s.bot.SetChatName(ctx, c, name)
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	if forum, topic, err := splitTopic(c.ChatID); err == nil && topic != 0 {
		return s.renameTopic(ctx, api, mgr, forum, topic, name)
	}
	kind, id, err := parsePeer(c.ChatID)
	if err != nil {
		return err
	}
	var upd tg.UpdatesClass
	switch kind {
	case peerChat:
		upd, err = api.MessagesEditChatTitle(ctx, &tg.MessagesEditChatTitleRequest{ChatID: id, Title: name})
	case peerChannel:
		var ch *tg.InputChannel
		if ch, err = s.peers.inputChannel(id); err == nil {
			upd, err = api.ChannelsEditTitle(ctx, &tg.ChannelsEditTitleRequest{Channel: ch, Title: name})
		}
	default:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a private chat has no name to set")
	}
	if tgerr.Is(err, "CHAT_NOT_MODIFIED") {
		return nil // the name it has (the room's name was stale): so it is
	}
	if err != nil {
		return cmdErr("rename", err)
	}
	_ = mgr.Handle(ctx, upd)
	return nil
}

// Kick removes a member; with ban, keeps them out (a supergroup's ban
// list; a basic group has none, so a ban there is a removal).
func (s *Session) Kick(ctx context.Context, c sdk.Call, k *pb.Kick) error {
	if s.bot != nil {
		return s.bot.Kick(ctx, c, k)
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	kind, id, user, err := s.groupMember(c.ChatID, k.UserId) // from a topic: from its forum
	if err != nil {
		return err
	}
	// Someone asking to join: the kick refuses (joinrequests.go); a
	// ban of a channel's goes on, keeping them out.
	if done, err := s.answerJoinRequest(ctx, api, mgr, c.ChatID, user, false); done && (err != nil || !k.Ban || kind != peerChannel) {
		return err
	}
	switch kind {
	case peerChat:
		upd, err := api.MessagesDeleteChatUser(ctx, &tg.MessagesDeleteChatUserRequest{ChatID: id, UserID: user})
		if err != nil {
			return cmdErr("remove", err)
		}
		_ = mgr.Handle(ctx, upd)
		return nil
	case peerChannel:
		ch, err := s.peers.inputChannel(id)
		if err != nil {
			return err
		}
		who := &tg.InputPeerUser{UserID: user.UserID, AccessHash: user.AccessHash}
		if k.Ban {
			// Its removal may be applied before the answer: told as
			// the ban (ownbans.go) until the ban is told below.
			s.ownBans.begin(id, user.UserID, k.Reason)
			defer s.ownBans.end(id, user.UserID)
		}
		upd, err := api.ChannelsEditBanned(ctx, &tg.ChannelsEditBannedRequest{Channel: ch, Participant: who, BannedRights: tg.ChatBannedRights{ViewMessages: true}})
		if err != nil {
			return cmdErr("remove", err)
		}
		if k.Ban {
			s.banLists.changed(id, s.member(userID(user.UserID)), true)
			// Telegram tells a ban as a removal (messageActionChatDeleteUser,
			// a kick): the room learns of the ban from here, before the
			// removal, so its occupants see a ban (301) and its list has it.
			s.emitMembers(s.toTopics([]*pb.Event{{ChatId: channelID(id), ChatType: s.peers.chatType(channelID(id)),
				Payload: &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_BANNED, Member: s.member(userID(user.UserID)), Reason: k.Reason}}}}))
		}
		_ = mgr.Handle(ctx, upd)
		if !k.Ban {
			// A kick: out, and free to come back.
			if _, err := api.ChannelsEditBanned(ctx, &tg.ChannelsEditBannedRequest{Channel: ch, Participant: who}); err != nil {
				return cmdErr("lift the ban", err)
			}
			// A ban list read between the two (a description asked
			// meanwhile) holds them: read again.
			s.banLists.changed(id, s.member(userID(user.UserID)), false)
		}
		return nil
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: nobody can be removed from a private chat")
}

var _ sdk.PresenceSetter = (*Session)(nil)

// SetPresence shows the user online on Telegram while they are available
// on XMPP, offline ("last seen") otherwise.
func (s *Session) SetPresence(ctx context.Context, p *pb.Presence) error {
	if s.bot != nil {
		return nil // a bot has no status
	}
	api, _, err := s.client()
	if err != nil {
		return err
	}
	offline := true
	switch p.GetShow() {
	case pb.PresenceShow_PRESENCE_SHOW_AVAILABLE, pb.PresenceShow_PRESENCE_SHOW_CHAT:
		offline = false
	}
	_, err = api.AccountUpdateStatus(ctx, offline)
	return cmdErr("status", err)
}
