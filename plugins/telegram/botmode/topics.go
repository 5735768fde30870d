package botmode

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A forum's topics are rooms, addressed as in user-account mode: the
// General topic is the forum's own chat ID, any other topic the forum's
// chat ID, "_" and the topic's thread ID (-1001234567890_42). A topic the
// bot sees for the first time (created, or a message in it) comes as a
// new room; what the user sends there goes with message_thread_id.

// topicSep separates a forum's chat ID from a topic's thread ID.
const topicSep = "_"

// topicChatID is the chat ID of a forum's topic (thread 0 or 1, General:
// the forum's).
func topicChatID(chatID int64, thread int) string {
	if thread <= 1 {
		return chatIDString(chatID)
	}
	return chatIDString(chatID) + topicSep + strconv.Itoa(thread)
}

// splitTopic reads a chat ID: the chat's and the topic's thread ID, 0
// when it names no topic. A topic has one ID: "_1", "_01" are refused.
func splitTopic(s string) (chatID int64, thread int, err error) {
	base, t, hasTopic := strings.Cut(s, topicSep)
	chatID, err = parseChatID(base)
	if err != nil {
		return 0, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram chat ID", s)
	}
	if !hasTopic {
		return chatID, 0, nil
	}
	thread, err = strconv.Atoi(t)
	if err != nil || thread <= 1 || strconv.Itoa(thread) != t || chatID >= 0 {
		return 0, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"%q is not a Telegram chat ID nor a forum topic's (<forum's chat ID>_<topic ID>; the General topic is the forum's own ID)", s)
	}
	return chatID, thread, nil
}

// threadOf is the topic a message is in; 0 outside forums and in General.
func threadOf(m *models.Message) int {
	if !m.IsTopicMessage || m.MessageThreadID <= 1 {
		return 0
	}
	return m.MessageThreadID
}

// topicName is a topic's room name: the forum's and the topic's.
func topicName(c *chat, thread int) string {
	name := c.Topics[thread]
	if name == "" {
		name = "topic " + strconv.Itoa(thread)
	}
	return c.Title + " / " + name
}

// topicChatOf is a forum's topic as a chat: the forum, renamed, without
// the actions that are the whole forum's.
func (s *Session) topicChatOf(c *chat, thread int, me Identity) *pb.Chat {
	out := s.chatOf(c, me)
	out.ChatId, out.Name = topicChatID(c.ID, thread), topicName(c, thread)
	narrowTopic(out.Features)
	out.ReadOnly = c.readOnly() || c.closedTo(thread) // not General's, the forum's room's
	return out
}

// generalThread is the thread ID of a forum's General topic, whose room
// is the forum's: its messages come without a thread ID.
const generalThread = 1

// closedTo reports whether topic thread (0: General) is closed to the
// bot: a closed topic takes the messages of the admins who manage topics
// only, so its room is read-only for a bot without that right, and the
// gateway refuses a message there at once, saying so.
func (c *chat) closedTo(thread int) bool {
	if thread == 0 {
		thread = generalThread
	}
	return c.ClosedTopics[thread] && (c.Rights == nil || !c.Rights.CanManageTopics)
}

// narrowTopic leaves out of a topic's features what is the forum's:
// leaving, renaming, its description, its picture (in the forum's
// room).
func narrowTopic(f *pb.Features) {
	f.LeaveChat, f.GroupName, f.GroupTopic, f.GroupAvatar = false, false, false, false
}

// threads is the topics of forum id the bot knows, in order.
func (cs *chats) threads(id int64) []int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[id]
	if !ok {
		return nil
	}
	var out []int
	for t := range c.Topics {
		if t > 1 {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// toTopics copies a forum's member events to its topics' rooms, which
// have the forum's members.
func (s *Session) toTopics(evs []*pb.Event) []*pb.Event {
	out := evs
	for _, ev := range evs {
		if ev.GetMember() == nil || strings.Contains(ev.ChatId, topicSep) {
			continue
		}
		id, err := parseChatID(ev.ChatId)
		if err != nil {
			continue
		}
		out = append(out, copyToTopics(ev, id, s.chats.threads(id))...)
	}
	return out
}

// copyToTopics is ev for each of the topics' rooms of forum id.
func copyToTopics(ev *pb.Event, id int64, threads []int) []*pb.Event {
	var out []*pb.Event
	for _, t := range threads {
		cp := proto.Clone(ev).(*pb.Event)
		cp.ChatId = topicChatID(id, t)
		out = append(out, cp)
	}
	return out
}

// topicChats are a forum's topics the bot knows, as chats.
func (s *Session) topicChats(c *chat, me Identity) []*pb.Chat {
	threads := make([]int, 0, len(c.Topics))
	for t := range c.Topics {
		if t > 1 {
			threads = append(threads, t)
		}
	}
	slices.Sort(threads)
	var out []*pb.Chat
	for _, t := range threads {
		out = append(out, s.topicChatOf(c, t, me))
	}
	return out
}

// seeTopic records a topic's name and returns its room's event when the
// topic is new to the bot or renamed.
func (s *Session) seeTopic(m *models.Message, thread int, name string) []*pb.Event {
	if thread <= 1 {
		return nil
	}
	changed := false
	s.chats.refresh(m.Chat.ID, func(ch *chat) bool {
		old, known := ch.Topics[thread]
		if known && (name == "" || name == old) {
			return false
		}
		if ch.Topics == nil {
			ch.Topics = map[int]string{}
		}
		ch.Topics[thread] = name
		changed = true
		return true
	})
	if !changed {
		return nil
	}
	cur, _ := s.chats.get(m.Chat.ID)
	ev := base(&m.Chat, m.Date)
	ev.ChatId = topicChatID(m.Chat.ID, thread)
	ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: s.topicChatOf(&cur, thread, s.identity())}}
	return []*pb.Event{ev}
}

// chatChanged is the events of a chat's new description (its name, its
// picture): for its room and, a forum's, for each of its topics' rooms,
// named after the forum and showing its picture.
func (s *Session) chatChanged(c *models.Chat, date int, by *pb.Sender) []*pb.Event {
	cur, ok := s.chats.get(c.ID)
	if !ok {
		return nil
	}
	me := s.identity()
	ev := base(c, date)
	ev.Sender = by
	ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: s.chatOf(&cur, me)}}
	evs := []*pb.Event{ev}
	for _, tc := range s.topicChats(&cur, me) {
		tev := base(c, date)
		tev.ChatId, tev.Sender = tc.ChatId, by
		tev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: tc}}
		evs = append(evs, tev)
	}
	return evs
}

// topicEvents are what a message says of its topic: the topic's name
// (its first message names it, and a reply to that), whether it is
// closed and, for a topic new to the bot, its room.
func (s *Session) topicEvents(m *models.Message) []*pb.Event {
	if t := m.ForumTopicCreated; t != nil {
		return s.seeTopic(m, m.ID, t.Name)
	}
	thread := threadOf(m)
	if thread == 0 {
		// General closed or reopened (in General: no thread ID).
		if m.Chat.IsForum && (m.ForumTopicClosed != nil || m.ForumTopicReopened != nil) {
			return s.closeTopic(&m.Chat, m.Date, generalThread, m.ForumTopicClosed != nil)
		}
		return nil
	}
	name := ""
	if t := m.ForumTopicEdited; t != nil {
		name = t.Name
	}
	if r := m.ReplyToMessage; r != nil && r.ID == thread && r.ForumTopicCreated != nil {
		name = r.ForumTopicCreated.Name
	}
	evs := s.seeTopic(m, thread, name)
	if m.ForumTopicClosed != nil || m.ForumTopicReopened != nil {
		evs = append(evs, s.closeTopic(&m.Chat, m.Date, thread, m.ForumTopicClosed != nil)...)
	}
	return evs
}

// closeTopic records a topic closed or reopened and returns its room's
// new description (read-only or not) when that changed.
func (s *Session) closeTopic(c *models.Chat, date, thread int, closed bool) []*pb.Event {
	changed := false
	s.chats.update(c.ID, func(ch *chat) {
		if ch.ClosedTopics[thread] == closed {
			return
		}
		changed = true
		if !closed {
			delete(ch.ClosedTopics, thread)
			return
		}
		if ch.ClosedTopics == nil {
			ch.ClosedTopics = map[int]bool{}
		}
		ch.ClosedTopics[thread] = true
	})
	if !changed {
		return nil
	}
	cur, _ := s.chats.get(c.ID)
	ev := base(c, date)
	if thread == generalThread {
		// General's room is the forum's.
		ev.ChatId = chatIDString(c.ID)
		ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: s.chatOf(&cur, s.identity())}}
		return []*pb.Event{ev}
	}
	ev.ChatId = topicChatID(c.ID, thread)
	ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: s.topicChatOf(&cur, thread, s.identity())}}
	return []*pb.Event{ev}
}

// foundClosed takes a topic Telegram refused a send to as closed
// (TOPIC_CLOSED: closed before the bot saw the forum, whose service
// message it never had) and tells its room, read-only from now on,
// until Telegram says it is reopened.
func (s *Session) foundClosed(chatID int64, thread int, err error) {
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "topic_closed") {
		return
	}
	if thread == 0 {
		thread = generalThread // only a forum's General refuses so outside a topic
	}
	cur, ok := s.chats.get(chatID)
	if !ok {
		return
	}
	for _, ev := range s.closeTopic(&models.Chat{ID: chatID, Type: cur.Type}, int(time.Now().Unix()), thread, true) {
		ev.LoginId = s.cfg.LoginID
		s.cfg.Host.Emit(ev)
	}
	if err := s.chats.save(); err != nil {
		s.log.Warn("telegram bot: the chat list could not be saved", "err", err)
	}
}

// topicKnown is the forum and topic of a topic's chat ID, the topic
// known to the bot.
func (s *Session) topicKnown(chatID string) (*chat, int, error) {
	id, thread, err := splitTopic(chatID)
	if err != nil {
		return nil, 0, err
	}
	c, ok := s.chats.get(id)
	if _, has := c.Topics[thread]; !ok || !has {
		return nil, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the forum %s has no topic %d the bot has seen (deleted?)", chatIDString(id), thread)
	}
	return &c, thread, nil
}

// inTopicRoom puts a message's event in its topic's room, and remembers
// the message's topic for its reactions.
func (s *Session) inTopicRoom(ev *pb.Event, m *models.Message) {
	if t := threadOf(m); t != 0 {
		ev.ChatId = topicChatID(m.Chat.ID, t)
		s.topicOfMsg.set(m.Chat.ID, m.ID, t)
	}
}

// topicInfo is ChatInfo of a topic's room.
func (s *Session) topicInfo(ctx context.Context, chatID string) (*pb.Chat, error) {
	c, thread, err := s.topicKnown(chatID)
	if err != nil {
		return nil, err
	}
	s.knowPicture(ctx, c)
	return s.withState(ctx, s.topicChatOf(c, thread, s.identity()), c.ID, thread), nil
}

// notTopic refuses a command about a whole forum given in a topic's
// room: it is for the forum's room.
func notTopic(chatID, what string) error {
	id, thread, err := splitTopic(chatID)
	if err != nil || thread == 0 {
		return nil
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s is a forum's topic: %s in the forum's room, %s", chatID, what, chatIDString(id))
}
