package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tg"
)

// A supergroup's admin may restrict a member for a while: the user's
// banned_rights then carry an until_date, and when it passes Telegram
// lifts the restriction without a word (no updateChannel: its apps keep
// a timer, as TDLib does). So the rights ignore a restriction whose end
// is past (restrictionNow), and a timer per supergroup asks Telegram for
// it again at that end, as for updateChannel (channelEvents), so that
// its room opens at once rather than at the next update of the group.

// foreverAfter is how far an until_date may lie: Telegram takes one
// further than 366 days, or 0, as a restriction for ever.
const foreverAfter = 366 * 24 * time.Hour

// restrictionEnds is when the user's own restriction r ends; ok is
// false for none, or one for ever.
func restrictionEnds(r tg.ChatBannedRights, now time.Time) (end time.Time, ok bool) {
	if r.UntilDate == 0 {
		return time.Time{}, false
	}
	end = time.Unix(int64(r.UntilDate), 0)
	return end, end.Sub(now) <= foreverAfter
}

// restrictionNow is the user's own restriction r as it stands at now:
// none once its until_date is past.
func restrictionNow(r tg.ChatBannedRights, now time.Time) tg.ChatBannedRights {
	if end, ok := restrictionEnds(r, now); ok && !now.Before(end) {
		return tg.ChatBannedRights{}
	}
	return r
}

// restrictTimers are the timers of the supergroups where the user's
// restriction ends, by channel ID.
type restrictTimers struct {
	mu     sync.Mutex
	ends   map[int64]time.Time
	timers map[int64]*time.Timer
}

// set has f run at end (a second after: Telegram's clock and this one
// may differ) for channel, replacing its timer unless it is for the
// same end.
func (t *restrictTimers) set(channel int64, end time.Time, f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.ends[channel]; ok && old.Equal(end) {
		return
	}
	if t.timers == nil {
		t.ends, t.timers = map[int64]time.Time{}, map[int64]*time.Timer{}
	}
	if old := t.timers[channel]; old != nil {
		old.Stop()
	}
	t.ends[channel] = end
	t.timers[channel] = time.AfterFunc(time.Until(end)+time.Second, f)
}

// clear stops channel's timer, if any.
func (t *restrictTimers) clear(channel int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.timers[channel]; old != nil {
		old.Stop()
		delete(t.timers, channel)
		delete(t.ends, channel)
	}
}

// stopAll stops every timer: the session disconnects.
func (t *restrictTimers) stopAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tm := range t.timers {
		tm.Stop()
	}
	t.ends, t.timers = nil, nil
}

// watchRestriction is peers' onChannel: c, as Telegram describes it now
// (not a "min" object, which has no rights), restricts the user until a
// date to come, or no longer.
func (s *Session) watchRestriction(c *tg.Channel) {
	now := time.Now()
	end, ok := restrictionEnds(c.BannedRights, now)
	if c.Left || c.Creator || isAdmin(c.AdminRights) || !ok || !now.Before(end) {
		s.restricts.clear(c.ID)
		return
	}
	id := c.ID
	s.restricts.set(id, end, func() { s.restrictionEnded(id) })
}

// restrictionEnded asks Telegram for channel again, its user's
// restriction over, and describes its room (its topics') with what the
// user may do now.
func (s *Session) restrictionEnded(channel int64) {
	s.mu.Lock()
	live := !s.stopped && s.api != nil
	s.mu.Unlock()
	if !live {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
	defer cancel()
	evs := s.channelEvents(ctx, channel) // channelupdate.go
	s.limitChatEvents(ctx, evs)
	if err := s.emitEvents(ctx, evs); err != nil {
		s.n.log().Error("telegram: a restriction ended: the group's new rights not kept", "login", s.login.LoginID, "chat", channelID(channel), "err", err)
	}
}
