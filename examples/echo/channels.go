package echo

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The echo network's channels: groups the user joins by name from XMPP
// (sdk.ChatJoiner, feature join_chat), as on IRC. Any chat ID starting
// with ChannelSign is a channel with Echo One in it, made when first
// joined, except:
//
//	#nowhere   there is no such channel (NOT_FOUND)
//	#locked    needs the key ChannelKey (UNAUTHORIZED without it)
//	#later-…   described without its members (ChatEvent, ChatList,
//	           ChatInfo) until the user's first message in it, which
//	           the members come before, as an IRC channel's before its
//	           NAMES ended (NamesLaterSign)
//
// A channel is also joined by its public name, PublicSign and its name
// ("public-go" joins "#go"), as a Telegram group by its @name: the join
// answers with the channel's own ID; by a secret name with its password
// (secret.go), as by a Telegram invite link.
//
// In a channel, and in the echo room, the user may change their nick
// (sdk.NickSetter, feature set_nick): the network answers with a
// MemberEvent RENAMED of the user's own member, marked is_self; the nick
// ReservedNick is refused (NOT_ALLOWED). A channel's repeater is Echo
// One, as in the room.
const (
	ChannelSign    = "#"
	PublicSign     = "public-"
	NoSuchChannel  = "#nowhere"
	LockedChannel  = "#locked"
	BannedChannel  = "#banned" // the user is banned from it: a join is BANNED
	NamesLaterSign = "#later-"
	ChannelKey     = "sesame"
	ReservedNick   = "ChanServ"
	channelSelfTag = "self-" // the user's own member ID in a channel: self-<login ID>
)

var (
	_ sdk.ChatJoiner = (*Session)(nil)
	_ sdk.NickSetter = (*Session)(nil)
)

// channel is a channel the account joined, or a group it created
// (create.go).
type channel struct {
	nick string // the user's nick in it
	// named: its members were told (a NamesLaterSign channel's are
	// not until the user's first message in it).
	named bool
	// A created group's name and the contacts in it beside Echo One.
	name    string
	members []string
}

// isChannel reports whether chatID names a channel.
func isChannel(chatID string) bool { return strings.HasPrefix(chatID, ChannelSign) && len(chatID) > 1 }

// selfID is the user's own member ID in a channel: not the login ID, so
// only is_self says who the user is.
func (s *Session) selfID() string { return channelSelfTag + s.loginID }

// channelChatLocked describes a joined channel. Call with n.mu held.
func (s *Session) channelChatLocked(id string, ch *channel) *pb.Chat {
	name := cmp.Or(ch.name, id)
	c := &pb.Chat{ChatId: id, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: name, Topic: "Welcome to " + name}
	if !ch.named && strings.HasPrefix(id, NamesLaterSign) {
		return c
	}
	c.Members = []*pb.Member{{UserId: s.selfID(), Nick: ch.nick, IsSelf: true}, {UserId: RoomRepeater}}
	if ch.name != "" { // created by the user: theirs to run
		c.Members[0].Affiliation = pb.Affiliation_AFFILIATION_OWNER
		c.Members[0].Role = pb.Role_ROLE_MODERATOR
	}
	for _, m := range ch.members {
		c.Members = append(c.Members, &pb.Member{UserId: m})
	}
	return c
}

// channelsLocked lists the account's channels, by ID. Call with n.mu held.
func (s *Session) channelsLocked() map[string]*channel {
	if s.n.channels == nil {
		s.n.channels = map[string]map[string]*channel{}
	}
	cs := s.n.channels[s.loginID]
	if cs == nil {
		cs = map[string]*channel{}
		s.n.channels[s.loginID] = cs
		s.namesChannelsLocked(cs) // names_later.go
	}
	return cs
}

// channelChats lists the joined channels, for ChatList.
func (s *Session) channelChats() []*pb.Chat {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	cs := s.channelsLocked()
	ids := make([]string, 0, len(cs))
	for id := range cs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*pb.Chat, len(ids))
	for i, id := range ids {
		out[i] = s.channelChatLocked(id, cs[id])
	}
	return out
}

// channelInfo describes a joined channel; NOT_FOUND for one not joined.
func (s *Session) channelInfo(id string) (*pb.Chat, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	ch := s.channelsLocked()[id]
	if ch == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", id)
	}
	c := s.channelChatLocked(id, ch)
	if ch.name != "" { // a group the user created: theirs to share
		c.InviteLink = InviteLinkPrefix + strings.TrimPrefix(id, ChannelSign)
	}
	return c, nil
}

// JoinChat joins a channel, by its ID or its public name, and describes
// it to the gateway with a ChatEvent (sdk.ChatJoiner).
func (s *Session) JoinChat(ctx context.Context, c sdk.Call, j *pb.JoinChat) (string, error) {
	if err := s.online(); err != nil {
		return "", err
	}
	joined := ""
	if name, ok := strings.CutPrefix(c.ChatID, PublicSign); ok && name != "" {
		joined = ChannelSign + name
		c.ChatID = joined
	}
	if ch, err := s.secretChannel(ctx, c.ChatID, j.Password); err != nil { // secret.go
		return "", err
	} else if ch != "" {
		joined, c.ChatID = ch, ch
	}
	switch {
	case !isChannel(c.ChatID):
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no group of the echo network (channels start with %s)", c.ChatID, ChannelSign)
	case c.ChatID == NoSuchChannel:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "there is no channel %q on the echo network", c.ChatID)
	case c.ChatID == LockedChannel && j.Password != ChannelKey:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "%s needs its key", c.ChatID)
	case c.ChatID == BannedChannel:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BANNED, "you are banned from %s", c.ChatID)
	}
	nick := j.Nick
	if nick == "" || nick == ReservedNick {
		nick = s.loginID
	}
	s.n.mu.Lock()
	cs := s.channelsLocked()
	ch := cs[c.ChatID]
	if ch == nil {
		ch = &channel{nick: nick}
		cs[c.ChatID] = ch
	}
	chat := s.channelChatLocked(c.ChatID, ch)
	s.n.mu.Unlock()
	s.emit(&pb.Event{LoginId: s.loginID, ChatId: c.ChatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	return joined, nil
}

// tellNamesLater tells the members of a NamesLaterSign channel not told
// yet, before the message the user sends in it.
func (s *Session) tellNamesLater(chatID string) {
	if !strings.HasPrefix(chatID, NamesLaterSign) {
		return
	}
	s.n.mu.Lock()
	ch := s.channelsLocked()[chatID]
	if ch == nil || ch.named {
		s.n.mu.Unlock()
		return
	}
	ch.named = true
	chat := s.channelChatLocked(chatID, ch)
	s.n.mu.Unlock()
	s.emit(&pb.Event{LoginId: s.loginID, ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
}

// SetNick changes the user's nick in a channel or the echo room; the
// network says so with a MemberEvent RENAMED (sdk.NickSetter).
func (s *Session) SetNick(_ context.Context, c sdk.Call, nick string) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	if nick == ReservedNick {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the nick %s is reserved", nick)
	}
	self := &pb.Member{Nick: nick, IsSelf: true}
	s.n.mu.Lock()
	switch {
	case c.ChatID == RoomID:
		s.n.groupLocked(s.loginID).selfNick = nick
		self.UserId = s.loginID
	case s.channelsLocked()[c.ChatID] != nil:
		s.channelsLocked()[c.ChatID].nick = nick
		self.UserId = s.selfID()
	default:
		s.n.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are in no group %q", c.ChatID)
	}
	s.n.mu.Unlock()
	ev := s.event(c)
	ev.Sender = &pb.Sender{UserId: self.UserId, IsFromMe: true}
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: self}}
	s.emit(ev)
	return nil
}
