package telegram

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Forum topics as rooms. A forum (a supergroup with topics) is one room
// per topic. The General topic (ID 1) keeps the forum's own chat ID,
// -100<channel>, so a group that becomes a forum keeps its room; any other
// topic's chat ID is the forum's, "_" and the topic's ID (the ID of the
// message that created it): -1001234567890_42. Every character of it
// stands for itself in a JID's localpart (puppet's encoding), so the room
// is -1001234567890_42@<transport domain>, and no Telegram chat ID holds
// a "_". A topic's messages, edits, deletions, reactions, typing and
// history all address its room; what the user sends there goes to the
// topic (reply_to naming the topic's top message).

// topicSep separates a forum's chat ID from a topic's ID.
const topicSep = "_"

// generalTopic is the ID of a forum's General topic.
const generalTopic = 1

// topicChatID is the chat ID of a forum's topic (the forum's own for
// General).
func topicChatID(forum string, topic int) string {
	if topic <= generalTopic {
		return forum
	}
	return forum + topicSep + strconv.Itoa(topic)
}

// splitTopic reads a topic's chat ID: the forum's chat ID and the topic's
// ID, 0 for any other chat ID. Each topic has exactly one ID: General's
// is the forum's, so "_1" is refused, and so are leading zeros.
func splitTopic(chat string) (forum string, topic int, err error) {
	forum, t, ok := strings.Cut(chat, topicSep)
	if !ok {
		return chat, 0, nil
	}
	id, err := strconv.Atoi(t)
	if err != nil || id <= generalTopic || strconv.Itoa(id) != t || !strings.HasPrefix(forum, channelPrefix) {
		return "", 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"telegram: %q is no Telegram chat nor forum topic (a topic is <forum's chat ID>_<topic ID>, the General topic the forum's own ID)", chat)
	}
	if _, _, err := parsePeer(forum); err != nil {
		return "", 0, err
	}
	return forum, id, nil
}

// baseChat is the forum's chat ID for a topic's, any other chat ID as it
// is (a malformed one too: parsePeer then refuses it).
func baseChat(chat string) string {
	if f, _, err := splitTopic(chat); err == nil {
		return f
	}
	return chat
}

// messageTopic is the forum topic a message is in, 0 outside forums and
// in General. A topic's first message (its creation) is the topic.
func messageTopic(mc tg.MessageClass) int {
	if ms, ok := mc.(*tg.MessageService); ok {
		if _, ok := ms.Action.(*tg.MessageActionTopicCreate); ok {
			return ms.ID
		}
	}
	var rt tg.MessageReplyHeaderClass
	switch m := mc.(type) {
	case *tg.Message:
		rt = m.ReplyTo
	case *tg.MessageService:
		rt = m.ReplyTo
	}
	r, ok := rt.(*tg.MessageReplyHeader)
	if !ok || !r.ForumTopic {
		return 0
	}
	top := r.ReplyToTopID
	if top == 0 {
		top = r.ReplyToMsgID
	}
	if top <= generalTopic {
		return 0
	}
	return top
}

// messageChat is the chat ID of the room a message goes to: its topic's
// in a forum. A channel message's topic is kept, for the deletions and
// reactions that name only the message.
func (s *Session) messageChat(mc tg.MessageClass, keep bool) string {
	var peer tg.PeerClass
	switch m := mc.(type) {
	case *tg.Message:
		peer = m.PeerID
	case *tg.MessageService:
		peer = m.PeerID
	}
	chat := peerChatID(peer)
	p, ok := peer.(*tg.PeerChannel)
	if !ok {
		return chat
	}
	topic := messageTopic(mc)
	if topic == 0 {
		return chat
	}
	if keep {
		s.db().setMessageTopics(p.ChannelID, []topicMsg{{mc.GetID(), topic}})
	}
	return topicChatID(chat, topic)
}

// channelMessageChat is the room of a channel's message known by its ID
// alone: its topic's when one was kept, else the channel's.
func (s *Session) channelMessageChat(channel int64, msg, topHint int) string {
	if topHint > generalTopic {
		return topicChatID(channelID(channel), topHint)
	}
	if t, ok := s.db().messageTopic(channel, msg); ok {
		return topicChatID(channelID(channel), t)
	}
	return channelID(channel)
}

// topicInfo is what the session knows of a topic.
type topicInfo struct {
	title  string
	closed bool
}

// topicCache keeps forum topics as Telegram last described them, and
// whether each forum's General topic (its own room) is closed.
type topicCache struct {
	mu      sync.Mutex
	m       map[string]topicInfo // topic's chat ID -> topic
	general map[string]bool      // forum's chat ID -> General closed
}

// generalClosed reports whether the forum's General topic was last
// described closed.
func (c *topicCache) generalClosed(forum string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.general[forum]
}

// setGeneral records whether the forum's General topic is closed.
func (c *topicCache) setGeneral(forum string, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !closed {
		delete(c.general, forum)
		return
	}
	if c.general == nil {
		c.general = map[string]bool{}
	}
	c.general[forum] = true
}

func (c *topicCache) get(chat string) (topicInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[chat]
	return t, ok
}

func (c *topicCache) set(chat string, t topicInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]topicInfo{}
	}
	c.m[chat] = t
}

func (c *topicCache) drop(chat string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, chat)
}

// noTopic is the error for a topic a forum does not have (any more).
func noTopic(forum string, topic int) error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: the forum %s has no topic %d (deleted?)", forum, topic)
}

// knownTopic is the forum topic chatID names (0: none), once the topic
// is known to be there: what is sent to it goes into it.
func (s *Session) knownTopic(ctx context.Context, chatID string) (int, error) {
	forum, topic, err := splitTopic(chatID)
	if err != nil || topic == 0 {
		return topic, err
	}
	if _, err := s.topic(ctx, forum, topic); err != nil {
		return 0, err
	}
	return topic, nil
}

// topic describes a forum's topic, from the cache or from Telegram.
func (s *Session) topic(ctx context.Context, forum string, topic int) (topicInfo, error) {
	chat := topicChatID(forum, topic)
	if t, ok := s.topics.get(chat); ok {
		return t, nil
	}
	_, cid, err := parsePeer(forum)
	if err != nil {
		return topicInfo{}, err
	}
	if c, ok := s.peers.channel(cid); ok && !c.Forum {
		return topicInfo{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is no forum: it has no topic %d", forum, topic)
	}
	api, _, err := s.client()
	if err != nil {
		return topicInfo{}, err
	}
	peer, err := s.inputPeer(ctx, api, forum)
	if err != nil {
		return topicInfo{}, err
	}
	res, err := api.MessagesGetForumTopicsByID(ctx, &tg.MessagesGetForumTopicsByIDRequest{Peer: peer, Topics: []int{topic}})
	if err != nil {
		if tgerr.Is(err, "TOPIC_ID_INVALID", "TOPIC_DELETED", "CHANNEL_FORUM_MISSING") {
			return topicInfo{}, noTopic(forum, topic)
		}
		return topicInfo{}, cmdErr("forum topic", err)
	}
	s.peers.add(res.Users, res.Chats)
	for _, tc := range res.Topics {
		if ft, ok := tc.(*tg.ForumTopic); ok && ft.ID == topic {
			t := topicInfo{title: ft.Title, closed: ft.Closed}
			s.topics.set(chat, t)
			return t, nil
		}
	}
	return topicInfo{}, noTopic(forum, topic)
}

// topicErr is cmdErr for a request made in a topic: a topic deleted
// meanwhile is said so, and forgotten.
func (s *Session) topicErr(what, chat string, err error) error {
	if forum, topic, perr := splitTopic(chat); perr == nil && topic != 0 && tgerr.Is(err, "TOPIC_DELETED", "TOPIC_ID_INVALID") {
		s.topics.drop(chat)
		return noTopic(forum, topic)
	}
	return cmdErr(what, err)
}

// topicName is a topic room's name: the forum's and the topic's.
func topicName(forum, topic string) string { return forum + " / " + topic }

// topicChat is a topic as a chat, from its forum's.
func topicChat(forum *pb.Chat, topic int, t topicInfo, mayPostClosed bool) *pb.Chat {
	c := &pb.Chat{ChatId: topicChatID(forum.ChatId, topic), Type: forum.Type, Name: topicName(forum.Name, t.title),
		ReadOnly: forum.ReadOnly || (t.closed && !mayPostClosed), Topic: forum.Topic, Members: forum.Members,
		LastActivityUnixMicro: forum.LastActivityUnixMicro, InviteLink: forum.InviteLink}
	return c
}

// mayPostClosed reports whether the user may post in a closed topic: the
// forum's creator and admins.
func (s *Session) mayPostClosed(channel int64) bool {
	c, ok := s.peers.channel(channel)
	return ok && (c.Creator || c.AdminRights.Flags != 0)
}

// forumTopics is a forum's topics (General aside) as chats, for the chat
// list; what it cannot read is left out.
func (s *Session) forumTopics(ctx context.Context, api *tg.Client, forum *pb.Chat, channel int64) []*pb.Chat {
	peer, err := s.peers.inputPeer(forum.ChatId)
	if err != nil {
		return nil
	}
	limit := int(topicLimit.Load())
	res, err := api.MessagesGetForumTopics(ctx, &tg.MessagesGetForumTopicsRequest{Peer: peer, Limit: limit})
	if err != nil {
		s.n.log().Warn("telegram: forum topics", "login", s.login.LoginID, "chat", forum.ChatId, "err", err)
		return nil
	}
	if res.Count > len(res.Topics) {
		s.topicsCapped(forum, limit, res.Count)
	}
	s.peers.add(res.Users, res.Chats)
	dates := map[int]int{}
	for _, mc := range res.Messages {
		if m, ok := mc.(interface{ GetDate() int }); ok {
			dates[mc.GetID()] = m.GetDate()
		}
	}
	var out []*pb.Chat
	var roots []topicMsg
	defer func() { s.db().setMessageTopics(channel, roots) }()
	for _, tc := range res.Topics {
		ft, ok := tc.(*tg.ForumTopic)
		if ok && ft.ID == generalTopic {
			s.topics.setGeneral(forum.ChatId, ft.Closed) // the forum's room
		}
		if !ok || ft.ID <= generalTopic {
			continue
		}
		roots = append(roots, topicMsg{ft.ID, ft.ID})
		t := topicInfo{title: ft.Title, closed: ft.Closed}
		s.topics.set(topicChatID(forum.ChatId, ft.ID), t)
		c := topicChat(forum, ft.ID, t, s.mayPostClosed(channel))
		c.LastActivityUnixMicro = int64(max(dates[ft.TopMessage], ft.Date)) * 1e6
		out = append(out, c)
	}
	return out
}

// TopicLimit bounds the topics of a forum the chat list reads (the most
// recently active ones; one request's worth).
const TopicLimit = 100

// topicLimit is TopicLimit, atomic: a test lowers it while an earlier
// test's session may read it.
var topicLimit atomic.Int64

func init() { topicLimit.Store(TopicLimit) }

// topicsCapped tells the user, once a session for each forum, that the
// chat list holds only the limit latest of its count topics (General
// among them): before, the others were left out with no word, not even
// in the log (TestForumTopicLimitNotice).
func (s *Session) topicsCapped(forum *pb.Chat, limit, count int) {
	s.tellCapped(&s.cappedForums, forum.ChatId, fmt.Sprintf("topiclimit-%s-%d", forum.ChatId, limit),
		fmt.Sprintf(topicLimitText, forum.Name, count, limit),
		"telegram: more forum topics than the gateway lists; the older ones are left out", "topics", count, "limit", limit)
}

// topicLimitText is the notice of topicsCapped: the forum's name, its
// topics, the limit.
const topicLimitText = "The Telegram forum «%s» has %d topics: only the %d most recently active are listed here as rooms. The others are in Telegram's apps."

// topicChatInfo is ChatInfo of a topic without its pins: its forum's,
// renamed, with the forum's timer (SetChatTimer sets the whole forum's);
// last is the forum's message pinned last (chatInfo).
func (s *Session) topicChatInfo(ctx context.Context, api *tg.Client, forum string, topic int) (*pb.Chat, int, error) {
	t, err := s.topic(ctx, forum, topic)
	if err != nil {
		return nil, 0, err
	}
	fc, last, err := s.chatInfo(ctx, api, forum)
	if err != nil {
		return nil, 0, err
	}
	_, cid, _ := parsePeer(forum)
	c := topicChat(fc, topic, t, s.mayPostClosed(cid))
	c.Timer = fc.Timer
	return c, last, nil
}

// topicReply is the reply_to of a message sent in a topic, as a reply to
// msg or not (0).
func topicReply(topic, msg int) tg.InputReplyToClass {
	if msg == 0 || msg == topic {
		return &tg.InputReplyToMessage{ReplyToMsgID: topic}
	}
	r := &tg.InputReplyToMessage{ReplyToMsgID: msg}
	r.SetTopMsgID(topic)
	return r
}

// topicServiceEvents are a topic's creation and changes: the topic's room
// as it is now, so a new topic is a new room and a renamed one is renamed.
// A topic deleted on Telegram goes with its messages (deleteEvents).
func (s *Session) topicServiceEvents(ctx context.Context, m *tg.MessageService, history bool) []*pb.Event {
	if history {
		return nil
	}
	chat := s.messageChat(m, true)
	forum, topic, err := splitTopic(chat)
	if err != nil {
		return nil
	}
	if topic == 0 {
		return s.generalServiceEvents(ctx, chat, m)
	}
	t, _ := s.topics.get(chat)
	switch a := m.Action.(type) {
	case *tg.MessageActionTopicCreate:
		t.title = a.Title
	case *tg.MessageActionTopicEdit:
		if a.Title != "" {
			t.title = a.Title
		}
		if c, ok := a.GetClosed(); ok {
			t.closed = c
		}
	}
	if t.title == "" {
		s.topics.drop(chat) // asked again below
	} else {
		s.topics.set(chat, t)
	}
	api, _, err := s.client()
	if err != nil {
		return nil
	}
	c, _, err := s.topicChatInfo(ctx, api, forum, topic)
	if err != nil {
		s.n.log().Warn("telegram: new forum topic", "login", s.login.LoginID, "chat", chat, "err", err)
		return nil
	}
	return []*pb.Event{{ChatId: chat, ChatType: c.Type, TimestampUnixMicro: int64(m.Date) * 1e6,
		EventId: strconv.Itoa(m.ID) + ".chat", Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}}}
}

// generalServiceEvents are the General topic's changes: closed or
// reopened (messageActionTopicEdit with closed, in General, whose
// messages have no reply_to), the forum's room described again, which
// ChatLimits makes read-only for a member who may not post in a closed
// topic. General's new title or its hiding changes no room.
func (s *Session) generalServiceEvents(ctx context.Context, forum string, m *tg.MessageService) []*pb.Event {
	a, ok := m.Action.(*tg.MessageActionTopicEdit)
	if !ok {
		return nil
	}
	closed, ok := a.GetClosed()
	if !ok {
		return nil
	}
	if _, _, err := parsePeer(forum); err != nil {
		return nil
	}
	s.topics.setGeneral(forum, closed)
	return s.chatEvent(ctx, forum, m)
}

// channelDeleteEvents are a channel's deleted messages, each in its
// room. The deletion of a topic's first message is the topic's: its room
// ends, its messages' deletions of the same update left out (the room's
// archive goes with it: a deleted group's does; many of them were told
// as the topic's history cleared, just before its end). A topic's first
// message is known from the chat list, from the topic's creation seen,
// or as the topic of another message deleted with it (a topic the chat
// list did not name: a forum's 101st).
func (s *Session) channelDeleteEvents(channel int64, ids []int) []*pb.Event {
	forum := channelID(channel)
	chats := make([]string, len(ids))
	inTopic := map[int]bool{} // the topics of the messages deleted
	for i, id := range ids {
		chats[i] = s.channelMessageChat(channel, id, 0)
		if _, t, err := splitTopic(chats[i]); err == nil && t != 0 && t != id {
			inTopic[t] = true
		}
	}
	ending := map[string]bool{}
	for i, id := range ids {
		if chats[i] == forum {
			if _, ok := s.topics.get(topicChatID(forum, id)); ok || inTopic[id] {
				chats[i] = topicChatID(forum, id)
			}
		}
		if _, topic, err := splitTopic(chats[i]); err == nil && topic == id {
			ending[chats[i]] = true
		}
	}
	var evs, gone []*pb.Event
	for i, id := range ids {
		chat := chats[i]
		if _, topic, err := splitTopic(chat); err == nil && topic == id {
			s.topics.drop(chat)
			gone = append(gone, &pb.Event{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: strconv.Itoa(id) + ".gone",
				Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED, Text: "the topic was deleted"}}})
			continue
		}
		if ending[chat] {
			continue
		}
		evs = append(evs, deleteEvent(chat, id))
	}
	return append(evs, gone...)
}

// inTopic refuses a command about a whole group when given a topic's
// room: it is for the forum's room (General).
func inTopic(chat, what string) error {
	forum, topic, err := splitTopic(chat)
	if err != nil || topic == 0 {
		return nil
	}
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %s is a forum's topic: %s in the forum's room, %s", chat, what, forum)
}

// isForum reports whether a channel is a forum, as last described.
func (s *Session) isForum(channel int64) bool {
	c, ok := s.peers.channel(channel)
	return ok && c.Forum
}

// renameTopic renames a forum's topic; a name given as the room's
// ("Forum / Title") keeps its title part.
func (s *Session) renameTopic(ctx context.Context, api *tg.Client, mgr *updates.Manager, forum string, topic int, name string) error {
	peer, err := s.inputPeer(ctx, api, forum)
	if err != nil {
		return err
	}
	if c := s.chatOf(forum); c != nil {
		name = strings.TrimPrefix(name, c.Name+" / ")
	}
	req := &tg.MessagesEditForumTopicRequest{Peer: peer, TopicID: topic}
	req.SetTitle(name)
	chat := topicChatID(forum, topic)
	upd, err := api.MessagesEditForumTopic(ctx, req)
	if err != nil {
		return s.topicErr("rename the topic", chat, err)
	}
	s.topics.drop(chat) // described anew on its next use
	if mgr != nil {
		_ = mgr.Handle(ctx, upd)
	}
	return nil
}

// of is the chat IDs of a forum's topics the session knows, in order.
func (c *topicCache) of(forum string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for chat := range c.m {
		if f, _, ok := strings.Cut(chat, topicSep); ok && f == forum {
			out = append(out, chat)
		}
	}
	slices.Sort(out)
	return out
}

// toTopics copies a forum's events that are every topic's to the rooms
// of the topics the session knows: members joining and leaving, the
// user's removal, the forum's new name.
func (s *Session) toTopics(evs []*pb.Event) []*pb.Event {
	out := evs
	for _, ev := range evs {
		kind, id, err := parsePeer(ev.ChatId)
		if err != nil || kind != peerChannel || !s.isForum(id) {
			continue
		}
		for _, tc := range s.topics.of(ev.ChatId) {
			switch p := ev.Payload.(type) {
			case *pb.Event_Member, *pb.Event_ChatRemoved:
				cp := proto.CloneOf(ev)
				cp.ChatId = tc
				out = append(out, cp)
			case *pb.Event_Chat:
				t, _ := s.topics.get(tc)
				_, topic, _ := splitTopic(tc)
				cp := proto.CloneOf(ev)
				cp.ChatId = tc
				cp.GetChat().Chat = topicChat(p.Chat.GetChat(), topic, t, s.mayPostClosed(id))
				out = append(out, cp)
			}
		}
	}
	return out
}
