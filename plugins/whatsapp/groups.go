package whatsapp

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"passerelle.im/passerelle/plugins/picture"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Groups are rooms: the group JID is the chat ID, its participants the
// members (super admin: owner; admin: admin), its description the topic.
// An announcement group (only admins post), a community's too, is
// read-only for the others; what else only admins may do there is the
// chat's features (groupfeatures.go). A community is no room
// (community.go).

// chatOf is the contract's chat of a group. Not under s.mu.
func (s *Session) chatOf(g *types.GroupInfo) *pb.Chat {
	c := &pb.Chat{ChatId: g.JID.ToNonAD().String(), Type: pb.ChatType_CHAT_TYPE_GROUP, Name: s.roomName(g), Topic: g.Topic}
	if !g.TopicSetBy.IsEmpty() {
		c.TopicSetterId = s.ids.userID(preferPN(g.TopicSetBy, g.TopicSetByPN))
	}
	if !g.TopicSetAt.IsZero() {
		c.TopicUnixMicro = g.TopicSetAt.UnixMicro()
	}
	selfAdmin := false
	for _, p := range g.Participants {
		if notAdded(p) {
			continue // refused at the group's creation: not in it
		}
		m := s.memberOf(p)
		if s.isSelf(p) {
			m.IsSelf, m.UserId = true, s.login.LoginID
			selfAdmin = p.IsAdmin || p.IsSuperAdmin
		}
		c.Members = append(c.Members, m)
	}
	if adminsPost(g) && !selfAdmin || g.Suspended {
		// A suspended group takes no one's messages, admins' neither.
		c.ReadOnly = true
	}
	c.Features = groupFeatures(g, selfAdmin)
	return c
}

// adminsPost says whether only g's admins post in it: an announcement
// group, or a community's, whose admins alone post by design.
func adminsPost(g *types.GroupInfo) bool { return g.IsAnnounce || g.IsDefaultSubGroup }

// isSelf says whether p is the user, by phone number or LID.
func (s *Session) isSelf(p types.GroupParticipant) bool {
	own := s.ownJID()
	var ownLID types.JID
	if s.d != nil && s.d.dev != nil {
		ownLID = s.d.dev.LID
	}
	return p.JID.User == own.User || p.PhoneNumber.User == own.User || (!ownLID.IsEmpty() && p.LID.User == ownLID.User)
}

// isSelfAdmin says whether the user is an admin of g.
func (s *Session) isSelfAdmin(g *types.GroupInfo) bool {
	for _, p := range g.Participants {
		if s.isSelf(p) {
			return p.IsAdmin || p.IsSuperAdmin
		}
	}
	return false
}

// ChatLimits makes an announcement group (only admins post; a
// community's too) read-only for a user who is not an admin, and keeps
// from them what the group's settings keep for its admins
// (groupFeatures), from the groups known so far; a group not known yet
// is the network's. A channel is read-only unless the user administers
// it, as last described (channelsend.go).
func (s *Session) ChatLimits(_ context.Context, chatID string) (sdk.ChatLimits, error) {
	jid, err := parseChatID(chatID)
	if err == nil && isChannel(jid) {
		return s.channelLimits(jid.ToNonAD()), nil // channelsend.go
	}
	if err != nil || jid.Server != types.GroupServer {
		return sdk.ChatLimits{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[jid]
	if g == nil {
		return sdk.ChatLimits{}, nil
	}
	admin := s.isSelfAdmin(g)
	return sdk.ChatLimits{Features: groupFeatures(g, admin), ReadOnly: adminsPost(g) && !admin}, nil
}

// preferPN is the phone JID when given beside a LID.
func preferPN(jid, pn types.JID) types.JID {
	if jid.Server == types.HiddenUserServer && !pn.IsEmpty() {
		return pn
	}
	return jid
}

// memberOf is a participant as a member, with their nick (nickOf).
func (s *Session) memberOf(p types.GroupParticipant) *pb.Member {
	jid := p.JID
	if !p.PhoneNumber.IsEmpty() {
		if !p.LID.IsEmpty() {
			s.ids.learn(p.LID, p.PhoneNumber)
		}
		jid = p.PhoneNumber
	}
	nick := p.DisplayName
	if nick == "" && !s.isSelf(p) { // the user's own nick is the room's (SetNick)
		nick = nickOf(p, s.person(context.Background(), participantJIDs(p)...))
	}
	m := &pb.Member{UserId: s.ids.userID(jid.ToNonAD()), Nick: nick}
	switch {
	case p.IsSuperAdmin:
		m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_OWNER, pb.Role_ROLE_MODERATOR
	case p.IsAdmin:
		m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
	}
	return m
}

// group is the group's info, from WhatsApp (cached for member events).
func (s *Session) group(ctx context.Context, jid types.JID) (*types.GroupInfo, error) {
	g, err := s.d.cli.GetGroupInfo(ctx, jid)
	if err != nil {
		return nil, s.sendErr("group "+jid.String(), err)
	}
	s.cacheGroup(jid, g)
	s.groupTimers(g)
	return g, nil
}

// cacheGroup keeps a copy of g as group jid's: the cached group is
// changed under s.mu as notifications come, while the caller reads g,
// its own, outside it.
func (s *Session) cacheGroup(jid types.JID, g *types.GroupInfo) {
	cp := cloneGroup(g)
	s.mu.Lock()
	s.groups[jid] = cp
	s.mu.Unlock()
}

// cloneGroup is a copy of g with its participants its own.
func cloneGroup(g *types.GroupInfo) *types.GroupInfo {
	cp := *g
	cp.Participants = slices.Clone(g.Participants)
	return &cp
}

// groupJID is the chat ID of a group, or NOT_FOUND.
func groupJID(chatID string) (types.JID, error) {
	jid, err := parseChatID(chatID)
	if err != nil {
		return jid, err
	}
	if jid.Server != types.GroupServer {
		return jid, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %q is not a group", chatID)
	}
	return jid, nil
}

// ChatInfo describes a group, or a direct chat briefly, with the chat's
// disappearing-messages timer and the messages pinned in it now
// (pinstate.go). A group's timer is its info's; a direct chat's the one
// the plugin keeps (disappearing.go), unset when it knows none. A
// community is none: NOT_FOUND. When WhatsApp cannot be asked (not
// connected, no answer), a group the user is in as last known is
// described from what the plugin keeps (knownGroup).
func (s *Session) ChatInfo(ctx context.Context, chatID string) (*pb.Chat, error) {
	jid, err := parseChatID(chatID)
	if err != nil {
		return nil, err
	}
	if isChannel(jid) {
		return s.channelInfo(ctx, jid.ToNonAD()) // channels.go
	}
	if jid.Server != types.GroupServer {
		c := &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_DIRECT}
		key := chatIDOf(s.ids, jid.ToNonAD())
		if t, ok := s.timers.lookup(key); ok {
			c.Timer = &pb.ChatTimer{Seconds: int64(t.Secs)}
		}
		c.PinnedIds, c.PinsSeenOnly = s.pins.pinned(key, now()), true
		return c, nil
	}
	known := s.knownGroup(jid)
	gctx := ctx
	if known != nil {
		// Not long: past it, what is kept answers while the host still
		// waits (an IQ WhatsApp does not answer waits 75 s).
		var cancel context.CancelFunc
		gctx, cancel = context.WithTimeout(ctx, groupReadWait())
		defer cancel()
	}
	g, err := s.group(gctx, jid)
	if err != nil {
		switch code := sdk.ToProto(err).GetCode(); {
		case known != nil && (code == pb.ErrorCode_ERROR_CODE_UNAVAILABLE || code == pb.ErrorCode_ERROR_CODE_RATE_LIMITED):
			s.log.Info("group described from what the plugin keeps: WhatsApp could not be asked", "group", jid, "err", err)
			return known, nil
		case code == pb.ErrorCode_ERROR_CODE_NOT_FOUND || code == pb.ErrorCode_ERROR_CODE_NOT_ALLOWED:
			// No such group, or the user is not in it: what was kept of
			// it describes it offline no more. A community stays: its
			// groups' rooms are named after it (community.go).
			s.mu.Lock()
			if g := s.groups[jid]; g != nil && !g.IsParent {
				delete(s.groups, jid)
			}
			s.mu.Unlock()
		}
		return nil, err
	}
	if g.IsParent {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %s is a WhatsApp community, not a chat: its groups are rooms of their own", chatID)
	}
	s.learnCommunity(ctx, g)
	c := s.chatOf(g)
	c.InviteLink = s.inviteLink(ctx, g)
	c.Timer = &pb.ChatTimer{}
	if g.IsEphemeral {
		c.Timer.Seconds = int64(g.DisappearingTimer)
	}
	c.PinnedIds, c.PinsSeenOnly = s.pins.pinned(c.ChatId, now()), true
	return c, nil
}

// cachedGroup is a copy of group jid's info as cached (its participants
// its own), read outside the session's lock; false when none is.
func (s *Session) cachedGroup(jid types.JID) (types.GroupInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[jid]
	if g == nil {
		return types.GroupInfo{}, false
	}
	return *cloneGroup(g), true
}

// groupReadWait bounds ChatInfo's query of a group the plugin keeps
// (knownGroup): past it, WhatsApp not answering, what is kept answers.
func groupReadWait() time.Duration { return time.Duration(groupReadWaitNS.Load()) }

// groupReadWaitNS is groupReadWait, atomic: a test shortens it while
// background work of a session (a channel catch-up) may read it.
var groupReadWaitNS atomic.Int64

func init() { groupReadWaitNS.Store(int64(10 * time.Second)) }

// knownGroup describes group jid from what the plugin keeps, for when
// WhatsApp cannot be asked (UNAVAILABLE: not connected, no answer, a
// server error; or RATE_LIMITED), not when it refuses: the group's last
// known info (name, subject, members, who may post), its timer and the
// messages pinned in it, so that "/pins" (and "/timer") answer while the
// phone or WhatsApp is out of reach; marked stale, so that the gateway
// says so. No invite link: the plugin keeps none (stale, the gateway
// takes that for "not known", not "none"). nil when the user is in no
// group jid as last known (a group not seen since the start, or left).
func (s *Session) knownGroup(jid types.JID) *pb.Chat {
	cp, ok := s.cachedGroup(jid)
	if !ok || cp.IsParent || !slices.ContainsFunc(cp.Participants, s.isSelf) {
		return nil
	}
	c := s.chatOf(&cp)
	// The timer as kept since (a change in the chat updates it), else
	// the group's last known info's.
	c.Timer = &pb.ChatTimer{}
	if t, ok := s.timers.lookup(c.ChatId); ok {
		c.Timer.Seconds = int64(t.Secs)
	} else if cp.IsEphemeral {
		c.Timer.Seconds = int64(cp.DisappearingTimer)
	}
	c.PinnedIds, c.PinsSeenOnly = s.pins.pinned(c.ChatId, now()), true
	c.Stale = true
	return c
}

// inviteLink is g's invitation link when the user may share it (an admin,
// or anyone in a group whose members may add others), else "". It costs
// an IQ, so ChatInfo asks and ChatList does not. A refusal or another
// error leaves it empty, logged at debug: the rest of the answer stands.
func (s *Session) inviteLink(ctx context.Context, g *types.GroupInfo) string {
	if !s.mayShareLink(g) {
		return ""
	}
	link, err := s.d.cli.GetGroupInviteLink(ctx, g.JID, false)
	if err != nil {
		s.log.Debug("group invitation link not read", "group", g.JID, "err", err)
		return ""
	}
	return link
}

// mayShareLink says whether WhatsApp should let the user share g's link:
// its admins may; its members, we take it, when they may add others
// (member add mode all_member_add), the setting WhatsApp's apps tie
// "invite via link" to. Wrong there, WhatsApp refuses (401) and the link
// is empty all the same.
func (s *Session) mayShareLink(g *types.GroupInfo) bool {
	if g.MemberAddMode == types.GroupMemberAddModeAllMember {
		return true
	}
	for _, p := range g.Participants {
		if s.isSelf(p) {
			return p.IsAdmin || p.IsSuperAdmin
		}
	}
	return false
}

// ChatList is the groups the user is in, then the channels they follow
// (channels.go); the communities among the groups (parent groups, with
// no messages of their own) are no chats, their groups named after them.
func (s *Session) ChatList(ctx context.Context) ([]*pb.Chat, error) {
	gs, err := s.d.cli.GetJoinedGroups(ctx)
	if err != nil {
		return nil, s.sendErr("list groups", err)
	}
	out := make([]*pb.Chat, 0, len(gs))
	for _, g := range gs {
		s.cacheGroup(g.JID, g)
	}
	s.groupTimers(gs...)
	for _, g := range gs {
		if g.IsParent {
			s.log.Debug("community not offered as a room: its groups are", "community", g.JID, "name", g.Name)
			continue
		}
		s.learnCommunity(ctx, g)
		out = append(out, s.chatOf(g))
	}
	return append(out, s.channelList(ctx)...), nil
}

// LeaveChat leaves a group, or stops following a channel
// (channelfollow.go).
func (s *Session) LeaveChat(ctx context.Context, c sdk.Call) error {
	s.typingKeeper().Stop(c.ChatID)
	if ch, err := parseChatID(c.ChatID); err == nil && isChannel(ch) {
		return s.unfollowChannel(ctx, ch.ToNonAD())
	}
	jid, err := groupJID(c.ChatID)
	if err != nil {
		return err
	}
	if err := s.d.cli.LeaveGroup(ctx, jid); err != nil {
		return s.sendErr("leave", err)
	}
	return nil
}

// SetTopic sets a group's description.
func (s *Session) SetTopic(ctx context.Context, c sdk.Call, topic string) error {
	jid, err := groupJID(c.ChatID)
	if err != nil {
		return err
	}
	prev := ""
	s.mu.Lock()
	if g := s.groups[jid]; g != nil {
		prev = g.TopicID
	}
	s.mu.Unlock()
	if err := s.d.cli.SetGroupTopic(ctx, jid, prev, "", topic); err != nil {
		return s.sendErr("set the topic", err)
	}
	return nil
}

// SetChatName renames a group; in a community, the community's name
// before the group's, as its room shows it, is no part of it.
func (s *Session) SetChatName(ctx context.Context, c sdk.Call, name string) error {
	jid, err := groupJID(c.ChatID)
	if err != nil {
		return err
	}
	if err := s.d.cli.SetGroupName(ctx, jid, s.ownName(jid, name)); err != nil {
		return s.sendErr("rename", err)
	}
	return nil
}

// groupPhotoSide is the side of the square JPEG a picture (a group's or
// the user's own) is sent as: WhatsApp's apps send 640 by 640 (whatsmeow: "should be a
// square (e.g. 640x640)").
const groupPhotoSide = 640

// SetChatAvatar sets the group's picture, or removes it, as an admin
// does from the apps (anyone, unless the group lets only admins edit
// its info). WhatsApp tells the other members; the room hears of it
// here, with the picture's new ID, which makes the gateway fetch it.
func (s *Session) SetChatAvatar(ctx context.Context, c sdk.Call, a *pb.SetChatAvatar) error {
	jid, err := groupJID(c.ChatID)
	if err != nil {
		return err
	}
	id, err := s.setPhoto(ctx, jid, a.Data, "the group's picture")
	if err != nil {
		return err
	}
	s.groupPictureChanged(&events.Picture{JID: jid, Remove: len(a.Data) == 0, PictureID: id, Timestamp: time.Now()})
	return nil
}

// setPhoto sets a group's picture, or the user's own with an empty jid
// (whatsmeow's SetGroupPhoto does both), as the square JPEG the apps
// send; no data removes it. It returns the picture's new ID.
func (s *Session) setPhoto(ctx context.Context, jid types.JID, data []byte, what string) (string, error) {
	var img []byte
	if len(data) > 0 {
		var err error
		if img, err = picture.JPEG(data, groupPhotoSide, true); err != nil {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %s: %v", what, err)
		}
	}
	id, err := s.d.cli.SetGroupPhoto(ctx, jid, img)
	switch {
	case errors.Is(err, whatsmeow.ErrInvalidImageFormat):
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: WhatsApp refused the picture: %v", err)
	case err != nil:
		return "", s.sendErr("set "+what, err)
	}
	return id, nil
}

// participants changes one member of a group.
func (s *Session) participants(ctx context.Context, chatID, userID string, action whatsmeow.ParticipantChange) error {
	jid, err := groupJID(chatID)
	if err != nil {
		return err
	}
	user, err := parseUserID(userID)
	if err != nil {
		return err
	}
	if _, err := s.d.cli.UpdateGroupParticipants(ctx, jid, []types.JID{user}, action); err != nil {
		return s.sendErr(string(action)+" "+userID, err)
	}
	return nil
}

// Invite adds someone to a group. WhatsApp answers with a refusal
// rather than fail: someone whose privacy settings let only an
// invitation through is sent the one WhatsApp offers (groupinvite.go),
// and the room says so; any other refusal (but 409, in it already) is
// the command's error. Someone asking to join the group has their
// request approved instead (joinrequests.go).
func (s *Session) Invite(ctx context.Context, c sdk.Call, userID string) error {
	jid, err := groupJID(c.ChatID)
	if err != nil {
		return err
	}
	user, err := parseUserID(userID)
	if err != nil {
		return err
	}
	if handled, err := s.answerRequest(ctx, c.ChatID, jid, user, userID, whatsmeow.ParticipantChangeApprove); handled {
		return err // someone asking to join: approved (joinrequests.go)
	}
	ps, err := s.d.cli.UpdateGroupParticipants(ctx, jid, []types.JID{user}, whatsmeow.ParticipantChangeAdd)
	if err != nil {
		return s.sendErr("add "+userID, err)
	}
	name := ""
	if slices.ContainsFunc(ps, invitable) {
		name = s.groupName(ctx, jid)
	}
	rs := s.inviteRefused(ctx, jid, name, ps)
	for _, r := range rs {
		if r.until.IsZero() {
			code := pb.ErrorCode_ERROR_CODE_NOT_ALLOWED
			var se *sdk.Error
			if errors.As(r.sendErr, &se) {
				code = se.Code
			}
			return sdk.Errorf(code, "whatsapp: %s", refusalText(rs))
		}
	}
	s.tellRoom(c.ChatID, refusalText(rs))
	return nil
}

// groupName is a group's name, as last seen or else as WhatsApp has it;
// "" when neither knows it.
func (s *Session) groupName(ctx context.Context, jid types.JID) string {
	if g, ok := s.cachedGroup(jid); ok {
		return g.Name
	}
	if g, err := s.group(ctx, jid); err == nil {
		return g.Name
	}
	return ""
}

// Kick removes someone (WhatsApp has no ban: a ban is a removal), or
// rejects their request to join (joinrequests.go).
func (s *Session) Kick(ctx context.Context, c sdk.Call, k *pb.Kick) error {
	return s.remove(ctx, c.ChatID, k.UserId)
}

// remove removes userID from a group, or rejects their request to join
// it when they asked and are not in it.
func (s *Session) remove(ctx context.Context, chatID, userID string) error {
	jid, err := groupJID(chatID)
	if err != nil {
		return err
	}
	user, err := parseUserID(userID)
	if err != nil {
		return err
	}
	if handled, err := s.answerRequest(ctx, chatID, jid, user, userID, whatsmeow.ParticipantChangeReject); handled {
		return err
	}
	return s.participants(ctx, chatID, userID, whatsmeow.ParticipantChangeRemove)
}

// SetRole makes someone an admin (admin, owner, moderator) or not.
// WhatsApp cannot mute one member (only an admin setting lets no one
// but admins send, for all): a visitor is refused, the member untouched.
func (s *Session) SetRole(ctx context.Context, c sdk.Call, r *pb.SetRole) error {
	if r.Role == pb.Role_ROLE_VISITOR && r.Affiliation != pb.Affiliation_AFFILIATION_NONE && r.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "whatsapp: WhatsApp cannot mute one member of a group (a group's setting lets only admins send, for everyone): the member is left as they were")
	}
	action := whatsmeow.ParticipantChangeDemote
	if r.Affiliation == pb.Affiliation_AFFILIATION_ADMIN || r.Affiliation == pb.Affiliation_AFFILIATION_OWNER || r.Role == pb.Role_ROLE_MODERATOR {
		action = whatsmeow.ParticipantChangePromote
	}
	if r.Affiliation == pb.Affiliation_AFFILIATION_NONE || r.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
		return s.remove(ctx, c.ChatID, r.UserId)
	}
	return s.participants(ctx, c.ChatID, r.UserId, action)
}

// joinedGroup announces a group the user is now in. A community is no
// room: its groups already announced are, named after it.
func (s *Session) joinedGroup(e *events.JoinedGroup) {
	g := e.GroupInfo
	s.mu.Lock()
	s.groups[g.JID] = cloneGroup(&g)
	var subs []types.JID
	if g.IsParent {
		subs = s.subGroupsLocked(g.JID)
	}
	s.mu.Unlock()
	if g.IsParent {
		s.log.Debug("community joined, not offered as a room: its groups are", "community", g.JID, "name", g.Name)
		for _, ev := range s.roomEvents(subs, &pb.Sender{}, time.Now().UnixMicro()) {
			s.emit(ev)
		}
		return
	}
	// Bounded: whatsmeow waits for this handler before its next event.
	ctx, cancel := context.WithTimeout(context.Background(), groupReadWait())
	defer cancel()
	s.learnCommunity(ctx, &g)
	s.groupTimers(&g)
	s.emit(&pb.Event{ChatId: g.JID.ToNonAD().String(), ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: s.chatOf(&g)}}})
}

// groupEvents converts a change of a group into contract events: name
// or community (a new ChatEvent), topic, joins, leaves (a leave by
// someone else is a kick), promotions and demotions, deletion. A
// community's changes are its groups' (communityEvents).
func (s *Session) groupEvents(e *events.GroupInfo) []*pb.Event {
	chat := e.JID.ToNonAD().String()
	by := &pb.Sender{}
	if e.Sender != nil {
		by.UserId = s.ids.userID(preferPN(*e.Sender, ptrJID(e.SenderPN)).ToNonAD())
	}
	if out, ok := s.communityEvents(e, by); ok {
		return out
	}
	at := e.Timestamp.UnixMicro()
	ev := func(snd *pb.Sender, set func(*pb.Event)) *pb.Event {
		e := &pb.Event{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: snd, TimestampUnixMicro: at}
		set(e)
		return e
	}
	member := func(kind pb.MemberEvent_Kind, jid types.JID, snd *pb.Sender, aff pb.Affiliation, role pb.Role) *pb.Event {
		id := s.ids.userID(jid.ToNonAD())
		// A group addressed by LID names the user by their own LID.
		self := s.isOwn(jid)
		if self {
			id = s.login.LoginID
		}
		if snd == nil {
			snd = &pb.Sender{UserId: id}
		}
		m := &pb.Member{UserId: id, IsSelf: self, Affiliation: aff, Role: role}
		if kind == pb.MemberEvent_KIND_JOINED && !self {
			m.Nick = nickOf(types.GroupParticipant{}, s.person(context.Background(), jid)) // names.go
		}
		return ev(snd, func(e *pb.Event) {
			e.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: m}}
		})
	}
	var out []*pb.Event
	linked := s.parentLinked(e)
	if e.Name != nil || linked {
		s.mu.Lock()
		g := s.groups[e.JID]
		var cp types.GroupInfo
		if g != nil {
			if e.Name != nil {
				g.Name = e.Name.Name
			}
			cp = *g
			cp.Participants = slices.Clone(g.Participants)
			// Changed by the same notification (kept below).
			applySettings(&cp, e)
		}
		s.mu.Unlock()
		var c *pb.Chat
		switch {
		case g != nil:
			c = s.chatOf(&cp)
		case e.Name != nil:
			c = s.unreadGroup(e.JID.ToNonAD(), e.Name.Name)
		}
		if c != nil {
			out = append(out, ev(by, func(e *pb.Event) { e.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}} }))
		}
	}
	if e.Topic != nil {
		topic := e.Topic.Topic
		if e.Topic.TopicDeleted {
			topic = ""
		}
		snd := by
		if !e.Topic.TopicSetBy.IsEmpty() {
			snd = &pb.Sender{UserId: s.ids.userID(preferPN(e.Topic.TopicSetBy, e.Topic.TopicSetByPN).ToNonAD())}
		}
		out = append(out, ev(snd, func(e *pb.Event) { e.Payload = &pb.Event_Topic{Topic: &pb.TopicEvent{Topic: topic}} }))
	}
	if tev := s.groupTimerEvent(e, by); tev != nil { // disappearing.go
		out = append(out, tev)
	}
	out = append(out, s.groupNotices(e, by)...) // groupnotices.go: before the cache takes e
	for _, j := range e.Join {
		out = append(out, member(pb.MemberEvent_KIND_JOINED, j, nil, pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT))
	}
	for _, j := range e.Leave {
		self := e.Sender == nil || e.Sender.User == j.User || (e.SenderPN != nil && e.SenderPN.User == j.User)
		if s.isOwn(j) {
			reason := pb.ChatRemovedEvent_REASON_LEFT
			if !self {
				reason = pb.ChatRemovedEvent_REASON_KICKED
			}
			out = append(out, ev(by, func(e *pb.Event) {
				e.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: reason}}
			}))
			continue
		}
		if self {
			out = append(out, member(pb.MemberEvent_KIND_LEFT, j, nil, pb.Affiliation_AFFILIATION_NONE, pb.Role_ROLE_PARTICIPANT))
		} else {
			out = append(out, member(pb.MemberEvent_KIND_KICKED, j, by, pb.Affiliation_AFFILIATION_NONE, pb.Role_ROLE_PARTICIPANT))
		}
	}
	for _, j := range e.Promote {
		out = append(out, member(pb.MemberEvent_KIND_ROLE_CHANGED, j, by, pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR))
	}
	for _, j := range e.Demote {
		out = append(out, member(pb.MemberEvent_KIND_ROLE_CHANGED, j, by, pb.Affiliation_AFFILIATION_MEMBER, pb.Role_ROLE_PARTICIPANT))
	}
	if settingsChanged(e) && e.Name == nil {
		// Who may post, edit the group's info or add members: the
		// room's read_only and features follow.
		s.mu.Lock()
		var cp *types.GroupInfo
		if g := s.groups[e.JID]; g != nil {
			cp = cloneGroup(g)
			applySettings(cp, e)
		}
		s.mu.Unlock()
		var c *pb.Chat
		if cp != nil {
			c = s.chatOf(cp) // not under s.mu: it reads the community's name
		} else {
			c = s.unreadGroup(e.JID.ToNonAD(), "")
		}
		if c != nil {
			out = append(out, ev(by, func(e *pb.Event) { e.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}} }))
		}
	}
	if e.Delete != nil && e.Delete.Deleted {
		reason := s.deletedText(e)
		out = append(out, ev(by, func(e *pb.Event) {
			e.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED, Text: reason}}
		}))
	}
	s.updateCachedMembers(e)
	if slices.ContainsFunc(e.Promote, s.isOwnJID) || slices.ContainsFunc(e.Demote, s.isOwnJID) {
		// The user's role decides what they may do where only admins
		// may (post, edit the group's info, add, remove, promote): the
		// room's read_only and features follow it.
		if cp, ok := s.cachedGroup(e.JID); ok && !cp.IsParent {
			c := s.chatOf(&cp)
			out = append(out, ev(by, func(e *pb.Event) { e.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}} }))
		}
	}
	return out
}

// deletedText says who deleted e's group, in words: the room is closed
// with it (it was WhatsApp's bare reason code, "" mostly), the code
// kept after it.
func (s *Session) deletedText(e *events.GroupInfo) string {
	text := "The group was deleted"
	switch {
	case e.Sender == nil:
	case s.isOwn(*e.Sender, ptrJID(e.SenderPN)):
		text = "You deleted the group (on another device)"
	default:
		text = s.requesterName(preferPN(*e.Sender, ptrJID(e.SenderPN)).ToNonAD()) + " deleted the group"
	}
	if r := e.Delete.DeleteReason; r != "" {
		text += " (WhatsApp's reason: " + r + ")"
	}
	return text
}

// isOwnJID says whether j is the user (isOwn of one JID).
func (s *Session) isOwnJID(j types.JID) bool { return s.isOwn(j) }

// names says whether j, from a group's notification, is participant p:
// by its JID, or by the LID or phone number the group's info gave
// beside it (a notification may name by LID whom the info named by
// phone number, or the other way round).
func names(p types.GroupParticipant, j types.JID) bool {
	if j.User == "" {
		return false
	}
	switch j.Server {
	case types.HiddenUserServer:
		if j.User == p.LID.User {
			return true
		}
	case types.DefaultUserServer:
		if j.User == p.PhoneNumber.User {
			return true
		}
	}
	return j.User == p.JID.User
}

// unreadGroup is the ChatEvent's chat of a group changed (renamed name,
// or who may post) that the plugin has not read yet (a change told at
// the connection, before the room sync): the gateway takes a ChatEvent
// as the chat's whole description, so it is read from WhatsApp (with
// its subject, members and who may post), or else, not answered, the
// new name alone (nil without one); nil for a community, which is no
// room.
func (s *Session) unreadGroup(jid types.JID, name string) *pb.Chat {
	ctx, cancel := context.WithTimeout(context.Background(), groupReadWait())
	defer cancel()
	g, err := s.group(ctx, jid)
	switch {
	case err != nil && name == "":
		s.log.Info("changed group not read: its room is told at the next sync", "group", jid, "err", err)
		return nil
	case err != nil:
		s.log.Info("renamed group not read: its room gets the new name alone", "group", jid, "err", err)
		return &pb.Chat{ChatId: jid.String(), Type: pb.ChatType_CHAT_TYPE_GROUP, Name: name}
	case g.IsParent:
		return nil
	}
	s.learnCommunity(ctx, g) // its room's name is its community's too
	return s.chatOf(g)
}

func ptrJID(j *types.JID) types.JID {
	if j == nil {
		return types.EmptyJID
	}
	return *j
}

// updateCachedMembers keeps the cached group current: its participants
// and admins, topic, and who may post and edit its settings.
func (s *Session) updateCachedMembers(e *events.GroupInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[e.JID]
	if g == nil {
		return
	}
	for _, j := range e.Join {
		// Once: the info may have been read after the add, and a
		// notification may come again after a reconnection.
		if !slices.ContainsFunc(g.Participants, func(p types.GroupParticipant) bool { return names(p, j) }) {
			g.Participants = append(g.Participants, types.GroupParticipant{JID: j})
		}
	}
	g.Participants = slices.DeleteFunc(g.Participants, func(p types.GroupParticipant) bool {
		return slices.ContainsFunc(e.Leave, func(j types.JID) bool { return names(p, j) })
	})
	for i := range g.Participants {
		if slices.ContainsFunc(e.Promote, func(j types.JID) bool { return names(g.Participants[i], j) }) {
			g.Participants[i].IsAdmin = true
		}
		if slices.ContainsFunc(e.Demote, func(j types.JID) bool { return names(g.Participants[i], j) }) {
			g.Participants[i].IsAdmin = false
		}
	}
	if e.Topic != nil {
		g.Topic, g.TopicID = e.Topic.Topic, e.Topic.TopicID
	}
	applySettings(g, e) // who may post, edit its info (and pin: pin.go), add members
}

// groupChanged sends a group's changes.
func (s *Session) groupChanged(e *events.GroupInfo) {
	for _, ev := range s.groupEvents(e) {
		s.emit(ev)
	}
}
