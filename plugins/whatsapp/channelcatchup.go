package whatsapp

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// WhatsApp delivers a channel's posts live only: one made while the
// gateway was away (the plugin stopped, the connection down) is never
// delivered, unlike a chat's messages, which wait on WhatsApp's servers.
// So the newest post shown of each channel (its server ID) is kept in
// the login's folder, and each connection asks WhatsApp
// (GetNewsletterMessages, which pages back from the newest only) for
// the posts after it, shown once, oldest first, as live posts. The live
// posts of such a channel that come meanwhile wait for that catch-up,
// then follow it, those it showed dropped: nothing twice, nothing out
// of order.
//
// A channel followed with no post kept is one whose history the host
// asked for in this run (channelhistory.go keeps its newest), or one
// followed before this was kept, whose room may have no history at all
// (the host marked it done when channels had none, and never asks
// again): for those, on a login's later runs, its last posts are sent
// as its history unasked, once, done (the host stores each post once).

// channelsSeenFile keeps the newest post shown of each channel.
const channelsSeenFile = "channels.json"

// channelCatchUpMax bounds the posts of one channel a catch-up brings:
// past it, the older missed ones are left (logged).
const channelCatchUpMax = 200

// channelSeen is the newest post shown of each channel the user
// follows, and the catch-up of the connection under way.
type channelSeen struct {
	path string // "": memory only
	log  *slog.Logger

	mu sync.Mutex
	// last is each channel's newest post shown, by server ID (0: none
	// yet, the channel known to have none).
	last map[string]types.MessageServerID
	// waiting is the channels with a post kept whose catch-up has not
	// ended on this connection: their live posts wait in held.
	waiting map[types.JID]bool
	held    []*events.Message
	// caught is the channels caught up on this connection: their live
	// posts move last on; one not caught (its catch-up failed) keeps
	// its last, so that the next connection asks again from it.
	caught map[types.JID]bool
	// brought is the posts the catch-ups of this connection showed, by
	// channel: their live copies, held or coming after, are dropped.
	brought map[types.JID]map[types.MessageServerID]bool
	// gen numbers the connections (connecting): what a catch-up or a
	// history read of an earlier one found is not this one's.
	gen uint64
	// running: a catch-up runs (one at a time); rerun: a connection
	// came meanwhile, whose catch-up runs once it ends.
	running, rerun bool
	// changes counts the changes of last; saved is those on disk.
	changes uint64

	saveMu sync.Mutex // one write at a time, the newest last
	saved  uint64     // under saveMu
}

func newChannelSeen(loginDir string, log *slog.Logger) *channelSeen {
	c := &channelSeen{log: log}
	if loginDir != "" {
		c.path = filepath.Join(loginDir, channelsSeenFile)
	}
	c.last, _ = sdk.LoadStateFile[map[string]types.MessageServerID](c.path, "posts made while the gateway was away are not shown, nor the history of rooms made before it", log)
	if c.last == nil {
		c.last = map[string]types.MessageServerID{}
	}
	return c
}

// seenSaver writes the channels' newest posts shown (a setting for
// channelcatchup_internal_test.go).
var seenSaver = newSetting(sdk.SaveStateFile)

// save writes last as it is now, when it changed since the last write;
// a failure costs a catch-up, logged. Called without mu: the write
// waits for the disk, and a live post's hold (on whatsmeow's event
// loop) must not wait for it.
func (c *channelSeen) save() {
	if c.path == "" {
		return
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	c.mu.Lock()
	changes, last := c.changes, maps.Clone(c.last)
	c.mu.Unlock()
	if changes == c.saved {
		return
	}
	if err := seenSaver.get()(c.path, last); err != nil {
		c.log.Warn("the channels' newest posts shown not kept", "err", err)
		return
	}
	c.saved = changes
}

// connecting starts a connection: the live posts of every channel with
// a post kept wait for its catch-up.
func (c *channelSeen) connecting() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.waiting, c.caught, c.brought = map[types.JID]bool{}, map[types.JID]bool{}, nil
	for id := range c.last {
		if jid, err := types.ParseJID(id); err == nil {
			c.waiting[jid] = true
		}
	}
}

// hold keeps e, a live post of its channel, when that channel waits for
// its catch-up, and says so; or drops it when a catch-up showed it
// already.
func (c *channelSeen) hold(e *events.Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broughtLocked(e) {
		return true
	}
	if !c.waiting[e.Info.Chat.ToNonAD()] {
		return false
	}
	c.held = append(c.held, e)
	return true
}

// broughtLocked says whether a catch-up showed live post e.
func (c *channelSeen) broughtLocked(e *events.Message) bool {
	return e.Info.ServerID != 0 && c.brought[e.Info.Chat.ToNonAD()][e.Info.ServerID]
}

// bring notes post id of channel shown by its catch-up.
func (c *channelSeen) bring(channel types.JID, id types.MessageServerID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.brought == nil {
		c.brought = map[types.JID]map[types.MessageServerID]bool{}
	}
	if c.brought[channel] == nil {
		c.brought[channel] = map[types.MessageServerID]bool{}
	}
	c.brought[channel][id] = true
}

// shown notes post id of channel shown live: channel's last when it is
// caught up on this connection.
func (c *channelSeen) shown(channel types.JID, id types.MessageServerID) {
	c.mu.Lock()
	if !c.caught[channel] || id <= c.last[channel.String()] {
		c.mu.Unlock()
		return
	}
	c.last[channel.String()] = id
	c.changes++
	c.mu.Unlock()
	c.save()
}

// generation is the connection's number, taken before asking WhatsApp
// for what caughtUp notes.
func (c *channelSeen) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// caughtUp notes channel shown up to its post id (0: it has none),
// caught up on connection gen. When gen ended meanwhile, the channel is
// not caught up on the one now: the posts made between the two came in
// neither, and this one's live posts must not move last past them (its
// catch-up asks from last).
func (c *channelSeen) caughtUp(gen uint64, channel types.JID, id types.MessageServerID) {
	c.mu.Lock()
	if gen == c.gen {
		if c.caught == nil {
			c.caught = map[types.JID]bool{}
		}
		c.caught[channel] = true
	}
	c.advanceLocked(channel, id)
}

// shownUpTo notes channel shown up to its post id by a catch-up that
// stopped short (the gateway did not take a later post): the next
// connection asks from there, the channel not caught up on this one.
func (c *channelSeen) shownUpTo(channel types.JID, id types.MessageServerID) {
	c.mu.Lock()
	c.advanceLocked(channel, id)
}

// advanceLocked moves channel's last to id when newer, and writes it;
// called under mu, which it unlocks.
func (c *channelSeen) advanceLocked(channel types.JID, id types.MessageServerID) {
	if old, ok := c.last[channel.String()]; ok && id <= old {
		c.mu.Unlock()
		return
	}
	c.last[channel.String()] = id
	c.changes++
	c.mu.Unlock()
	c.save()
}

// lastOf is channel's newest post shown; ok false when none is kept.
func (c *channelSeen) lastOf(channel types.JID) (types.MessageServerID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.last[channel.String()]
	return id, ok
}

// release ends the wait of channels (all when nil) and returns their
// posts held, in the order they came, those their catch-up showed
// dropped. Nothing for a catch-up of connection gen when another began
// since: that one's catch-up ends their wait.
func (c *channelSeen) release(gen uint64, channels []types.JID) []*events.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return nil
	}
	var out, keep []*events.Message
	for _, e := range c.held {
		ch := e.Info.Chat.ToNonAD()
		if channels != nil && !slices.Contains(channels, ch) {
			keep = append(keep, e)
			continue
		}
		if c.broughtLocked(e) {
			continue
		}
		out = append(out, e)
	}
	c.held = keep
	if channels == nil {
		c.waiting = nil
	}
	for _, ch := range channels {
		delete(c.waiting, ch)
	}
	return out
}

// forget drops channel: the user no longer follows it.
func (c *channelSeen) forget(channel types.JID) {
	c.mu.Lock()
	_, ok := c.last[channel.String()]
	if ok {
		delete(c.last, channel.String())
		c.changes++
	}
	c.mu.Unlock()
	if ok {
		c.save()
	}
}

// keepOnly drops the channels not in followed: left while away.
func (c *channelSeen) keepOnly(followed []types.JID) {
	c.mu.Lock()
	n := len(c.last)
	for id := range c.last {
		if jid, err := types.ParseJID(id); err != nil || !slices.Contains(followed, jid) {
			delete(c.last, id)
		}
	}
	dropped := len(c.last) != n
	if dropped {
		c.changes++
	}
	c.mu.Unlock()
	if dropped {
		c.save()
	}
}

// begin says whether a catch-up may start, for connection gen: none
// runs. One that runs is told to run again once it ends.
func (c *channelSeen) begin() (gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		c.rerun = true
		return 0, false
	}
	c.running = true
	return c.gen, true
}

// end closes a catch-up, and says whether to run again, for connection
// gen: a connection came while it ran.
func (c *channelSeen) end() (gen uint64, again bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rerun {
		c.rerun = false
		return c.gen, true
	}
	c.running = false
	return 0, false
}

// channelCatchUp runs on each connection, off whatsmeow's event loop:
// each channel followed with a post kept is caught up, its held live
// posts shown after; then the history of those with none is sent
// (channelHistoryUnasked). WhatsApp not answering, the held posts are
// shown and the rest is asked at the next connection.
//
// A connection that comes while the catch-up of an earlier one runs
// has its own once that one ends: what the earlier one found is not
// taken as this one's (channelSeen.gen).
func (s *Session) channelCatchUp() {
	gen, ok := s.seen.begin()
	for ok {
		s.catchUpOnce(gen)
		gen, ok = s.seen.end()
	}
}

// catchUpOnce is channelCatchUp's run for connection gen.
func (s *Session) catchUpOnce(gen uint64) {
	defer s.showHeld(gen, nil)   // whatever still waits
	ctx, cancel := s.untilStop() // history.go
	defer cancel()
	lctx, lcancel := context.WithTimeout(ctx, groupReadWait())
	ms, err := s.d.cli.GetSubscribedNewsletters(lctx)
	lcancel()
	if err != nil {
		s.log.Info("the WhatsApp channels' posts made while away not asked: WhatsApp did not answer; asked at the next connection", "err", err)
		return
	}
	var unknown, followed []types.JID
	for _, m := range ms {
		if m == nil || !isChannel(m.ID) || notFollowed(m) {
			continue
		}
		followed = append(followed, m.ID.ToNonAD())
	}
	s.seen.keepOnly(followed) // those left while away
	for _, channel := range followed {
		last, ok := s.seen.lastOf(channel)
		if !ok {
			unknown = append(unknown, channel)
			continue
		}
		if err := s.catchUpChannel(ctx, gen, channel, last); err != nil {
			s.log.Info("a WhatsApp channel's posts made while away not all shown; asked at the next connection", "channel", channel, "err", err)
			return
		}
		s.showHeld(gen, []types.JID{channel})
	}
	// Fresh from pairing, the host asks for every room's history.
	if s.d.held != nil {
		return
	}
	s.showHeld(gen, nil) // the channels no longer followed
	for _, channel := range unknown {
		if ctx.Err() != nil {
			return
		}
		s.channelHistoryUnasked(ctx, gen, channel)
	}
}

// showHeld shows the live posts held for channels (all when nil), by
// the catch-up of connection gen.
func (s *Session) showHeld(gen uint64, channels []types.JID) {
	for _, e := range s.seen.release(gen, channels) {
		s.channelPost(e)
	}
}

// catchUpChannel shows channel's posts after last, oldest first.
func (s *Session) catchUpChannel(ctx context.Context, gen uint64, channel types.JID, last types.MessageServerID) error {
	var missed []*types.NewsletterMessage
	before := types.MessageServerID(0)
	for len(missed) < channelCatchUpMax {
		qctx, cancel := context.WithTimeout(ctx, channelHistoryWait.get())
		page, err := s.d.cli.GetNewsletterMessages(qctx, channel, &whatsmeow.GetNewsletterMessagesParams{Count: channelHistoryMax, Before: before})
		cancel()
		if err != nil {
			return err
		}
		oldest := before
		for _, p := range page {
			if p == nil {
				continue
			}
			if p.MessageServerID > last {
				missed = append(missed, p)
			}
			if oldest == 0 || p.MessageServerID < oldest {
				oldest = p.MessageServerID
			}
		}
		if len(page) < channelHistoryMax || oldest <= last+1 || oldest == before {
			break
		}
		before = oldest
	}
	if len(missed) >= channelCatchUpMax {
		s.log.Info("a WhatsApp channel had more posts while away than are brought; the older ones are not shown", "channel", channel, "brought", len(missed))
	}
	slices.SortFunc(missed, func(a, b *types.NewsletterMessage) int { return cmp.Compare(a.MessageServerID, b.MessageServerID) })
	missed = slices.CompactFunc(missed, func(a, b *types.NewsletterMessage) bool { return a.MessageServerID == b.MessageServerID })
	newest := last
	for _, p := range missed {
		if p.Message != nil && p.MessageID != "" {
			if ev := s.channelPostEvent(newsletterEvent(channel, p)); ev != nil {
				if ev.GetMessage() != nil {
					s.unread.noteMsg(ev.ChatId, unreadMsg{id: ev.EventId, sender: channel, server: p.MessageServerID})
				}
				// Not taken: the channel is shown up to the post
				// before, and the next connection asks from there.
				// Before, it was marked caught up past the post all
				// the same, which was then never shown.
				if err := s.emitDurableErr(ev); err != nil {
					s.seen.shownUpTo(channel, newest)
					return fmt.Errorf("post %d not taken by the gateway: %w", p.MessageServerID, err)
				}
			}
		}
		s.seen.bring(channel, p.MessageServerID)
		newest = max(newest, p.MessageServerID)
	}
	if len(missed) > 0 {
		s.log.Info("a WhatsApp channel's posts made while away shown", "channel", channel, "posts", len(missed))
	}
	s.seen.caughtUp(gen, channel, newest)
	return nil
}

// channelHistoryUnasked sends channel's last posts as its history,
// unasked and done, when the user followed it before its newest post
// shown was kept: its room may have none (the host never asks again
// for the history of a room it marked done). History off, nothing is
// sent, its newest post kept all the same.
func (s *Session) channelHistoryUnasked(ctx context.Context, gen uint64, channel types.JID) {
	qctx, cancel := context.WithTimeout(ctx, channelHistoryWait.get())
	posts, err := s.d.cli.GetNewsletterMessages(qctx, channel, &whatsmeow.GetNewsletterMessagesParams{Count: channelHistoryMax})
	cancel()
	if err != nil {
		s.log.Info("a WhatsApp channel's posts not brought: WhatsApp did not answer; asked at the next connection", "channel", channel, "err", err)
		return
	}
	newest := types.MessageServerID(0)
	for _, p := range posts {
		if p != nil {
			newest = max(newest, p.MessageServerID)
		}
	}
	if s.n.historyDays() != 0 {
		b := &pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: channel.String(), ChatType: pb.ChatType_CHAT_TYPE_CHANNEL, Done: true}
		b.Events, b.Cursor = s.channelHistoryEvents(channel, posts, s.n.historyCutoff(time.Now()), 0)
		b.Total = int64(len(b.Events))
		if !s.sendPage(b) {
			return // asked again at the next connection
		}
	}
	s.seen.caughtUp(gen, channel, newest)
}

// newsletterEvent is post p of channel as whatsmeow gives a live post.
func newsletterEvent(channel types.JID, p *types.NewsletterMessage) *events.Message {
	return (&events.Message{Info: types.MessageInfo{
		MessageSource: types.MessageSource{Chat: channel, Sender: channel},
		ID:            p.MessageID, ServerID: p.MessageServerID, Type: p.Type, Timestamp: p.Timestamp,
	}, RawMessage: p.Message}).UnwrapRaw()
}
