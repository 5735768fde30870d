package whatsapp

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A channel's recent posts are its room's history. Unlike a chat's
// messages, which only the phone keeps, WhatsApp keeps a channel's
// posts on its servers and answers anyone following it with them
// (GetNewsletterMessages). The host's Backfill of a channel (asked when
// its room appears, followed here or elsewhere, and at login) asks for
// its last channelHistoryMax posts and sends them as one batch, done:
// the room opens with what WhatsApp's app shows, not empty until the
// next post. Each post comes under its own ID, as its live copy does,
// so the host stores it once: the live post after it, or the same
// history asked again (a second follow), is dropped as seen. Older posts
// are not brought: a channel may have thousands, and its followers
// mostly read the last ones. WhatsApp not answering, the batch is empty
// and not done: the host asks again at the next login.

// channelHistoryMax is the most posts of a channel brought as history.
const channelHistoryMax = 50

// channelHistoryWait bounds the wait for WhatsApp's answer (a setting:
// the channels' catch-up reads it in the background).
var channelHistoryWait = newSetting(30 * time.Second)

// channelCursorPrefix marks a channel's cursor: "wanl:<server ID>", the
// posts before that one (0: the newest).
const channelCursorPrefix = "wanl:"

func channelCursor(before types.MessageServerID) string {
	return channelCursorPrefix + strconv.Itoa(before)
}

// parseChannelCursor is the server ID a channel's cursor names; 0 (the
// newest) for any other string.
func parseChannelCursor(c string) types.MessageServerID {
	rest, ok := strings.CutPrefix(c, channelCursorPrefix)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// channelBackfill answers the host's Backfill of channel: done at once
// when history is off, an error when not logged in; else its posts
// follow from a goroutine.
func (s *Session) channelBackfill(req sdk.BackfillRequest, channel types.JID) error {
	if s.n.historyDays() == 0 {
		go func() {
			if s.sendPage(&pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: pb.ChatType_CHAT_TYPE_CHANNEL, Cursor: req.Cursor, Done: true}) {
				s.log.Debug("a WhatsApp channel's history done with nothing: history is off", "channel", channel)
			}
		}()
		return nil
	}
	if !s.d.cli.IsLoggedIn() {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: history of %s: not connected to WhatsApp", req.ChatID)
	}
	go s.channelHistory(req, channel)
	return nil
}

// channelHistory asks WhatsApp for channel's last posts (req.Limit of
// them when fewer than channelHistoryMax) and sends them to the host.
func (s *Session) channelHistory(req sdk.BackfillRequest, channel types.JID) {
	session, cancel := s.untilStop() // history.go
	defer cancel()
	ctx, cancelWait := context.WithTimeout(session, channelHistoryWait.get())
	defer cancelWait()
	count := channelHistoryMax
	if req.Limit > 0 && int(req.Limit) < count {
		count = int(req.Limit)
	}
	before := parseChannelCursor(req.Cursor)
	gen := s.seen.generation() // before asking (channelcatchup.go)
	posts, err := s.d.cli.GetNewsletterMessages(ctx, channel, &whatsmeow.GetNewsletterMessagesParams{Count: count, Before: before})
	b := &pb.HistoryBatch{LoginId: s.login.LoginID, ChatId: req.ChatID, ChatType: pb.ChatType_CHAT_TYPE_CHANNEL, Cursor: channelCursor(before)}
	if err != nil {
		if session.Err() != nil {
			return // the session ends: asked again at the next login
		}
		// Not done: the host asks again at the next login.
		s.log.Info("a WhatsApp channel's posts not brought: WhatsApp did not answer", "channel", channel, "err", err)
		s.sendPage(b)
		return
	}
	b.Events, b.Cursor = s.channelHistoryEvents(channel, posts, s.n.historyCutoff(time.Now()), before)
	b.Done, b.Total = true, int64(len(b.Events))
	if s.sendPage(b) && before == 0 {
		// Shown up to its newest: the next connection catches up from
		// there (channelcatchup.go).
		newest := types.MessageServerID(0)
		for _, p := range posts {
			if p != nil {
				newest = max(newest, p.MessageServerID)
			}
		}
		s.seen.caughtUp(gen, channel, newest)
	}
}

// channelHistoryEvents is posts, as WhatsApp answered them, as the
// room shows them, oldest first, those older than cutoff left out, and
// the cursor of the oldest (before when none came).
func (s *Session) channelHistoryEvents(channel types.JID, posts []*types.NewsletterMessage, cutoff time.Time, before types.MessageServerID) ([]*pb.Event, string) {
	posts = slices.DeleteFunc(slices.Clone(posts), func(p *types.NewsletterMessage) bool { return p == nil })
	slices.SortFunc(posts, func(a, b *types.NewsletterMessage) int { return cmp.Compare(a.MessageServerID, b.MessageServerID) })
	oldest := before
	if len(posts) > 0 {
		oldest = posts[0].MessageServerID
	}
	var out []*pb.Event
	for _, p := range posts {
		if p.Message == nil || p.MessageID == "" || p.Timestamp.Before(cutoff) {
			continue // a post WhatsApp gave without its content
		}
		if ev := s.channelPostEvent(newsletterEvent(channel, p)); ev != nil {
			out = append(out, ev)
		}
	}
	return out, channelCursor(oldest)
}
