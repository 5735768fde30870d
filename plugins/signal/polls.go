package signal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"unicode/utf16"

	"google.golang.org/protobuf/proto"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A poll's votes and its end come as data messages of their own
// (signal-cli's pollVote and pollTerminate, since 0.13.22), naming the
// poll's message by its author and timestamp. The polls of the messages
// seen are remembered here, with each voter's latest vote, so that a
// vote or the end becomes a correction of the poll's message: the poll
// again, with its counts as they stand, "(closed)" once ended.
//
// Signal keeps no tally: each client counts the votes it received. The
// counts are those of the votes seen since the poll arrived: they are
// kept in memory and, so that a restart (a crash, an upgrade) loses
// none, in the login's folder (plugins/pollstore: a file per poll,
// replaced whole as the poll changes), written before the correction
// goes out.

// pollsMax bounds the polls remembered: past it, the one seen longest ago
// is forgotten, and its file deleted (its votes are then dropped). A poll
// is its question, a few short options and a vote per voter of its chat
// (a group has at most 1000 members): a few KB as a rule, about 100 KB
// in the largest groups.
const pollsMax = 1024

// pollVote is a vote in a poll: the voter's chosen options, replacing
// their earlier votes (JsonPollVote). Author and TargetSentTimestamp name
// the poll's message; VoteCount grows with each vote of the same voter,
// so that a vote arriving late does not undo a newer one. No option is a
// vote taken back.
type pollVote struct {
	AuthorNumber        string `json:"authorNumber"`
	AuthorUUID          string `json:"authorUuid"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	OptionIndexes       []int  `json:"optionIndexes"`
	VoteCount           int    `json:"voteCount"`
}

// pollTerminate is the end of a poll, by its author (JsonPollTerminate).
type pollTerminate struct {
	TargetSentTimestamp int64 `json:"targetSentTimestamp"`
}

// pollCache is the polls of recent messages, by their timestamp and
// author: two people may start a poll in the same millisecond.
type pollCache struct {
	mu    sync.Mutex
	m     map[int64][]*pollEntry      // by timestamp, first remembered first
	order []*pollEntry                // oldest first
	store *pollstore.Store[pollSaved] // nil: kept in memory only
	log   *slog.Logger
	// voting lets one vote of the user go at a time: each takes the
	// count after the last one's.
	voting sync.Mutex
}

// pollEntry is a poll, the message that carries it and the votes so far.
type pollEntry struct {
	ts int64 // the message's timestamp
	// key names the poll's file: "<ts>:<author>", the author as first
	// remembered (an identity move keeps it); the bare timestamp for a
	// poll an older plugin kept.
	key    string
	author string // the message's author, a user ID
	chat   string
	sender *pb.Sender
	poll   pollCreate
	// caption and spans are the message's own text, after the poll.
	caption string
	spans   []*pb.Span
	ballots map[string]ballot // the latest vote of each voter, by user ID
	closed  bool
	// told is the text the last correction gave (at first the message's
	// own): a vote that changes nothing shown makes none. confirmed is
	// the one the host confirmed, which the file keeps: a vote or an end
	// received whose correction was on its way when the plugin was
	// killed, its envelope handled again at the next start, is told
	// then; kept as told, the replay found it told and the correction
	// was lost.
	told, confirmed string
}

// ballot is one voter's latest vote.
type ballot struct {
	count   int
	options []int
}

// pollSaved is a poll as its file keeps it, the message's sender and
// spans as protobuf.
type pollSaved struct {
	TS      int64
	Author  string
	Chat    string
	Sender  []byte // pb.Sender
	Poll    pollCreate
	Caption string
	Spans   [][]byte // each a pb.Span
	Ballots map[string]savedBallot
	Closed  bool
	Told    string
}

// savedBallot is a ballot as its file keeps it.
type savedBallot struct {
	Count   int
	Options []int
}

// load reads the polls kept in the login folder dir ("": none), for
// their votes after a restart, and keeps the polls there from now on.
// A poll that does not decode (not written so) is logged and skipped.
func (c *pollCache) load(dir string, log *slog.Logger) {
	store, kept := pollstore.Open[pollSaved](dir, log)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store, c.log = store, log
	for _, k := range kept {
		e, err := k.Poll.entry()
		if ts, _, ok := parseID(k.Key); err == nil && (!ok || ts != k.Poll.TS) {
			err = errors.New("not the poll its key names")
		}
		if err != nil {
			log.Warn("signal: a poll kept does not decode; its votes are dropped", "poll", k.Key, "err", err)
			store.Delete(k.Key)
			continue
		}
		e.ts, e.key = k.Poll.TS, k.Key
		if c.find(e.chat, e.author, e.ts) == nil {
			c.addLocked(e)
		}
	}
}

// saved is e as its file keeps it.
func (e *pollEntry) saved() (pollSaved, error) {
	snd, err := proto.Marshal(e.sender)
	if err != nil {
		return pollSaved{}, err
	}
	ps := pollSaved{TS: e.ts, Author: e.author, Chat: e.chat, Sender: snd, Poll: e.poll, Caption: e.caption,
		Ballots: map[string]savedBallot{}, Closed: e.closed, Told: e.confirmed}
	for _, sp := range e.spans {
		b, err := proto.Marshal(sp)
		if err != nil {
			return pollSaved{}, err
		}
		ps.Spans = append(ps.Spans, b)
	}
	for voter, b := range e.ballots {
		ps.Ballots[voter] = savedBallot{Count: b.count, Options: b.options}
	}
	return ps, nil
}

// entry is the poll ps keeps.
func (ps *pollSaved) entry() (*pollEntry, error) {
	e := &pollEntry{author: ps.Author, chat: ps.Chat, sender: &pb.Sender{}, poll: ps.Poll, caption: ps.Caption,
		ballots: map[string]ballot{}, closed: ps.Closed, told: ps.Told, confirmed: ps.Told}
	if err := proto.Unmarshal(ps.Sender, e.sender); err != nil {
		return nil, err
	}
	for _, b := range ps.Spans {
		sp := &pb.Span{}
		if err := proto.Unmarshal(b, sp); err != nil {
			return nil, err
		}
		e.spans = append(e.spans, sp)
	}
	for voter, b := range ps.Ballots {
		if slices.ContainsFunc(b.Options, func(i int) bool { return i < 0 || i >= len(e.poll.Options) }) {
			return nil, fmt.Errorf("a vote of %s for an option the poll has not", voter)
		}
		e.ballots[voter] = ballot{count: b.Count, options: b.Options}
	}
	return e, nil
}

// save writes e to its file; with c.mu held.
func (c *pollCache) save(e *pollEntry) {
	if c.store == nil {
		return
	}
	ps, err := e.saved()
	if err != nil {
		// Not expected: a sender or spans proto.Marshal refuses.
		c.log.Warn("signal: a poll not saved", "poll", e.key, "err", err)
		return
	}
	c.store.Put(e.key, ps)
}

// remember keeps a poll's message: its timestamp, author and chat. The
// same message seen again replaces what was kept of it.
func (c *pollCache) remember(ts int64, e *pollEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.ts = ts
	e.ballots = map[string]ballot{}
	e.told = pollText(&e.poll, false, nil, false, pollWhere)
	e.confirmed = e.told
	if old := c.find(e.chat, e.author, ts); old != nil {
		e.key = old.key
		c.replaceLocked(old, e)
	} else {
		e.key = strconv.FormatInt(ts, 10) + ":" + e.author
		c.addLocked(e)
	}
	c.save(e)
}

// moved puts the polls under a contact's new user ID (an identity
// move): those of their direct chat, those they started, and their
// ballots, the later of two kept. Votes and ends then come, and the
// gateway asks, under the new ID.
func (c *pollCache) moved(oldID, newID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.order {
		changed := false
		if e.chat == oldID {
			e.chat, changed = newID, true
		}
		if e.author == oldID {
			e.author, changed = newID, true
		}
		if e.sender.GetUserId() == oldID {
			snd := proto.Clone(e.sender).(*pb.Sender)
			snd.UserId = newID
			e.sender, changed = snd, true
		}
		if b, ok := e.ballots[oldID]; ok {
			if cur, has := e.ballots[newID]; !has || b.count > cur.count {
				e.ballots[newID] = b
			}
			delete(e.ballots, oldID)
			changed = true
		}
		if changed {
			c.save(e)
		}
	}
}

// addLocked adds the poll of a message not remembered yet, forgetting
// the oldest past pollsMax; with c.mu held.
func (c *pollCache) addLocked(e *pollEntry) {
	if c.m == nil {
		c.m = map[int64][]*pollEntry{}
	}
	c.m[e.ts] = append(c.m[e.ts], e)
	c.order = append(c.order, e)
	for len(c.order) > pollsMax {
		old := c.order[0]
		c.order = c.order[1:]
		c.dropLocked(old)
		c.store.Delete(old.key)
	}
}

// replaceLocked puts e in old's place; with c.mu held.
func (c *pollCache) replaceLocked(old, e *pollEntry) {
	for i, x := range c.m[old.ts] {
		if x == old {
			c.m[old.ts][i] = e
		}
	}
	for i, x := range c.order {
		if x == old {
			c.order[i] = e
		}
	}
}

// dropLocked takes e out of c.m; with c.mu held.
func (c *pollCache) dropLocked(e *pollEntry) {
	kept := slices.DeleteFunc(c.m[e.ts], func(x *pollEntry) bool { return x == e })
	if len(kept) == 0 {
		delete(c.m, e.ts)
	} else {
		c.m[e.ts] = kept
	}
}

// find is the poll of the message of author at ts in chat, with c.mu
// held; nil when not remembered.
func (c *pollCache) find(chat, author string, ts int64) *pollEntry {
	for _, e := range c.m[ts] {
		if e.chat == chat && e.author == author {
			return e
		}
	}
	return nil
}

// findAny is find for an author in any of the forms given (who); for
// none (a message ID of the bare form), the first poll of ts in chat.
func (c *pollCache) findAny(chat string, forms []string, ts int64) *pollEntry {
	for _, e := range c.m[ts] {
		if e.chat == chat && (len(forms) == 0 || slices.Contains(forms, e.author)) {
			return e
		}
	}
	return nil
}

// vote counts voter's vote; it returns the poll's entry and its text now
// when that changed (the text is "" otherwise), and a nil entry when the
// poll is not remembered. The text is noted told on disk at once for a
// vote of the user's own (received false), once confirmed (told) for
// one received.
func (c *pollCache) vote(chat, author, voter string, v *pollVote, received bool) (*pollEntry, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.find(chat, author, v.TargetSentTimestamp)
	if e == nil {
		return nil, ""
	}
	if old, ok := e.ballots[voter]; ok && v.VoteCount <= old.count {
		// Older than the vote counted, or the same again: nothing
		// new, unless a correction was not confirmed.
		return e, c.retell(e, received)
	}
	var opts []int
	for _, i := range v.OptionIndexes {
		if i >= 0 && i < len(e.poll.Options) && !slices.Contains(opts, i) {
			opts = append(opts, i)
		}
	}
	if !e.poll.AllowMultiple && len(opts) > 1 {
		return e, "" // not a vote Signal's apps would count
	}
	e.ballots[voter] = ballot{count: v.VoteCount, options: opts}
	text := c.retell(e, received)
	c.save(e) // the vote's count changed, if not the text
	return e, text
}

// terminate closes the poll of author's message at ts; as vote.
func (c *pollCache) terminate(chat, author string, ts int64, received bool) (*pollEntry, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.find(chat, author, ts)
	if e == nil {
		return nil, ""
	}
	if e.closed {
		return e, c.retell(e, received)
	}
	e.closed = true
	text := c.retell(e, received)
	c.save(e)
	return e, text
}

// retell is e.retell, noted confirmed at once unless received; with
// c.mu held.
func (c *pollCache) retell(e *pollEntry, received bool) string {
	text := e.retell()
	if !received {
		e.confirmed = e.told
	}
	return text
}

// told notes text, the correction of e received, confirmed by the host
// or not: confirmed, its file says it told; not, it is told again at the
// next change (the envelope, handled again at the next start, does).
func (c *pollCache) told(e *pollEntry, text string, confirmed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case e.told != text: // a later one told since
	case confirmed:
		e.confirmed = text
		c.save(e)
	default:
		e.told = e.confirmed
	}
}

// retell is the poll's text with its counts, "" when it reads as last
// told; with c.mu held.
func (e *pollEntry) retell() string {
	counts := make([]int, len(e.poll.Options))
	for _, b := range e.ballots {
		for _, i := range b.options {
			counts[i]++
		}
	}
	text := pollText(&e.poll, true, counts, e.closed, pollWhere)
	if text == e.told {
		return ""
	}
	e.told = text
	return text
}

// rememberPoll keeps a poll message's poll, for its votes and its end.
func (s *Session) rememberPoll(chat, author string, sender *pb.Sender, ts int64, dm *dataMessage, caption string, spans []*pb.Span) {
	if dm.PollCreate == nil || len(dm.Contacts) > 0 || dm.Payment != nil {
		return // the poll is not all the message shows: keep to its text
	}
	var kept []*pb.Span
	for _, sp := range spans {
		kept = append(kept, proto.Clone(sp).(*pb.Span))
	}
	s.polls.remember(ts, &pollEntry{author: author, chat: chat, sender: sender, poll: *dm.PollCreate, caption: caption, spans: kept})
}

// pollUpdate emits the correction a vote or a poll's end by who makes in
// chat (at ts): nothing for a poll not remembered (never seen, or
// forgotten past pollsMax), nor when the poll's text stays the same.
func (s *Session) pollUpdate(ctx context.Context, chat, who string, ts int64, dm *dataMessage) {
	var (
		e      *pollEntry
		text   string
		target int64
	)
	if v := dm.PollVote; v != nil {
		target = v.TargetSentTimestamp
		e, text = s.polls.vote(chat, s.ids.lookup(v.AuthorNumber, v.AuthorUUID, s.account()), who, v, true)
	} else {
		// Only its author ends a poll.
		target = dm.PollTerminate.TargetSentTimestamp
		e, text = s.polls.terminate(chat, who, target, true)
	}
	if e == nil {
		s.n.host.Logger().Debug("signal: a vote or end of a poll not remembered; dropped", "login", s.loginID, "chat", chat, "poll", target)
		return
	}
	if text != "" {
		s.polls.told(e, text, s.pollCorrect(ctx, chat, ts, target, e, text))
	}
}

// pollCorrect emits the correction of the poll e of the message at target
// in chat, made at ts, to text ("": nothing changed, none), and reports
// whether the host confirmed it.
func (s *Session) pollCorrect(ctx context.Context, chat string, ts, target int64, e *pollEntry, text string) bool {
	if text == "" {
		return true
	}
	// The message's sender, caption and spans never change once
	// remembered: read without c.mu.
	var spans []*pb.Span
	for _, sp := range e.spans {
		spans = append(spans, proto.Clone(sp).(*pb.Span))
	}
	text, spans = mediatext.WithCaption(text, e.caption, spans)
	// No event ID: a vote says a state again, which a second copy does
	// not change, while two states may read the same.
	return s.emitConfirmed(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: e.sender, TimestampUnixMicro: ts * 1000,
		Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: s.idFor(target, e.author), Text: text, Spans: spans}}})
}

var _ sdk.Voter = (*Session)(nil)

// Vote votes in a poll the plugin remembers, by signal-cli's sendPollVote
// (0.13.23 and later), which names the poll by its author and timestamp
// and carries the user's vote count: one more than their latest vote
// seen (from the phone too), so that Signal's apps take it as the newer.
// signal-cli does not echo the vote to the gateway's device: the poll's
// message is corrected here, as for a vote from the phone.
func (s *Session) Vote(ctx context.Context, c sdk.Call, v *pb.Vote) error {
	p, err := s.target(c.ChatID)
	if err != nil {
		return err
	}
	ts, by, err := s.msgRef(v.TargetId, v.TargetMeta)
	if err != nil {
		return err
	}
	s.polls.voting.Lock()
	defer s.polls.voting.Unlock()
	author, poll, closed, count, ok := s.polls.ballotOf(c.ChatID, s.who(by), ts, s.selfID())
	if !ok {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "message %s is no poll the gateway knows (it remembers those it saw, the latest %d): vote on your phone", v.TargetId, pollsMax)
	}
	if closed {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the poll %q is closed", poll.Question)
	}
	opts, err := pollChoices(&poll, v.Choices)
	if err != nil {
		return err
	}
	count++
	p["pollAuthor"], p["pollTimestamp"], p["options"], p["voteCount"] = author, ts, opts, count
	res, err := s.send(ctx, c, "could not vote", "sendPollVote", p)
	var se *sdk.Error
	if errors.As(err, &se) && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		return sdk.Errorf(se.Code, "%s (voting needs signal-cli 0.13.23 or later; vote on your phone)", se.Text)
	}
	if err != nil {
		return err
	}
	s.tellPartly(ctx, c.ChatID, res, "your vote")
	e, text := s.polls.vote(c.ChatID, author, s.selfID(), &pollVote{TargetSentTimestamp: ts, OptionIndexes: opts, VoteCount: count}, false)
	if e != nil {
		s.pollCorrect(ctx, c.ChatID, res.Timestamp, ts, e, text)
	}
	return nil
}

// ballotOf is what a vote of voter in the poll of the message at ts in
// chat by the author of forms (findAny) needs: the poll's author, the
// poll, whether it is closed, and the count of voter's latest vote (0:
// none); ok is false when the poll is not remembered.
func (c *pollCache) ballotOf(chat string, forms []string, ts int64, voter string) (author string, poll pollCreate, closed bool, count int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.findAny(chat, forms, ts)
	if e == nil {
		return "", pollCreate{}, false, 0, false
	}
	return e.author, e.poll, e.closed, e.ballots[voter].count, true
}

// pollChoices are the indexes of the options choices name
// (mediatext.PollChoices); none is a vote taken back, which Signal's apps
// send as a vote of no option.
func pollChoices(p *pollCreate, choices []string) ([]int, error) {
	opts, err := mediatext.PollChoices(p.Options, choices, p.AllowMultiple)
	if ec, ok := errors.AsType[*mediatext.ErrChoice](err); ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s", ec.Text)
	}
	if opts == nil {
		opts = []int{} // never null: signal-cli needs the list
	}
	return opts, err
}

var _ sdk.PollStarter = (*Session)(nil)

// The bounds of a poll the user starts, as signal-cli checks them (the
// options' number since 0.14.1, their length since 0.14.2): at most
// pollOptionsMax options (the SDK allows more), each at most
// pollOptionMax UTF-16 code units long, as Java counts a string's length.
// Checked here too, so that an older signal-cli sends none past them.
const (
	pollOptionsMax = 10
	pollOptionMax  = 100
)

// StartPoll sends the user's poll by signal-cli's sendPollCreate
// (0.13.23 and later): its question, its options and, for a poll of one
// answer, noMulti (signal-cli's polls allow several by default). The
// poll's message is named by the send's timestamp, as any message the
// user sends. It is remembered as the polls seen are (rememberPoll),
// from the user, so that the votes of others, the user's from the phone
// and from XMPP (Vote) correct it as the user's own message; at once the
// user's message (the gateway's "/poll ...") is corrected to the poll
// as Signal's apps show it, with where to vote.
func (s *Session) StartPoll(ctx context.Context, c sdk.Call, sp *pb.Poll) (sdk.Result, error) {
	p, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if len(sp.Options) > pollOptionsMax {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a Signal poll has at most %d options, not %d", pollOptionsMax, len(sp.Options))
	}
	for _, o := range sp.Options {
		if len(utf16.Encode([]rune(o))) > pollOptionMax {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "the option %q is longer than the %d characters Signal takes", o, pollOptionMax)
		}
	}
	p["question"], p["options"] = sp.Question, sp.Options
	if !sp.Multiple {
		p["noMulti"] = true
	}
	res, err := s.send(ctx, c, "could not start the poll", "sendPollCreate", p)
	if se, ok := errors.AsType[*sdk.Error](err); ok && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		return sdk.Result{}, sdk.Errorf(se.Code, "%s (starting polls needs signal-cli 0.13.23 or later; start it on your phone)", se.Text)
	}
	if err != nil {
		return sdk.Result{}, err
	}
	s.noteChat(res.Timestamp, c.ChatID, s.selfID())
	e := &pollEntry{author: s.selfID(), chat: c.ChatID, sender: &pb.Sender{UserId: s.selfID(), IsFromMe: true},
		poll: pollCreate{Question: sp.Question, AllowMultiple: sp.Multiple, Options: slices.Clone(sp.Options)}}
	s.polls.remember(res.Timestamp, e)
	s.pollCorrect(ctx, c.ChatID, res.Timestamp, res.Timestamp, e, pollText(&e.poll, false, nil, false, pollWhere))
	// Sent in part, as a message (SendMessage).
	return s.sentResult(ctx, c.ChatID, res.Timestamp), res.partly("the poll")
}

var _ sdk.PollCloser = (*Session)(nil)

// ClosePoll ends the user's own poll, by signal-cli's sendPollTerminate
// (0.13.23 and later), which names the poll by its timestamp alone: a
// poll ends only by its author, the account. Another's poll is refused
// before anything goes, as is a message that is no poll the plugin
// remembers; a poll closed already (from the phone too) is no error and
// sends nothing. signal-cli does not echo the end to the gateway's
// device: the poll's message is corrected here, once, as for an end
// from the phone (an echo would find the poll closed and correct
// nothing).
func (s *Session) ClosePoll(ctx context.Context, c sdk.Call, cp *pb.ClosePoll) error {
	p, err := s.target(c.ChatID)
	if err != nil {
		return err
	}
	ts, by, err := s.msgRef(cp.TargetId, cp.TargetMeta)
	if err != nil {
		return err
	}
	// One change of the poll at a time: a vote of the user from XMPP
	// does not cross its end.
	s.polls.voting.Lock()
	defer s.polls.voting.Unlock()
	author, poll, closed, _, ok := s.polls.ballotOf(c.ChatID, s.who(by), ts, s.selfID())
	switch {
	case !ok:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "message %s is no poll the gateway knows (it remembers those it saw, the latest %d): close it on your phone", cp.TargetId, pollsMax)
	case author != s.selfID():
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the poll %q is not yours: only the one who started a poll closes it", poll.Question)
	case closed:
		return nil
	}
	p["pollTimestamp"] = ts
	res, err := s.send(ctx, c, "could not close the poll", "sendPollTerminate", p)
	if se, ok := errors.AsType[*sdk.Error](err); ok && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		return sdk.Errorf(se.Code, "%s (closing polls needs signal-cli 0.13.23 or later; close it on your phone)", se.Text)
	}
	if err != nil {
		return err
	}
	s.tellPartly(ctx, c.ChatID, res, "closing your poll")
	e, text := s.polls.terminate(c.ChatID, s.selfID(), ts, false)
	if e != nil {
		s.pollCorrect(ctx, c.ChatID, res.Timestamp, ts, e, text)
	}
	return nil
}
