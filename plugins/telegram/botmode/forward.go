package botmode

import (
	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// forwardedFrom is the line a forwarded message starts with, naming
// whom it was forwarded from (the Bot API's forward_origin) in the words
// of user-account mode (forward.go there): "Forwarded from Carol:", a
// channel's post with its author's signature, "Forwarded message:" when
// no one is named; "" for a message that is not forwarded, or a channel's
// post Telegram copies into its discussion group (is_automatic_forward),
// which its apps show as the channel's post. XMPP clients show no
// forward header: without the line a forward reads as the sender's own
// words.
func forwardedFrom(m *models.Message) string {
	o := m.ForwardOrigin
	if o == nil || m.IsAutomaticForward {
		return ""
	}
	name := ""
	signed := func(title string, sig *string) string {
		if title != "" && sig != nil && *sig != "" {
			return title + " (" + *sig + ")"
		}
		return title
	}
	switch {
	case o.MessageOriginUser != nil:
		name = userName(&o.MessageOriginUser.SenderUser)
	case o.MessageOriginHiddenUser != nil:
		name = o.MessageOriginHiddenUser.SenderUserName
	case o.MessageOriginChat != nil:
		name = signed(o.MessageOriginChat.SenderChat.Title, o.MessageOriginChat.AuthorSignature)
	case o.MessageOriginChannel != nil:
		name = signed(o.MessageOriginChannel.Chat.Title, o.MessageOriginChannel.AuthorSignature)
	}
	if name == "" {
		return "Forwarded message:"
	}
	return "Forwarded from " + name + ":"
}

// withForward puts a forwarded message's line before its text, moving
// the text's formatting after it.
func withForward(m *models.Message, text string, spans []*pb.Span) (string, []*pb.Span) {
	return mediatext.WithHead(forwardedFrom(m), text, spans)
}
