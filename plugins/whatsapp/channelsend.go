package whatsapp

import (
	"context"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A channel's owner and admins post in it (whatsmeow sends a message to
// a newsletter JID unencrypted, WhatsApp answering with the post's
// server ID); its followers only read. From XMPP, the admin posts text
// and files: a file goes to the channel's own media, unencrypted
// (whatsmeow's UploadNewsletterReader), and its post names the upload's
// handle (SendRequestExtra.MediaHandle); one post per file, the text the
// first's caption, as in a chat.

// channelAdmin says whether the user administers the channel m
// describes (its owner or an admin).
func channelAdmin(m *types.NewsletterMetadata) bool {
	return m.ViewerMeta != nil && (m.ViewerMeta.Role == types.NewsletterRoleOwner || m.ViewerMeta.Role == types.NewsletterRoleAdmin)
}

// channelLimits is what the user may do in channel jid: read-only
// unless they administer it, as last described. A channel not described
// yet (its listing unanswered) is not refused here, as a group not known
// yet is not (ChatLimits): a lookup would hold each command in it as
// long as WhatsApp is silent, and its failure read as read-only told an
// admin they may not post; the post asks itself (postToChannel).
func (s *Session) channelLimits(jid types.JID) sdk.ChatLimits {
	c := s.channels.described(jid)
	if c == nil {
		f := channelFeatures()
		// An admin's files, corrections and deletions: postToChannel and
		// channeledit.go decide.
		f.Attachments, f.Edits, f.Retractions = true, true, true
		return sdk.ChatLimits{Features: f}
	}
	// Reactions stay: one the channel does not allow is refused saying
	// why (channelreact.go).
	f := proto.Clone(c.Features).(*pb.Features)
	f.Reactions = true
	return sdk.ChatLimits{ReadOnly: c.ReadOnly, Features: f}
}

// channelDescribed is channel jid as last described, or as WhatsApp
// describes it now when it was not yet (channelInfo's error when it
// cannot: not followed, WhatsApp silent).
func (s *Session) channelDescribed(ctx context.Context, jid types.JID) (*pb.Chat, error) {
	if c := s.channels.described(jid); c != nil {
		return c, nil
	}
	return s.channelInfo(ctx, jid)
}

// postToChannel posts msg's text in channel, which the user
// administers: its result names the post by its ID, its meta by its
// server ID too (reactions to it name that).
func (s *Session) postToChannel(ctx context.Context, c sdk.Call, channel types.JID, msg *pb.SendMessage) (sdk.Result, error) {
	// Not described and WhatsApp silent: its error, not "read-only",
	// which would tell an admin they may not post.
	if ch, err := s.channelDescribed(ctx, channel); err != nil {
		return sdk.Result{}, err
	} else if ch.ReadOnly {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only the channel's owner and admins post in it: it is read-only for you")
	}
	text, _ := renderOut(msg.Text, msg.Spans, s.mentionOf)
	if err := sendFits(text, msg.Attachments); err != nil {
		return sdk.Result{}, err
	}
	if len(msg.Attachments) > 0 {
		return s.postFiles(ctx, c, channel, text, msg.Attachments)
	}
	if text == "" {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: an empty post: nothing sent")
	}
	resp, err := s.d.cli.SendMessage(ctx, channel, textMessage(text, nil, nil), s.sendID(c, 0))
	if err != nil {
		return sdk.Result{}, s.sendErr("post in the channel", err)
	}
	return channelPosted(channel, resp, nil), nil
}

// postFiles posts each file of an admin's message in channel, text as
// the first's caption (after it, as a post of its own, when the file
// takes none: audio, a contact card, a sticker). The result names the
// first post, its meta the others (Parts); a failure midway answers
// with what went.
func (s *Session) postFiles(ctx context.Context, c sdk.Call, channel types.JID, text string, files []*pb.Attachment) (sdk.Result, error) {
	var first whatsmeow.SendResponse
	var parts []types.MessageID
	result := func() sdk.Result {
		if first.ID == "" {
			return sdk.Result{}
		}
		return channelPosted(channel, first, parts)
	}
	post := func(part int, m *waE2E.Message, handle string) error {
		extra := s.sendID(c, part)
		extra.MediaHandle = handle
		resp, err := s.d.cli.SendMessage(ctx, channel, m, extra)
		if err != nil {
			return s.sendErr("post in the channel", err)
		}
		if first.ID == "" {
			first = resp
		} else {
			parts = append(parts, resp.ID)
		}
		return nil
	}
	part := 0
	for i, a := range files {
		caption := a.Caption
		if i == 0 && text != "" {
			caption = text
		}
		m, handle, err := s.uploadFor(ctx, a, caption, nil, true) // media.go
		if err != nil {
			return result(), err
		}
		if err := post(part, m, handle); err != nil {
			return result(), err
		}
		part++
		if caption != "" && captionless(m) {
			if err := post(part, textMessage(caption, nil, nil), ""); err != nil {
				return result(), err
			}
			part++
		}
	}
	return result(), nil
}

// channelPosted is the result of a post in channel: its ID, its meta
// with its server ID (reactions to it name that) and the IDs of the
// posts sent with it.
func channelPosted(channel types.JID, resp whatsmeow.SendResponse, parts []types.MessageID) sdk.Result {
	t := resp.Timestamp
	if t.IsZero() {
		t = now()
	}
	meta := msgMeta{Sender: channel, ServerID: resp.ServerID, Time: t, Parts: parts}
	return sdk.Result{MessageID: resp.ID, Time: t, Meta: meta.encode()}
}
