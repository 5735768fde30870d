package botmode

import (
	"context"
	"strconv"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/telegram/customemoji"
	"passerelle.im/passerelle/plugins/telegram/reaction"
)

// A custom emoji reaction names its sticker alone: it reads as the
// emoji the sticker stands for (the Bot API's getCustomEmojiStickers
// says it, each sticker's emoji), asked once per update for those not
// known yet, and kept (customemoji).

// customEmojiWait bounds the question: the update loop waits for it.
const customEmojiWait = 5 * time.Second

// reactionEmojis are the emojis of a reaction set as XMPP clients write
// them: a custom emoji's alt, or customemoji.Fallback while Telegram
// does not tell it (the reaction is not lost); a paid one is left out.
func (s *Session) reactionEmojis(ctx context.Context, set []models.ReactionType) []string {
	var ask []string
	for _, rt := range set {
		if rt.Type != models.ReactionTypeTypeCustomEmoji || rt.ReactionTypeCustomEmoji == nil {
			continue
		}
		id, err := strconv.ParseInt(rt.ReactionTypeCustomEmoji.CustomEmojiID, 10, 64)
		if _, known := s.emojiAlts.Get(id); err == nil && !known {
			ask = append(ask, rt.ReactionTypeCustomEmoji.CustomEmojiID)
		}
	}
	if len(ask) > 0 {
		s.askCustomEmoji(ctx, ask)
	}
	var emojis []string
	for _, rt := range set {
		switch {
		case rt.Type == models.ReactionTypeTypeEmoji && rt.ReactionTypeEmoji != nil:
			emojis = append(emojis, reaction.ToXMPP(rt.ReactionTypeEmoji.Emoji))
		case rt.Type == models.ReactionTypeTypeCustomEmoji && rt.ReactionTypeCustomEmoji != nil:
			id, _ := strconv.ParseInt(rt.ReactionTypeCustomEmoji.CustomEmojiID, 10, 64)
			e := customemoji.Fallback
			if a, _ := s.emojiAlts.Get(id); a != "" {
				e = reaction.ToXMPP(a)
			}
			emojis = append(emojis, e)
		}
	}
	return emojis
}

// askCustomEmoji learns the alts of custom emoji ids; one Telegram
// leaves out is kept as not known, so not asked again each time it is
// seen. A failure keeps nothing: asked again next time.
func (s *Session) askCustomEmoji(ctx context.Context, ids []string) {
	ctx, cancel := context.WithTimeout(ctx, customEmojiWait)
	defer cancel()
	stickers, err := s.bot.GetCustomEmojiStickers(ctx, &bot.GetCustomEmojiStickersParams{CustomEmojiIDs: ids})
	if err != nil {
		s.log.Warn("botmode: custom emoji's alt not told: shown as "+customemoji.Fallback, "ids", ids, "err", err)
		return
	}
	alts := map[string]string{}
	for _, st := range stickers {
		if st != nil {
			alts[st.CustomEmojiID] = st.Emoji
		}
	}
	for _, id := range ids {
		n, _ := strconv.ParseInt(id, 10, 64)
		s.emojiAlts.Put(n, alts[id])
	}
}
