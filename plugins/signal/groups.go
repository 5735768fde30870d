package signal

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

var (
	_ sdk.ChatInfoer   = (*Session)(nil)
	_ sdk.ChatLister   = (*Session)(nil)
	_ sdk.Leaver       = (*Session)(nil)
	_ sdk.TopicSetter  = (*Session)(nil)
	_ sdk.ChatNamer    = (*Session)(nil)
	_ sdk.Inviter      = (*Session)(nil)
	_ sdk.Kicker       = (*Session)(nil)
	_ sdk.Unbanner     = (*Session)(nil)
	_ sdk.RoleSetter   = (*Session)(nil)
	_ sdk.ChatLimiter  = (*Session)(nil)
	_ sdk.ChatAvatarer = (*Session)(nil)
	_ sdk.ChatCreator  = (*Session)(nil)
	_ sdk.ChatJoiner   = (*Session)(nil)
)

// group is what the session last knew of a group, to tell what changed
// and what the user may do there.
type group struct {
	chat   *pb.Chat
	limits sdk.ChatLimits
	// banned are the user IDs on the group's ban list: a member gone
	// who is there was banned, not just removed.
	banned map[string]bool
	// timer is the group's disappearing messages timer, in seconds.
	timer int
	// link is the group's invite link, "" while it is off.
	link string
	// read is the listGroups call this was read by (groupEntry.read).
	read uint64
	// pending are those invited, not yet in, by user ID (invites.go).
	pending map[string]bool
	// perms are the group's permissions (settings.go).
	perms groupPerms
}

// groupEntry is one group of listGroups. Members and admins are objects
// ({number, uuid}) in current signal-cli and were plain strings before.
type groupEntry struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	IsMember    bool   `json:"isMember"`
	// IsBlocked: the user blocked the group (on the phone, which syncs
	// its block list); signal-cli drops its messages.
	IsBlocked bool              `json:"isBlocked"`
	Members   []json.RawMessage `json:"members"`
	Admins    []json.RawMessage `json:"admins"`
	// PendingMembers are those invited, not yet in: whom signal-cli
	// could not add outright (no profile key of theirs).
	PendingMembers []json.RawMessage `json:"pendingMembers"`
	// Banned are those the admins keep out.
	Banned []json.RawMessage `json:"banned"`
	// RequestingMembers asked to join by the group's link, where the
	// admins approve newcomers (joinrequests.go).
	RequestingMembers []json.RawMessage `json:"requestingMembers"`
	// EVERY_MEMBER or ONLY_ADMINS.
	PermissionAddMember   string `json:"permissionAddMember"`
	PermissionEditDetails string `json:"permissionEditDetails"`
	PermissionSendMessage string `json:"permissionSendMessage"`
	// GroupInviteLink is the group's link (https://signal.group/#...),
	// when it has one on.
	GroupInviteLink string `json:"groupInviteLink"`
	// MessageExpirationTime is the disappearing messages timer, in
	// seconds (0: off). A v2 group's change of it comes as a group
	// update, without isExpirationUpdate.
	MessageExpirationTime int `json:"messageExpirationTime"`
	// read numbers the listGroups call that gave this entry, in the
	// order the calls were sent: a later call tells a state at least as
	// new (remember).
	read uint64
}

// limitsOf is what the user may do in a group, by its permissions and
// whether they are an admin there.
func limitsOf(g groupEntry, chat *pb.Chat) sdk.ChatLimits {
	admin := false
	for _, m := range chat.Members {
		if m.IsSelf {
			admin = m.Affiliation == pb.Affiliation_AFFILIATION_ADMIN
		}
	}
	if admin {
		return sdk.ChatLimits{}
	}
	f := &pb.Features{Edits: true, Reactions: true, SingleReaction: true, Retractions: true, DeliveryReceipts: true,
		ReadReceipts: true, Typing: true, Replies: true, Attachments: true, Groups: true, Avatars: true, Formatting: true,
		MediaDownload: true, MediaUpload: true, LeaveChat: true,
		// Polls are messages: any member who sends may start them, vote
		// and close their own.
		PollCreate: true, PollVote: true, PollClose: true,
		GroupTopic: g.PermissionEditDetails != "ONLY_ADMINS", GroupName: g.PermissionEditDetails != "ONLY_ADMINS",
		GroupAvatar: g.PermissionEditDetails != "ONLY_ADMINS",
		// The timer is one of the details (Signal's attributes access).
		ChatTimer:   g.PermissionEditDetails != "ONLY_ADMINS",
		GroupInvite: g.PermissionAddMember != "ONLY_ADMINS"}
	return sdk.ChatLimits{Features: f, ReadOnly: g.PermissionSendMessage == "ONLY_ADMINS"}
}

type address struct {
	Number  string `json:"number"`
	UUID    string `json:"uuid"`
	IsAdmin bool   `json:"isAdmin"`
}

func readAddress(raw json.RawMessage) address {
	var a address
	if json.Unmarshal(raw, &a) == nil {
		return a
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if isUUID(s) {
			return address{UUID: s}
		}
		return address{Number: s}
	}
	return a
}

// chatOf turns a listGroups entry into a chat with its members, and
// those banned from it as outcasts.
func (s *Session) chatOf(ctx context.Context, g groupEntry) *pb.Chat {
	chat := &pb.Chat{ChatId: groupChatID(g.ID), Type: pb.ChatType_CHAT_TYPE_GROUP, Name: g.Name, Topic: g.Description}
	admins := map[string]bool{}
	for _, raw := range g.Admins {
		a := readAddress(raw)
		id := s.userID(context.Background(), a.Number, a.UUID, "") // a move learnt here announced too
		admins[id] = true
	}
	for _, raw := range g.Members {
		a := readAddress(raw)
		id := s.userID(context.Background(), a.Number, a.UUID, "")
		if id == "" {
			continue
		}
		m := &pb.Member{UserId: id}
		if a.IsAdmin || admins[id] {
			m.Affiliation, m.Role = pb.Affiliation_AFFILIATION_ADMIN, pb.Role_ROLE_MODERATOR
		}
		if id == s.selfID() || (s.account().ACI != "" && a.UUID == s.account().ACI) {
			m.IsSelf = true
		}
		chat.Members = append(chat.Members, m)
	}
	// The ban list, as outcasts: the room's ban list shows them. Their
	// name is the contact's (no nick: Signal has no per-group names).
	listed := map[string]bool{}
	for _, m := range chat.Members {
		listed[m.UserId] = true
	}
	for _, raw := range g.Banned {
		a := readAddress(raw)
		id := s.ids.lookup(a.Number, a.UUID, s.account()) // learns nothing, as remember
		if id == "" || listed[id] || id == s.selfID() {
			continue
		}
		listed[id] = true
		chat.Members = append(chat.Members, &pb.Member{UserId: id, Affiliation: pb.Affiliation_AFFILIATION_OUTCAST})
	}
	s.nameMembers(ctx, chat.Members) // membernames.go
	// What the user may do there goes with every description of the
	// group, events too: a permission changed, or the user promoted,
	// reaches the room then, not at the next ChatInfo.
	l := limitsOf(g, chat)
	chat.Features, chat.ReadOnly = l.Features, l.ReadOnly
	if chat.Features == nil {
		chat.Features = sdk.AllFeatures() // an admin: the group narrows nothing
	}
	return chat
}

// listGroups asks for the account's groups (one when id is set).
func (s *Session) listGroups(ctx context.Context, id string) ([]groupEntry, error) {
	p := map[string]any{}
	if id != "" {
		p["groupId"] = id
	}
	var gs []groupEntry
	read := s.groupReads.Add(1)
	if err := s.call(ctx, "could not list the groups", "listGroups", p, &gs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for i := range gs {
		gs[i].read = read
		if chatID := groupChatID(gs[i].ID); gs[i].IsBlocked {
			s.blockedGroups[chatID] = true
		} else {
			delete(s.blockedGroups, chatID)
		}
	}
	s.mu.Unlock()
	return gs, nil
}

// blockedGroup reports whether the user blocked the group chatID on the
// phone, as signal-cli last listed it.
func (s *Session) blockedGroup(chatID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blockedGroups[chatID]
}

// refreshGroups reads the groups the account is in into the cache.
func (s *Session) refreshGroups(ctx context.Context) {
	since := s.groupReads.Load()
	gs, err := s.listGroups(ctx, "")
	if err != nil {
		s.n.host.Logger().Warn("signal: the groups could not be listed", "login", s.loginID, "err", err)
		return
	}
	in := map[string]bool{}
	for _, g := range gs {
		if g.IsMember && !g.IsBlocked {
			chat := s.chatOf(ctx, g) // outside mu: it may emit
			s.keep(g, chat)
			s.joinRequests(ctx, chat.ChatId, g, 0) // those that came meanwhile (joinrequests.go)
			in[chat.ChatId] = true
			if cut, kinds, at := s.changing.wasCut(chat.ChatId); cut {
				// The user's change a crash cut short: the room is
				// told the group as it is (groupschanging.go).
				s.tellCut(ctx, chat, g, kinds, at)
			}
		}
	}
	// Not those cut short meanwhile (kept, as in): told at the next.
	s.changing.keepCut(in)
	s.requestsTold.KeepOnly(in) // those of groups left meanwhile
	s.requestTimesKeepOnly(in)
	// Nor what was told of a group read since (joined meanwhile, an
	// update of it handled alongside).
	s.mu.Lock()
	for id, g := range s.groups {
		if g.read > since {
			in[id] = true
		}
	}
	s.mu.Unlock()
	s.told.keepOnly(in)
	s.told.save() // once for all the groups first seen
}

// userIDsOf are the user IDs of a group's list of addresses (its
// banned, its pending members...). It learns no identity (lookup):
// none is announced from here, so no identity move is lost.
func (s *Session) userIDsOf(list []json.RawMessage) map[string]bool {
	out := map[string]bool{}
	for _, raw := range list {
		a := readAddress(raw)
		if id := s.ids.lookup(a.Number, a.UUID, s.account()); id != "" {
			out[id] = true
		}
	}
	return out
}

// remember keeps what is known of a group, unless a later read of it is
// kept already: a read answered late (a ChatInfo, the groups read at a
// connection, beside an update) would put back a state the host was
// since told is gone, and the next update would be compared with it.
// Before, it did: a change of what the user may do there, beside a
// member joining, went untold.
func (s *Session) remember(g groupEntry, chat *pb.Chat) {
	s.keep(g, chat)
	s.told.save()
}

// keep is remember, leaving what a group first seen is taken as told
// unwritten: a caller that keeps many saves once (s.told.save).
func (s *Session) keep(g groupEntry, chat *pb.Chat) {
	banned, pending := s.userIDsOf(g.Banned), s.pendingOf(g)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.groups[chat.ChatId]; old != nil && old.read > g.read {
		return
	}
	s.groups[chat.ChatId] = &group{chat: chat, limits: limitsOf(g, chat), banned: banned, timer: g.MessageExpirationTime, link: g.GroupInviteLink, read: g.read, pending: pending, perms: permsOf(g)}
	// As it is when first known (not known after a restart either):
	// no notice.
	s.told.firstSight(chat.ChatId, g.MessageExpirationTime, shownOf(g, pending))
}

// forgetGroupLocked drops what is kept of group chat, and what was told
// of its timer and settings (taken anew when it is known again); called
// with mu held. The caller saves s.told once mu is released.
func (s *Session) forgetGroupLocked(chat string) {
	delete(s.groups, chat)
	s.told.forget(chat)
}

// ChatLimits narrows what the user may do in a group to its permissions:
// a group where only admins post is read-only for the others, and only
// admins may edit its details or add members when it says so.
func (s *Session) ChatLimits(_ context.Context, chatID string) (sdk.ChatLimits, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[chatID]; g != nil {
		return g.limits, nil
	}
	return sdk.ChatLimits{}, nil
}

// fetchGroup reads one group and remembers it; nil when the account is
// not in it.
func (s *Session) fetchGroup(ctx context.Context, chatID string) (*pb.Chat, error) {
	_, chat, err := s.readGroup(ctx, chatID)
	return chat, err
}

// readGroup is fetchGroup with signal-cli's entry of the group, also
// when the account is no member of it any more (signal-cli keeps a group
// left, or removed from: its ban list says whether the user is banned).
func (s *Session) readGroup(ctx context.Context, chatID string) (groupEntry, *pb.Chat, error) {
	gid := groupIDOf(chatID)
	if gid == "" {
		return groupEntry{}, nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no Signal group", chatID)
	}
	gs, err := s.listGroups(ctx, gid)
	if err != nil {
		return groupEntry{}, nil, err
	}
	for _, g := range gs {
		if g.ID != gid {
			continue
		}
		if !g.IsMember {
			return g, nil, nil
		}
		chat := s.chatOf(ctx, g)
		if !g.IsBlocked {
			// A blocked group is no chat of the user's while blocked
			// (blockedGroupsSynced): not kept to describe it offline.
			s.remember(g, chat)
		}
		return g, chat, nil
	}
	return groupEntry{}, nil, nil
}

// selfBanned reports whether the user is on a group's ban list.
func (s *Session) selfBanned(g groupEntry) bool {
	for _, raw := range g.Banned {
		a := readAddress(raw)
		if (a.Number != "" && a.Number == s.account().Number) || (a.UUID != "" && a.UUID == s.account().ACI) {
			return true
		}
	}
	return false
}

// removal is why the user is out of a group, by the update that said so
// (from the user: left on another device) and the group as signal-cli
// keeps it (on its ban list: banned).
func (s *Session) removal(g groupEntry, by *pb.Sender) *pb.ChatRemovedEvent {
	switch {
	case by != nil && (by.IsFromMe || by.UserId == s.selfID()):
		return &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT, Text: "you left this Signal group"}
	case s.selfBanned(g):
		return &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_BANNED, Text: "the group's admins removed you from this Signal group and keep you out"}
	}
	return &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED, Text: "you are no longer in this Signal group"}
}

// outOfGroup tells the host that the user is out of a group, which a
// request there refused as signal-cli's NotAGroupMemberException says:
// the update that removed them was not seen (it came while no session
// was subscribed, or could not be read), and the room would stay, each
// message to it refused.
func (s *Session) outOfGroup(ctx context.Context, chatID string) {
	s.mu.Lock()
	old := s.groups[chatID]
	s.mu.Unlock()
	g, chat, err := s.readGroup(ctx, chatID)
	if err != nil || chat != nil || g.ID == "" {
		return // not read, or a member after all (added back meanwhile)
	}
	s.mu.Lock()
	s.forgetGroupLocked(chatID)
	s.mu.Unlock()
	s.told.save()
	s.requestsTold.Forget(chatID)
	s.requestTimesForget(chatID)
	s.report(ctx, chatID, old, nil, nil, g, 0)
}

// knowGroup announces a group the session has not seen yet (a message
// came from it), with its members.
func (s *Session) knowGroup(ctx context.Context, chatID string) {
	s.mu.Lock()
	_, known := s.groups[chatID]
	s.mu.Unlock()
	if known {
		return
	}
	chat, err := s.fetchGroup(ctx, chatID)
	if err != nil || chat == nil {
		return
	}
	s.announce(ctx, chat)
}

// announce tells the host of a group new to it, with its members.
func (s *Session) announce(ctx context.Context, chat *pb.Chat) {
	s.emit(ctx, &pb.Event{ChatId: chat.ChatId, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}}, true)
}

// groupRead is a group as readGroup read it: signal-cli's entry, the
// chat (nil when the user is no member), or why it could not be read.
type groupRead struct {
	entry groupEntry
	chat  *pb.Chat
	err   error
	// gap: an update before this one never came; later: a later
	// envelope of the group was read already (laterUpdate: an update).
	// Either way the read may hold others' changes (revisions.go).
	gap, later, laterUpdate bool
}

// groupChanged reads a group after an update and reports what changed:
// name, description (the topic), members and admins; or that the user is
// out of it. The events bear the update's time at (Unix ms; 0: now), so
// that updates handled late (from the inbox after a restart, drained at
// a reconnection) keep their time and order. rev is the update's
// revision (0: not known). It returns what it read.
func (s *Session) groupChanged(ctx context.Context, chatID string, by *pb.Sender, at int64, rev int) groupRead {
	s.mu.Lock()
	old := s.groups[chatID]
	s.mu.Unlock()
	g, chat, err := s.readGroup(ctx, chatID)
	if err != nil {
		s.unfinished.Add(1) // its envelope is handled again at the next start
		s.n.host.Logger().Warn("signal: a changed group could not be read; the change is read again at the next start", "login", s.loginID, "chat", chatID, "err", err)
		return groupRead{err: err}
	}
	read := groupRead{entry: g, chat: chat, gap: s.revisionGap(chatID, rev)}
	// After the read: a later envelope read before it was applied
	// before it (revisions.go).
	if rev > 0 {
		read.later, read.laterUpdate = s.inbox.laterOfGroup(groupIDOf(chatID), rev)
	}
	settingsBy := by
	if read.gap || read.later {
		settingsBy = nil // told without an author
	}
	if chat == nil {
		s.mu.Lock()
		s.forgetGroupLocked(chatID)
		s.mu.Unlock()
		s.requestsTold.Forget(chatID)
		s.requestTimesForget(chatID)
		if s.selfPending(g) {
			s.invitation(ctx, chatID, g, by, at) // invited.go
			if old == nil {
				return read // no room to take away
			}
		} else {
			s.invited.forget(chatID) // declined or withdrawn: a new one is told
		}
	} else {
		s.invited.forget(chatID) // accepted
	}
	s.report(ctx, chatID, old, chat, by, g, at)
	if chat != nil {
		s.pictureChanged(ctx, chat, by, at) // avatars.go
		s.joinRequests(ctx, chatID, g, at)  // joinrequests.go
		// What was told may be older than the session (groupstold.go):
		// compared with it also when the group was not read since the
		// start (old nil).
		if shown := s.settingsSince(chatID, g); shown != nil {
			s.invitesTold(ctx, chatID, shown, g, settingsBy, at)        // invites.go
			s.settingsTold(ctx, chatID, shown, g, chat, settingsBy, at) // settings.go
		}
	}
	return read
}

// report emits the difference between what was known of a group and
// what it is now (entry: signal-cli's, when it lists it). What was known may be newer than what the host was
// told: a read of the group (ChatInfo for "/timer" or the room's vCard,
// the groups read at a reconnection) may have seen the update before its
// envelope was read, and remembered it. So an update that shows no
// difference is told as the whole group, which the host compares with
// its room, and one that shows the user out of a group not known is told
// as the user's removal (the host ignores a room it does not have).
func (s *Session) report(ctx context.Context, chatID string, old *group, chat *pb.Chat, by *pb.Sender, entry groupEntry, at int64) {
	told := false
	ev := func(p any) {
		told = true
		e := &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: by, TimestampUnixMicro: at * 1000}
		switch p := p.(type) {
		case *pb.Event_Chat:
			e.Payload = p
		case *pb.Event_Topic:
			e.Payload = p
		case *pb.Event_Member:
			e.Payload = p
		case *pb.Event_ChatRemoved:
			e.Payload = p
		}
		s.emit(ctx, e, true)
	}
	switch {
	case chat == nil:
		ev(&pb.Event_ChatRemoved{ChatRemoved: s.removal(entry, by)})
		return
	case old == nil:
		ev(&pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}})
		return
	}
	chatTold := chat.Name != old.chat.Name
	if chatTold {
		ev(&pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}})
	}
	if chat.Topic != old.chat.Topic {
		ev(&pb.Event_Topic{Topic: &pb.TopicEvent{Topic: chat.Topic}})
	}
	// Members only: a ban shows as the member gone (below), a ban
	// lifted not at all, as Signal says nothing of it.
	before := map[string]*pb.Member{}
	for _, m := range old.chat.Members {
		if m.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
			before[m.UserId] = m
		}
	}
	for _, m := range chat.Members {
		if m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
			continue
		}
		prev := before[m.UserId]
		delete(before, m.UserId)
		switch {
		case prev == nil:
			ev(&pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_JOINED, Member: m}})
		case prev.Affiliation != m.Affiliation:
			ev(&pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED, Member: m}})
		}
		if prev != nil && prev.Nick != m.Nick {
			ev(&pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: m}})
		}
	}
	var gone []string
	for id := range before {
		gone = append(gone, id)
	}
	slices.Sort(gone)
	s.mu.Lock()
	var banned map[string]bool
	if now := s.groups[chatID]; now != nil {
		banned = now.banned
	}
	s.mu.Unlock()
	for _, id := range gone {
		kind := pb.MemberEvent_KIND_LEFT
		switch {
		case by != nil && by.UserId != id && banned[id]:
			kind = pb.MemberEvent_KIND_BANNED
		case by != nil && by.UserId != id:
			kind = pb.MemberEvent_KIND_KICKED
		}
		ev(&pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: before[id]}})
	}
	if bansChanged(old.chat, chat) || !told || (!chatTold && limitsChanged(old.limits, limitsOf(entry, chat))) {
		// A ban lifted, or laid on someone not in the group: no member
		// event says it, the whole list does; so it does for no
		// difference seen (above), and for what the user may do there
		// changed beside a member's change.
		ev(&pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}})
	}
}

// limitsChanged reports whether what the user may do in a group
// changed. (Not read from the chats: the SDK narrows an answer's chat,
// the one remembered, to the network's features.)
func limitsChanged(old, now sdk.ChatLimits) bool {
	return old.ReadOnly != now.ReadOnly || !proto.Equal(old.Features, now.Features)
}

// bansChanged reports whether a group's ban list changed other than by a
// member's ban, which its member event (BANNED) tells.
func bansChanged(old, now *pb.Chat) bool {
	was, member := map[string]bool{}, map[string]bool{}
	for _, m := range old.Members {
		if m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
			was[m.UserId] = true
		} else {
			member[m.UserId] = true
		}
	}
	n := 0
	for _, m := range now.Members {
		if m.Affiliation != pb.Affiliation_AFFILIATION_OUTCAST {
			continue
		}
		switch {
		case was[m.UserId]:
			n++
		case !member[m.UserId]:
			return true // banned from outside the group
		}
	}
	return n != len(was) // a ban lifted
}

// ChatList lists the groups the account is in.
func (s *Session) ChatList(ctx context.Context) ([]*pb.Chat, error) {
	gs, err := s.listGroups(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []*pb.Chat
	for _, g := range gs {
		if !g.IsMember || g.IsBlocked {
			continue // a blocked group is silent: signal-cli drops its messages
		}
		c := s.chatOf(ctx, g) // outside mu: it may emit
		s.keep(g, c)
		out = append(out, c)
	}
	s.told.save()
	return out, nil
}

// ChatInfo describes a group with its members and its invite link, or a
// direct chat; both with their disappearing messages timer, as
// signal-cli keeps it (a group's from listGroups, a contact's from
// listContacts), and the messages pinned there as the plugin saw them
// (pins.go). When signal-cli cannot be asked (the daemon down, or not
// answering), a group the user is in as last read is described from
// what the session keeps (knownGroup).
func (s *Session) ChatInfo(ctx context.Context, chatID string) (*pb.Chat, error) {
	if groupIDOf(chatID) == "" {
		if _, err := target(chatID); err != nil {
			return nil, err
		}
		chat := &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_DIRECT, PinnedIds: s.pinnedIDs(chatID), PinsSeenOnly: true}
		if s.daemonDown() {
			// Not waited for (SendWait): the rest is known all the same.
			s.n.host.Logger().Info("signal: the chat's disappearing messages timer not read: signal-cli is down", "login", s.loginID, "chat", chatID)
			return chat, nil
		}
		tctx, cancel := context.WithTimeout(ctx, groupReadWait)
		defer cancel()
		if secs, err := s.chatTimer(tctx, chatID); err != nil {
			// The rest is known all the same: the timer is left unset.
			s.n.host.Logger().Warn("signal: the chat's disappearing messages timer could not be read", "login", s.loginID, "chat", chatID, "err", err)
		} else {
			chat.Timer = &pb.ChatTimer{Seconds: int64(secs)}
		}
		return chat, nil
	}
	known := s.knownGroup(chatID)
	rctx := ctx
	if known != nil {
		if s.daemonDown() {
			// A read would wait up to SendWait for the daemon to come
			// back, past the host's patience: what is kept answers now.
			s.n.host.Logger().Info("signal: group described from what the plugin keeps: signal-cli is down", "login", s.loginID, "chat", chatID)
			return known, nil
		}
		// Nor wait long for a daemon that went down meanwhile, or hangs.
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, groupReadWait)
		defer cancel()
	}
	g, chat, err := s.readGroup(rctx, chatID)
	if err != nil {
		switch sdk.ToProto(err).GetCode() {
		case pb.ErrorCode_ERROR_CODE_UNAVAILABLE, pb.ErrorCode_ERROR_CODE_RATE_LIMITED:
			if known != nil {
				s.n.host.Logger().Info("signal: group described from what the plugin keeps: signal-cli could not be asked", "login", s.loginID, "chat", chatID, "err", err)
				return known, nil
			}
		}
		return nil, err
	}
	if chat == nil {
		// Not in it: what was kept of it describes it offline no more.
		s.mu.Lock()
		s.forgetGroupLocked(chatID)
		s.mu.Unlock()
		s.told.save()
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in the Signal group %s", chatID)
	}
	if g.IsBlocked {
		// Its room went (blockedGroupsSynced) and it is not listed: a
		// join of it, or "/pins" there, says why rather than bring
		// back a room signal-cli keeps silent.
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s", blockedGroupText)
	}
	// Here only, not in chatOf: the contract gives the link, the timer
	// and the pins in a ChatInfo answer alone. signal-cli names the link
	// only while the group's link is on.
	chat.InviteLink = g.GroupInviteLink
	chat.Timer = &pb.ChatTimer{Seconds: int64(g.MessageExpirationTime)}
	chat.PinnedIds, chat.PinsSeenOnly = s.pinnedIDs(chatID), true
	return chat, nil
}

// groupReadWait bounds ChatInfo's read of a group the session knows, and
// of a direct chat's timer: past it, signal-cli not answering, the group
// is described from what the session keeps (knownGroup), the direct chat
// without its timer, while the host still waits for the answer.
var groupReadWait = 5 * time.Second

// daemonDown says whether the session's connection to signal-cli is down
// for now (the daemon restarting or gone), the account still there.
func (s *Session) daemonDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.up && !s.gone
}

// knownGroup is ChatInfo's answer for a group from what the session
// keeps, for when signal-cli cannot be asked: the group as last read
// (name, description, members, link, timer) and the messages pinned in
// it (pinned.jsonl), so that "/pins" (and "/timer", "/link") answer
// while the daemon is down; marked stale, so that the gateway says so.
// nil when the user is in no such group as last read (none read since
// the start, or left).
func (s *Session) knownGroup(chatID string) *pb.Chat {
	s.mu.Lock()
	g := s.groups[chatID]
	var chat *pb.Chat
	if g != nil {
		chat = proto.Clone(g.chat).(*pb.Chat)
		chat.InviteLink = g.link
		chat.Timer = &pb.ChatTimer{Seconds: int64(g.timer)}
	}
	s.mu.Unlock()
	if chat != nil {
		chat.PinnedIds, chat.PinsSeenOnly = s.pinnedIDs(chatID), true
		chat.Stale = true
	}
	return chat
}

// LeaveChat leaves the group.
func (s *Session) LeaveChat(ctx context.Context, c sdk.Call) error {
	s.typingKeeper().Stop(c.ChatID)
	gid := groupIDOf(c.ChatID)
	if gid == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "only a group can be left")
	}
	const what = "could not leave the group"
	if err := s.callRaw(ctx, what, "quitGroup", map[string]any{"groupId": gid}, nil); err != nil {
		msg, _ := userErrorMessage(err)
		if !notMember(err) && !strings.Contains(msg, groupNotFoundText) {
			return s.mapError(what, err)
		}
		// Out of it already (removed while the gateway did not see the
		// update, or left on the phone): what the user asked is done,
		// and the room goes. Refused, the room stayed for good.
		s.n.host.Logger().Info("signal: the user left a group they were no longer in", "login", s.loginID, "chat", c.ChatID, "err", err)
	}
	s.mu.Lock()
	s.forgetGroupLocked(c.ChatID)
	s.mu.Unlock()
	s.told.save()
	s.requestsTold.Forget(c.ChatID)
	s.requestTimesForget(c.ChatID)
	return nil
}

// updateGroup changes a group, then reports the change as the user's
// (Signal sends the device that made it no echo).
func (s *Session) updateGroup(ctx context.Context, what, chatID string, p map[string]any) error {
	_, err := s.updateGroupAt(ctx, what, chatID, p)
	return err
}

// updateGroupAt is updateGroup with the timestamp of the group update
// signal-cli sent the members (0 when it sent none).
func (s *Session) updateGroupAt(ctx context.Context, what, chatID string, p map[string]any) (int64, error) {
	at, _, err := s.changeGroup(ctx, what, chatID, p)
	return at, err
}

// changeGroup is updateGroupAt with the group as read after the change
// to report it, for a caller that needs more of it (Invite): one read.
func (s *Session) changeGroup(ctx context.Context, what, chatID string, p map[string]any, kinds ...changeKind) (int64, groupRead, error) {
	gid := groupIDOf(chatID)
	if gid == "" {
		return 0, groupRead{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no Signal group", chatID)
	}
	p["groupId"] = gid
	var res struct {
		Timestamp int64 `json:"timestamp"`
	}
	s.changing.begin(chatID, kinds...) // groupschanging.go
	told := false
	defer func() { s.changing.end(chatID, told) }()
	if err := s.callRaw(ctx, what, "updateGroup", p, &res); err != nil {
		// Not told: signal-cli may have made the change all the same
		// (its answer lost, the call timed out), and one the group's
		// server refused though the group as known allowed it says the
		// group changed since: the next connection tells the room the
		// group as it is. A refusal the group as known foresaw (no
		// admin where only admins may) changed nothing the room does
		// not know: before, it cost the room a description all the same.
		told = s.refusedAsForeseen(chatID, p, err)
		if notMember(err) {
			s.outOfGroup(ctx, chatID)
		}
		if told {
			return 0, groupRead{}, foreseenRefusal{s.groupUpdateError(what, err)}
		}
		return 0, groupRead{}, s.groupUpdateError(what, err)
	}
	fails := s.unfinished.Load()
	s.changing.named(chatID, res.Timestamp) // its notices told again come under their IDs
	// What the room is told of the group's timer and settings is written
	// once told, as an update's is (groupUpdated): not told, the next
	// connection compares with what was.
	s.told.begin(chatID)
	read := s.groupChanged(ctx, chatID, &pb.Sender{UserId: s.selfID(), IsFromMe: true}, res.Timestamp, 0)
	// No envelope of it comes to tell it again (groupChanged's read
	// failing says "at the next start" of an update's): the next
	// connection does, from the journal.
	told = read.err == nil && s.unfinished.Load() == fails
	s.told.end(chatID, told)
	s.told.save()
	return res.Timestamp, read, nil
}

// foreseenRefusal is a group update refused as the group known
// foresaw (refusedAsForeseen): nothing changed, and a caller that
// journals the change too (SetChatTimer) leaves the room untold.
type foreseenRefusal struct{ error }

func (e foreseenRefusal) Unwrap() error { return e.error }

// refusedAsForeseen reports whether err is the group's server refusing
// the update p of chatID (a 403: nothing changed) as the group known
// foresaw: the user no admin there, and p changing what only admins
// may.
func (s *Session) refusedAsForeseen(chatID string, p map[string]any, err error) bool {
	var rerr *rpc.Error
	if !errors.As(err, &rerr) || !strings.Contains(rerr.Message, "AuthorizationFailedException") {
		return false
	}
	s.mu.Lock()
	g := s.groups[chatID]
	s.mu.Unlock()
	if g == nil || g.limits.Features == nil {
		return false // not known, or known with the user an admin
	}
	for key := range p {
		switch key {
		case "groupId":
		case "name", "description", "avatar", "expiration":
			if g.perms.edit != "ONLY_ADMINS" {
				return false
			}
		case "members":
			if g.perms.add != "ONLY_ADMINS" {
				return false
			}
		default:
			// Only admins remove, ban and promote members.
		}
	}
	return true
}

// groupUpdateError is a refused group update in words. Signal's group
// server refuses a change the group's permissions keep from the user
// (the details, the timer, where only admins edit them) with a 403, which
// signal-cli reports as an unexpected error naming
// AuthorizationFailedException: the user may not, rather than Signal
// being out of reach. The session's limits refuse most such changes
// first; this one comes when the group changed since it was read.
func (s *Session) groupUpdateError(what string, err error) error {
	var rerr *rpc.Error
	if errors.As(err, &rerr) && strings.Contains(rerr.Message, "AuthorizationFailedException") {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: the group's permissions do not let you (only its admins may): %s", what, rerr.Message)
	}
	return s.mapError(what, err)
}

// SetTopic sets the group's description.
func (s *Session) SetTopic(ctx context.Context, c sdk.Call, topic string) error {
	return s.updateGroup(ctx, "could not set the group's description", c.ChatID, map[string]any{"description": topic})
}

// SetChatName renames the group.
func (s *Session) SetChatName(ctx context.Context, c sdk.Call, name string) error {
	if name == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a Signal group needs a name")
	}
	return s.updateGroup(ctx, "could not rename the group", c.ChatID, map[string]any{"name": name})
}

// Invite adds a contact to the group.
func (s *Session) Invite(ctx context.Context, c sdk.Call, userID string) error {
	if _, err := target(userID); err != nil || groupIDOf(userID) != "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no Signal user", userID)
	}
	// Its invitation, when signal-cli can only invite them, is told as
	// the group's settings are (invites.go).
	_, read, err := s.changeGroup(ctx, "could not add the member", c.ChatID, map[string]any{"members": []string{userID}}, changeSettings)
	if err != nil {
		return err
	}
	// One signal-cli has no profile key of is only invited: no member
	// comes to the room, so the room says why, by the group as read to
	// report the change.
	if read.err != nil {
		s.n.host.Logger().Warn("signal: the group could not be read after the invitation; who is only invited is not told",
			"login", s.loginID, "chat", c.ChatID, "invited", userID, "err", read.err)
		return nil
	}
	if read.chat != nil {
		invited, missing := outOf(read.entry, []string{userID})
		s.tellRoom(ctx, c.ChatID, membersOutText(nil, invited, missing))
	}
	return nil
}

// Kick removes a member from the group; a ban also keeps them out.
func (s *Session) Kick(ctx context.Context, c sdk.Call, k *pb.Kick) error {
	p := map[string]any{"removeMembers": []string{k.UserId}}
	if k.Ban {
		p["ban"] = []string{k.UserId}
	}
	return s.updateGroup(ctx, "could not remove the member", c.ChatID, p)
}

// Unban takes someone off the group's ban list (signal-cli's updateGroup
// unban); signal-cli leaves someone not on it as they are. They may then
// join by the group's link, or be added.
func (s *Session) Unban(ctx context.Context, c sdk.Call, userID string) error {
	if _, err := target(userID); err != nil || groupIDOf(userID) != "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no Signal user", userID)
	}
	return s.updateGroup(ctx, "could not lift the ban", c.ChatID, map[string]any{"unban": []string{userID}})
}

// SetRole makes a member an admin (admin or owner: Signal has one kind),
// a plain member again, or removes them (none; outcast bans them).
func (s *Session) SetRole(ctx context.Context, c sdk.Call, r *pb.SetRole) error {
	var p map[string]any
	switch r.Affiliation {
	case pb.Affiliation_AFFILIATION_ADMIN, pb.Affiliation_AFFILIATION_OWNER:
		p = map[string]any{"admins": []string{r.UserId}}
	case pb.Affiliation_AFFILIATION_MEMBER:
		p = map[string]any{"removeAdmins": []string{r.UserId}}
	case pb.Affiliation_AFFILIATION_NONE:
		p = map[string]any{"removeMembers": []string{r.UserId}}
	case pb.Affiliation_AFFILIATION_OUTCAST:
		p = map[string]any{"removeMembers": []string{r.UserId}, "ban": []string{r.UserId}}
	default:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "unknown affiliation %v", r.Affiliation)
	}
	return s.updateGroup(ctx, "could not change the member's role", c.ChatID, p)
}

// tellRoom says text in a group's room, from the room itself (no
// sender): what the user needs to know of something they did there.
func (s *Session) tellRoom(ctx context.Context, chatID, text string) {
	if text == "" {
		return
	}
	s.emit(ctx, &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}, true)
}

// groupsSynced announces the groups the account is in that the session
// did not know (the phone's sync after a link), and tells the
// invitations to groups it lists.
func (s *Session) groupsSynced(ctx context.Context) {
	gs, err := s.listGroups(ctx, "")
	if err != nil {
		s.n.host.Logger().Warn("signal: the synced groups could not be read", "login", s.loginID, "err", err)
		return
	}
	for _, g := range gs {
		switch {
		case g.IsMember && !g.IsBlocked:
			s.knowGroup(ctx, groupChatID(g.ID))
		case !g.IsMember && !g.IsBlocked && s.selfPending(g):
			// An invitation from before the link: told once (invited.go).
			s.invitation(ctx, groupChatID(g.ID), g, nil, 0)
		}
	}
}

// blockedGroupText is why a group blocked on the phone left the chats.
const blockedGroupText = "you blocked this Signal group on your phone; unblock it there to have it back"

// blockedGroupsSynced follows the groups of the block list the phone
// sent (signal-cli keeps it, and drops what a blocked group sends): a
// group blocked goes as a chat the user left, saying why, as a blocked
// contact leaves the contacts (told once a session, also for a group
// blocked while the plugin was away; the host ignores a room it does not
// have); one unblocked comes back (also one the session did not know). Before, a group blocked on the phone
// kept its room, silent.
func (s *Session) blockedGroupsSynced(ctx context.Context) {
	gs, err := s.listGroups(ctx, "")
	if err != nil {
		s.n.host.Logger().Warn("signal: the groups could not be read after a block list sync", "login", s.loginID, "err", err)
		return
	}
	for _, g := range gs {
		if !g.IsMember {
			continue
		}
		chatID := groupChatID(g.ID)
		s.mu.Lock()
		told := s.blockedTold[chatID]
		_, known := s.groups[chatID]
		if g.IsBlocked {
			s.forgetGroupLocked(chatID)
			s.blockedTold[chatID] = true
		} else {
			delete(s.blockedTold, chatID)
		}
		s.mu.Unlock()
		switch {
		case g.IsBlocked && !told:
			s.emit(ctx, &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Payload: &pb.Event_ChatRemoved{
				ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT, Text: blockedGroupText}}}, true)
		case !g.IsBlocked && (told || !known): // also one blocked while away
			chat := s.chatOf(ctx, g) // outside mu: it may emit
			s.keep(g, chat)
			s.announce(ctx, chat)
		}
	}
	s.told.save()
}

// groupNotice tells text in the room of chatID, from the room itself,
// at the update's time at (Unix ms), durable (emit); its
// event ID, of kind, at and who (the update's author, or the member it
// names), is the same when the update is read again, which the host
// then drops.
func (s *Session) groupNotice(ctx context.Context, chatID, kind string, at int64, who, text string) {
	s.emit(ctx, groupNoticeEvent(chatID, kind, at, who, text), true)
}

// groupNoticeEvent is groupNotice's event.
func groupNoticeEvent(chatID, kind string, at int64, who, text string) *pb.Event {
	return &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: at * 1000,
		EventId: kind + "-" + strconv.FormatInt(at, 10) + "-" + who,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}}
}
