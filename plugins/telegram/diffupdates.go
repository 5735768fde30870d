package telegram

import (
	"context"
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
)

// gapUpdates is the middleware that hands the edits, deletions, read
// marks and pins a catch-up brings (the other_updates of
// updates.getDifference and updates.getChannelDifference) to handle
// itself, before gotd's updates manager sees the answer. The manager
// puts them through the pts sequence the difference is about to
// replace: an update whose pts comes after a new message of the gap
// (whose pts new_messages do not say) is a gap there, kept back, then
// dropped as old once the difference's state is set; a channel's, queued
// to the channel's sequence the difference then moves past, is always
// dropped. So a message edited or deleted while the gateway was away
// stayed as it was (TestGapEditsDeletionsReactions, TestChannelGapEditsDeletions).
// They go in pts order, before the gap's new messages, as gotd would;
// the state is saved after all of them, as for the rest of the answer.
// Updates of no pts sequence (updateMessageID...) stay with gotd. A
// getDifference of another date than the state's (st) is gotd's search
// for a channel's access hash, whose updates it drops to take them in
// sequence later: they are left alone.
func (s *Session) gapUpdates(st *store) telegram.Middleware {
	return telegram.MiddlewareFunc(func(next tg.Invoker) telegram.InvokeFunc {
		return func(ctx context.Context, in bin.Encoder, out bin.Decoder) error {
			if err := next.Invoke(ctx, in, out); err != nil {
				return err
			}
			if r, ok := in.(*tg.UpdatesGetDifferenceRequest); ok {
				if st == nil {
					return nil
				}
				if state, found, err := st.GetState(ctx, 0); err != nil || !found || state.Date != r.Date {
					return nil
				}
			}
			var taken *tg.UpdatesCombined
			switch o := out.(type) {
			case *tg.UpdatesDifferenceBox:
				switch d := o.Difference.(type) {
				case *tg.UpdatesDifference:
					d.OtherUpdates, taken = takeSequenced(d.OtherUpdates, false, d.Users, d.Chats)
				case *tg.UpdatesDifferenceSlice:
					d.OtherUpdates, taken = takeSequenced(d.OtherUpdates, false, d.Users, d.Chats)
				}
			case *tg.UpdatesChannelDifferenceBox:
				if d, ok := o.ChannelDifference.(*tg.UpdatesChannelDifference); ok {
					d.OtherUpdates, taken = takeSequenced(d.OtherUpdates, true, d.Users, d.Chats)
				}
			}
			if taken != nil {
				// An error is handle's to tell: it keeps the update
				// state back, so the next catch-up brings them again.
				_ = s.handle(ctx, taken)
			}
			return nil
		}
	})
}

// takeSequenced splits a difference's other updates: those of the pts
// sequence it is about (the user's common one, or with channel the
// channel's), in pts order, with the difference's users and chats, from
// the rest; nil when there are none.
func takeSequenced(us []tg.UpdateClass, channel bool, users []tg.UserClass, chats []tg.ChatClass) (rest []tg.UpdateClass, taken *tg.UpdatesCombined) {
	var seq []tg.UpdateClass
	pts := map[tg.UpdateClass]int{}
	for _, u := range us {
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
		pts[u] = p
		seq = append(seq, u)
	}
	if len(seq) == 0 {
		return us, nil
	}
	slices.SortStableFunc(seq, func(a, b tg.UpdateClass) int { return pts[a] - pts[b] })
	return rest, &tg.UpdatesCombined{Updates: seq, Users: users, Chats: chats}
}
