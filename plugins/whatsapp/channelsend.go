package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A channel's owner and admins post in it (whatsmeow sends a message to
// a newsletter JID unencrypted, WhatsApp answering with the post's
// server ID); its followers only read. From XMPP, the admin posts text:
// a file would need the channel's own upload (unencrypted, its handle
// sent with the post), which is not done, and is refused saying so.

// channelAdmin says whether the user administers the channel m
// describes (its owner or an admin).
func channelAdmin(m *types.NewsletterMetadata) bool {
	return m.ViewerMeta != nil && (m.ViewerMeta.Role == types.NewsletterRoleOwner || m.ViewerMeta.Role == types.NewsletterRoleAdmin)
}

// channelLimits is what the user may do in channel jid: read-only
// unless they administer it, as last described (described now when it
// was not yet; read-only when WhatsApp does not answer).
func (s *Session) channelLimits(ctx context.Context, jid types.JID) sdk.ChatLimits {
	c := s.channels.described(jid)
	if c == nil {
		var err error
		if c, err = s.channelInfo(ctx, jid); err != nil {
			return sdk.ChatLimits{ReadOnly: true, Features: channelFeatures()}
		}
	}
	// Reactions stay: one the channel does not allow is refused saying
	// why (channelreact.go).
	f := proto.Clone(c.Features).(*pb.Features)
	f.Reactions = true
	return sdk.ChatLimits{ReadOnly: c.ReadOnly, Features: f}
}

// postToChannel posts msg's text in channel, which the user
// administers: its result names the post by its ID, its meta by its
// server ID too (reactions to it name that).
func (s *Session) postToChannel(ctx context.Context, c sdk.Call, channel types.JID, msg *pb.SendMessage) (sdk.Result, error) {
	if l := s.channelLimits(ctx, channel); l.ReadOnly {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only the channel's owner and admins post in it: it is read-only for you")
	}
	if len(msg.Attachments) > 0 {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: files cannot be posted in a WhatsApp channel from here yet: post them on the phone (text can be)")
	}
	text, _ := renderOut(msg.Text, msg.Spans, s.mentionOf)
	if err := textFits(text); err != nil {
		return sdk.Result{}, err
	}
	if text == "" {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: an empty post: nothing sent")
	}
	resp, err := s.d.cli.SendMessage(ctx, channel, textMessage(text, nil, nil), s.sendID(c, 0))
	if err != nil {
		return sdk.Result{}, s.sendErr("post in the channel", err)
	}
	t := resp.Timestamp
	if t.IsZero() {
		t = now()
	}
	meta := msgMeta{Sender: channel, ServerID: resp.ServerID, Time: t}
	return sdk.Result{MessageID: resp.ID, Time: t, Meta: meta.encode()}, nil
}
