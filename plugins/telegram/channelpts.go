package telegram

import (
	"context"

	"github.com/gotd/td/tg"
)

// channelCatchUps bounds how many channels gotd's updates manager
// catches up (updates.getChannelDifference) at once.
const channelCatchUps = 4

// seedChannelPts gives gotd's updates manager, before it runs, the pts
// of each channel of the first page of dialogs it does not follow yet
// (with its access hash), as Telegram's clients take a channel's pts
// from its dialog. Without it the manager starts following a channel
// at the first of its updates to reach it, taking that update's pts
// less its pts_count as the channel's: gotd reads each MTProto message
// on its own goroutine, so of two updates pushed back to back the later
// may come first, and the earlier, then below the channel's pts, was
// dropped as already seen (TestSupergroupFirstUpdatesBackToBack). A pts
// already kept is left as it is: the catch-up goes on from there.
//
// Only the first page: each channel followed is caught up at each start
// (channelCatchUps at a time), and the later pages
// are read only when the gateway lists the chats, with the manager
// running, when a dialog's pts may already count an update still on
// its way to the manager, which would then drop it as seen.
func (s *Session) seedChannelPts(ctx context.Context, api *tg.Client, st *store) {
	d, err := api.MessagesGetDialogs(ctx, &tg.MessagesGetDialogsRequest{OffsetPeer: &tg.InputPeerEmpty{}, Limit: dialogPage})
	if err != nil {
		s.n.log().Warn("telegram: dialogs to follow channels from", "login", s.login.LoginID, "err", err)
		return
	}
	md, ok := d.AsModified()
	if !ok {
		return
	}
	s.peers.add(md.GetUsers(), md.GetChats())
	hashes := channelHashes(md.GetChats())
	for _, dl := range md.GetDialogs() {
		dlg, ok := dl.(*tg.Dialog)
		if !ok {
			continue
		}
		p, ok := dlg.Peer.(*tg.PeerChannel)
		pts, hasPts := dlg.GetPts()
		hash, hasHash := hashes[p.GetChannelID()]
		if !ok || !hasPts || !hasHash {
			continue
		}
		s.seedChannel(ctx, st, p.ChannelID, hash, pts)
	}
}

// channelHashes is the access hash of each channel of chats.
func channelHashes(chats []tg.ChatClass) map[int64]int64 {
	hashes := map[int64]int64{}
	for _, c := range chats {
		if ch, ok := c.(*tg.Channel); ok && !ch.Min {
			if h, ok := ch.GetAccessHash(); ok {
				hashes[ch.ID] = h
			}
		}
	}
	return hashes
}

// seedChannel keeps pts and hash for the manager to follow channel from,
// unless a pts of it is kept already.
func (s *Session) seedChannel(ctx context.Context, st *store, channel, hash int64, pts int) {
	if _, found, err := st.GetChannelPts(ctx, 0, channel); err != nil || found {
		return
	}
	if err := st.SetChannelAccessHash(ctx, 0, channel, hash); err != nil {
		s.n.log().Warn("telegram: a channel's access hash not kept", "login", s.login.LoginID, "channel", channel, "err", err)
		return
	}
	if err := st.SetChannelPts(ctx, 0, channel, pts); err != nil {
		s.n.log().Warn("telegram: a channel's pts not kept", "login", s.login.LoginID, "channel", channel, "err", err)
	}
}
