package whatsapp

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A vote in a poll comes apart from the poll: a PollUpdateMessage, one
// voter's whole selection (none: the vote taken back), encrypted with a
// key made from the poll's message secret and naming the options by the
// SHA-256 of their names. whatsmeow keeps the secret of each message it
// decrypts (its message secrets table, on disk) and decrypts a vote with
// it (DecryptPollVote); the options' names and who chose what so far are
// the plugin's to keep. The polls seen are kept here, with their votes,
// so that a vote (a contact's, or the user's own from the phone or from
// XMPP: vote.go) becomes a correction of the poll's message: the poll
// again, with its counts as they stand.
//
// They are kept in memory and, so that a restart (a crash, an upgrade)
// loses none, in the login's folder (plugins/pollstore: a file per poll,
// replaced whole as the poll changes), written before the handler
// returns, since whatsmeow acknowledges a message once it has. A poll
// that comes in a history sync comes with the votes cast until then,
// decrypted (historypoll.go): it is kept with them, so that its message
// shows their counts and a later vote counts with them.
//
// A voter is counted under their user ID: "+<phone>", or "lid-<LID>"
// while only their LID is known (identity.go). One person may so have
// voted under both, as their number becomes known or a group addresses
// them by LID: a vote under their phone ID takes over the one kept under
// their LID, and when a LID's number becomes known (a move, or the store
// read after a restart) its vote is counted as the number's. The newer
// of the two counts.

// pollsMax bounds the polls remembered: past it, the one seen longest ago
// is forgotten, and its file deleted (its votes are then dropped). A poll
// is its question, at most a dozen short options and a hundred bytes or
// so per voter: a few megabytes for polls in groups of a few dozen, some
// 25 MB at worst (every poll in a full group, every member voting).
const pollsMax = 256

// pollVotersMax bounds the voters kept per poll: a WhatsApp group holds
// 1024 members. A new voter past it is dropped (debug), leaving the
// counts short; one already counted may still change their vote.
const pollVotersMax = 1024

// pollCache is the polls of recent messages, by message ID: WhatsApp's
// IDs are random, and a vote is checked to come from the poll's chat.
type pollCache struct {
	mu    sync.Mutex
	m     map[types.MessageID]*pollEntry
	order []types.MessageID           // oldest first, each ID once
	store *pollstore.Store[pollSaved] // nil: kept in memory only
}

// pollEntry is a poll, its message and its votes so far.
type pollEntry struct {
	info   types.MessageInfo // the poll's message: chat, sender, ID
	poll   mediatext.Poll    // its question and options, uncounted
	byHash map[[sha256.Size]byte]int
	votes  map[string]pollVote // by voter's user ID, "+<phone>" where known
	// told is the text the last correction gave: a vote that changes
	// nothing shown (the same choice again) makes none.
	told string
}

// pollVote is one voter's choice as it stands.
type pollVote struct {
	options []int // the options chosen, by index; none: taken back
	at      int64 // when the voter's phone cast it, unix ms
}

// pollSaved is a poll as its file keeps it: its message's fields that a
// correction and a vote's check read, and the entry's own.
type pollSaved struct {
	Source   types.MessageSource
	ID       types.MessageID
	PushName string
	Time     time.Time
	SentMeta *types.DeviceSentMeta `json:",omitempty"`
	Poll     mediatext.Poll
	Votes    map[string]savedVote
	Told     string
}

// savedVote is a pollVote as its file keeps it.
type savedVote struct {
	Options []int
	At      int64
}

// load reads the polls kept in the login folder dir ("": none), for
// their votes after a restart, and keeps the polls there from now on.
// phoneID turns a voter's "lid-" ID into their phone ID where now known.
func (c *pollCache) load(dir string, log *slog.Logger, phoneID func(string) string) {
	store, kept := pollstore.Open[pollSaved](dir, log)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store = store
	for _, k := range kept {
		ps := k.Poll
		if ps.ID != k.Key || c.m[ps.ID] != nil {
			continue // not the poll its key names: not written so
		}
		e := &pollEntry{poll: ps.Poll, byHash: map[[sha256.Size]byte]int{}, votes: map[string]pollVote{}, told: ps.Told}
		e.info = types.MessageInfo{MessageSource: ps.Source, ID: ps.ID, PushName: ps.PushName, Timestamp: ps.Time, DeviceSentMeta: ps.SentMeta}
		e.hashOptions()
		for voter, v := range ps.Votes {
			if !slices.ContainsFunc(v.Options, func(i int) bool { return i < 0 || i >= len(e.poll.Options) }) {
				e.keepNewer(phoneID(voter), pollVote{options: v.Options, at: v.At})
			} // else not this poll's options: not written so
		}
		c.addLocked(e)
	}
}

// saved is e as its file keeps it.
func (e *pollEntry) saved() pollSaved {
	ps := pollSaved{Source: e.info.MessageSource, ID: e.info.ID, PushName: e.info.PushName, Time: e.info.Timestamp,
		SentMeta: e.info.DeviceSentMeta, Poll: e.poll, Votes: map[string]savedVote{}, Told: e.told}
	for voter, v := range e.votes {
		ps.Votes[voter] = savedVote{Options: v.options, At: v.at}
	}
	return ps
}

// hashOptions indexes the poll's options by their names' hashes, as
// votes name them; the first of two options of one name takes its votes.
func (e *pollEntry) hashOptions() {
	for i, o := range e.poll.Options {
		h := sha256.Sum256([]byte(o.Text))
		if _, dup := e.byHash[h]; !dup {
			e.byHash[h] = i
		}
	}
}

// remember keeps a poll and its message, its votes none yet. A poll
// already remembered keeps its votes: the same message again (delivered
// twice) changes nothing.
func (c *pollCache) remember(info *types.MessageInfo, p *waE2E.PollCreationMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[info.ID] != nil {
		return
	}
	e := newPollEntry(info, p)
	c.addLocked(e)
	c.store.Put(info.ID, e.saved())
}

// knownVote is a vote cast before its poll reached the plugin, as a
// history sync gives it with the poll: who (and the LID ID they may have
// voted under, as cast takes it), when (unix ms), which options (their
// names' hashes; none: taken back).
type knownVote struct {
	voter, alias string
	at           int64
	chosen       [][]byte
}

// rememberVoted keeps a poll with the votes cast so far and returns its
// text: the counts when some vote is known, as a correction gives them,
// else the poll alone, as a live poll first reads. A poll already
// remembered (a history sync repeating a message) keeps its votes, the
// newer of two of one voter's counting, and its last correction: its
// message was shown already. full is how many voters past
// pollVotersMax were dropped.
func (c *pollCache) rememberVoted(info *types.MessageInfo, p *waE2E.PollCreationMessage, votes []knownVote) (text string, full int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, known := c.m[info.ID]
	if !known {
		e = newPollEntry(info, p)
		c.addLocked(e)
	}
	for _, v := range votes {
		if e.cast(v.voter, v.alias, v.at, v.chosen) == tallyFull {
			full++
		}
	}
	text = mediatext.PollText(e.poll, pollWhere)
	if len(e.votes) > 0 {
		text = e.counted()
		if !known {
			e.told = text
		}
	}
	c.store.Put(info.ID, e.saved())
	return text, full
}

// newPollEntry is a poll and its message, no votes yet.
func newPollEntry(info *types.MessageInfo, p *waE2E.PollCreationMessage) *pollEntry {
	e := &pollEntry{info: *info, poll: pollOf(p), byHash: map[[sha256.Size]byte]int{}, votes: map[string]pollVote{}}
	e.hashOptions()
	return e
}

// addLocked adds a poll not remembered yet, forgetting the oldest past
// pollsMax; with c.mu held.
func (c *pollCache) addLocked(e *pollEntry) {
	if c.m == nil {
		c.m = map[types.MessageID]*pollEntry{}
	}
	c.m[e.info.ID] = e
	c.order = append(c.order, e.info.ID)
	for len(c.order) > pollsMax {
		delete(c.m, c.order[0])
		c.store.Delete(c.order[0])
		c.order = c.order[1:]
	}
}

// message is the message of a poll remembered.
func (c *pollCache) message(id types.MessageID) (types.MessageInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e == nil {
		return types.MessageInfo{}, false
	}
	return e.info, true
}

// poll is a poll remembered: its message, and its question and options.
func (c *pollCache) poll(id types.MessageID) (types.MessageInfo, mediatext.Poll, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e == nil {
		return types.MessageInfo{}, mediatext.Poll{}, false
	}
	p := e.poll
	p.Options = slices.Clone(p.Options)
	return e.info, p, true
}

// text is a remembered poll's text with its counts as they stand.
func (c *pollCache) text(id types.MessageID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e == nil {
		return "", false
	}
	return e.counted(), true
}

// pollTally is what a vote did to its poll.
type pollTally string

const (
	tallyChanged   pollTally = "changed"   // the counts shown changed: correct
	tallySame      pollTally = "same"      // nothing shown changed
	tallyStale     pollTally = "stale"     // older than the voter's vote counted
	tallyFull      pollTally = "full"      // a new voter past pollVotersMax
	tallyForgotten pollTally = "forgotten" // the poll is no longer remembered
)

// vote counts voter's choice (option hashes; none takes the vote back),
// cast at (unix ms), in poll id, replacing their earlier one, under
// voter or alias (see cast). text is the poll with its counts now, for
// tallyChanged.
func (c *pollCache) vote(id types.MessageID, voter, alias string, at int64, chosen [][]byte) (text string, t pollTally) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e == nil {
		return "", tallyForgotten
	}
	if t := e.cast(voter, alias, at, chosen); t != tallyChanged {
		return "", t
	}
	text = e.counted()
	t = tallyChanged
	if text == e.told {
		t = tallySame // the vote's time changed still
	}
	e.told = text
	c.store.Put(id, e.saved())
	return text, t
}

// cast records voter's choice in e, with the cache's lock held:
// tallyChanged when recorded (whether or not a count changed), else why
// not. alias ("": none) is the LID ID the same person may have voted
// under before their number was known: that vote becomes voter's.
func (e *pollEntry) cast(voter, alias string, at int64, chosen [][]byte) pollTally {
	if alias != "" {
		e.merge(alias, voter)
	}
	old, ok := e.votes[voter]
	switch {
	case ok && at < old.at:
		return tallyStale // a vote delivered late, since replaced
	case !ok && len(e.votes) >= pollVotersMax:
		return tallyFull
	}
	var opts []int
	for _, h := range chosen {
		if len(h) != sha256.Size {
			continue // not a hash: an option of no poll
		}
		if i, ok := e.byHash[[sha256.Size]byte(h)]; ok && !slices.Contains(opts, i) {
			opts = append(opts, i)
		}
	}
	// A vote taken back stays, as none: an older one coming late must
	// not count again.
	e.votes[voter] = pollVote{options: opts, at: at}
	return tallyChanged
}

// merge counts the vote kept under from, if any, as to's, the newer of
// the two counting: one person under two IDs.
func (e *pollEntry) merge(from, to string) bool {
	v, ok := e.votes[from]
	if ok {
		delete(e.votes, from)
		e.keepNewer(to, v)
	}
	return ok
}

// keepNewer keeps v as voter's vote unless theirs kept is newer.
func (e *pollEntry) keepNewer(voter string, v pollVote) {
	if old, ok := e.votes[voter]; !ok || v.at > old.at {
		e.votes[voter] = v
	}
}

// moved counts the votes kept under oldID, a LID whose phone number
// became known, as newID's in every poll. The counts shown are corrected
// by the poll's next vote.
func (c *pollCache) moved(oldID, newID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.order {
		if e := c.m[id]; e.merge(oldID, newID) {
			c.store.Put(id, e.saved())
		}
	}
}

// counted is the poll's text with its counts as they stand.
func (e *pollEntry) counted() string {
	p := e.poll
	p.Live = true
	p.Options = slices.Clone(p.Options)
	for i := range p.Options {
		p.Options[i].Counted = true
	}
	for _, v := range e.votes {
		for _, i := range v.options {
			p.Options[i].Votes++
		}
	}
	return mediatext.PollText(p, pollWhere)
}

// pollVote turns a vote in a poll into a correction of the poll's
// message. A vote for a poll not remembered (too long ago, or older than
// the history shown) is dropped, as is one from another chat
// than the poll's or one whatsmeow cannot decrypt (told the user: the
// counts shown miss it).
func (s *Session) pollVote(e *events.Message, pu *waE2E.PollUpdateMessage) {
	id := pu.GetPollCreationMessageKey().GetID()
	log := s.log.With("vote", e.Info.ID, "poll", id, "chat", e.Info.Chat)
	poll, ok := s.polls.message(id)
	if !ok {
		log.Debug("a vote in a poll not remembered; dropped")
		return
	}
	chat := chatIDOf(s.conv.ids, chatOf(&e.Info))
	if chat != chatIDOf(s.conv.ids, chatOf(&poll)) {
		log.Debug("a vote from another chat than its poll's; dropped")
		return
	}
	v, err := s.d.cli.DecryptPollVote(context.Background(), e)
	if err != nil {
		// The poll's secret was stored with the poll: unexpected.
		log.Warn("a vote not decrypted; dropped", "err", err)
		_, p, _ := s.polls.poll(id)
		s.voteUnread(id, p.Question, err) // notices.go: its counts are off here, told once a poll
		return
	}
	voter, alias := s.conv.self, "" // the user, from the phone
	if !e.Info.IsFromMe {
		voter, alias = s.ids.voterIDs(senderOf(&e.Info))
	}
	at := pu.GetSenderTimestampMS()
	if at == 0 {
		at = e.Info.Timestamp.UnixMilli()
	}
	text, t := s.polls.vote(id, voter, alias, at, v.GetSelectedOptions())
	if t != tallyChanged {
		log.Debug("a vote that changes no count shown", "tally", string(t))
		return
	}
	s.correctPoll(&poll, text, e.Info.Timestamp)
}

// correctPoll corrects a poll's message with text, its counts as they
// stand since a vote at t.
func (s *Session) correctPoll(poll *types.MessageInfo, text string, t time.Time) {
	ev := s.conv.base(poll) // the poll's sender corrects the poll
	// No event ID: a vote says the poll's state again, and the same
	// text may rightly come twice (a vote changed, then changed back).
	ev.EventId = ""
	ev.TimestampUnixMicro = t.UnixMicro()
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: poll.ID, Text: text}}
	s.emitDurable(ev)
}
