package telegram

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A poll's votes and its closing come apart from the message that carried
// it: updateMessagePoll names only the poll's ID. The polls of the
// messages seen are remembered here, with those messages, so that such an
// update becomes a correction of each of them: the poll again, with its
// counts as they stand, "(closed)" once closed.
//
// They are kept in memory and, so that a restart (a crash, an upgrade)
// loses none, in the login's folder (plugins/pollstore: a file per poll,
// replaced whole when a message of it comes or its text changes): an
// update of a poll seen before the restart corrects its messages too.
// messages.getPollResults could not stand in: it needs the poll's chat
// and message, which are what the update lacks (it fills in what a
// closing does not say, once the poll's message is known: pollfetch.go).

// pollsMax bounds the polls remembered: past it, the one first seen
// longest ago is forgotten, and its file deleted (its updates are then
// dropped). A poll is its question and at most a dozen short answers
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
	order []int64                     // oldest first, each ID once
	store *pollstore.Store[pollSaved] // nil: kept in memory only
	log   *slog.Logger
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
	// buttons is the line of a bot's inline keyboard under the message
	// (buttonsText): its corrections keep it, as the message showed it.
	buttons string
}

// pollSaved is a poll as its file keeps it: the poll and its messages'
// entities in Telegram's own encoding (TL), their senders as protobuf.
type pollSaved struct {
	Media []byte // tg.MessageMediaPoll
	Msgs  []savedMsg
	Told  string
}

// savedMsg is a pollMsg as its file keeps it.
type savedMsg struct {
	Chat    string
	ID      int
	Sender  []byte // pb.Sender
	Caption string
	Ents    [][]byte // each a tg.MessageEntityClass
	Buttons string   `json:",omitempty"`
}

// load reads the polls kept in the login folder dir ("": none), for
// their updates after a restart, and keeps the polls there from now on.
// A poll that does not decode (not written so) is logged and skipped.
func (c *pollCache) load(dir string, log *slog.Logger) {
	store, kept := pollstore.Open[pollSaved](dir, log)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store, c.log = store, log
	for _, k := range kept {
		e, err := k.Poll.entry()
		if err != nil || strconv.FormatInt(e.media.Poll.ID, 10) != k.Key {
			log.Warn("telegram: a poll kept does not decode; its updates are dropped", "poll", k.Key, "err", err)
			store.Delete(k.Key)
			continue
		}
		if c.m[e.media.Poll.ID] == nil {
			c.addLocked(e)
		}
	}
}

// saved is e as its file keeps it.
func (e *pollEntry) saved() (pollSaved, error) {
	md := e.media
	md.Poll.SetFlags() // the fields set, some by update, must be encoded
	md.Results.SetFlags()
	var b bin.Buffer
	if err := md.Encode(&b); err != nil {
		return pollSaved{}, err
	}
	ps := pollSaved{Media: b.Copy(), Told: e.told}
	for _, pm := range e.msgs {
		snd, err := proto.Marshal(pm.sender)
		if err != nil {
			return pollSaved{}, err
		}
		sm := savedMsg{Chat: pm.chat, ID: pm.id, Sender: snd, Caption: pm.caption, Buttons: pm.buttons}
		for _, ent := range pm.ents {
			var b bin.Buffer
			if err := ent.Encode(&b); err != nil {
				return pollSaved{}, err
			}
			sm.Ents = append(sm.Ents, b.Copy())
		}
		ps.Msgs = append(ps.Msgs, sm)
	}
	return ps, nil
}

// entry is the poll ps keeps.
func (ps *pollSaved) entry() (*pollEntry, error) {
	e := &pollEntry{told: ps.Told}
	if err := e.media.Decode(&bin.Buffer{Buf: ps.Media}); err != nil {
		return nil, err
	}
	for _, sm := range ps.Msgs {
		pm := pollMsg{chat: sm.Chat, id: sm.ID, sender: &pb.Sender{}, caption: sm.Caption, buttons: sm.Buttons}
		if err := proto.Unmarshal(sm.Sender, pm.sender); err != nil {
			return nil, err
		}
		for _, eb := range sm.Ents {
			ent, err := tg.DecodeMessageEntity(&bin.Buffer{Buf: eb})
			if err != nil {
				return nil, err
			}
			pm.ents = append(pm.ents, ent)
		}
		e.msgs = append(e.msgs, pm)
	}
	return e, nil
}

// save writes e, the poll of ID id, to its file; with c.mu held.
func (c *pollCache) save(id int64, e *pollEntry) {
	if c.store == nil {
		return
	}
	ps, err := e.saved()
	if err != nil {
		// Not expected: what was decoded encodes.
		c.log.Warn("telegram: a poll not saved", "poll", id, "err", err)
		return
	}
	c.store.Put(strconv.FormatInt(id, 10), ps)
}

// remember keeps a poll's message, and the poll as the message tells it.
func (c *pollCache) remember(md *tg.MessageMediaPoll, pm pollMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := md.Poll.ID
	e := c.entryLocked(md)
	old := e.media.Results
	e.media, e.told = *md, ""
	keepOwn(&e.media.Results, old)
	e.msgs = slices.DeleteFunc(e.msgs, func(o pollMsg) bool { return o.chat == pm.chat && o.id == pm.id })
	e.msgs = append(e.msgs, pm)
	if len(e.msgs) > pollMsgsMax {
		e.msgs = e.msgs[len(e.msgs)-pollMsgsMax:]
	}
	c.save(id, e)
}

// entryLocked is md's poll's entry, added when not remembered yet; with
// c.mu held.
func (c *pollCache) entryLocked(md *tg.MessageMediaPoll) *pollEntry {
	e := c.m[md.Poll.ID]
	if e == nil {
		e = &pollEntry{media: *md}
		c.addLocked(e)
	}
	return e
}

// addLocked adds a poll not remembered yet, forgetting the oldest past
// pollsMax; with c.mu held.
func (c *pollCache) addLocked(e *pollEntry) {
	if c.m == nil {
		c.m = map[int64]*pollEntry{}
	}
	id := e.media.Poll.ID
	c.m[id] = e
	c.order = append(c.order, id)
	for len(c.order) > pollsMax {
		delete(c.m, c.order[0])
		c.store.Delete(strconv.FormatInt(c.order[0], 10))
		c.order = c.order[1:]
	}
}

// byMessage is the poll of message id of chat (a topic's message is
// found from its forum's room too: message IDs are the channel's), as
// last told: its options and their option bytes, its results. ok is
// false for a message whose poll is not remembered.
func (c *pollCache) byMessage(chat string, id int) (md tg.MessageMediaPoll, ok bool) {
	md, _, ok = c.ofMessage(chat, id)
	return md, ok
}

// ofMessage is byMessage with the message as remembered: its sender,
// who alone may close the poll.
func (c *pollCache) ofMessage(chat string, id int) (md tg.MessageMediaPoll, pm pollMsg, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	base := baseChat(chat)
	// The newest first: a poll forgotten and seen again is added last.
	for _, pid := range slices.Backward(c.order) {
		e := c.m[pid]
		if i := slices.IndexFunc(e.msgs, func(pm pollMsg) bool { return pm.id == id && baseChat(pm.chat) == base }); i >= 0 {
			return e.media, e.msgs[i], true
		}
	}
	return tg.MessageMediaPoll{}, pollMsg{}, false
}

// edited keeps a poll's message as an edit of it tells it (the poll
// closed, say: the edit that closing a poll makes comes with
// updateMessagePoll, in either order) and returns the corrections it
// calls for, as update does: each message of the poll when the poll's
// text is not as last told, this one alone when only its caption
// changed, none otherwise. So one closing is one correction, whichever
// of the edit and the poll's update comes first.
func (c *pollCache) edited(md *tg.MessageMediaPoll, pm pollMsg) (text string, msgs []pollMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := md.Poll.ID
	e := c.entryLocked(md)
	old := e.media.Results
	e.media = *md
	keepOwn(&e.media.Results, old)
	captionChanged := true // or its buttons
	if i := slices.IndexFunc(e.msgs, func(o pollMsg) bool { return o.chat == pm.chat && o.id == pm.id }); i >= 0 {
		captionChanged = e.msgs[i].caption != pm.caption || e.msgs[i].buttons != pm.buttons
		e.msgs = slices.Delete(e.msgs, i, i+1)
	}
	e.msgs = append(e.msgs, pm)
	if len(e.msgs) > pollMsgsMax {
		e.msgs = e.msgs[len(e.msgs)-pollMsgsMax:]
	}
	defer c.save(id, e)
	text = pollText(&e.media, true)
	switch {
	case text != e.told:
		e.told = text
		return text, slices.Clone(e.msgs)
	case captionChanged:
		return text, []pollMsg{pm}
	}
	return text, nil
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
		r.Min = true // and what only the user's own say
	}
	keepOwn(&r, e.media.Results)
	e.media.Results = r
	text = pollText(&e.media, true)
	if text == e.told {
		return text, nil, true
	}
	e.told = text
	c.save(u.PollID, e)
	return text, slices.Clone(e.msgs), true
}

// keepOwn carries over to r, when it is "min" (results the same for
// everyone, without what is the user's own), what only the user's own
// results say, from old, the results last told: the options they chose,
// a quiz's right answer and its explanation. Otherwise a quiz's text
// would lose "Your answer" and ✓, then get them back, a correction each.
func keepOwn(r *tg.PollResults, old tg.PollResults) {
	if !r.Min {
		return
	}
	for i := range r.Results {
		for _, o := range old.Results {
			if bytes.Equal(o.Option, r.Results[i].Option) {
				r.Results[i].Chosen = r.Results[i].Chosen || o.Chosen
				r.Results[i].Correct = r.Results[i].Correct || o.Correct
			}
		}
	}
	if r.Solution == "" {
		r.Solution, r.SolutionEntities = old.Solution, old.SolutionEntities
	}
}

// setClosed marks poll id closed, as Telegram said it is, without
// telling it: the next update, or tell, corrects its messages.
func (c *pollCache) setClosed(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil && !e.media.Poll.Closed {
		e.media.Poll.Closed = true
		c.save(id, e)
	}
}

// tell is poll id's text and its messages, as update gives them: none
// when the text is as last told (or the poll is not remembered).
func (c *pollCache) tell(id int64) (text string, msgs []pollMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e == nil {
		return "", nil
	}
	text = pollText(&e.media, true)
	if text == e.told {
		return text, nil
	}
	e.told = text
	c.save(id, e)
	return text, slices.Clone(e.msgs)
}

// firstMsg is a message of poll id, the first remembered.
func (c *pollCache) firstMsg(id int64) (pollMsg, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil && len(e.msgs) > 0 {
		return e.msgs[0], true
	}
	return pollMsg{}, false
}

// pollEvents are the corrections a poll's update makes: each message
// that carried the poll, its text the poll as it stands. A poll not
// remembered (never seen, or forgotten past pollsMax) is dropped, and so is an update that changes nothing
// the text shows.
func (s *Session) pollEvents(ctx context.Context, u *tg.UpdateMessagePoll) []*pb.Event {
	s.closingResults(ctx, u) // pollfetch.go
	pollText, msgs, ok := s.polls.update(u)
	if !ok {
		s.n.log().Debug("telegram: an update of a poll not remembered; dropped", "login", s.login.LoginID, "poll", u.PollID)
		return nil
	}
	return s.pollCorrections(pollText, msgs)
}

// pollCorrections are the corrections of msgs, messages that carry a
// poll whose text is pollText now.
func (s *Session) pollCorrections(pollText string, msgs []pollMsg) []*pb.Event {
	at := time.Now().Unix()
	var evs []*pb.Event
	for _, pm := range msgs {
		text, spans := mediatext.WithCaption(pollText, pm.caption, spansOf(pm.caption, pm.ents, s.userByName))
		text = mediatext.WithButtons(text, pm.buttons)
		// No event ID: a poll's update says a state again, and a second
		// copy changes nothing, while two states may read the same.
		evs = append(evs, s.editEvent(pm.chat, pm.sender, pm.id, at, "", text, spans))
	}
	return evs
}

// pollEditEvents are the corrections an edit of a poll's message m of
// chat, from snd, calls for (pollCache.edited).
func (s *Session) pollEditEvents(chat string, m *tg.Message, md *tg.MessageMediaPoll, snd *pb.Sender) []*pb.Event {
	return s.pollCorrections(s.polls.edited(md, pollMsgOf(chat, m, snd)))
}

// rememberPoll keeps a message's poll, for its updates.
func (s *Session) rememberPoll(chat string, m *tg.Message, snd *pb.Sender) {
	md, ok := m.Media.(*tg.MessageMediaPoll)
	if !ok {
		return
	}
	s.polls.remember(md, pollMsgOf(chat, m, snd))
}

// pollMsgOf is message m of chat, from snd, as a poll's message is kept.
func pollMsgOf(chat string, m *tg.Message, snd *pb.Sender) pollMsg {
	return pollMsg{chat: chat, id: m.ID, sender: snd, caption: m.Message, ents: m.Entities, buttons: buttonsText(m.ReplyMarkup)}
}
