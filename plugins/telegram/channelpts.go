package telegram

import (
	"context"

	"github.com/gotd/td/tg"
)

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
	hashes := map[int64]int64{}
	for _, c := range md.GetChats() {
		if ch, ok := c.(*tg.Channel); ok && !ch.Min {
			if h, ok := ch.GetAccessHash(); ok {
				hashes[ch.ID] = h
			}
		}
	}
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
		if _, found, err := st.GetChannelPts(ctx, 0, p.ChannelID); err != nil || found {
			continue
		}
		if err := st.SetChannelAccessHash(ctx, 0, p.ChannelID, hash); err != nil {
			s.n.log().Warn("telegram: a channel's access hash not kept", "login", s.login.LoginID, "channel", p.ChannelID, "err", err)
			continue
		}
		if err := st.SetChannelPts(ctx, 0, p.ChannelID, pts); err != nil {
			s.n.log().Warn("telegram: a channel's pts not kept", "login", s.login.LoginID, "channel", p.ChannelID, "err", err)
		}
	}
}
