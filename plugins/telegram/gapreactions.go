package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tg"
)

// reactionHoldMax bounds how long a common catch-up's reaction to a
// channel's message waits for the channel's catch-up (one that never
// comes: the channel refused, or not caught up).
const reactionHoldMax = 30 * time.Second

// The common catch-up (updates.getDifference) gives the reactions of
// the gap to every chat's messages, supergroups' and channels' too
// (reactions have no pts, of the channel's or the account's), while a
// channel's new messages come from its own catch-up
// (updates.getChannelDifference), which gotd runs beside it, each
// channel on its own goroutine. A reaction to a channel's message new
// in the gap came as the common catch-up ended, often before the
// channel's gave the message: a reaction to a message the gateway did
// not have (TestGapReactionToNewChannelMessage). So the common
// catch-up's reactions to a channel's messages wait, per channel of
// this connection, until the channel's catch-up ended: its difference
// answered and handled (the channel's pts saved after it), or its gap
// too long read from its history (gap.go). A channel caught up already
// in this connection takes them at once, unless the common catch-up
// says it has news again (updateChannelTooLong: gotd catches it up
// again); one gotd does not follow (no pts kept) too. Held reactions
// wait reactionHoldMax at most. After the channel's catch-up they meet
// its deletions: a reaction to a message it deleted is dropped
// (gonemsgs.go).

// heldState is what gapPending keeps of channels' catch-ups.
type heldState struct {
	caught   map[int64]bool // channels caught up in this connection
	answered map[int64]bool // channels whose difference came, to end at its pts saved
	held     map[int64]*heldBatch
	ended    bool           // the connection ended: nothing held or handed over
	busy     sync.WaitGroup // batches being handed over
}

// heldBatch is a channel's held reactions: the stored state's date
// before the common catch-up that gave them (back), where it goes again
// if they are not kept, and their timer (reactionHoldMax).
type heldBatch struct {
	u     *tg.UpdatesCombined
	back  int
	timer *time.Timer
}

// channelNews marks the channels a common difference says have news
// (updateChannelTooLong): gotd catches them up again.
func (p *gapPending) channelNews(us []tg.UpdateClass) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range us {
		if l, ok := u.(*tg.UpdateChannelTooLong); ok {
			delete(p.h.caught, l.ChannelID)
		}
	}
}

// channelAnswered marks channel's difference as come: its catch-up
// ends once it is handled (channelEnded at its pts saved).
func (p *gapPending) channelAnswered(channel int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h.answered == nil {
		p.h.answered = map[int64]bool{}
	}
	p.h.answered[channel] = true
}

// channelEnded ends channel's catch-up if its difference came (or
// always, with force): the reactions held for it, nil if none.
func (p *gapPending) channelEnded(channel int64, force bool) *heldBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && !p.h.answered[channel] {
		return nil
	}
	delete(p.h.answered, channel)
	if p.h.caught == nil {
		p.h.caught = map[int64]bool{}
	}
	p.h.caught[channel] = true
	return p.takeLocked(channel)
}

// released takes the reactions held for channel, its catch-up not
// ended (reactionHoldMax past).
func (p *gapPending) released(channel int64) *heldBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeLocked(channel)
}

// takeLocked takes channel's batch to hand over (handOver ends it),
// none once the connection ended.
func (p *gapPending) takeLocked(channel int64) *heldBatch {
	b := p.h.held[channel]
	if b == nil || p.h.ended {
		return nil
	}
	delete(p.h.held, channel)
	b.timer.Stop()
	p.h.busy.Add(1)
	return b
}

// end ends the connection's holds: no batch is handed over from now
// on, nor held; it waits for those being handed over, and returns the
// date to take the stored state back to (0: none), for the batches
// still held to come again at the next catch-up.
func (p *gapPending) end() (back int) {
	p.mu.Lock()
	p.h.ended = true
	for ch, b := range p.h.held {
		b.timer.Stop()
		if back == 0 || b.back < back {
			back = b.back
		}
		delete(p.h.held, ch)
	}
	p.mu.Unlock()
	p.h.busy.Wait()
	return back
}

// hold takes out of u (a common catch-up's updates) the reactions to
// messages of channels followed (followed) not caught up yet in this
// connection, to wait for their catch-ups (expire at reactionHoldMax):
// what goes now.
func (p *gapPending) hold(u *tg.UpdatesCombined, followed func(int64) bool, back int, expire func(int64)) (now *tg.UpdatesCombined) {
	if u == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h.ended {
		return u
	}
	var rest []tg.UpdateClass
	with := map[int64]bool{} // the held whose users and chats have u's
	for _, x := range u.Updates {
		r, ok := x.(*tg.UpdateMessageReactions)
		var ch *tg.PeerChannel
		if ok {
			ch, ok = r.Peer.(*tg.PeerChannel)
		}
		if !ok || p.h.caught[ch.ChannelID] || !followed(ch.ChannelID) {
			rest = append(rest, x)
			continue
		}
		if p.h.held == nil {
			p.h.held = map[int64]*heldBatch{}
		}
		b := p.h.held[ch.ChannelID]
		if b == nil {
			id := ch.ChannelID
			b = &heldBatch{u: &tg.UpdatesCombined{}, back: back, timer: time.AfterFunc(reactionHoldMax, func() { expire(id) })}
			p.h.held[id] = b
		}
		b.back = min(b.back, back)
		h := b.u
		h.Updates = append(h.Updates, x)
		if !with[ch.ChannelID] {
			with[ch.ChannelID] = true
			h.Users, h.Chats = append(h.Users, u.Users...), append(h.Chats, u.Chats...)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return &tg.UpdatesCombined{Updates: rest, Users: u.Users, Chats: u.Chats}
}

// followed reports whether gotd's updates manager follows channel (its
// pts kept): only then does a catch-up of it come.
func (g gapStorage) followed(ctx context.Context) func(int64) bool {
	return func(channel int64) bool {
		_, found, err := g.store.GetChannelPts(ctx, 0, channel)
		return err == nil && found
	}
}

// holdReactions hands over u's updates but the reactions to wait for
// channels' catch-ups, which go at the catch-up's end, or after
// reactionHoldMax; back is the stored state's date before the
// catch-up.
func (g gapStorage) holdReactions(ctx context.Context, u *tg.UpdatesCombined, back int) error {
	now := g.pending.hold(u, g.followed(ctx), back, func(ch int64) { g.handOver(g.pending.released(ch)) })
	if now == nil {
		return nil
	}
	return g.s.handle(ctx, now)
}

// channelCaughtUp ends channel's catch-up (its gap read from its
// history, gap.go): the reactions held for it go.
func (g gapStorage) channelCaughtUp(channel int64) {
	g.handOver(g.pending.channelEnded(channel, true))
}

// handOver hands held reactions over, outside gotd's update handling.
// The catch-up's state is saved already: when they are not kept (handle
// keeps the state back from then on), its date goes back to before the
// catch-up, whose next one gives them again (TestGapHeldReactionNotKept).
func (g gapStorage) handOver(b *heldBatch) {
	if b == nil {
		return
	}
	defer g.pending.h.busy.Done()
	ctx, cancel := context.WithTimeout(context.Background(), reactionHoldMax)
	defer cancel()
	if err := g.s.handle(ctx, b.u); err != nil && b.back != 0 {
		g.dateBack(b.back)
	}
}

// ended ends the connection's holds (its updates manager stopped): the
// reactions still held are dropped, the stored state's date taken back
// to before their catch-up, which the next connection's gives them again
// after the channel's messages (TestGapHeldReactionsAtEnd); none is
// handed over from now on, after a Disconnect.
func (g gapStorage) ended() {
	if back := g.pending.end(); back != 0 {
		g.dateBack(back)
	}
}

// dateBack takes the stored state's date back to date.
func (g gapStorage) dateBack(date int) {
	if err := g.store.dateBack(date); err != nil {
		g.s.n.log().Warn("telegram: a catch-up's reactions to a channel's messages not kept, nor their date", "login", g.s.login.LoginID, "err", err)
	}
}
