package whatsapp

import (
	"sync"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// WhatsApp channels (newsletters) are not bridged: a post of a channel
// the user follows comes to every device, as a message whose chat and
// sender are both the channel (<id>@newsletter). Shown, it made a chat
// with the channel as a contact, which ChatInfo described as one-to-one
// and where nothing could be answered. The contract has no place for a
// feed apart from the chats, and a channel as a room would need its
// description, its followers' reactions and WhatsApp's own send path for
// channels (none of which the plugin has): the posts stay on the phone,
// and the log says so once a run per channel.

// isChannel says whether chat is a WhatsApp channel.
func isChannel(chat types.JID) bool {
	return chat.Server == types.NewsletterServer
}

// channelsSeen is the channels whose posts were left out this run, each
// logged once.
type channelsSeen struct {
	mu   sync.Mutex
	seen map[types.JID]bool
}

// first says whether channel's post is its first this run.
func (c *channelsSeen) first(channel types.JID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[channel] {
		return false
	}
	if c.seen == nil {
		c.seen = map[types.JID]bool{}
	}
	c.seen[channel] = true
	return true
}

// channelPost leaves a channel's post out, saying so once per channel.
func (s *Session) channelPost(e *events.Message) {
	if s.channels.first(e.Info.Chat.ToNonAD()) {
		s.log.Info("posts of a WhatsApp channel the user follows are not shown: channels are not bridged (read them on the phone)",
			"channel", e.Info.Chat, "id", e.Info.ID)
		return
	}
	s.log.Debug("a WhatsApp channel's post not shown", "channel", e.Info.Chat, "id", e.Info.ID)
}
