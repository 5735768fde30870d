package telegram

import (
	"context"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/rights"
)

// Adding people to a group and changing their rights from XMPP
// (sdk.Inviter, sdk.RoleSetter). Telegram decides whether the user may;
// the room learns of the change from Telegram's updates where Telegram
// sends them (the service message of an addition, a basic group's
// updateChatParticipantAdmin), from the request's success where it sends
// none to the user's own devices (a supergroup's admins and
// restrictions).

var (
	_ sdk.Inviter    = (*Session)(nil)
	_ sdk.RoleSetter = (*Session)(nil)
)

// adminRights are the rights a member made admin from XMPP gets: those of
// a room's moderator, neither adding admins nor staying anonymous.
func adminRights(broadcast, forum bool) tg.ChatAdminRights {
	r := tg.ChatAdminRights{ChangeInfo: true, DeleteMessages: true, BanUsers: true, InviteUsers: true,
		PinMessages: true, ManageCall: true, ManageTopics: forum}
	if broadcast {
		r = tg.ChatAdminRights{ChangeInfo: true, PostMessages: true, EditMessages: true, DeleteMessages: true, InviteUsers: true, ManageCall: true}
	}
	r.SetFlags()
	return r
}

// groupMember is the group (its kind and ID) and the user a command
// names; a forum topic's group is its forum.
func (s *Session) groupMember(chat, user string) (peerKind, int64, *tg.InputUser, error) {
	kind, id, err := parsePeer(baseChat(chat))
	if err != nil {
		return 0, 0, nil, err
	}
	if kind == peerUser {
		return 0, 0, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %s is a private chat, not a group", chat)
	}
	ukind, uid, err := parsePeer(user)
	if err != nil || ukind != peerUser {
		return 0, 0, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %q is no Telegram user", user)
	}
	in, err := s.peers.inputUser(uid)
	if err != nil {
		return 0, 0, nil, err
	}
	return kind, id, in, nil
}

// Invite adds a user to a group (messages.addChatUser) or to a
// supergroup or channel (channels.inviteToChannel). The member comes to
// the room with the service message Telegram sends, as for someone added
// from the phone.
func (s *Session) Invite(ctx context.Context, c sdk.Call, user string) error {
	if s.bot != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot add people to a group; share the group's invite link")
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	kind, id, in, err := s.groupMember(c.ChatID, user)
	if err != nil {
		return err
	}
	// Someone asking to join: the invitation approves (joinrequests.go).
	if done, err := s.answerJoinRequest(ctx, api, mgr, c.ChatID, in, true); done {
		return err
	}
	var res *tg.MessagesInvitedUsers
	if kind == peerChat {
		// FwdLimit: the newcomer sees the last 100 messages, as the apps do.
		res, err = api.MessagesAddChatUser(ctx, &tg.MessagesAddChatUserRequest{ChatID: id, UserID: in, FwdLimit: 100})
	} else {
		var ch *tg.InputChannel
		if ch, err = s.peers.inputChannel(id); err == nil {
			res, err = api.ChannelsInviteToChannel(ctx, &tg.ChannelsInviteToChannelRequest{Channel: ch, Users: []tg.InputUserClass{in}})
		}
	}
	if err != nil {
		return cmdErr("add "+s.userName(in.UserID), err)
	}
	if res.Updates != nil {
		_ = mgr.Handle(ctx, res.Updates)
	}
	for _, m := range res.MissingInvitees {
		why := "their privacy settings let only their contacts add them to groups"
		if m.PremiumWouldAllowInvite || m.PremiumRequiredForPm {
			why = "their privacy settings let only their contacts and Telegram Premium users add them to groups"
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: %s was not added: %s; send them the group's invite link instead", s.userName(m.UserID), why)
	}
	return nil
}

// memberState is what a member is in a group now.
type memberState struct {
	creator, admin, muted bool
}

// currentMember asks Telegram what a member of a group is now.
func (s *Session) currentMember(ctx context.Context, api *tg.Client, kind peerKind, id int64, in *tg.InputUser) (memberState, error) {
	if kind == peerChat {
		full, err := api.MessagesGetFullChat(ctx, id)
		if err != nil {
			return memberState{}, cmdErr("group info", err)
		}
		s.peers.add(full.Users, full.Chats)
		if cf, ok := full.FullChat.(*tg.ChatFull); ok {
			if ps, ok := cf.Participants.(*tg.ChatParticipants); ok {
				for _, p := range ps.Participants {
					if p.GetUserID() != in.UserID {
						continue
					}
					switch p.(type) {
					case *tg.ChatParticipantCreator:
						return memberState{creator: true, admin: true}, nil
					case *tg.ChatParticipantAdmin:
						return memberState{admin: true}, nil
					}
					return memberState{}, nil
				}
			}
		}
		return memberState{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is not in the group", s.userName(in.UserID))
	}
	ch, err := s.peers.inputChannel(id)
	if err != nil {
		return memberState{}, err
	}
	res, err := api.ChannelsGetParticipant(ctx, &tg.ChannelsGetParticipantRequest{Channel: ch, Participant: &tg.InputPeerUser{UserID: in.UserID, AccessHash: in.AccessHash}})
	if err != nil {
		return memberState{}, cmdErr("member info", err)
	}
	s.peers.add(res.Users, res.Chats)
	switch p := res.Participant.(type) {
	case *tg.ChannelParticipantCreator:
		return memberState{creator: true, admin: true}, nil
	case *tg.ChannelParticipantAdmin:
		return memberState{admin: true}, nil
	case *tg.ChannelParticipantBanned:
		if p.Left || p.BannedRights.ViewMessages {
			return memberState{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is not in the group", s.userName(in.UserID))
		}
		return memberState{muted: p.BannedRights.SendMessages}, nil
	case *tg.ChannelParticipantLeft:
		return memberState{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is not in the group", s.userName(in.UserID))
	}
	return memberState{}, nil
}

// SetRole changes a member's rights, by the rules of package rights;
// Telegram mutes only in supergroups.
func (s *Session) SetRole(ctx context.Context, c sdk.Call, r *pb.SetRole) error {
	if s.bot != nil {
		return s.bot.SetRole(ctx, c, r)
	}
	api, _, err := s.client()
	if err != nil {
		return err
	}
	kind, id, in, err := s.groupMember(c.ChatID, r.UserId)
	if err != nil {
		return err
	}
	cur, err := s.currentMember(ctx, api, kind, id, in)
	if err != nil {
		return err
	}
	who := s.userName(in.UserID)
	admin, muted, keep, err := rights.Want(r, cur.creator, cur.admin, who)
	switch {
	case err != nil:
		return err
	case keep:
		return nil
	case muted && kind == peerChat:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a basic group cannot keep one member from sending; Telegram does it in supergroups")
	}
	if kind == peerChat {
		if admin == cur.admin {
			return nil
		}
		// Telegram tells every member (updateChatParticipantAdmin): the
		// room changes with that update.
		if _, err := api.MessagesEditChatAdmin(ctx, &tg.MessagesEditChatAdminRequest{ChatID: id, UserID: in, IsAdmin: admin}); err != nil {
			return cmdErr("change "+who+"'s rights", err)
		}
		return nil
	}
	ch, err := s.peers.inputChannel(id)
	if err != nil {
		return err
	}
	changed := false
	if admin != cur.admin {
		var rights tg.ChatAdminRights
		if admin {
			tc, _ := s.peers.channel(id)
			rights = adminRights(tc != nil && tc.Broadcast, tc != nil && tc.Forum)
		}
		if _, err := api.ChannelsEditAdmin(ctx, &tg.ChannelsEditAdminRequest{Channel: ch, UserID: in, AdminRights: rights}); err != nil {
			return cmdErr("change "+who+"'s admin rights", err)
		}
		changed = true
	}
	if !admin && muted != cur.muted {
		var banned tg.ChatBannedRights
		if muted {
			banned = tg.ChatBannedRights{SendMessages: true}
			banned.SetFlags()
		}
		if _, err := api.ChannelsEditBanned(ctx, &tg.ChannelsEditBannedRequest{Channel: ch, Participant: &tg.InputPeerUser{UserID: in.UserID, AccessHash: in.AccessHash}, BannedRights: banned}); err != nil {
			return cmdErr("change what "+who+" may do", err)
		}
		changed = true
	}
	if changed {
		// Telegram sends a supergroup's rights changes to the user's
		// devices only as updateChannel: the room learns them from here.
		m := s.member(userID(in.UserID))
		switch {
		case admin:
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		case muted:
			m.Role = pb.Role_ROLE_VISITOR
		}
		s.emitMembers(s.toTopics([]*pb.Event{roleChanged(channelID(id), s.peers.chatType(channelID(id)), m)}))
	}
	return nil
}

// roleChanged is a member's new rights.
func roleChanged(chat string, typ pb.ChatType, m *pb.Member) *pb.Event {
	return &pb.Event{ChatId: chat, ChatType: typ,
		Payload: &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED, Member: m}}}
}

// emitMembers sends member events of this login.
func (s *Session) emitMembers(evs []*pb.Event) {
	for _, ev := range evs {
		s.emit(ev)
	}
}

// participantEvents are the rights changes Telegram reports as updates:
// a basic group's admin named or dismissed (to every member), a
// supergroup member's new rights (when Telegram sends them). The user's
// own change describes the group again too, with what they may do there
// now (chatrights.go).
func (s *Session) participantEvents(ctx context.Context, u tg.UpdateClass) []*pb.Event {
	switch u := u.(type) {
	case *tg.UpdateChatParticipantAdmin:
		chat := chatID(u.ChatID)
		m := s.member(userID(u.UserID))
		if u.IsAdmin {
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		}
		evs := []*pb.Event{roleChanged(chat, s.peers.chatType(chat), m)}
		if u.UserID == s.self {
			s.selfAdmin(u.ChatID, u.IsAdmin)
			evs = append(evs, s.describeAgain(ctx, chat)...)
		}
		return evs
	case *tg.UpdateChannelParticipant:
		chat := channelID(u.ChannelID)
		if u.PrevParticipant == nil {
			return nil // a join: it comes as its service message
		}
		m := s.member(userID(u.UserID))
		switch p := u.NewParticipant.(type) {
		case nil, *tg.ChannelParticipantLeft:
			return nil // a departure comes as its service message
		case *tg.ChannelParticipantCreator:
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR
		case *tg.ChannelParticipantAdmin:
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		case *tg.ChannelParticipantBanned:
			if p.Left || p.BannedRights.ViewMessages {
				return nil
			}
			if p.BannedRights.SendMessages {
				m.Role = pb.Role_ROLE_VISITOR
			}
		}
		evs := []*pb.Event{roleChanged(chat, s.peers.chatType(chat), m)}
		if u.UserID == s.self {
			s.selfParticipant(u.ChannelID, u.NewParticipant)
			evs = append(evs, s.describeAgain(ctx, chat)...)
		}
		return s.toTopics(evs)
	}
	return nil
}

// userName is how a message names a user: their name, else their ID.
func (s *Session) userName(id int64) string {
	if n := s.peers.name(id); n != "" {
		return n
	}
	return userID(id)
}

// selfAdmin notes in the cache that the user was named an admin of a
// basic group, or dismissed (updateChatParticipantAdmin says no
// rights: a basic group's admins have them all but naming admins),
// until Telegram's object of the group says them.
func (s *Session) selfAdmin(group int64, admin bool) {
	c, ok := s.peers.chat(group)
	if !ok || isAdmin(c.AdminRights) == admin {
		return
	}
	cp := *c
	cp.AdminRights = tg.ChatAdminRights{}
	if admin {
		cp.AdminRights = tg.ChatAdminRights{ChangeInfo: true, DeleteMessages: true, BanUsers: true, InviteUsers: true,
			PinMessages: true, ManageCall: true}
	}
	s.peers.add(nil, []tg.ChatClass{&cp})
}

// selfParticipant notes in the cache the user's new standing in a
// supergroup or channel: their admin rights, their restriction.
func (s *Session) selfParticipant(channel int64, p tg.ChannelParticipantClass) {
	c, ok := s.peers.channel(channel)
	if !ok {
		return
	}
	cp := *c
	cp.Creator, cp.AdminRights, cp.BannedRights = false, tg.ChatAdminRights{}, tg.ChatBannedRights{}
	switch p := p.(type) {
	case *tg.ChannelParticipantCreator:
		cp.Creator, cp.AdminRights = true, p.AdminRights
	case *tg.ChannelParticipantAdmin:
		cp.AdminRights = p.AdminRights
	case *tg.ChannelParticipantBanned:
		cp.BannedRights = p.BannedRights
	}
	s.peers.add(nil, []tg.ChatClass{&cp})
}
