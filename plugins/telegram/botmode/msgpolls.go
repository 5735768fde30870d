package botmode

import (
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A poll's new state comes as a poll update, which names only the poll:
// the Bot API sends a bot one when a poll in its chats is closed by hand,
// and for each vote in a poll the bot sent (the user's, pollstart.go).
// The messages of the polls seen are remembered here, so that the update
// becomes a correction of each: the poll again, with its counts,
// "(closed)" once closed; a poll the bot sent is corrected as the user's
// own message.
//
// They are kept in memory and in the login's folder (plugins/pollstore:
// a file per poll, written when a message of it comes, before its batch
// is confirmed to Telegram), so that an update after a restart of a
// poll seen before it corrects its messages too: the Bot API has no call
// to read a message again. The update carries the poll's whole state, so
// only the messages are kept.

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
	order []string                           // oldest first, each ID once
	store *pollstore.Store[[]models.Message] // nil: kept in memory only
	// told is each poll's text as its last corrections gave it (in
	// memory): the same state told again (stopPoll's answer and the poll
	// update that follows it) corrects nothing.
	told map[string]string
	// closed are the polls known closed (in memory).
	closed map[string]bool
}

// load reads the polls kept in the login folder dir ("": none), for
// their updates after a restart, and keeps the polls there from now on.
func (c *msgPolls) load(dir string, log *slog.Logger) {
	store, kept := pollstore.Open[[]models.Message](dir, log)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store = store
	for _, k := range kept {
		if len(k.Poll) == 0 {
			log.Warn("telegram bot: a poll kept has no message; dropped", "poll", k.Key)
			store.Delete(k.Key)
			continue
		}
		if _, known := c.m[k.Key]; !known {
			c.addLocked(k.Key)
		}
		c.m[k.Key] = k.Poll
	}
}

// addLocked adds a poll not remembered yet, forgetting the oldest past
// msgPollsMax; with c.mu held.
func (c *msgPolls) addLocked(id string) {
	if c.m == nil {
		c.m = map[string][]models.Message{}
	}
	c.m[id] = nil
	c.order = append(c.order, id)
	for len(c.order) > msgPollsMax {
		delete(c.m, c.order[0])
		delete(c.told, c.order[0])
		delete(c.closed, c.order[0])
		c.store.Delete(c.order[0])
		c.order = c.order[1:]
	}
}

// remember keeps a poll's message (m.Poll set), trimmed.
func (c *msgPolls) remember(m *models.Message) {
	kept := models.Message{ID: m.ID, Chat: m.Chat, From: m.From, SenderChat: m.SenderChat, AuthorSignature: m.AuthorSignature,
		MessageThreadID: m.MessageThreadID, IsTopicMessage: m.IsTopicMessage, Caption: m.Caption, CaptionEntities: m.CaptionEntities,
		ReplyMarkup: m.ReplyMarkup}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := m.Poll.ID
	msgs, known := c.m[id]
	if !known {
		c.addLocked(id)
	}
	msgs = slices.DeleteFunc(msgs, func(o models.Message) bool { return o.Chat.ID == m.Chat.ID && o.ID == m.ID })
	msgs = append(msgs, kept)
	if len(msgs) > msgPollMsgsMax {
		msgs = msgs[len(msgs)-msgPollMsgsMax:]
	}
	c.m[id] = msgs
	c.store.Put(id, msgs)
}

// edited keeps what an edit of a remembered poll's message m changed
// that its corrections show: its caption and its keyboard. Its sender
// stays as remembered (the bot's own poll is the user's).
func (c *msgPolls) edited(m *models.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msgs := c.m[m.Poll.ID]
	i := slices.IndexFunc(msgs, func(o models.Message) bool { return o.Chat.ID == m.Chat.ID && o.ID == m.ID })
	if i < 0 {
		return
	}
	msgs[i].Caption, msgs[i].CaptionEntities, msgs[i].ReplyMarkup = m.Caption, m.CaptionEntities, m.ReplyMarkup
	c.store.Put(m.Poll.ID, msgs)
}

// messages are the messages of poll id that are remembered.
func (c *msgPolls) messages(id string) []models.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.m[id])
}

// byMessage is the poll of message msgID of chat chatID, if remembered:
// its ID, the message as kept, and whether it is known closed.
func (c *msgPolls) byMessage(chatID int64, msgID int) (pollID string, m models.Message, closed, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range slices.Backward(c.order) {
		for _, k := range c.m[id] {
			if k.Chat.ID == chatID && k.ID == msgID {
				return id, k, c.closed[id], true
			}
		}
	}
	return "", models.Message{}, false, false
}

// tell notes poll p's text now, and whether it is closed; false when the
// text is as last told.
func (c *msgPolls) tell(p *models.Poll, text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, known := c.m[p.ID]; !known {
		return true
	}
	if c.told == nil {
		c.told, c.closed = map[string]string{}, map[string]bool{}
	}
	if p.IsClosed {
		c.closed[p.ID] = true
	}
	if c.told[p.ID] == text {
		return false
	}
	c.told[p.ID] = text
	return true
}

// pollEvents are the corrections a poll's new state makes; none when it
// shows as last told.
func (s *Session) pollEvents(p *models.Poll) []*pb.Event {
	msgs := s.polls.messages(p.ID)
	if len(msgs) == 0 {
		s.log.Debug("telegram bot: an update of a poll not remembered; dropped", "login", s.cfg.LoginID, "poll", p.ID)
		return nil
	}
	pt := pollText(p, true)
	if !s.polls.tell(p, pt) {
		return nil
	}
	at := int(time.Now().Unix())
	me := s.identity().ID
	var evs []*pb.Event
	for _, m := range msgs {
		text, spans := mediatext.WithCaption(pt, m.Caption, spansOf(m.Caption, m.CaptionEntities, s.userByName(m.Chat.ID)))
		text = mediatext.WithButtons(text, buttonsText(m.ReplyMarkup))
		ev := base(&m.Chat, at)
		s.inTopicRoom(ev, &m)
		ev.Sender = senderOf(&m)
		// The bot's own poll (StartPoll keeps it from the bot, not
		// its channel) is the user's message.
		ev.Sender.IsFromMe = m.SenderChat == nil && m.From != nil && m.From.ID == me && me != 0
		// No event ID, as for any edit: a state said again.
		ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: strconv.Itoa(m.ID), Text: text, Spans: spans}}
		evs = append(evs, ev)
	}
	return evs
}
