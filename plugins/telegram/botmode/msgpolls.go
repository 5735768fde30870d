package botmode

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A poll's new state comes as a poll update, which names only the poll:
// the Bot API sends a bot one when a poll in its chats is closed by hand,
// and for each vote in a poll the bot sent (the gateway sends none). The
// messages of the polls seen since the session started are remembered
// here, in memory, so that the update becomes a correction of each: the
// poll again, with its counts, "(closed)" once closed.
//
// After a restart the cache is empty: an update of a poll seen before is
// logged (debug) and dropped; the Bot API has no call to read a message
// again.

// msgPollsMax bounds the polls remembered: past it, the one seen longest
// ago is forgotten. A poll's message is kept trimmed to what its
// correction needs (its chat, sender and topic).
const msgPollsMax = 1024

// msgPollMsgsMax bounds the messages remembered per poll: a forwarded
// poll keeps its ID, so one poll can be in several chats.
const msgPollMsgsMax = 8

// msgPolls is the messages of recent polls, by poll ID.
type msgPolls struct {
	mu    sync.Mutex
	m     map[string][]models.Message
	order []string // oldest first, each ID once
}

// remember keeps a poll's message (m.Poll set), trimmed.
func (c *msgPolls) remember(m *models.Message) {
	kept := models.Message{ID: m.ID, Chat: m.Chat, From: m.From, SenderChat: m.SenderChat, AuthorSignature: m.AuthorSignature,
		MessageThreadID: m.MessageThreadID, IsTopicMessage: m.IsTopicMessage, Caption: m.Caption, CaptionEntities: m.CaptionEntities}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]models.Message{}
	}
	id := m.Poll.ID
	msgs, known := c.m[id]
	if !known {
		c.order = append(c.order, id)
		for len(c.order) > msgPollsMax {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
	}
	msgs = slices.DeleteFunc(msgs, func(o models.Message) bool { return o.Chat.ID == m.Chat.ID && o.ID == m.ID })
	msgs = append(msgs, kept)
	if len(msgs) > msgPollMsgsMax {
		msgs = msgs[len(msgs)-msgPollMsgsMax:]
	}
	c.m[id] = msgs
}

// messages are the messages of poll id that are remembered.
func (c *msgPolls) messages(id string) []models.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.m[id])
}

// pollEvents are the corrections a poll's new state makes.
func (s *Session) pollEvents(p *models.Poll) []*pb.Event {
	msgs := s.polls.messages(p.ID)
	if len(msgs) == 0 {
		s.log.Debug("telegram bot: an update of a poll not seen since the start; dropped", "login", s.cfg.LoginID, "poll", p.ID)
		return nil
	}
	at := int(time.Now().Unix())
	var evs []*pb.Event
	for _, m := range msgs {
		text, spans := mediatext.WithCaption(pollText(p, true), m.Caption, spansOf(m.Caption, m.CaptionEntities))
		ev := base(&m.Chat, at)
		s.inTopicRoom(ev, &m)
		ev.Sender = senderOf(&m)
		// No event ID, as for any edit: a state said again.
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: strconv.Itoa(m.ID), Text: text, Spans: spans}}
		evs = append(evs, ev)
	}
	return evs
}
