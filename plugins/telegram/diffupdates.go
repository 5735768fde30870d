package telegram

import (
	"context"
	"slices"
	"sync"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/tg"
)

// gapUpdates is the middleware that takes the edits, deletions, read
// marks and pins a catch-up brings (the other_updates of
// updates.getDifference and updates.getChannelDifference) out of the
// answer before gotd's updates manager sees it, for handle to have them
// once the manager has handled the difference's new messages and saves
// its state (gapStorage). The manager puts them through the pts
// sequence the difference is about to replace: an update whose pts
// comes after a new message of the gap (whose pts new_messages do not
// say) is a gap there, kept back, then dropped as old once the
// difference's state is set; a channel's, queued to the channel's
// sequence the difference then moves past, is always dropped. So a
// message edited or deleted while the gateway was away stayed as it was
// (TestGapEditsDeletionsReactions, TestChannelGapEditsDeletions). They
// go in pts order after the gap's new messages, as they came: a read
// mark from the user's phone reads the gap's messages too
// (TestGapReadOnPhone); the reactions after them (takeSequenced). Other
// updates of no pts sequence (updateMessageID...) stay with gotd. A getDifference of another date than the state's (st)
// is gotd's search for a channel's access hash, whose updates it drops
// to take them in sequence later: they are left alone.
func (s *Session) gapUpdates(st *store, pending *gapPending) telegram.Middleware {
	return telegram.MiddlewareFunc(func(next tg.Invoker) telegram.InvokeFunc {
		return func(ctx context.Context, in bin.Encoder, out bin.Decoder) error {
			if err := next.Invoke(ctx, in, out); err != nil {
				return err
			}
			switch r := in.(type) {
			case *tg.UpdatesGetDifferenceRequest:
				if st == nil {
					return nil
				}
				if state, found, err := st.GetState(ctx, 0); err != nil || !found || state.Date != r.Date {
					return nil
				}
				var taken *tg.UpdatesCombined
				if o, ok := out.(*tg.UpdatesDifferenceBox); ok {
					switch d := o.Difference.(type) {
					case *tg.UpdatesDifference:
						pending.channelNews(d.OtherUpdates) // gapreactions.go
						d.OtherUpdates, taken = takeSequenced(d.OtherUpdates, false, d.NewMessages, d.Users, d.Chats)
					case *tg.UpdatesDifferenceSlice:
						pending.channelNews(d.OtherUpdates)
						d.OtherUpdates, taken = takeSequenced(d.OtherUpdates, false, d.NewMessages, d.Users, d.Chats)
					}
				}
				pending.put(0, taken)
			case *tg.UpdatesGetChannelDifferenceRequest:
				ch, ok := r.Channel.(*tg.InputChannel)
				if !ok {
					return nil
				}
				var taken *tg.UpdatesCombined
				if o, ok := out.(*tg.UpdatesChannelDifferenceBox); ok {
					switch d := o.ChannelDifference.(type) {
					case *tg.UpdatesChannelDifference:
						d.OtherUpdates, taken = takeSequenced(d.OtherUpdates, true, d.NewMessages, d.Users, d.Chats)
						pending.channelAnswered(ch.ChannelID) // gapreactions.go
					case *tg.UpdatesChannelDifferenceEmpty:
						pending.channelAnswered(ch.ChannelID)
					}
					// Too long: its history is read (gap.go), which ends it.
				}
				pending.put(ch.ChannelID, taken)
			}
			return nil
		}
	})
}

// gapPending holds what gapUpdates took of the difference being
// applied, by sequence (0: the common one; else the channel's ID), until
// gotd saves the sequence's new state. A later difference of the same
// sequence replaces it: it comes from the same state, or the one saved
// after it.
type gapPending struct {
	mu sync.Mutex
	by map[int64]*tg.UpdatesCombined
	h  heldState // gapreactions.go
}

func (p *gapPending) put(seq int64, u *tg.UpdatesCombined) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u == nil {
		delete(p.by, seq)
		return
	}
	if p.by == nil {
		p.by = map[int64]*tg.UpdatesCombined{}
	}
	p.by[seq] = u
}

func (p *gapPending) take(seq int64) *tg.UpdatesCombined {
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.by[seq]
	delete(p.by, seq)
	return u
}

// gapStorage is the login's store as gotd's updates manager writes the
// update state: a difference's state (SetState, SetChannelPts) is saved
// once the updates gapUpdates took of it are handled, after the
// difference's new messages. When handle fails, the state is not saved
// (handle keeps it back for the store's life, store.freeze): the next
// connection's catch-up brings them again (TestGapEditNotKeptComesAgain).
type gapStorage struct {
	*store
	s       *Session
	pending *gapPending
}

func (g gapStorage) flush(ctx context.Context, seq int64) error {
	if u := g.pending.take(seq); u != nil {
		return g.s.handle(ctx, u)
	}
	return nil
}

func (g gapStorage) SetState(ctx context.Context, userID int64, st updates.State) error {
	before, _, err := g.store.GetState(ctx, userID)
	if err != nil {
		return err
	}
	if err := g.holdReactions(ctx, g.pending.take(0), before.Date); err != nil { // gapreactions.go
		return err
	}
	return g.store.SetState(ctx, userID, st)
}

func (g gapStorage) SetChannelPts(ctx context.Context, userID, channelID int64, pts int) error {
	if err := g.flush(ctx, channelID); err != nil {
		return err
	}
	// The channel's catch-up handled: the common catch-up's reactions
	// to its messages go after it (gapreactions.go).
	g.handOver(g.pending.channelEnded(channelID, false))
	return g.store.SetChannelPts(ctx, userID, channelID, pts)
}

// takeSequenced splits a difference's other updates: those of the pts
// sequence it is about (the user's common one, or with channel the
// channel's), in pts order, then its reactions, with the difference's
// users and chats, from the rest; nil when there are none. Reactions
// have no pts, and gotd hands the other updates it keeps before the new
// messages: a reaction to a message new in the gap came before the
// message, to one the gateway did not have (TestGapReactionToNewMessage).
// An edit of a message new in the gap, which the difference gives as it
// is now (msgs), edited as late or later, is dropped: the message comes
// with its latest text, and the edit was a correction that changed
// nothing (TestGapNewMessageEdited).
func takeSequenced(us []tg.UpdateClass, channel bool, msgs []tg.MessageClass, users []tg.UserClass, chats []tg.ChatClass) (rest []tg.UpdateClass, taken *tg.UpdatesCombined) {
	var seq, reactions []tg.UpdateClass
	dropped := false
	pts := map[tg.UpdateClass]int{}
	for _, u := range us {
		if _, ok := u.(*tg.UpdateMessageReactions); ok {
			reactions = append(reactions, u)
			continue
		}
		p, ok := 0, false
		if channel {
			_, p, _, ok, _ = tg.IsChannelPtsUpdate(u)
		} else {
			p, _, ok = tg.IsPtsUpdate(u)
		}
		if !ok {
			rest = append(rest, u)
			continue
		}
		if editOfNew(u, msgs) {
			dropped = true
			continue
		}
		pts[u] = p
		seq = append(seq, u)
	}
	seq = append(slices.SortedStableFunc(slices.Values(seq), func(a, b tg.UpdateClass) int { return pts[a] - pts[b] }), reactions...)
	if len(seq) == 0 {
		if dropped {
			// Not us: gotd would queue the edit as a gap past its new
			// message and ask for a difference again.
			return rest, nil
		}
		return us, nil
	}
	return rest, &tg.UpdatesCombined{Updates: seq, Users: users, Chats: chats}
}

// editOfNew reports whether u is an edit of one of msgs (a difference's
// new messages) that msgs has already: the message there edited as late
// or later. Not the user's own: the one the gateway sent is not shown
// from the difference (its send named it), so its edit made on the
// phone is the only word of the new text, and the gateway's own
// correction takes the note that tells it from one made on the phone
// (TestGapOwnMessageEdited).
func editOfNew(u tg.UpdateClass, msgs []tg.MessageClass) bool {
	var em tg.MessageClass
	switch u := u.(type) {
	case *tg.UpdateEditMessage:
		em = u.Message
	case *tg.UpdateEditChannelMessage:
		em = u.Message
	default:
		return false
	}
	edit, ok := em.(*tg.Message)
	if !ok || edit.Out {
		return false
	}
	for _, mc := range msgs {
		m, ok := mc.(*tg.Message)
		if ok && m.ID == edit.ID && peerChatID(m.PeerID) == peerChatID(edit.PeerID) {
			return m.EditDate >= edit.EditDate
		}
	}
	return false
}
