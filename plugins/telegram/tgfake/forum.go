package tgfake

import (
	"slices"
	"sort"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// A forum's topics, as Telegram keeps them: a topic is the message that
// created it (a service message; its ID is the topic's), and a message
// in it answers that message with reply_to.forum_topic set, naming the
// topic as reply_to_top_id when it answers another message of it. The
// General topic (ID 1) has no such message: its messages have no
// reply_to. General may be closed too (its forumTopic's closed; the
// service message, in General, without reply_to), then only the forum's
// admins may post in the forum outside the other topics.

// topic is a forum's topic.
type topic struct {
	title   string
	closed  bool
	deleted bool
	date    int
}

// replyOf is the reply and topic of a request's reply_to.
func replyOf(in tg.InputReplyToClass) (reply, top int) {
	if rt, ok := in.(*tg.InputReplyToMessage); ok {
		return rt.ReplyToMsgID, rt.TopMsgID
	}
	return 0, 0
}

// topicOf is the topic a channel message is in (0 = none or General).
func (c *Channel) topicOf(id int) int {
	if c.topics[id] != nil {
		return id
	}
	m := c.msgs[id]
	if m == nil {
		return 0
	}
	h, ok := m.ReplyTo.(*tg.MessageReplyHeader)
	if !ok || !h.ForumTopic {
		return 0
	}
	if h.ReplyToTopID != 0 {
		return h.ReplyToTopID
	}
	return h.ReplyToMsgID
}

// replyHeader is the reply_to of a new channel message: in a forum, the
// topic named by top, or the topic of the message it answers. A deleted
// topic refuses it, as Telegram does; a closed one takes only its
// admins' messages.
func (c *Channel) replyHeader(from int64, reply, top int) (*tg.MessageReplyHeader, error) {
	if !c.Forum {
		if reply == 0 {
			return nil, nil
		}
		return &tg.MessageReplyHeader{ReplyToMsgID: reply}, nil
	}
	t := top
	if t == 0 && reply != 0 {
		t = c.topicOf(reply)
	}
	if t <= 1 {
		if c.generalClosed && from != c.Creator && !slices.Contains(c.Admins, from) {
			return nil, tgerr.New(400, "TOPIC_CLOSED")
		}
		if reply == 0 {
			return nil, nil
		}
		return &tg.MessageReplyHeader{ReplyToMsgID: reply}, nil
	}
	tp := c.topics[t]
	if tp == nil || tp.deleted {
		return nil, tgerr.New(400, "TOPIC_DELETED")
	}
	if tp.closed && from != c.Creator && !slices.Contains(c.Admins, from) {
		return nil, tgerr.New(400, "TOPIC_CLOSED")
	}
	h := &tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: t}
	if reply != 0 && reply != t {
		h.ReplyToMsgID = reply
		h.SetReplyToTopID(t)
	}
	h.SetFlags()
	return h, nil
}

// CreateTopic is a member creating a topic in a forum; it returns the
// topic's ID.
func (s *Server) CreateTopic(channel, from int64, title string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	m := s.postService(c, from, &tg.MessageActionTopicCreate{Title: title, IconColor: 0x6FB9F0})
	c.svc[m.ID] = m
	c.topics[m.ID] = &topic{title: title, date: m.Date}
	return m.ID
}

// CloseTopic is an admin closing a forum's topic (closed false: reopening
// it), General (ID 1) too: its service message (messageActionTopicEdit
// with closed) comes in the topic, and only the forum's admins may post
// there while it is closed.
func (s *Server) CloseTopic(channel, from int64, id int, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	act := &tg.MessageActionTopicEdit{}
	act.SetClosed(closed)
	m := &tg.MessageService{ID: c.next, PeerID: &tg.PeerChannel{ChannelID: c.ID}, FromID: &tg.PeerUser{UserID: from}, Date: now(),
		Action: act}
	if id == 1 {
		c.generalClosed = closed // General's messages have no reply_to
	} else {
		c.topics[id].closed = closed
		h := &tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: id}
		h.SetFlags()
		m.ReplyTo = h
	}
	m.SetFlags()
	c.next++
	c.svc[m.ID] = m
	c.pts++
	u := &tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1}
	c.log = append(c.log, chEntry{pts: c.pts, date: m.Date, u: u})
	for _, mem := range c.Members {
		s.push(mem, u)
	}
}

// DeleteTopic is an admin deleting a forum's topic: its messages go, the
// first one too.
func (s *Server) DeleteTopic(channel int64, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	gone := []int{id}
	for mid := range c.msgs {
		if c.topicOf(mid) == id {
			gone = append(gone, mid)
		}
	}
	sort.Ints(gone)
	for _, mid := range gone {
		delete(c.msgs, mid)
	}
	delete(c.svc, id)
	c.topics[id].deleted = true
	c.pts += len(gone)
	u := &tg.UpdateDeleteChannelMessages{ChannelID: c.ID, Messages: gone, Pts: c.pts, PtsCount: len(gone)}
	c.log = append(c.log, chEntry{pts: c.pts, date: now(), u: u})
	for _, m := range c.Members {
		s.push(m, u)
	}
}

// forumTopic is a topic as Telegram describes it.
func (c *Channel) forumTopic(id int) tg.ForumTopicClass {
	if id == 1 {
		t := &tg.ForumTopic{ID: 1, Title: "General", Closed: c.generalClosed, Date: 1, Peer: &tg.PeerChannel{ChannelID: c.ID}, FromID: &tg.PeerUser{UserID: c.Creator}}
		t.SetFlags()
		return t
	}
	tp := c.topics[id]
	if tp == nil || tp.deleted {
		return &tg.ForumTopicDeleted{ID: id}
	}
	top := id
	for mid := range c.msgs {
		if mid > top && c.topicOf(mid) == id {
			top = mid
		}
	}
	ft := &tg.ForumTopic{ID: id, Title: tp.title, Closed: tp.closed, Date: tp.date, Peer: &tg.PeerChannel{ChannelID: c.ID},
		TopMessage: top, FromID: &tg.PeerUser{UserID: c.Creator}}
	ft.SetFlags()
	return ft
}

// forumOf is the forum a member names.
func (s *Server) forumOf(k *key, peer tg.InputPeerClass) (*Channel, error) {
	ip, ok := peer.(*tg.InputPeerChannel)
	if !ok {
		return nil, tgerr.New(400, "PEER_ID_INVALID")
	}
	c, err := s.channelOf(k, &tg.InputChannel{ChannelID: ip.ChannelID, AccessHash: ip.AccessHash})
	if err != nil {
		return nil, err
	}
	if !c.Forum {
		return nil, tgerr.New(400, "CHANNEL_FORUM_MISSING")
	}
	return c, nil
}

func (s *Server) registerForums(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesGetForumTopicsRequestTypeID, "messages.getForumTopics", func(k *key, r *tg.MessagesGetForumTopicsRequest) (bin.Encoder, error) {
		c, err := s.forumOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		ids := []int{1}
		for id, t := range c.topics {
			if !t.deleted {
				ids = append(ids, id)
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(ids)))
		out := &tg.MessagesForumTopics{Count: len(ids), Pts: c.pts, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, id := range ids {
			if r.Limit > 0 && len(out.Topics) == r.Limit {
				break
			}
			ft := c.forumTopic(id)
			out.Topics = append(out.Topics, ft)
			if m := c.msgs[ft.(*tg.ForumTopic).TopMessage]; m != nil {
				out.Messages = append(out.Messages, view(m, k.user))
			}
		}
		return out, nil
	})
	handle(s, d, tg.MessagesGetForumTopicsByIDRequestTypeID, "messages.getForumTopicsByID", func(k *key, r *tg.MessagesGetForumTopicsByIDRequest) (bin.Encoder, error) {
		c, err := s.forumOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		out := &tg.MessagesForumTopics{Count: len(r.Topics), Pts: c.pts, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, id := range r.Topics {
			out.Topics = append(out.Topics, c.forumTopic(id))
		}
		return out, nil
	})
	handle(s, d, tg.MessagesGetRepliesRequestTypeID, "messages.getReplies", func(k *key, r *tg.MessagesGetRepliesRequest) (bin.Encoder, error) {
		c, err := s.forumOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		if t := c.topics[r.MsgID]; t == nil || t.deleted {
			return nil, tgerr.New(400, "MSG_ID_INVALID")
		}
		var ids []int
		for id := range c.msgs {
			if c.topicOf(id) == r.MsgID {
				ids = append(ids, id)
			}
		}
		ids = append(ids, r.MsgID) // the topic's first message
		sort.Sort(sort.Reverse(sort.IntSlice(ids)))
		out := &tg.MessagesChannelMessages{Count: len(ids), Pts: c.pts, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user)}
		for _, id := range ids {
			if r.OffsetID != 0 && id >= r.OffsetID {
				continue
			}
			if r.Limit > 0 && len(out.Messages) == r.Limit {
				break
			}
			if m := c.msgs[id]; m != nil {
				out.Messages = append(out.Messages, view(m, k.user))
			} else {
				out.Messages = append(out.Messages, c.svc[id])
			}
		}
		return out, nil
	})
	handle(s, d, tg.MessagesEditForumTopicRequestTypeID, "messages.editForumTopic", func(k *key, r *tg.MessagesEditForumTopicRequest) (bin.Encoder, error) {
		c, err := s.forumOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		tp := c.topics[r.TopicID]
		if tp == nil || tp.deleted {
			return nil, tgerr.New(400, "TOPIC_ID_INVALID")
		}
		if k.user != c.Creator && !slices.Contains(c.Admins, k.user) {
			return nil, tgerr.New(403, "CHAT_ADMIN_REQUIRED")
		}
		title, ok := r.GetTitle()
		if !ok {
			return &tg.Updates{Date: now()}, nil
		}
		tp.title = title
		id := c.next
		c.next++
		h := &tg.MessageReplyHeader{ForumTopic: true, ReplyToMsgID: r.TopicID}
		h.SetFlags()
		act := &tg.MessageActionTopicEdit{}
		act.SetTitle(title)
		m := &tg.MessageService{ID: id, Out: true, PeerID: &tg.PeerChannel{ChannelID: c.ID}, FromID: &tg.PeerUser{UserID: k.user}, Date: now(),
			ReplyTo: h, Action: act}
		m.SetFlags()
		c.svc[id] = m
		c.pts++
		u := &tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1}
		c.log = append(c.log, chEntry{pts: c.pts, date: m.Date, u: u})
		for _, mem := range c.Members {
			if mem != k.user {
				s.push(mem, u)
			}
		}
		return &tg.Updates{Updates: []tg.UpdateClass{u}, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
	handle(s, d, tg.MessagesReadDiscussionRequestTypeID, "messages.readDiscussion", func(k *key, r *tg.MessagesReadDiscussionRequest) (bin.Encoder, error) {
		c, err := s.forumOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		if t := c.topics[r.MsgID]; t == nil || t.deleted {
			return nil, tgerr.New(400, "TOPIC_DELETED")
		}
		return &tg.BoolTrue{}, nil
	})
}

// TopicTitle is a forum topic's title now.
func (s *Server) TopicTitle(channel int64, id int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.channels[channel].topics[id]; t != nil {
		return t.title
	}
	return ""
}
