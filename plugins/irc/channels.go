package irc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// channel is a channel the user is in, as the server told us.
type channel struct {
	name    string                // as the server spells it
	topic   string                //
	members map[string]*pb.Member // by folded nick
}

// memberOf reads a NAMES entry: "@nick" is an operator (moderator, admin),
// "+nick" has voice (participant), any other a participant.
func memberOf(entry string) *pb.Member {
	m := &pb.Member{}
	for entry != "" && strings.ContainsRune("~&@%+", rune(entry[0])) {
		switch entry[0] {
		case '~', '&', '@':
			m.Role, m.Affiliation = pb.Role_ROLE_MODERATOR, pb.Affiliation_AFFILIATION_ADMIN
		case '%':
			if m.Affiliation != pb.Affiliation_AFFILIATION_ADMIN {
				m.Role = pb.Role_ROLE_MODERATOR
			}
		}
		entry = entry[1:]
	}
	m.UserId, m.Nick = foldName(entry), entry
	return m
}

// handleChannels sets the callbacks that keep the channels and report
// their changes.
func (s *Session) handleChannels(c *ircevent.Connection) {
	me := func(nick string) bool { return foldName(nick) == foldName(c.CurrentNick()) }
	c.AddCallback("JOIN", func(m ircmsg.Message) {
		if len(m.Params) < 1 {
			return
		}
		id := foldName(m.Params[0])
		if me(m.Nick()) {
			s.mu.Lock()
			s.channels[id] = &channel{name: m.Params[0], members: map[string]*pb.Member{}}
			s.mu.Unlock()
			return
		}
		mem := &pb.Member{UserId: foldName(m.Nick()), Nick: m.Nick()}
		if s.setMember(id, mem) {
			s.member(id, m.Nick(), pb.MemberEvent_KIND_JOINED, mem, "")
		}
	})
	c.AddCallback(ircevent.RPL_NAMREPLY, func(m ircmsg.Message) {
		if len(m.Params) < 4 {
			return
		}
		id := foldName(m.Params[2])
		for _, entry := range strings.Fields(m.Params[3]) {
			s.setMember(id, memberOf(entry))
		}
	})
	// The end of NAMES completes a join: the members are known.
	c.AddCallback(ircevent.RPL_ENDOFNAMES, func(m ircmsg.Message) {
		if len(m.Params) >= 2 {
			s.joinDone(foldName(m.Params[1]))
		}
	})
	// A channel the server refuses to let us join is not waited for.
	for _, code := range []string{ircevent.ERR_NOSUCHCHANNEL, ircevent.ERR_TOOMANYCHANNELS, ircevent.ERR_CHANNELISFULL,
		ircevent.ERR_INVITEONLYCHAN, ircevent.ERR_BANNEDFROMCHAN, ircevent.ERR_BADCHANNELKEY, ircevent.ERR_BADCHANMASK} {
		c.AddCallback(code, func(m ircmsg.Message) {
			if len(m.Params) >= 2 {
				s.n.host.Logger().Warn("irc: channel not joined", "channel", m.Params[1], "why", lastParam(m))
				s.joinDone(foldName(m.Params[1]))
			}
		})
	}
	c.AddCallback(ircevent.RPL_TOPIC, func(m ircmsg.Message) {
		if len(m.Params) >= 3 {
			s.withChannel(foldName(m.Params[1]), func(ch *channel) { ch.topic = m.Params[2] })
		}
	})
	c.AddCallback("TOPIC", func(m ircmsg.Message) {
		if len(m.Params) < 2 {
			return
		}
		id := foldName(m.Params[0])
		s.withChannel(id, func(ch *channel) { ch.topic = m.Params[1] })
		ev := s.groupEvent(id, m.Nick())
		ev.Sender.IsFromMe = me(m.Nick())
		ev.Payload = &pb.Event_Topic{Topic: &pb.TopicEvent{Topic: m.Params[1]}}
		s.n.host.Emit(ev)
	})
	c.AddCallback("PART", func(m ircmsg.Message) {
		if len(m.Params) < 1 {
			return
		}
		s.gone(foldName(m.Params[0]), m.Nick(), m.Nick(), pb.MemberEvent_KIND_LEFT, param(m, 1), me(m.Nick()))
	})
	c.AddCallback("KICK", func(m ircmsg.Message) {
		if len(m.Params) < 2 {
			return
		}
		s.gone(foldName(m.Params[0]), m.Params[1], m.Nick(), pb.MemberEvent_KIND_KICKED, param(m, 2), me(m.Params[1]))
	})
	c.AddCallback("QUIT", func(m ircmsg.Message) {
		for _, id := range s.channelsOf(m.Nick()) {
			s.gone(id, m.Nick(), m.Nick(), pb.MemberEvent_KIND_LEFT, param(m, 0), false)
		}
	})
	c.AddCallback("NICK", func(m ircmsg.Message) {
		if len(m.Params) < 1 {
			return
		}
		old, now := foldName(m.Nick()), m.Params[0]
		for _, id := range s.channelsOf(m.Nick()) {
			var mem *pb.Member
			s.withChannel(id, func(ch *channel) {
				if prev := ch.members[old]; prev != nil {
					delete(ch.members, old)
					mem = &pb.Member{UserId: foldName(now), Nick: now, Role: prev.Role, Affiliation: prev.Affiliation}
					ch.members[mem.UserId] = mem
				}
			})
			if mem != nil {
				s.member(id, m.Nick(), pb.MemberEvent_KIND_RENAMED, &pb.Member{UserId: old, Nick: now, Role: mem.Role, Affiliation: mem.Affiliation}, "")
			}
		}
	})
}

func param(m ircmsg.Message, i int) string {
	if i < len(m.Params) {
		return m.Params[i]
	}
	return ""
}

// gone removes nick from a channel and says so; the user leaving (or
// kicked) forgets the channel.
func (s *Session) gone(id, nick, by string, kind pb.MemberEvent_Kind, reason string, self bool) {
	if self {
		s.mu.Lock()
		_, in := s.channels[id]
		delete(s.channels, id)
		s.mu.Unlock()
		if in && kind == pb.MemberEvent_KIND_KICKED {
			ev := s.groupEvent(id, by)
			ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_KICKED, Text: reason}}
			s.n.host.Emit(ev)
		}
		return
	}
	var was bool
	s.withChannel(id, func(ch *channel) {
		_, was = ch.members[foldName(nick)]
		delete(ch.members, foldName(nick))
	})
	if was {
		s.member(id, by, kind, &pb.Member{UserId: foldName(nick), Nick: nick}, reason)
	}
}

// member emits a member event in a channel, made by nick by.
func (s *Session) member(id, by string, kind pb.MemberEvent_Kind, mem *pb.Member, reason string) {
	ev := s.groupEvent(id, by)
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: mem, Reason: reason}}
	s.n.host.Emit(ev)
}

func (s *Session) groupEvent(id, by string) *pb.Event {
	return &pb.Event{LoginId: s.loginID, ChatId: id, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: s.n.newID(),
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: foldName(by), Name: by}}
}

// setMember adds or updates a member; false if the channel is not joined
// or the member was there already.
func (s *Session) setMember(id string, m *pb.Member) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[id]
	if ch == nil {
		return false
	}
	_, was := ch.members[m.UserId]
	ch.members[m.UserId] = m
	return !was
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
	var ids []string
	for id, ch := range s.channels {
		if _, ok := ch.members[foldName(nick)]; ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (s *Session) inChannel(target string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.channels[foldName(target)]
	return ok
}

// chatLocked describes a joined channel.
func (ch *channel) chat(id string) *pb.Chat {
	c := &pb.Chat{ChatId: id, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: ch.name, Topic: ch.topic}
	for _, m := range ch.members {
		c.Members = append(c.Members, &pb.Member{UserId: m.UserId, Nick: m.Nick, Role: m.Role, Affiliation: m.Affiliation})
	}
	slices.SortFunc(c.Members, func(a, b *pb.Member) int { return strings.Compare(a.UserId, b.UserId) })
	return c
}

// ChatList is the joined channels (sdk.ChatLister).
func (s *Session) ChatList(context.Context) ([]*pb.Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*pb.Chat
	for id, ch := range s.channels {
		out = append(out, ch.chat(id))
	}
	slices.SortFunc(out, func(a, b *pb.Chat) int { return strings.Compare(a.ChatId, b.ChatId) })
	return out, nil
}

// ChatInfo describes a joined channel, or a nick's direct chat
// (sdk.ChatInfoer).
func (s *Session) ChatInfo(_ context.Context, chatID string) (*pb.Chat, error) {
	if !isChannel(chatID) {
		return &pb.Chat{ChatId: foldName(chatID), Type: pb.ChatType_CHAT_TYPE_DIRECT, Name: chatID}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[foldName(chatID)]
	if ch == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", chatID)
	}
	return ch.chat(foldName(chatID)), nil
}

// LeaveChat parts a channel (sdk.Leaver).
func (s *Session) LeaveChat(_ context.Context, c sdk.Call) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	if !s.inChannel(c.ChatID) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", c.ChatID)
	}
	if err := conn.Part(c.ChatID); err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "could not part %s: %v", c.ChatID, err)
	}
	// Left for good: not rejoined when the connection comes back, after
	// restarts too (the saved state no longer lists it).
	id := foldName(c.ChatID)
	s.mu.Lock()
	delete(s.channels, id)
	s.acc.Channels = slices.DeleteFunc(s.acc.Channels, func(ch string) bool { return foldName(ch) == id })
	state, err := json.Marshal(s.acc)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("irc: %w", err)
	}
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: state}}})
	return nil
}

// SetTopic sets a channel's topic; the server's TOPIC echo becomes the
// topic event (sdk.TopicSetter).
func (s *Session) SetTopic(_ context.Context, c sdk.Call, topic string) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	if !s.inChannel(c.ChatID) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", c.ChatID)
	}
	if err := conn.Send("TOPIC", c.ChatID, topic); err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "could not set the topic of %s: %v", c.ChatID, err)
	}
	return nil
}
