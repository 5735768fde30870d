package tgfake

import "github.com/gotd/td/tg"

// BuyPaidMedia is user buying post id of channel ch, paid media (a
// message whose media is messageMediaPaidMedia with a preview), in one
// of their apps: the post holds media from then on (as the fake keeps
// one copy of a post, for every member), and Telegram tells the user's
// devices with updateMessageExtendedMedia, which has no pts.
func (s *Server) BuyPaidMedia(user, ch int64, id int, media tg.MessageMediaClass) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bought := []tg.MessageExtendedMediaClass{&tg.MessageExtendedMedia{Media: media}}
	if m := s.channels[ch].msgs[id]; m != nil {
		if p, ok := m.Media.(*tg.MessageMediaPaidMedia); ok {
			p.ExtendedMedia = bought
		}
	}
	s.push(user, &tg.UpdateMessageExtendedMedia{Peer: &tg.PeerChannel{ChannelID: ch}, MsgID: id, ExtendedMedia: bought})
}
