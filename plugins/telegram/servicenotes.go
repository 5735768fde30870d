package telegram

import (
	"strings"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/mediatext"
	"passerelle.im/passerelle/plugins/telegram/svctext"
)

// Service messages that change nothing the gateway keeps but that
// Telegram's apps show in the chat, as a line from whoever made them:
// a contact who joined Telegram (the message that opens a new private
// chat), a screenshot taken of a private chat, a gift; a live location's
// proximity alert, a group call scheduled or people invited to one, a
// game's score, a boost, a giveaway, a payment, and the text a service
// message carries itself (messageActionCustomAction). They were dropped,
// a new contact's chat coming empty. A group renamed or given a new
// picture, a forum topic renamed, closed or reopened, say who did it, as
// Telegram's apps do, besides changing the room (updates.go).

// serviceNoticeText is the text of such a service message (out: the
// user's own); ok false for any other.
func serviceNoticeText(a tg.MessageActionClass, out bool) (text string, ok bool) {
	switch a := a.(type) {
	case *tg.MessageActionContactSignUp:
		return "Joined Telegram", true
	case *tg.MessageActionScreenshotTaken:
		if out {
			return "You took a screenshot of this chat", true
		}
		return "Took a screenshot of this chat", true
	case *tg.MessageActionGiftPremium, *tg.MessageActionGiftCode, *tg.MessageActionGiftStars,
		*tg.MessageActionGiftTon, *tg.MessageActionStarGift, *tg.MessageActionStarGiftUnique,
		*tg.MessageActionPrizeStars:
		return svctext.Gift, true
	case *tg.MessageActionCustomAction:
		return a.Message, a.Message != ""
	case *tg.MessageActionGroupCallScheduled:
		return svctext.CallScheduled(time.Unix(int64(a.ScheduleDate), 0)), true
	case *tg.MessageActionGameScore:
		return svctext.GameScore(a.Score, out), true
	case *tg.MessageActionBoostApply:
		return svctext.Boosted(a.Boosts), true
	case *tg.MessageActionGiveawayLaunch:
		return mediatext.UnshownText("A giveaway", inApp), true
	case *tg.MessageActionGiveawayResults:
		return mediatext.UnshownText("A giveaway's results", inApp), true
	case *tg.MessageActionPaymentSent:
		return mediatext.PaymentText("", inApp), true
	case *tg.MessageActionSuggestProfilePhoto:
		return svctext.ProfilePhotoSuggested(out), true
	}
	return "", false
}

// noticeTextOf is noticeText for m, with the names of the people some
// notices name (a proximity alert's, a group call's invitees).
func (s *Session) noticeTextOf(m *tg.MessageService) (string, bool) {
	switch a := m.Action.(type) {
	case *tg.MessageActionGeoProximityReached:
		u, _ := a.FromID.(*tg.PeerUser)
		return svctext.Proximity(s.noticeName(a.FromID), s.noticeName(a.ToID), u != nil && u.UserID == s.self, a.Distance), true
	case *tg.MessageActionInviteToGroupCall:
		names := make([]string, 0, len(a.Users))
		for _, u := range a.Users {
			names = append(names, s.noticeName(&tg.PeerUser{UserID: u}))
		}
		return svctext.CallInvited(names), len(names) > 0
	case *tg.MessageActionPaidMessagesPrice:
		// A channel's price is that of its direct messages (its
		// monoforum), which the gateway does not carry.
		if s.chatKind(m.PeerID) != "group" {
			return "", false
		}
		return svctext.MessagePrice(a.Stars), true
	case *tg.MessageActionChangeCreator:
		return svctext.NewOwner(s.chatKind(m.PeerID), s.noticeName(&tg.PeerUser{UserID: a.NewCreatorID}), a.NewCreatorID == s.self, false), true
	case *tg.MessageActionNewCreatorPending:
		return svctext.NewOwner(s.chatKind(m.PeerID), s.noticeName(&tg.PeerUser{UserID: a.NewCreatorID}), a.NewCreatorID == s.self, true), true
	case *tg.MessageActionChatEditTitle:
		return svctext.Renamed(s.chatKind(m.PeerID), a.Title, m.Out), true
	case *tg.MessageActionChatEditPhoto:
		return svctext.PhotoChanged(s.chatKind(m.PeerID), false, m.Out), true
	case *tg.MessageActionChatDeletePhoto:
		return svctext.PhotoChanged(s.chatKind(m.PeerID), true, m.Out), true
	case *tg.MessageActionTopicEdit:
		// A new title, closed or reopened; a new icon or General hidden
		// says nothing.
		var lines []string
		if t, ok := a.GetTitle(); ok && t != "" {
			lines = append(lines, svctext.TopicRenamed(t, m.Out))
		}
		if c, ok := a.GetClosed(); ok {
			lines = append(lines, svctext.TopicClosed(c, m.Out))
		}
		return strings.Join(lines, "\n"), len(lines) > 0
	}
	if text, ok := noticeText(m.Action, m.Out); ok {
		return text, true
	}
	return unshownNoticeText(m.Action, m.Out) // unshownnotice.go
}

// chatKind is how a notice calls a chat: a channel (a broadcast one) or
// a group.
func (s *Session) chatKind(p tg.PeerClass) string {
	if c, ok := p.(*tg.PeerChannel); ok {
		if ch, ok := s.peers.channel(c.ChannelID); ok && ch.Broadcast {
			return "channel"
		}
	}
	return "group"
}

// noticeName is how a notice names a user (or a chat): "you" for the
// user, else their name as the cache has it, else their ID.
func (s *Session) noticeName(p tg.PeerClass) string {
	if u, ok := p.(*tg.PeerUser); ok {
		if u.UserID == s.self {
			return "you"
		}
		if n := s.peers.name(u.UserID); n != "" {
			return n
		}
	}
	if p == nil {
		return "someone"
	}
	return peerChatID(p)
}
