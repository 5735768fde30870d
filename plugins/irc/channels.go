package irc

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// channel is a channel the user is in, as the server told us.
type channel struct {
	name  string // as the server spells it
	topic string //
	// topicBy and topicAt are who set the topic (a nick, or a server's
	// name) and when, where the server said (333, TOPIC).
	topicBy string
	topicAt time.Time
	members map[string]*member // by ID; the user's is the login ID
	// synced: the server's NAMES ended, the members are known (and the
	// gateway was sent the chat). ready is closed then, or when the
	// channel is dropped before (parted, kicked, disconnected): a
	// ChatInfo waits for it (settle).
	synced bool
	ready  chan struct{}
	// flags are the channel's own modes set now, without their
	// arguments ("nt", "m"...): from the answer to the MODE query sent
	// at joining (324), and the MODE changes since (chanview.go).
	flags string
}

// member is someone in a channel: their nick and their channel modes
// ("o", "v"...).
type member struct {
	nick  string
	modes string
}

// handleChannels sets the callbacks that keep the channels and report
// their changes.
func (s *Session) handleChannels(c *ircevent.Connection) {
	s.on(c, "JOIN", func(m ircmsg.Message) {
		if len(m.Params) < 1 {
			return
		}
		id := s.chanID(m.Params[0])
		if s.isSelf(m.Nick()) {
			s.mu.Lock()
			s.safeJoinedLocked(m.Params[0], id)
			s.selfJoinedLocked(m.Params[0], id)
			if _, uh, ok := splitSource(m.Source); ok {
				s.selfAddr = uh
			}
			s.mu.Unlock()
			s.askModes(c, id)
			return
		}
		s.mu.Lock()
		ch := s.channels[id]
		var mem *pb.Member
		if nick, uh, ok := splitSource(m.Source); ok {
			s.people.seen(nick, uh)
		}
		if ch != nil {
			uid := s.people.id(m.Nick())
			if _, was := ch.members[uid]; !was {
				ch.members[uid] = &member{nick: m.Nick()}
				mem = s.pbMemberLocked(ch, uid, ch.members[uid])
			}
		}
		s.mu.Unlock()
		if mem != nil {
			s.member(m, id, pb.MemberEvent_KIND_JOINED, mem, "")
		}
	})
	s.on(c, ircevent.RPL_NAMREPLY, s.onNames)
	// The end of NAMES completes a join: the members are known.
	s.on(c, ircevent.RPL_ENDOFNAMES, func(m ircmsg.Message) {
		if len(m.Params) >= 2 {
			s.joined(m, s.chanID(m.Params[1]))
		}
	})
	s.on(c, ircevent.RPL_TOPIC, func(m ircmsg.Message) {
		if len(m.Params) >= 3 {
			s.withChannel(s.chanID(m.Params[1]), func(ch *channel) { ch.topic = plainText(m.Params[2]) })
		}
	})
	// Who set the topic and when ("333 me #chan nick!user@host 1700000000"):
	// the room's subject comes from them, dated.
	s.on(c, ircevent.RPL_TOPICTIME, func(m ircmsg.Message) {
		if len(m.Params) < 4 {
			return
		}
		by, _, _ := strings.Cut(m.Params[2], "!")
		at, err := strconv.ParseInt(m.Params[3], 10, 64)
		s.withChannel(s.chanID(m.Params[1]), func(ch *channel) {
			ch.topicBy, ch.topicAt = by, time.Time{}
			if err == nil && at > 0 {
				ch.topicAt = time.Unix(at, 0)
			}
		})
	})
	s.on(c, "TOPIC", func(m ircmsg.Message) {
		if len(m.Params) < 2 {
			return
		}
		id, topic := s.chanID(m.Params[0]), plainText(m.Params[1])
		in := false
		s.withChannel(id, func(ch *channel) { ch.topic, ch.topicBy, ch.topicAt, in = topic, m.Nick(), serverTime(m), true })
		if !in {
			return // no channel of the user's
		}
		ev := s.groupEvent(m, id)
		ev.Payload = &pb.Event_Topic{Topic: &pb.TopicEvent{Topic: topic}}
		s.n.host.Emit(ev)
	})
	s.on(c, "PART", func(m ircmsg.Message) {
		if len(m.Params) < 1 {
			return
		}
		s.gone(m, s.chanID(m.Params[0]), m.Nick(), pb.MemberEvent_KIND_LEFT, plainText(param(m, 1)))
	})
	s.on(c, "KICK", func(m ircmsg.Message) {
		if len(m.Params) < 2 {
			return
		}
		kind := pb.MemberEvent_KIND_KICKED
		if s.banKick(m) {
			kind = pb.MemberEvent_KIND_BANNED // the room lists them as banned
		}
		s.gone(m, s.chanID(m.Params[0]), m.Params[1], kind, plainText(param(m, 2)))
	})
	s.on(c, "QUIT", func(m ircmsg.Message) {
		for _, id := range s.channelsOf(m.Nick()) {
			s.gone(m, id, m.Nick(), pb.MemberEvent_KIND_LEFT, plainText(param(m, 0)))
		}
		s.quitPresence(m)
		s.mu.Lock()
		s.people.forget(m.Nick())
		s.mu.Unlock()
	})
}

// selfJoinedLocked notes the channel name (ID id) the user joined, its
// members to come (NAMES). A JOIN of one the user is in already (a
// bouncer's replay, a server's forced rejoin) makes it anew: a ChatInfo
// waiting for the NAMES of the old one is woken, to wait for the new
// one's (else it waited on a channel no one settles, NamesWait long).
func (s *Session) selfJoinedLocked(name, id string) {
	if old := s.channels[id]; old != nil {
		old.settle()
	}
	s.channels[id] = &channel{name: name, members: map[string]*member{}, ready: make(chan struct{})}
}

// dropChannelsLocked forgets every channel, the connection gone: a
// ChatInfo waiting for the NAMES of one is woken (it answers NOT_FOUND).
func (s *Session) dropChannelsLocked() {
	for _, ch := range s.channels {
		ch.settle()
	}
	clear(s.channels)
}

// onNames notes the members a NAMES reply (353) lists, with their modes
// and, with userhost-in-names, their users and hosts.
func (s *Session) onNames(m ircmsg.Message) {
	if len(m.Params) < 4 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[s.chanID(m.Params[2])]
	if ch == nil {
		return
	}
	for _, entry := range strings.Fields(m.Params[3]) {
		nick, modes := s.prefix.split(entry)
		// With userhost-in-names, nick!user@host.
		nick, uh, withHost := splitSource(nick)
		if nick == "" {
			continue
		}
		uid := s.loginID
		switch {
		case !s.isSelfLocked(nick) && withHost:
			uid = s.people.seen(nick, uh)
		case !s.isSelfLocked(nick):
			uid = s.people.id(nick)
		case withHost:
			s.selfAddr = uh
		}
		ch.members[uid] = &member{nick: nick, modes: modes}
	}
}

// joined completes the join of a channel once its NAMES ended: the
// gateway gets the chat with its members (after a rename of the user,
// if the server gave them another nick since the gateway last heard of
// the channel), a JoinChat waiting for it returns, and a login waiting
// for its channels may be connected.
func (s *Session) joined(m ircmsg.Message, id string) {
	s.mu.Lock()
	ch := s.channels[id]
	if ch == nil || ch.synced {
		s.mu.Unlock()
		s.joinDone(id) // refused, or a NAMES asked for later
		return
	}
	ch.synced = true
	ch.settle()
	chat := s.chatLocked(id, ch)
	var renamed *pb.Member
	if self := ch.members[s.loginID]; self != nil {
		if was := s.shown[id]; was != "" && was != self.nick {
			renamed = s.pbMemberLocked(ch, s.loginID, self)
		}
		s.shown[id] = self.nick
	}
	wait := s.joins[id]
	delete(s.joins, id)
	conn, name := s.conn, ch.name
	// Joined elsewhere: forwarded by the server from the channel asked
	// (470), an operator's SAJOIN, another client on the user's
	// bouncer. The user is in it: the login keeps it, as it forgets one
	// parted elsewhere.
	elsewhere := wait == nil && !s.ownsLocked(id)
	s.mu.Unlock()
	if renamed != nil {
		ev := s.groupEvent(m, id)
		ev.Sender = &pb.Sender{UserId: s.loginID, Name: renamed.Nick, IsFromMe: true}
		ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: renamed}}
		s.n.host.Emit(ev)
	}
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	s.mu.Lock()
	s.joinedAgainLocked(id)
	s.mu.Unlock()
	if conn != nil {
		s.catchUp(conn, id, name) // what was said while the user was not there
	}
	if wait != nil {
		wait <- nil
	}
	if elsewhere {
		if err := s.keepChannel(name, ""); err != nil {
			s.n.host.Logger().Error("irc: the login's channels not saved", "err", err)
		}
	}
	s.joinDone(id)
}

func param(m ircmsg.Message, i int) string {
	if i < len(m.Params) {
		return m.Params[i]
	}
	return ""
}

// gone removes nick from a channel and says so; the user leaving (or
// kicked) forgets the channel.
func (s *Session) gone(m ircmsg.Message, id, nick string, kind pb.MemberEvent_Kind, reason string) {
	s.mu.Lock()
	if s.isSelfLocked(nick) {
		ch, in := s.channels[id]
		delete(s.channels, id)
		delete(s.shown, id)
		if in {
			ch.settle()
		}
		var ended []*pb.Event
		if in {
			for uid, mem := range ch.members {
				ended = append(ended, s.presenceEndedLocked(uid, mem.nick)...)
			}
		}
		s.mu.Unlock()
		for _, ev := range ended {
			s.n.host.Emit(ev)
		}
		if in {
			s.typingEnded(ch.name) // no repeats to a channel the user is out of
		}
		// A PART of the user's own that LeaveChat did not send (it
		// forgets the channel first) came from elsewhere: another
		// client on their bouncer, or an operator's forced part
		// (Solanum's REMOVE). The room goes, as after a kick.
		parted := kind == pb.MemberEvent_KIND_LEFT && m.Command == "PART"
		if in && (parted || kind == pb.MemberEvent_KIND_KICKED || kind == pb.MemberEvent_KIND_BANNED) {
			why := pb.ChatRemovedEvent_REASON_KICKED
			if parted {
				why = pb.ChatRemovedEvent_REASON_LEFT
			}
			ev := s.groupEvent(m, id)
			ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: why, Text: reason}}
			s.n.host.Emit(ev)
			// Not rejoined: the user left, and after a kick that would
			// be taken as abuse.
			if err := s.forgetChannel(id); err != nil {
				s.n.host.Logger().Error("irc: the login's channels not saved", "err", err)
			}
		}
		return
	}
	var mem *pb.Member
	var ended []*pb.Event
	if ch := s.channels[id]; ch != nil {
		uid := s.people.id(nick)
		if was := ch.members[uid]; was != nil {
			delete(ch.members, uid)
			mem = &pb.Member{UserId: uid, Nick: decodeText(was.nick)}
			ended = s.presenceEndedLocked(uid, was.nick)
		}
	}
	s.mu.Unlock()
	if mem != nil {
		s.member(m, id, kind, mem, reason)
	}
	for _, ev := range ended {
		s.n.host.Emit(ev)
	}
}

// settle wakes the ChatInfo calls waiting for the channel's NAMES to
// end: they ended, or the channel is gone. Call with s.mu held.
func (ch *channel) settle() {
	if ch.ready == nil {
		return
	}
	select {
	case <-ch.ready:
	default:
		close(ch.ready)
	}
}

// member emits a member event in a channel, made by m's sender.
func (s *Session) member(m ircmsg.Message, id string, kind pb.MemberEvent_Kind, mem *pb.Member, reason string) {
	ev := s.groupEvent(m, id)
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: mem, Reason: reason}}
	s.n.host.Emit(ev)
}

// groupEvent is an event in channel id from m's sender, at m's time.
func (s *Session) groupEvent(m ircmsg.Message, id string) *pb.Event {
	return &pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: s.n.newID(),
		TimestampUnixMicro: serverTime(m).UnixMicro(), Sender: s.sender(m.Nick())}
}

// pbMemberLocked is a member of ch as the contract has it.
func (s *Session) pbMemberLocked(ch *channel, uid string, m *member) *pb.Member {
	role, aff := s.roleLocked(ch, m)
	return &pb.Member{UserId: uid, Nick: decodeText(m.nick), Role: role, Affiliation: aff, IsSelf: uid == s.loginID}
}

func (s *Session) withChannel(id string, f func(*channel)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[id]; ch != nil {
		f(ch)
	}
}

// channelsOf is the joined channels nick is in.
func (s *Session) channelsOf(nick string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	uid := s.loginID
	if !s.isSelfLocked(nick) {
		uid = s.people.id(nick)
	}
	var ids []string
	for id, ch := range s.channels {
		if _, ok := ch.members[uid]; ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// channelName is the name of the joined channel of chat ID chatID, as
// the server spells it: what IRC commands to it carry.
func (s *Session) channelName(chatID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[s.chanID(chatID)]; ch != nil {
		return ch.name, true
	}
	return "", false
}

// chatLocked describes a joined channel. One whose NAMES did not end
// yet has no members: the list so far is no whole list (the gateway
// takes a list as whole, and those missing as gone), and it may lack
// the user, whose nick in the room the gateway would then make up from
// the login's name. Without members, the gateway asks ChatInfo, which
// waits for the NAMES end.
func (s *Session) chatLocked(id string, ch *channel) *pb.Chat {
	c := &pb.Chat{ChatId: id, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: plainText(ch.name), Topic: ch.topic}
	if ch.topic != "" && !ch.topicAt.IsZero() {
		c.TopicUnixMicro = ch.topicAt.UnixMicro()
	}
	members := ch.members
	if !ch.synced {
		// NAMES under way (or never ended): no list at all. A list is
		// the whole list (transport.proto's Chat.members; the bridge
		// takes the room's members from it), so a partial one, even
		// the user alone, would have everyone else leave the room.
		members = nil
	}
	for uid, m := range members {
		c.Members = append(c.Members, s.pbMemberLocked(ch, uid, m))
		// The setter by their ID where they are in the channel: the
		// room knows no one else (a server's name, someone gone).
		if ch.topic != "" && ch.topicBy != "" && s.fold(m.nick) == s.fold(ch.topicBy) {
			c.TopicSetterId = uid
		}
	}
	slices.SortFunc(c.Members, func(a, b *pb.Member) int { return strings.Compare(a.UserId, b.UserId) })
	s.limitLocked(c, ch)
	return c
}

// ChatList is the joined channels (sdk.ChatLister).
func (s *Session) ChatList(context.Context) ([]*pb.Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*pb.Chat
	for id, ch := range s.channels {
		out = append(out, s.chatLocked(id, ch))
	}
	slices.SortFunc(out, func(a, b *pb.Chat) int { return strings.Compare(a.ChatId, b.ChatId) })
	return out, nil
}

// NamesWait is how long ChatInfo waits for the end of a joined channel's
// NAMES, at most: the channel is then described without its members,
// and stale.
const NamesWait = 10 * time.Second

// namesWait is NamesWait; internal tests make it longer than their own
// deadline, so that a waiter not woken fails them.
var namesWait = NamesWait

// ChatInfo describes a joined channel, or a nick's direct chat
// (sdk.ChatInfoer). A channel joined whose NAMES did not end yet is
// described once they did (within ctx and NamesWait): with its members,
// the user among them. Answered at once, it had none (or some), and the
// gateway gave the user a nick of its own in the room (the login's
// name), another than the messages the user sent then came from.
func (s *Session) ChatInfo(ctx context.Context, chatID string) (*pb.Chat, error) {
	if !isChannel(chatID) {
		name := chatID
		s.mu.Lock()
		if nick, ok := s.people.nick(chatID); ok {
			name = nick
		}
		s.mu.Unlock()
		return &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_DIRECT, Name: decodeText(name)}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, namesWait)
	defer cancel()
	for {
		s.mu.Lock()
		id := s.chanID(chatID)
		ch := s.channels[id]
		if ch == nil {
			s.mu.Unlock()
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", chatID)
		}
		if ch.synced || ctx.Err() != nil {
			c := s.chatLocked(id, ch)
			// NAMES did not end in time: the members are unknown, not
			// none (chatLocked lists none, which the gateway reads as
			// not listed: the room's own list stands), and the answer
			// says so (Chat.stale, which the gateway tells the user).
			c.Stale = !ch.synced
			s.mu.Unlock()
			return c, nil
		}
		ready, waiting := ch.ready, s.namesWaiting
		s.mu.Unlock()
		if waiting != nil {
			waiting(id)
		}
		select {
		case <-ready: // synced, or gone: looked at again
		case <-ctx.Done():
		}
	}
}

// LeaveChat parts a channel (sdk.Leaver).
func (s *Session) LeaveChat(ctx context.Context, c sdk.Call) error {
	return s.LeaveChatReason(ctx, c, "")
}

// LeaveChatReason parts a channel with the user's words as the PART's
// reason, as biboumi does (sdk.ReasonLeaver); "" parts without one.
func (s *Session) LeaveChatReason(_ context.Context, c sdk.Call, reason string) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	name, ok := s.channelName(c.ChatID)
	if !ok {
		return s.leaveNotJoined(conn, c.ChatID)
	}
	part := []string{name}
	if r := strings.Join(strings.Fields(reason), " "); r != "" {
		// Refused before the channel is forgotten: nothing is lost.
		if err := s.carriesIn(c.ChatID, "the reason", r); err != nil {
			return err
		}
		part = append(part, r) // one line: IRC's reason has no line breaks
		// Cut, not refused, to IRC's 512 bytes in the channel's
		// encoding, as a kick's reason (fitLine): a server drops or
		// cuts a longer line, the channel forgotten here all the same.
		part = s.codecOf(c.ChatID).fitLine(append([]string{"PART"}, part...))[1:]
	}
	// Forgotten before the PART goes: the server's PART that answers it
	// is then not taken for one from elsewhere (gone).
	id := s.chanID(c.ChatID)
	s.typingEnded(name)
	s.mu.Lock()
	ch := s.channels[id]
	delete(s.channels, id)
	if ch != nil {
		ch.settle()
	}
	shown, hadShown := s.shown[id]
	delete(s.shown, id)
	s.mu.Unlock()
	if err := conn.Send("PART", part...); err != nil {
		s.mu.Lock()
		if _, again := s.channels[id]; !again && ch != nil {
			if !ch.synced {
				ch.ready = make(chan struct{}) // settled above: waits again
			}
			s.channels[id] = ch
			if hadShown {
				s.shown[id] = shown
			}
		}
		s.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "could not part %s: %v", c.ChatID, err)
	}
	return s.forgetChannel(id)
}

// leaveNotJoined leaves a channel of the login the user is not in now:
// its JOIN under way after a reconnection (PART follows it, so that
// the server's answer to the JOIN is undone: gone sees the PART), or
// one that refused the last JOIN and stays on the list (a full
// channel, one for registered nicks only). It comes off the list, so
// that it is not joined again behind the user's back. Before, such a
// leave was NOT_FOUND, and the room came back once the JOIN went
// through.
func (s *Session) leaveNotJoined(conn *ircevent.Connection, chatID string) error {
	id := s.chanID(chatID)
	s.mu.Lock()
	owned, joining := s.ownsLocked(id), s.pending[id]
	delete(s.needID, id)
	s.mu.Unlock()
	if !owned {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", chatID)
	}
	if err := s.forgetChannel(id); err != nil {
		return err
	}
	if name, ok := s.chanName(chatID); ok && joining {
		if err := conn.Part(name); err != nil {
			s.n.host.Logger().Warn("irc: PART of a channel being joined not sent", "channel", name, "err", err)
		}
	}
	return nil
}

// forgetChannel takes a channel off the login's list: left for good, it
// is not rejoined when the connection comes back, after restarts too.
func (s *Session) forgetChannel(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acc.Channels = slices.DeleteFunc(s.acc.Channels, func(ch string) bool { return s.chanID(ch) == id })
	s.acc.Refused = slices.DeleteFunc(s.acc.Refused, func(r string) bool { return r == id })
	delete(s.acc.Keys, id)
	return s.saveLocked()
}

// SetTopic sets a channel's topic; the server's TOPIC echo becomes the
// topic event (sdk.TopicSetter).
func (s *Session) SetTopic(ctx context.Context, c sdk.Call, topic string) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	name, ok := s.channelName(c.ChatID)
	if !ok {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", c.ChatID)
	}
	// Waited for as a moderation command (moderation.go): a channel
	// whose topic only operators set (+t) refuses others with 482. A
	// topic is one line: an XMPP subject's line breaks become spaces.
	topic = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\x00", "").Replace(topic)
	if err := s.carriesIn(c.ChatID, "the topic", topic); err != nil {
		return err
	}
	return s.moderate(ctx, conn, &modWait{what: "set the topic of " + name, channel: c.ChatID}, []string{"TOPIC", name, topic})
}
