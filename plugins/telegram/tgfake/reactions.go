package tgfake

import (
	"strconv"
	"strings"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
)

// SetReactionLimits sets how many reactions one user may set on a
// message, without and with Premium, as help.getAppConfig says them
// (reactions_user_max_default, reactions_user_max_premium); a send of
// more is REACTIONS_TOO_MANY, as Telegram answers.
func (s *Server) SetReactionLimits(def, premium int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reactMax = [2]int{def, premium}
}

// reactionsMax is the limit of an account, with Premium or not.
func (s *Server) reactionsMax(premium bool) int {
	def, prem := s.reactMax[0], s.reactMax[1]
	if def == 0 {
		def, prem = 1, 3
	}
	if premium {
		return prem
	}
	return def
}

// registerAppConfig serves help.getAppConfig with the reaction limits.
func (s *Server) registerAppConfig(d *tgtest.Dispatcher) {
	handle(s, d, tg.HelpGetAppConfigRequestTypeID, "help.getAppConfig", func(k *key, _ *tg.HelpGetAppConfigRequest) (bin.Encoder, error) {
		num := func(n int) *tg.JSONNumber { return &tg.JSONNumber{Value: float64(n)} }
		return &tg.HelpAppConfig{Hash: 1, Config: &tg.JSONObject{Value: []tg.JSONObjectValue{
			{Key: "reactions_user_max_default", Value: num(s.reactionsMax(false))},
			{Key: "reactions_user_max_premium", Value: num(s.reactionsMax(true))},
			{Key: "reactions_in_chat_max", Value: num(100)},
		}}}, nil
	})
}

// customPrefix marks a custom emoji reaction among React's emojis.
const customPrefix = "custom-emoji:"

// CustomReaction is the custom emoji of document id as a reaction for
// React (and as Reactions lists it).
func CustomReaction(id int64) string { return customPrefix + strconv.FormatInt(id, 10) }

// reactionOf is one of React's emojis as Telegram sends it.
func reactionOf(e string) tg.ReactionClass {
	if id, ok := strings.CutPrefix(e, customPrefix); ok {
		n, _ := strconv.ParseInt(id, 10, 64)
		return &tg.ReactionCustomEmoji{DocumentID: n}
	}
	return &tg.ReactionEmoji{Emoticon: e}
}

// SetCustomEmoji makes document id a custom emoji standing for alt, as
// messages.getCustomEmojiDocuments tells it.
func (s *Server) SetCustomEmoji(id int64, alt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emojiAlt == nil {
		s.emojiAlt = map[int64]string{}
	}
	s.emojiAlt[id] = alt
}

// registerCustomEmoji serves messages.getCustomEmojiDocuments: the
// documents known, each with its alt emoji; the unknown left out, as
// Telegram does.
func (s *Server) registerCustomEmoji(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesGetCustomEmojiDocumentsRequestTypeID, "messages.getCustomEmojiDocuments", func(_ *key, r *tg.MessagesGetCustomEmojiDocumentsRequest) (bin.Encoder, error) {
		out := &tg.DocumentClassVector{Elems: []tg.DocumentClass{}}
		for _, id := range r.DocumentID {
			alt, ok := s.emojiAlt[id]
			if !ok {
				continue
			}
			out.Elems = append(out.Elems, &tg.Document{ID: id, AccessHash: id ^ 0x5eed, FileReference: []byte{1}, Date: now(),
				MimeType: "application/x-tgsticker", Size: 1, DCID: 2,
				Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeCustomEmoji{Alt: alt, Stickerset: &tg.InputStickerSetEmpty{}}}})
		}
		return out, nil
	})
}
