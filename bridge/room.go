package bridge

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/store"
)

// The network's groups as MUC rooms (XEP-0045), one per (user, group):
// `<escaped chat id>@<transport domain>`, the shape of a puppet's JID,
// known as a room by the session's chat list (a chat of type GROUP or
// CHANNEL). This file holds the room's state; room_in.go what the user's
// clients send to it (joins, messages, disco), room_out.go what the
// network sends into it. The XEP-0045 pieces are bridge/muc's, the
// archive store/archive*.go's.
//
// A room is touched by the chat's two workers (inbound: the user's
// stanzas, keyed (user, room JID); outbound: the network's events, keyed
// (login, chat ID)) and by the session's chat list sync; each holds the
// room's mutex briefly. Archiving a message and choosing the resources it
// goes to happen under that mutex, and so does a join's history: a
// message is either in a joining resource's history or sent to it live,
// never both, never neither.

// room is one group of a user's login as a MUC room.
type room struct {
	chatID string
	jid    string // the room's bare JID

	mu        sync.Mutex
	typ       pb.ChatType
	name      string
	subject   string
	subjectBy string // member ID of who set it ("" unknown)
	subjectAt time.Time
	readOnly  bool
	features  *pb.Features          // the chat's own, nil: the login's (room_features.go)
	members   map[string]*pb.Member // by user ID; the user's own entry is not among them
	names     map[string]string     // network name of members without a group nick, by user ID
	nicks     *muc.Nicks
	selfNick  string // the user's nick; "" until the first join
	// selfListed: the network named the user's own member (in a member
	// list or a member event); until then the user's nick is the one a
	// join asks (askedNickLocked).
	selfListed bool
	selfID     string // the user's own member ID, when the network marked it (room_nick.go)
	// memberNews is the session's news count at the network's last
	// event about each member, by user ID (selfKey: the user's nick or
	// standing); listNews at its last whole member list (a chat update).
	// An answer asked before is older (room_member_news.go).
	memberNews map[string]uint64
	listNews   uint64
	// The user's own affiliation and role, as the network's member list
	// says (zero: member, participant).
	selfAff     pb.Affiliation
	selfRole    pb.Role
	joined      map[string]bool     // the user's resources in the room
	shows       map[string]selfShow // their availability in it, by resource (room_status.go)
	showSeq     uint64
	avatarID    string // the network's ID of the group's picture (room_avatar.go)
	avatarHash  string // its SHA-1, "" until fetched or when none
	avatarAsked bool   // the picture was fetched (or said to be none) once

	// banned are the people the network banned from the group, by user
	// ID, with the ban's reason when the gateway saw it: no occupants,
	// only the ban list (muc#admin outcast, room_admin.go).
	banned map[string]string
	// invites are the Invites of contacts under way or just done, by
	// user ID; a member event of theirs drops theirs (room_invite_once.go).
	invites map[string]*inviting
	// presented are the members whose presence the joined resources
	// got, when joins are capped (room_crowd.go).
	presented map[string]bool
	// sent is the occupant presence each joined resource was last sent
	// of each member, by resource and member ID (room_occupant_sent.go).
	sent map[string]map[string]muc.Occupant

	authors authors // nicks of recent messages, for replies to them (room_reply.go)

	order ticketQueue // the user's own messages, reflected in order (room_order.go)
	sends ticketQueue // archived copies, written in stanza-id order (room_order.go)
}

// selfKey is the member ID the user's own nick is kept under in Nicks
// when the network's list does not name the user.
const selfKey = "\x00self"

// roomSet is a session's rooms, by chat ID.
type roomSet struct {
	mu sync.Mutex
	m  map[string]*room
	// left: the groups the user left, and why, read from the store
	// once (leftOnce) and kept there (room_left.go).
	left     map[string]leftGroup
	leftOnce sync.Once
	// nodeOnce checks the user's bookmarks node at the session's first
	// room (bookmark_node.go).
	nodeOnce sync.Once
	// news counts the network's member events in any room and the
	// questions under way, to tell a chat answer older than an event
	// (room_member_news.go).
	news newsClock
}

func (rs *roomSet) get(chatID string) *room {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.m[chatID]
}

// add returns the room of chatID, made with mk when there was none, and
// whether it is new.
func (rs *roomSet) add(chatID string, mk func() *room) (*room, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r := rs.m[chatID]; r != nil {
		return r, false
	}
	if rs.m == nil {
		rs.m = map[string]*room{}
	}
	r := mk()
	rs.m[chatID] = r
	return r, true
}

func (rs *roomSet) remove(chatID string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.m, chatID)
}

// all lists the rooms, by chat ID.
func (rs *roomSet) all() []*room {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]*room, 0, len(rs.m))
	for _, r := range rs.m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *room) int { return strings.Compare(a.chatID, b.chatID) })
	return out
}

// isGroup reports whether a chat is a room: a group or a channel.
func isGroup(typ pb.ChatType) bool {
	return typ == pb.ChatType_CHAT_TYPE_GROUP || typ == pb.ChatType_CHAT_TYPE_CHANNEL
}

// roomOf reports whether the user's session knows chatID as a room.
func (t *transport) roomOf(user, chatID string) bool {
	s := t.session(user)
	return s != nil && s.rooms.get(chatID) != nil
}

// roomKey is the archive of a room of the user.
func (t *transport) roomKey(user, chatID string) store.RoomKey {
	return store.RoomKey{Transport: t.name, UserJID: user, RoomID: chatID}
}

// setRoom records a group of the session's chat list (or of an event
// naming it) as a room, or updates the room with it. A new room is
// announced to the user (bookmarks or an invitation, bookmarks.go). It
// returns the room; nil when c is no group or has no JID.
//
// A chat description is taken beside the room's other writers (the
// login's room sync runs beside the chat's worker; the user's own
// messages are reflected from their results). The presences of the
// changes it brings (a member who joined while the gateway was away),
// written in no order, could follow the copies of a message rendered
// meanwhile from that very member: a message from an occupant not in
// the room. So they take a turn in the room's order of writes
// (room_order.go) under the lock that changes the room, and are written
// right after: later messages wait for them, and they for the copies of
// earlier ones. The turn ends before the bookmarks and the joins the
// chat completes (which take turns of their own): nothing waits on those.
func (s *session) setRoom(ctx context.Context, c *pb.Chat) *room {
	return s.setRoomAsOf(ctx, c, math.MaxUint64)
}

// setRoomAsOf is setRoom for a description the network gave when the
// roomSet's news count was asked (math.MaxUint64: an event, newer than
// all): its members the network told of since are as the room has them
// (freshMembersLocked).
func (s *session) setRoomAsOf(ctx context.Context, c *pb.Chat, asked uint64) *room {
	t := s.t
	t.fitChat(c) // netinput.go
	if !isGroup(c.GetType()) {
		return nil
	}
	rj, err := t.puppetJID(c.ChatId)
	if err != nil {
		t.log.Warn("group has no room address; not bridged", "chat", c.ChatId, "err", err)
		return nil
	}
	s.loadLeft() // room_left.go: before the first room, which forgetLeft may drop
	r, fresh := s.rooms.add(c.ChatId, func() *room {
		return &room{chatID: c.ChatId, jid: rj.String(), members: map[string]*pb.Member{}, names: map[string]string{},
			banned: map[string]string{}, nicks: muc.NewNicks(), joined: map[string]bool{}}
	})
	r.mu.Lock()
	oldName := r.name
	if asked != math.MaxUint64 {
		c = s.freshMembersLocked(r, c, asked) // room_member_news.go
	} else if len(c.Members) > 0 {
		r.listNews = s.rooms.news.tick() // a whole list: newer than answers asked before
	}
	out := s.updateRoomLocked(ctx, r, c, !fresh)
	var turn sendTurn
	if len(out) > 0 {
		turn = r.sendTurnLocked()
	}
	r.mu.Unlock()
	s.writeInTurn(ctx, turn, out)
	s.noteRoomAvatar(r, c) // room_avatar.go
	if fresh {
		s.forgetLeft(ctx, c.ChatId) // a member again: room_left.go
		s.rooms.nodeOnce.Do(func() { t.checkBookmarkNode(s.user) })
		asked := s.askedNick(c.ChatId) // room_join.go; not under r.mu
		r.mu.Lock()
		if r.selfNick == "" && asked != "" {
			// No member of the user's named: the nick the join asked,
			// which the network was given, rather than the login's
			// name, which the user was renamed from once it named it.
			r.selfNick, _ = r.nicks.Assign(selfKey, asked)
		}
		nick := r.ownNickLocked(s)
		r.mu.Unlock()
		t.announceRoom(ctx, s.user, r.jid, r.displayName(), nick)
		t.bookmarkFollows(ctx, s.user, r.jid, "", r.displayName()) // renamed while away? bookmark_rename_sync.go
	} else if name := r.displayName(); oldName != "" && name != oldName {
		t.bookmarkFollows(ctx, s.user, r.jid, oldName, name)
	}
	s.completeJoins(ctx, r) // joins by ID waiting for it (room_join.go)
	if fresh {
		s.roomsMade.signal(c.ChatId) // a group being created (room_create.go)
	}
	return r
}

// updateRoom takes a chat's description into r: its name, subject and
// members (when listed). A member list is the whole list: its outcasts
// are the whole ban list, and a banned member is no occupant. With show,
// it returns what the joined resources see of the changes (occupants
// coming and going, a new subject).
func (s *session) updateRoom(ctx context.Context, r *room, c *pb.Chat, show bool) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return s.updateRoomLocked(ctx, r, c, show)
}

// updateRoomLocked is updateRoom with r.mu held.
func (s *session) updateRoomLocked(ctx context.Context, r *room, c *pb.Chat, show bool) [][]byte {
	r.typ, r.readOnly = c.GetType(), c.GetReadOnly()
	r.takeFeaturesLocked(c)
	var out [][]byte
	if c.Name != "" && c.Name != r.name {
		if show && r.name != "" {
			// Renamed: clients read the room's disco#info again.
			for res := range r.joined {
				out = append(out, muc.ConfigChanged(r.jid, s.user+"/"+res, s.t.newID()))
			}
		}
		r.name = c.Name
	}
	if c.Topic != r.subject && (c.Topic != "" || r.subject != "") {
		r.subject, r.subjectBy = c.Topic, c.TopicSetterId
		if by := c.TopicSetterId; by != "" && (by == s.LoginID() || by == r.selfID || selfMarked(c.Members, by)) {
			// The user's own topic: from the user's nick, as topicEvent
			// shows it (under the login's ID the user has no nick).
			r.ownNickLocked(s)
			r.subjectBy = selfKey
		}
		r.subjectAt = time.Time{}
		if c.TopicUnixMicro > 0 {
			r.subjectAt = time.UnixMicro(c.TopicUnixMicro)
		}
		if show {
			for res := range r.joined {
				out = append(out, muc.Subject(r.jid, s.user+"/"+res, r.nickOfLocked(r.subjectBy), r.memberOccupantIDLocked(s, r.subjectBy), r.subject, time.Time{}, s.t.newID()))
			}
		}
	}
	if len(c.Members) == 0 {
		return out
	}
	names := s.memberNames(c.Members)
	seen := map[string]bool{}
	banned := map[string]string{}
	var ms []muc.Member
	marked := anySelf(c.Members)
	for _, m := range c.Members {
		if s.isSelfLocked(r, m, marked) {
			out = append(out, s.takeSelfLocked(r, m, show)...) // room_nick.go
			out = append(out, s.takeStandingLocked(r, m, show)...)
			continue
		}
		if m.UserId != "" && m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
			banned[m.UserId] = r.banned[m.UserId] // a reason seen before stays
			continue
		}
		if m.UserId == "" || seen[m.UserId] {
			continue
		}
		seen[m.UserId] = true
		ms = append(ms, muc.Member{ID: m.UserId, Name: names[m.UserId]})
	}
	for id := range banned {
		if seen[id] {
			delete(banned, id) // listed as a member too: a member
		}
	}
	r.banned = banned
	for id := range r.members {
		if !seen[id] {
			if show && r.presentedLocked(s.t, id) {
				why := muc.Left
				if _, ok := banned[id]; ok {
					why = muc.Banned
				}
				out = append(out, r.toJoinedLocked(s.user, func(to string) []byte {
					return muc.Removed(r.jid, to, r.occupantLocked(s, id), why, "", false)
				})...)
			}
			r.nicks.Remove(id)
			delete(r.members, id)
			delete(r.names, id)
			r.forgetPresentedLocked(id)
			r.forgetSentLocked(id)
		}
	}
	for id := range r.invites {
		if seen[id] {
			delete(r.invites, id) // in the group: the member check holds
		}
	}
	before := map[string]string{}
	shown := map[string]muc.Occupant{} // the occupants the joined resources saw, to tell their changes
	for _, m := range ms {
		if n, ok := r.nicks.Nick(m.ID); ok {
			before[m.ID] = n
		}
		if _, had := r.members[m.ID]; had && show && len(r.joined) > 0 && r.presentedLocked(s.t, m.ID) {
			shown[m.ID] = r.occupantLocked(s, m.ID)
		}
	}
	r.nicks.AssignAll(ms)
	for _, m := range c.Members {
		if !seen[m.UserId] || m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST {
			continue
		}
		_, had := r.members[m.UserId]
		r.members[m.UserId] = m
		r.names[m.UserId] = names[m.UserId]
		if !had {
			r.admitLocked(s.t, m.UserId) // room_crowd.go
		}
		if !show || !r.presentedLocked(s.t, m.UserId) {
			continue // past a big group's cap: shown when they speak
		}
		now, _ := r.nicks.Nick(m.UserId)
		switch old, ok := before[m.UserId]; {
		case !had:
			out = append(out, r.occupantPresenceLocked(s, m.UserId)...) // room_out.go
		case ok && old != now:
			o := r.occupantLocked(s, m.UserId)
			o.Nick = old
			out = append(out, r.nickChangeLocked(s, m.UserId, o, now)...) // room_occupant_sent.go
		default:
			// The same nick: a new affiliation or role (made while
			// the gateway was down, an event lost) shows as a member
			// event's would; nothing changed, nothing goes.
			if o, ok := shown[m.UserId]; ok {
				out = append(out, r.occupantChangedLocked(s, m.UserId, o)...) // room_occupant_sent.go
			}
		}
	}
	return out
}

// selfMarked reports whether a member list marks id as the user's own
// member (is_self).
func selfMarked(ms []*pb.Member, id string) bool {
	for _, m := range ms {
		if m.GetIsSelf() && m.GetUserId() == id {
			return true
		}
	}
	return false
}

// memberNames is each member's network name: its nick in the group, else
// its name as a contact, else its user ID.
func (s *session) memberNames(ms []*pb.Member) map[string]string {
	t := s.t
	out := make(map[string]string, len(ms))
	var contacts map[string]string
	for _, m := range ms {
		if m.Nick != "" {
			out[m.UserId] = m.Nick
			continue
		}
		if contacts == nil {
			contacts = map[string]string{}
			if ps, err := t.db.ListPuppets(t.name, s.LoginID()); err == nil {
				for _, p := range ps {
					contacts[p.UserID] = p.Name
				}
			}
		}
		if n := contacts[m.UserId]; n != "" {
			out[m.UserId] = n
		} else {
			out[m.UserId] = m.UserId
		}
	}
	return out
}

// displayName is the room's name, its chat ID when the network gave none.
func (r *room) displayName() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.name != "" {
		return r.name
	}
	return r.chatID
}

// occupantLocked is the occupant of member id, with the hash of the
// member's avatar where the session knows it (a contact's, or one fetched
// for the occupant's vCard).
func (r *room) occupantLocked(s *session, id string) muc.Occupant {
	nick, _ := r.nicks.Nick(id)
	pj := ""
	if j, err := s.t.puppetJID(id); err == nil {
		pj = j.String()
	}
	m := r.members[id]
	if m == nil {
		m = &pb.Member{UserId: id}
	}
	o := muc.MemberOccupant(m, nick, pj)
	photo, known := s.avatarHash(id)
	o.Photo, o.NoPhoto = photo, known && photo == ""
	o.Show, o.Status = memberShow(s.presence(id)) // room_presence.go
	if pj != "" {
		// As memberOccupantIDLocked, without a second look-up.
		o.OccupantID = muc.OccupantID(r.jid, s.aliases.realJID(s.t, pj))
	} else {
		o.OccupantID = r.memberOccupantIDLocked(s, id) // room_occupant_id.go
	}
	return o
}

// nickOfLocked is the nick a member (or the user: "", selfKey) speaks
// with; "" when unknown (the room itself then).
func (r *room) nickOfLocked(id string) string {
	if id == selfKey {
		return r.selfNick
	}
	n, _ := r.nicks.Nick(id)
	return n
}

// senderNickLocked is the nick of an event's sender: the user for their
// own words, a member's nick, or a guest's (muc.Nicks): a sender who is
// not listed as a member (one who left, a list not synced yet, a network
// that sends no member list) holds a nick while seen lately, and yields
// it to a member who wants it.
func (r *room) senderNickLocked(s *session, snd *pb.Sender) string {
	if snd.GetIsFromMe() || r.isUserIDLocked(s, snd.GetUserId()) {
		return r.ownNickLocked(s)
	}
	id := snd.GetUserId()
	if id == "" {
		return ""
	}
	if n, ok := r.nicks.Seen(id); ok {
		return n
	}
	name := snd.GetName()
	if name == "" {
		name = s.memberNames([]*pb.Member{{UserId: id}})[id]
	}
	return r.nicks.Guest(id, name)
}

// actorNickLocked is the occupant nick of by, who kicked or banned the
// member removed, for the removal's <actor/>: the user's own nick, or a
// member's; "" when by is not known, is the member removed, or is in
// the room under no nick (no guest nick is made up for an actor).
// removed is the member's ID, selfKey for the user.
func (r *room) actorNickLocked(s *session, by *pb.Sender, removed string) string {
	id := by.GetUserId()
	if by.GetIsFromMe() || (id != "" && r.isUserIDLocked(s, id)) {
		if removed == selfKey {
			return ""
		}
		return r.ownNickLocked(s)
	}
	if id == "" || id == removed {
		return ""
	}
	n, _ := r.nicks.Nick(id)
	return n
}

// isUserIDLocked reports whether id is the user's own on the network:
// the login's ID, or the member the room knows as the user.
func (r *room) isUserIDLocked(s *session, id string) bool {
	return id == s.LoginID() || (r.selfID != "" && id == r.selfID)
}

// ownNickLocked is the user's nick in the room: the network's (the
// user's entry in the member list), else the nick a join by ID asked
// (set by setRoom), else the login's name, else the user's localpart,
// made unique among the members.
func (r *room) ownNickLocked(s *session) string {
	if r.selfNick != "" {
		return r.selfNick
	}
	name := s.Login().DisplayName
	if name == "" {
		name, _, _ = strings.Cut(s.user, "@")
	}
	r.selfNick, _ = r.nicks.Assign(selfKey, name)
	return r.selfNick
}

// toJoinedLocked builds one stanza per joined resource.
func (r *room) toJoinedLocked(user string, build func(to string) []byte) [][]byte {
	out := make([][]byte, 0, len(r.joined))
	for _, res := range r.resourcesLocked() {
		out = append(out, build(user+"/"+res))
	}
	return out
}

// resourcesLocked lists the joined resources in a stable order.
func (r *room) resourcesLocked() []string {
	out := make([]string, 0, len(r.joined))
	for res := range r.joined {
		out = append(out, res)
	}
	slices.Sort(out)
	return out
}

// syncRooms brings the session's rooms in line with the network's chat
// list: each group or channel is a room (its members asked with ChatInfo
// when the list leaves them out). It runs after each contact sync. Only
// a sync that read the list counts as the first (roomsSyncDone).
func (s *session) syncRooms(ctx context.Context) {
	if !s.roomSync.start() {
		return // the one under way goes again when done
	}
	for {
		failed := !s.syncRoomsOnce(ctx)
		if !s.roomSync.done(failed, ctx.Err() != nil) {
			return
		}
	}
}

// roomSyncRun runs one room sync at a time: a call meanwhile makes it go
// once more when done. failed says the last one's chat list failed: the
// login's next CONNECTED state tries again (setState, retryWanted), as
// the network may have been still connecting.
type roomSyncRun struct {
	mu                     sync.Mutex
	running, again, failed bool
}

func (r *roomSyncRun) start() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		r.again = true
		return false
	}
	r.running = true
	return true
}

// done ends a run (failed: its chat list failed; stopped: its context
// ended, so it may not go again, and the next call starts afresh) and
// reports whether to run once more.
func (r *roomSyncRun) done(failed, stopped bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	again := r.again && !stopped
	r.again, r.running, r.failed = false, again, failed
	return again
}

// retryWanted reports whether a CONNECTED state should sync the rooms:
// the last sync's chat list failed, or one runs now (begun while the
// network was connecting, it may fail: it goes once more).
func (r *roomSyncRun) retryWanted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed || r.running
}

// syncRoomsOnce is one room sync; false when the chat list failed.
func (s *session) syncRoomsOnce(ctx context.Context) bool {
	t := s.t
	if !t.host.Caps().GetFeatures().GetGroups() {
		s.roomsSyncDone() // no groups to wait for
		return true
	}
	client, err := t.client(ctx)
	if err != nil {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	asked := s.rooms.news.ask() // before the answer: room_member_news.go
	defer s.rooms.news.answered(asked)
	res, err := client.ChatList(cctx, &pb.LoginRef{LoginId: s.LoginID()})
	cancel()
	if e := sdk.FromGRPC(err); e != nil && e.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		s.roomsSyncDone() // no list will ever come: rooms come one by one (findRoom)
		return true
	}
	if stopping(ctx, err) {
		t.log.Debug("chat list left for the next sync: stopping", "user", s.user)
		return false
	}
	if err != nil {
		t.log.Warn("chat list failed; groups not synced", "user", s.user, "err", err)
		return false
	}
	var groups []*pb.Chat
	for _, c := range res.GetChats() {
		if isGroup(c.Type) {
			groups = append(groups, c)
		}
	}
	infos := s.membersOf(ctx, groups)
	for i, c := range groups {
		if infos[i] != nil {
			if full := <-infos[i]; full != nil {
				c = full
			}
		}
		s.setRoomFromAnswer(ctx, c, asked)
	}
	s.roomsSyncDone()
	return true
}

// syncInfosAtOnce bounds the ChatInfo calls a room sync makes at once.
const syncInfosAtOnce = 4

// membersOf asks the network about each chat the list left the members
// of out (ChatInfo), up to syncInfosAtOnce at a time, in the list's
// order: each such chat's answer comes on its channel (nil when the
// network could not say); a chat listed with its members has none. One
// after another, a network that answers late (an IRC channel's ChatInfo
// waits up to 10 s for its NAMES) held each room behind the ones before.
func (s *session) membersOf(ctx context.Context, chats []*pb.Chat) []chan *pb.Chat {
	out := make([]chan *pb.Chat, len(chats))
	for i, c := range chats {
		if len(c.Members) == 0 {
			out[i] = make(chan *pb.Chat, 1)
		}
	}
	// A sync's context may never end: these end with the stop too.
	s.t.goCtx(ctx, func(ctx context.Context) {
		sem := make(chan struct{}, syncInfosAtOnce)
		for i, c := range chats {
			if out[i] == nil {
				continue
			}
			sem <- struct{}{}
			s.t.goBg(func() {
				defer func() { <-sem }()
				out[i] <- s.chatInfo(ctx, c.ChatId)
			})
		}
		// ctx ends as this returns: once the last answer is in.
		for range cap(sem) {
			sem <- struct{}{}
		}
	})
	return out
}

// After a start, what the outbox kept (a message, the history a stop left
// undelivered) comes before the plugin runs and the login's rooms are
// known: an event of a group the session does not know waits for the
// login's first room sync, however long the login takes to connect (the
// network down at the start, credentials to give again). Dropped as "not
// in the group", it was lost. It waits in its chat's worker: other chats
// go on, and this chat's later events keep their place behind it.

// sessionCheck is how often an event waiting for the first room sync
// checks that its session is still its login's, and whether its room
// became known meanwhile.
var sessionCheck = 2 * time.Second

// roomsSyncDone marks the session's first room sync ended (whatever it
// found): events of groups it did not bring need not wait any more.
func (s *session) roomsSyncDone() {
	s.roomsSyncedOnce.Do(func() { close(s.roomsSynced) })
}

// waitRoomsSynced waits for the session's first room sync, or for the
// room of chatID to be known another way (the user joined it, the
// network told of it): a sync whose chat list failed is done again only
// at the next connect, and the chat's later events wait behind this
// one. False when neither will come: the gateway stops (ctx: the event
// stays in the outbox, see deliverNow) or the session is no longer its
// login's (the user logged out or unregistered).
func (s *session) waitRoomsSynced(ctx context.Context, chatID string) bool {
	tick := time.NewTicker(sessionCheck)
	defer tick.Stop()
	for {
		select {
		case <-s.roomsSynced:
			return true
		case <-ctx.Done():
			return false
		case <-tick.C:
			if s.t.sessionOf(s.LoginID()) != s {
				return false
			}
			if s.rooms.get(chatID) != nil {
				return true
			}
		}
	}
}

// chatInfo asks the network about a chat; nil when it cannot say.
func (s *session) chatInfo(ctx context.Context, chatID string) *pb.Chat {
	t := s.t
	client, err := t.client(ctx)
	if err != nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c, err := client.ChatInfo(cctx, &pb.ChatRef{LoginId: s.LoginID(), ChatId: chatID})
	if err != nil {
		t.log.Debug("chat info failed", "user", s.user, "chat", chatID, "err", err)
		return nil
	}
	return c
}

// findRoom returns the user's room of chatID, asking the network about a
// chat the session does not know yet as a room (a client joining right
// after a start, before the chat list came); nil when it is no group.
func (s *session) findRoom(ctx context.Context, chatID string) *room {
	if r := s.rooms.get(chatID); r != nil {
		return r
	}
	// Right after a start the plugin may not run yet (no caps), or not
	// have the logins connected: wait for it, as a message does, rather
	// than take the chat for no group.
	wctx, cancel := context.WithTimeout(ctx, targetWait)
	s.t.host.WaitReady(wctx)
	cancel()
	if !s.t.host.Caps().GetFeatures().GetGroups() {
		return nil
	}
	asked := s.rooms.news.ask() // before the answer: room_member_news.go
	defer s.rooms.news.answered(asked)
	c := s.chatInfo(ctx, chatID)
	if c == nil || c.ChatId != chatID {
		return nil
	}
	return s.setRoomFromAnswer(ctx, c, asked)
}

// closeRooms tells the joined resources of every room of a session that
// ends (the user logged out) that they are out of it (status 332).
func (s *session) closeRooms(ctx context.Context) {
	for _, r := range s.rooms.all() {
		out, turn := s.dropRoom(ctx, r, muc.Shutdown, "you logged out of "+s.t.displayName())
		s.writeInTurn(ctx, turn, out)
	}
}
