package whatsapp

import (
	"context"
	"slices"
	"strings"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Which reactions a channel allows its followers is its admins' setting
// (its reaction_codes: any emoji, the default ones, none). whatsmeow's
// NewsletterSendReaction sends the reaction and waits for no answer, so
// one the channel does not allow would be dropped by WhatsApp without a
// word: the plugin checks the setting first and refuses, saying why.

// basicReactions are the default reactions a channel set to "basic"
// allows: WhatsApp's six quick reactions.
var basicReactions = []string{"👍", "❤", "😂", "😮", "😢", "🙏"}

// reactionMode is which reactions the channel m describes allows; all
// when it does not say.
func reactionMode(m *types.NewsletterMetadata) types.NewsletterReactionsMode {
	mode := types.NewsletterReactionsMode(strings.ToLower(string(m.ThreadMeta.Settings.ReactionCodes.Value)))
	if mode == "" {
		return types.NewsletterReactionsModeAll
	}
	return mode
}

// isBasicReaction says whether emoji is one of basicReactions, its
// variation selector and skin tone aside.
func isBasicReaction(emoji string) bool {
	bare := strings.Map(func(r rune) rune {
		if r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF {
			return -1
		}
		return r
	}, emoji)
	return slices.Contains(basicReactions, bare)
}

// channelAllowsReaction refuses emoji when channel does not allow it, as
// WhatsApp describes the channel now (within groupReadWait), or else as
// last described; taking a reaction back ("") is always allowed, and a
// channel whose setting is not known is sent to.
func (s *Session) channelAllowsReaction(ctx context.Context, channel types.JID, emoji string) error {
	if emoji == "" {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, groupReadWait())
	defer cancel()
	mode := s.channels.reactionMode(channel)
	if m, err := s.d.cli.GetNewsletterInfo(qctx, channel); err == nil && m != nil {
		mode = reactionMode(m)
		s.channels.setReactionMode(channel, mode)
	} else if err != nil {
		s.log.Info("a channel's reactions setting not asked: WhatsApp did not answer; the last known holds", "channel", channel, "err", err)
	}
	name, _ := s.channels.get(channel)
	if name == "" {
		name = channel.String()
	}
	switch {
	case mode == types.NewsletterReactionsModeNone:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: the channel «%s» allows no reactions: nothing sent", name)
	case mode == types.NewsletterReactionsModeBasic && !isBasicReaction(emoji):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: the channel «%s» allows only the default reactions %s: %s not sent",
			name, strings.Join(basicReactions, " "), emoji)
	}
	return nil
}
