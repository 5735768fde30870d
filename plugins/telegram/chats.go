package telegram

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.ContactLister      = (*Session)(nil)
	_ sdk.ChatInfoer         = (*Session)(nil)
	_ sdk.ChatLister         = (*Session)(nil)
	_ sdk.ChatLimiter        = (*Session)(nil)
	_ sdk.IdentifierResolver = (*Session)(nil)
)

// contactOf is a user as a contact.
func contactOf(u *tg.User) *pb.Contact {
	c := &pb.Contact{UserId: userID(u.ID), Name: displayName(u), Username: u.Username, IsBot: u.Bot}
	if u.Phone != "" {
		c.Phone = "+" + u.Phone
	}
	if u.Status != nil {
		c.Presence = presenceOf(u.Status)
	}
	if p, ok := u.Photo.(*tg.UserProfilePhoto); ok {
		c.AvatarId = strconv.FormatInt(p.PhotoID, 10)
	}
	return c
}

// ContactList is the account's contacts and the people of its private
// chats (whom the user talks to without having them as contacts), but
// those the account blocked (contacts.getBlocked; when that fails, all).
// It is kept, for the changes Telegram tells later (contacts.go).
func (s *Session) ContactList(ctx context.Context) ([]*pb.Contact, error) {
	if s.bot != nil {
		return s.bot.ContactList(ctx)
	}
	api, _, err := s.client()
	if err != nil {
		return nil, err
	}
	blocked, err := s.blocked(ctx, api)
	if err != nil {
		s.n.log().Warn("telegram: the blocklist could not be read; blocked users are listed", "login", s.login.LoginID, "err", err)
	}
	var out []*pb.Contact
	listed := map[int64]listedAs{}
	users := map[string]*tg.User{} // as listed, for photosRemoved
	add := func(us []tg.UserClass, chat bool) {
		for _, uc := range us {
			u, ok := uc.(*tg.User)
			if !ok || u.ID == s.self || u.Deleted || blocked[u.ID] {
				continue
			}
			as, seen := listed[u.ID]
			as.contact, as.chat = as.contact || !chat, as.chat || chat
			listed[u.ID] = as
			if !seen {
				c := contactOf(u)
				out = append(out, c)
				users[c.UserId] = u
			}
		}
	}
	cs, err := api.ContactsGetContacts(ctx, 0)
	if err != nil {
		return nil, cmdErr("contacts", err)
	}
	if c, ok := cs.(*tg.ContactsContacts); ok {
		s.peers.add(c.Users, nil)
		add(c.Users, false)
	}
	d, err := s.dialogs(ctx, api)
	if err != nil {
		return nil, err
	}
	var dm []tg.UserClass
	for _, dl := range d.GetDialogs() {
		dlg, ok := dl.(*tg.Dialog)
		if !ok {
			continue
		}
		if p, ok := dlg.Peer.(*tg.PeerUser); ok {
			if u, ok := s.peers.user(p.UserID); ok {
				dm = append(dm, u)
			}
		}
	}
	add(dm, true)
	s.listing.set(listed)
	s.photosRemoved(out, users) // photoseen.go
	return out, nil
}

// ChatList is the account's groups and channels, newest activity first,
// each forum followed by its topics (topics.go).
func (s *Session) ChatList(ctx context.Context) ([]*pb.Chat, error) {
	if s.bot != nil {
		return s.bot.ChatList(ctx)
	}
	api, _, err := s.client()
	if err != nil {
		return nil, err
	}
	d, err := s.dialogs(ctx, api)
	if err != nil {
		return nil, err
	}
	dates := map[string]int{}
	for _, mc := range d.GetMessages() {
		if m, ok := mc.(interface {
			GetPeerID() tg.PeerClass
			GetDate() int
		}); ok {
			k := peerChatID(m.GetPeerID())
			if m.GetDate() > dates[k] {
				dates[k] = m.GetDate()
			}
		}
	}
	var out []*pb.Chat
	for _, dl := range d.GetDialogs() {
		dlg, ok := dl.(*tg.Dialog)
		if !ok {
			continue
		}
		id := peerChatID(dlg.Peer)
		c := s.chatOf(id)
		if c == nil {
			continue
		}
		c.LastActivityUnixMicro = int64(dates[id]) * 1e6
		out = append(out, c)
		if p, ok := dlg.Peer.(*tg.PeerChannel); ok && s.isForum(p.ChannelID) {
			out = append(out, s.forumTopics(ctx, api, c, p.ChannelID)...)
		}
	}
	return out, nil
}

// chatOf is a group or channel from the cache, without members; nil for
// a private chat or a chat the user left.
func (s *Session) chatOf(id string) *pb.Chat {
	kind, n, err := parsePeer(id)
	if err != nil {
		return nil
	}
	switch kind {
	case peerChat:
		c, ok := s.peers.chat(n)
		if !ok || c.Left || c.Deactivated {
			return nil
		}
		out := &pb.Chat{ChatId: id, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: c.Title, ReadOnly: !canPostChat(c)}
		setPicture(out, c.Photo) // admin.go
		return out
	case peerChannel:
		c, ok := s.peers.channel(n)
		if !ok || c.Left {
			return nil
		}
		out := &pb.Chat{ChatId: id, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: c.Title, ReadOnly: !canPost(c)}
		setPicture(out, c.Photo) // admin.go
		if c.Broadcast {
			out.Type = pb.ChatType_CHAT_TYPE_CHANNEL
		}
		return out
	}
	return nil
}

// canPost reports whether the user may post in a channel or supergroup:
// a channel's creator and admins with the right; in a supergroup its
// creator and admins, and members neither restricted themselves nor by
// the group's default rights ("members may not send messages").
func canPost(c *tg.Channel) bool {
	if c.Broadcast {
		return c.Creator || c.AdminRights.PostMessages
	}
	if c.Creator || isAdmin(c.AdminRights) {
		return true
	}
	return !restrictionNow(c.BannedRights, time.Now()).SendMessages && !c.DefaultBannedRights.SendMessages
}

// canPostChat is canPost for a basic group: its creator and admins, and
// members when its default rights let them send.
func canPostChat(c *tg.Chat) bool {
	return c.Creator || isAdmin(c.AdminRights) || !c.DefaultBannedRights.SendMessages
}

// isAdmin reports whether rights are an admin's: any right (a decoded
// object has its flags set; one made here may not).
func isAdmin(r tg.ChatAdminRights) bool {
	r.Flags = 0
	return r != (tg.ChatAdminRights{})
}

// readOnlyLimits: the user may read and react, not post (new each time:
// the SDK narrows the features it is given).
func readOnlyLimits() sdk.ChatLimits {
	return sdk.ChatLimits{ReadOnly: true, Features: &pb.Features{ReadReceipts: true, Reactions: true}}
}

// ChatLimits: a channel the user cannot post in is read-only, and so is
// a group whose default rights, or the user's own restriction, forbid
// members to send; otherwise a group's features are narrowed by the
// user's rights there (chatrights.go), a forum's topic by the forum's
// but for what is the forum's alone.
func (s *Session) ChatLimits(ctx context.Context, chat string) (sdk.ChatLimits, error) {
	if s.bot != nil {
		return s.bot.ChatLimits(ctx, chat)
	}
	forum, topic, err := splitTopic(chat)
	if err != nil {
		return sdk.ChatLimits{}, nil
	}
	kind, n, err := parsePeer(forum)
	if err != nil {
		return sdk.ChatLimits{}, nil
	}
	switch kind {
	case peerChat:
		if c, ok := s.peers.chat(n); ok && !canPostChat(c) {
			return readOnlyLimits(), nil
		}
	case peerChannel:
		if c, ok := s.peers.channel(n); ok && !canPost(c) {
			return readOnlyLimits(), nil
		}
		// A closed topic is for the forum's admins only; General too,
		// whose room is the forum's.
		if t, ok := s.topics.get(chat); topic != 0 && ok && t.closed && !s.mayPostClosed(n) {
			return readOnlyLimits(), nil
		}
		if topic == 0 && s.topics.generalClosed(chat) && s.isForum(n) && !s.mayPostClosed(n) {
			return readOnlyLimits(), nil
		}
	default:
		return sdk.ChatLimits{}, nil
	}
	f := s.rightsFeatures(kind, n)
	if topic != 0 && f != nil {
		narrowTopic(f)
	}
	return sdk.ChatLimits{Features: f}, nil
}

// narrowTopic leaves out of a topic's features what is its forum's, in
// the forum's room: leaving, the description, the picture, the timer.
// Renaming the topic is not change_info's but the topic's creator's and
// manage_topics': Telegram judges.
func narrowTopic(f *pb.Features) {
	f.LeaveChat, f.GroupTopic, f.GroupAvatar, f.ChatTimer = false, false, false, false
	f.GroupName = true
}

// MemberLimit bounds the members a supergroup's ChatInfo lists (the most
// recent ones), read memberPage at a time (Telegram gives at most 200 a
// request): a room of a big group shows its active part without asking
// Telegram dozens of times at each join. A group with more is told
// (membersCapped). BanLimit bounds its ban list (bans), far higher: an
// outcast left out may come back unseen, but a big public group's tens
// of thousands of bans, read again each time the list kept runs out
// (banTTL), would be a hundred requests and more, and FLOOD_WAIT. A
// group with more bans is told (bansCapped).
const (
	MemberLimit = 1000
	BanLimit    = 10000
	memberPage  = 200
)

// banLimit is BanLimit, atomic: a test lowers it while an earlier test's
// session may read it.
var banLimit atomic.Int64

func init() { banLimit.Store(BanLimit) }

// ChatInfo describes a chat (sdk.ChatInfoer): a group or channel with
// its members and topic (its description, "about"); a forum's topic as
// its forum, named after both; a person's chat as theirs. Each with its
// auto-delete timer (ttl_period of the full chat or user; none is off);
// its pinned messages only when asked (PinnedMessages: a search more).
func (s *Session) ChatInfo(ctx context.Context, chat string) (*pb.Chat, error) {
	if s.bot != nil {
		return s.bot.ChatInfo(ctx, chat)
	}
	out, _, err := s.chatInfoOf(ctx, chat)
	return out, err
}

// chatInfoOf is ChatInfo in user mode, with the message pinned last in
// the chat (pinned_msg_id; a topic's: 0), 0 for none.
func (s *Session) chatInfoOf(ctx context.Context, chat string) (*pb.Chat, int, error) {
	api, _, err := s.client()
	if err != nil {
		return nil, 0, err
	}
	forum, topic, err := splitTopic(chat)
	if err != nil {
		return nil, 0, err
	}
	if topic != 0 {
		return s.topicChatInfo(ctx, api, forum, topic)
	}
	return s.chatInfo(ctx, api, chat)
}

// PinnedMessages lists a chat's pinned messages (sdk.PinLister), for
// the user's "/pins": a search, so not in every ChatInfo (the gateway
// asks one of each group at each connect). They are in message order,
// oldest message first, not in the order they were pinned (pinnedIDs).
func (s *Session) PinnedMessages(ctx context.Context, chat string) ([]string, error) {
	if s.bot != nil {
		c, err := s.bot.ChatInfo(ctx, chat) // getChat's pinned_message, kept a while
		return c.GetPinnedIds(), err
	}
	_, last, err := s.chatInfoOf(ctx, chat)
	if err != nil {
		return nil, err
	}
	api, _, err := s.client()
	if err != nil {
		return nil, err
	}
	forum, topic, err := splitTopic(chat)
	if err != nil {
		return nil, err
	}
	return s.pinnedIDs(ctx, api, forum, topic, last), nil
}

// PinsMax bounds the pinned messages PinnedMessages lists: the newest
// messages pinned (not the latest pins), in pages of pinsPage, so that a
// chat with many pins costs a few requests, not one per hundred for ever.
const PinsMax = 500

// pinsPage is one messages.search's worth: Telegram answers at most 100.
const pinsPage = 100

// pinnedIDs are the messages pinned in chat (in topic when not 0), by
// messages.search with inputMessagesFilterPinned, in message order,
// oldest message first, as Telegram's apps list them. The contract's
// pinned_ids asks for the oldest pin first, but Telegram tells no pin's
// time: its search answers the pinned messages themselves, newest
// message first, and a message pinned long after it was sent is among
// them by its own place. The search is paged (offset_id, older than the
// page before) until it ends or PinsMax messages, the newest, are known.
// last is the chat's message pinned last (pinned_msg_id): none, and
// Telegram is not asked. What Telegram does not answer is logged and
// left at the pages answered, or at the last pin alone, which the chat's
// full info named (a topic's: none known).
func (s *Session) pinnedIDs(ctx context.Context, api *tg.Client, chat string, topic, last int) []string {
	if last == 0 {
		return nil
	}
	fallback := []string{strconv.Itoa(last)}
	if topic != 0 {
		fallback = nil
	}
	peer, err := s.inputPeer(ctx, api, chat)
	if err != nil {
		return fallback
	}
	var ids []int
	offset, answered := 0, false
	for len(ids) < PinsMax {
		req := &tg.MessagesSearchRequest{Peer: peer, Filter: &tg.InputMessagesFilterPinned{}, Limit: min(pinsPage, PinsMax-len(ids)), OffsetID: offset}
		if topic != 0 {
			req.SetTopMsgID(topic)
		}
		res, err := api.MessagesSearch(ctx, req)
		if err != nil {
			s.n.log().Warn("telegram: the pinned messages", "login", s.login.LoginID, "chat", chat, "err", err)
			break
		}
		mm, ok := res.AsModified()
		if !ok {
			break
		}
		answered = true
		page := 0
		for _, m := range mm.GetMessages() {
			if _, empty := m.(*tg.MessageEmpty); empty {
				continue
			}
			if id := m.GetID(); offset == 0 || id < offset {
				ids = append(ids, id)
				page++
			}
		}
		if _, all := res.(*tg.MessagesMessages); all || page == 0 {
			break // the whole list, or nothing older
		}
		if c, ok := res.(interface{ GetCount() int }); ok && len(ids) >= c.GetCount() {
			break
		}
		offset = slices.Min(ids)
	}
	if !answered {
		return fallback
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

// chatInfo is ChatInfo of a chat that is no topic, without its pins:
// last is the message pinned last (pinned_msg_id), 0 for none.
func (s *Session) chatInfo(ctx context.Context, api *tg.Client, chat string) (*pb.Chat, int, error) {
	kind, n, err := parsePeer(chat)
	if err != nil {
		return nil, 0, err
	}
	switch kind {
	case peerUser:
		peer, err := s.inputPeer(ctx, api, chat)
		if err != nil {
			return nil, 0, err
		}
		pu, ok := peer.(*tg.InputPeerUser)
		if !ok {
			return nil, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %q is no user", chat)
		}
		full, err := api.UsersGetFullUser(ctx, &tg.InputUser{UserID: pu.UserID, AccessHash: pu.AccessHash})
		if err != nil {
			return nil, 0, cmdErr("chat info", err)
		}
		s.peers.add(full.Users, full.Chats)
		out := &pb.Chat{ChatId: chat, Type: pb.ChatType_CHAT_TYPE_DIRECT, Name: s.peers.name(n),
			Timer: &pb.ChatTimer{Seconds: int64(full.FullUser.TTLPeriod)}}
		return out, full.FullUser.PinnedMsgID, nil
	case peerChat:
		full, err := api.MessagesGetFullChat(ctx, n)
		if err != nil {
			return nil, 0, cmdErr("group info", err)
		}
		s.peers.add(full.Users, full.Chats)
		out := s.chatOf(chat)
		if out == nil {
			return nil, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: you are not in %s", chat)
		}
		cf, ok := full.FullChat.(*tg.ChatFull)
		if !ok {
			return out, 0, nil
		}
		out.Topic = cf.About
		out.InviteLink = inviteLink("", cf.ExportedInvite)
		out.Timer = &pb.ChatTimer{Seconds: int64(cf.TTLPeriod)}
		s.pendingAtInfo(chat, cf.RequestsPending) // joinrequests.go
		// Members may not send: every one but the admins is a visitor.
		muted := false
		if c, ok := s.peers.chat(n); ok {
			muted = c.DefaultBannedRights.SendMessages
		}
		if ps, ok := cf.Participants.(*tg.ChatParticipants); ok {
			for _, p := range ps.Participants {
				m := s.member(userID(p.GetUserID()))
				switch p.(type) {
				case *tg.ChatParticipantCreator:
					m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR
				case *tg.ChatParticipantAdmin:
					m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
				default:
					if muted {
						m.Role = pb.Role_ROLE_VISITOR
					}
				}
				out.Members = append(out.Members, m)
			}
		}
		return out, cf.PinnedMsgID, nil
	}
	ch, err := s.peers.inputChannel(n)
	if err != nil {
		return nil, 0, err
	}
	full, err := api.ChannelsGetFullChannel(ctx, ch)
	if err != nil {
		return nil, 0, cmdErr("group info", err)
	}
	s.peers.add(full.Users, full.Chats)
	out := s.chatOf(chat)
	if out == nil {
		return nil, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: you are not in %s", chat)
	}
	c, known := s.peers.channel(n)
	last := 0
	if cf, ok := full.FullChat.(*tg.ChannelFull); ok {
		out.Topic = cf.About
		out.InviteLink = inviteLink(channelUsername(c), cf.ExportedInvite)
		out.Timer = &pb.ChatTimer{Seconds: int64(cf.TTLPeriod)}
		last = cf.PinnedMsgID
		s.pendingAtInfo(chat, cf.RequestsPending) // joinrequests.go
	}
	self := s.member(userID(s.self))
	if known {
		switch {
		case c.Creator:
			self.Affiliation, self.Role = pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR
		case c.AdminRights.Flags != 0:
			self.Affiliation, self.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		case out.ReadOnly && c.Broadcast:
			self.Affiliation, self.Role = pb.Affiliation_AFFILIATION_NONE, pb.Role_ROLE_VISITOR
		case out.ReadOnly:
			self.Role = pb.Role_ROLE_VISITOR // a member who may not send
		}
	}
	mayBan := known && (c.Creator || c.AdminRights.BanUsers)
	if out.Type == pb.ChatType_CHAT_TYPE_CHANNEL {
		// A channel's readers are not listed: the user alone, and whom
		// the channel bans.
		out.Members = []*pb.Member{self}
		if mayBan {
			out.Members = append(out.Members, s.banned(ctx, api, out, n, ch)...)
		}
		return out, last, nil
	}
	// Members may not send (the group's default rights): every one but
	// the admins is a visitor.
	muted := known && c.DefaultBannedRights.SendMessages
	ps, count, err := s.participants(ctx, api, ch, &tg.ChannelParticipantsRecent{}, MemberLimit)
	if err != nil {
		return nil, 0, cmdErr("members", err)
	}
	if len(ps) >= MemberLimit && count > len(ps) {
		s.membersCapped(out, len(ps), count) // memberlimit.go
	}
	hasSelf := false
	for _, p := range ps {
		var m *pb.Member
		switch p := p.(type) {
		case *tg.ChannelParticipant:
			m = s.member(userID(p.UserID))
			if muted {
				m.Role = pb.Role_ROLE_VISITOR
			}
		case *tg.ChannelParticipantSelf:
			m = s.member(userID(p.UserID))
			if out.ReadOnly {
				m.Role = pb.Role_ROLE_VISITOR
			}
		case *tg.ChannelParticipantCreator:
			m = s.member(userID(p.UserID))
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR
		case *tg.ChannelParticipantAdmin:
			m = s.member(userID(p.UserID))
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		case *tg.ChannelParticipantBanned:
			// A restricted member, still in the group: one who may not
			// send is a visitor.
			if u, ok := p.Peer.(*tg.PeerUser); ok && !p.Left && !p.BannedRights.ViewMessages {
				m = s.member(userID(u.UserID))
				if p.BannedRights.SendMessages {
					m.Role = pb.Role_ROLE_VISITOR
				}
			}
		}
		if m != nil {
			hasSelf = hasSelf || m.IsSelf
			out.Members = append(out.Members, m)
		}
	}
	if !hasSelf {
		out.Members = append(out.Members, self)
	}
	if mayBan { // once the members are read: no list asked for nothing
		out.Members = append(out.Members, s.banned(ctx, api, out, n, ch)...)
	}
	return out, last, nil
}

// bans are the people banned from a supergroup or channel (its "removed
// users"), as outcasts: the room's ban list, which the gateway has from
// the full member list alone. Telegram shows them to the creator and to
// admins with the ban_users right only (CHAT_ADMIN_REQUIRED otherwise).
// Only a ban (view_messages) makes an outcast: a restricted member, who
// may read but not write, is in the group. Read a page at a time up to
// banLimit (before, up to MemberLimit: an outcast past it was missing
// from the room's ban list, TestBanListPastThousand; then to the end,
// however long), group told when it has more (TestBanLimitNotice);
// ChatInfo asks banned (bancache.go), which keeps them a while.
func (s *Session) bans(ctx context.Context, api *tg.Client, group *pb.Chat, ch tg.InputChannelClass) ([]*pb.Member, error) {
	limit := int(banLimit.Load())
	ps, count, err := s.participants(ctx, api, ch, &tg.ChannelParticipantsKicked{}, limit)
	if err != nil {
		return nil, err
	}
	if len(ps) >= limit && count > len(ps) {
		s.bansCapped(group, len(ps), count) // memberlimit.go
	}
	var out []*pb.Member
	for _, p := range ps {
		b, ok := p.(*tg.ChannelParticipantBanned)
		if !ok || !b.BannedRights.ViewMessages {
			continue
		}
		if u, ok := b.Peer.(*tg.PeerUser); ok {
			m := s.member(userID(u.UserID))
			m.Affiliation = pb.Affiliation_AFFILIATION_OUTCAST
			out = append(out, m)
		}
	}
	return out, nil
}

// inviteLink is the link others join a group by, when the user may
// share one: a public group's t.me/name, which anyone may pass on, else
// the link Telegram exported for the group, which it gives only an
// admin with the right to invite. None is made here: exportChatInvite
// would add a new link at each ask.
func inviteLink(public string, exported tg.ExportedChatInviteClass) string {
	if public != "" {
		return "https://t.me/" + public
	}
	if inv, ok := exported.(*tg.ChatInviteExported); ok && !inv.Revoked {
		return inv.Link
	}
	return ""
}

// channelUsername is a channel's public username: its own, or else the first
// active one of its collectible usernames; "" for a private channel (or
// none known).
func channelUsername(c *tg.Channel) string {
	if c == nil {
		return ""
	}
	if c.Username != "" {
		return c.Username
	}
	for _, u := range c.Usernames {
		if u.Active {
			return u.Username
		}
	}
	return ""
}

// participants reads the participants of a supergroup or channel that
// filter chooses (the most recent members, the banned...), page after
// page, up to limit (0: to the end), and how many Telegram counts.
func (s *Session) participants(ctx context.Context, api *tg.Client, ch tg.InputChannelClass, filter tg.ChannelParticipantsFilterClass, limit int) ([]tg.ChannelParticipantClass, int, error) {
	var all []tg.ChannelParticipantClass
	count := 0
	for limit == 0 || len(all) < limit {
		n := memberPage
		if limit > 0 {
			n = min(n, limit-len(all))
		}
		res, err := api.ChannelsGetParticipants(ctx, &tg.ChannelsGetParticipantsRequest{Channel: ch, Filter: filter, Offset: len(all), Limit: n})
		if err != nil {
			return nil, 0, err
		}
		ps, ok := res.(*tg.ChannelsChannelParticipants)
		if !ok {
			break
		}
		s.peers.add(ps.Users, ps.Chats)
		all = append(all, ps.Participants...)
		count = ps.Count
		if len(ps.Participants) < n || len(all) >= ps.Count {
			break
		}
	}
	return all, count, nil
}

// ResolveIdentifier finds a user by @username or phone number; create
// adds a phone number to the account's contacts. A user ID the session
// has seen (a contact, a member of one of the user's groups) is that
// user: the gateway asks with the IDs of its addresses, which would
// otherwise read as phone numbers.
func (s *Session) ResolveIdentifier(ctx context.Context, ident string, create bool) (*pb.Contact, error) {
	if s.bot != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot look people up; they must write to it first")
	}
	api, _, err := s.client()
	if err != nil {
		return nil, err
	}
	ident = strings.TrimSpace(ident)
	if kind, id, err := parsePeer(ident); err == nil && kind == peerUser {
		if u, ok := s.peers.user(id); ok {
			return contactOf(u), nil
		}
	}
	if phone, ok := normalPhone(ident); ok && !strings.HasPrefix(ident, "@") {
		if create {
			res, err := api.ContactsImportContacts(ctx, []tg.InputPhoneContact{{ClientID: randomID(), Phone: phone, FirstName: phone}})
			if err != nil {
				return nil, cmdErr("add contact", err)
			}
			s.peers.add(res.Users, nil)
			for _, uc := range res.Users {
				if u, ok := uc.(*tg.User); ok {
					return contactOf(u), nil
				}
			}
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s has no Telegram account", phone)
		}
		res, err := api.ContactsResolvePhone(ctx, strings.TrimPrefix(phone, "+"))
		if err != nil {
			return nil, cmdErr("find "+phone, err)
		}
		return s.resolved(res)
	}
	name := strings.TrimPrefix(ident, "@")
	if name == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: give a phone number or an @username")
	}
	res, err := api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: name})
	if err != nil {
		return nil, cmdErr("find @"+name, err)
	}
	return s.resolved(res)
}

func (s *Session) resolved(res *tg.ContactsResolvedPeer) (*pb.Contact, error) {
	s.peers.add(res.Users, res.Chats)
	if p, ok := res.Peer.(*tg.PeerUser); ok {
		if u, ok := s.peers.user(p.UserID); ok {
			return contactOf(u), nil
		}
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: that is a group or channel, not a person")
}
