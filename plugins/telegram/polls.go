package telegram

import (
	"slices"
	"sync"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A poll's votes and its closing come apart from the message that carried
// it: updateMessagePoll names only the poll's ID. The polls of the
// messages seen since the session started are remembered here, in memory,
// with those messages, so that such an update becomes a correction of
// each of them: the poll again, with its counts as they stand, "(closed)"
// once closed.
//
// After a restart the cache is empty: an update of a poll seen before is
// logged (debug) and dropped, and its message stays as it last read.
// messages.getPollResults would need the poll's chat and message, which
// are what is missing.

// pollsMax bounds the polls remembered: past it, the one first seen
// longest ago is forgotten (its updates are then dropped, as after a
// restart). A poll is its question and at most a dozen short answers
// (about 2 KB), a message its chat, sender and caption (none, as a rule):
// a few megabytes at most.
const pollsMax = 1024

// pollMsgsMax bounds the messages remembered per poll: a forwarded poll
// keeps its ID, so one poll can be in several chats; the oldest is
// forgotten first.
const pollMsgsMax = 8

// pollCache is the polls of recent messages, by poll ID.
type pollCache struct {
	mu    sync.Mutex
	m     map[int64]*pollEntry
	order []int64 // oldest first, each ID once
}

// pollEntry is a poll as last told, and the messages that carry it.
type pollEntry struct {
	media tg.MessageMediaPoll
	msgs  []pollMsg
	// told is the poll's text the last corrections gave: an update that
	// changes nothing shown (the recent voters, say) makes none.
	told string
}

// pollMsg is a message that carries a poll: what its correction needs.
type pollMsg struct {
	chat    string
	id      int
	sender  *pb.Sender
	caption string
	ents    []tg.MessageEntityClass
}

// remember keeps a poll's message, and the poll as the message tells it.
func (c *pollCache) remember(md *tg.MessageMediaPoll, pm pollMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]*pollEntry{}
	}
	id := md.Poll.ID
	e := c.m[id]
	if e == nil {
		e = &pollEntry{}
		c.m[id] = e
		c.order = append(c.order, id)
		for len(c.order) > pollsMax {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
	}
	e.media, e.told = *md, ""
	e.msgs = slices.DeleteFunc(e.msgs, func(o pollMsg) bool { return o.chat == pm.chat && o.id == pm.id })
	e.msgs = append(e.msgs, pm)
	if len(e.msgs) > pollMsgsMax {
		e.msgs = e.msgs[len(e.msgs)-pollMsgsMax:]
	}
}

// update applies a poll's update and returns the poll's text now, with
// its counts, and its messages: none when the text is as last told. ok is
// false for a poll not remembered.
func (c *pollCache) update(u *tg.UpdateMessagePoll) (text string, msgs []pollMsg, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[u.PollID]
	if e == nil {
		return "", nil, false
	}
	if p, ok := u.GetPoll(); ok {
		e.media.Poll = p // the poll itself changed: closed
	}
	r := u.Results
	if !r.Flags.Has(1) && r.Results == nil {
		// No counts given (the total alone): the last ones stand.
		r.Results = e.media.Results.Results
	}
	e.media.Results = r
	p := poll(&e.media)
	p.Live = true
	text = mediatext.PollText(p, inApp)
	if text == e.told {
		return text, nil, true
	}
	e.told = text
	return text, slices.Clone(e.msgs), true
}

// pollEvents are the corrections a poll's update makes: each message
// that carried the poll, its text the poll as it stands. A poll not seen
// since the start is dropped, and so is an update that changes nothing
// the text shows.
func (s *Session) pollEvents(u *tg.UpdateMessagePoll) []*pb.Event {
	pollText, msgs, ok := s.polls.update(u)
	if !ok {
		s.n.log().Debug("telegram: an update of a poll not seen since the start; dropped", "login", s.login.LoginID, "poll", u.PollID)
		return nil
	}
	at := time.Now().Unix()
	var evs []*pb.Event
	for _, pm := range msgs {
		text, spans := mediatext.WithCaption(pollText, pm.caption, spansOf(pm.caption, pm.ents))
		// No event ID: a poll's update says a state again, and a second
		// copy changes nothing, while two states may read the same.
		evs = append(evs, s.editEvent(pm.chat, pm.sender, pm.id, at, "", text, spans))
	}
	return evs
}

// rememberPoll keeps a message's poll, for its updates.
func (s *Session) rememberPoll(chat string, m *tg.Message, snd *pb.Sender) {
	md, ok := m.Media.(*tg.MessageMediaPoll)
	if !ok {
		return
	}
	s.polls.remember(md, pollMsg{chat: chat, id: m.ID, sender: snd, caption: m.Message, ents: m.Entities})
}
