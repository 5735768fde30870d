package whatsapp

import (
	"context"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A channel's owner and admins correct and delete its posts from XMPP
// (XEP-0308, XEP-0424) as in a chat: whatsmeow sends an edit or a
// deletion to a channel as its admin's (the post's own ID, an
// "admin_edit" or "admin_revoke" edit attribute), whoever posted it
// (WhatsApp names no admin: its posts are the channel's). The windows
// are a chat's, the gateway's capabilities telling one for all.

// channelAdminOf refuses an edit or deletion (what says which) in
// channel unless the user administers it, as last described (asked of
// WhatsApp when not yet).
func (s *Session) channelAdminOf(ctx context.Context, channel types.JID, what string) error {
	ch, err := s.channelDescribed(ctx, channel)
	if err != nil {
		return err
	}
	if ch.ReadOnly {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only the channel's owner and admins %s its posts: it is read-only for you", what)
	}
	return nil
}

// editChannelPost corrects a post of channel, which the user
// administers, to e's text.
func (s *Session) editChannelPost(ctx context.Context, channel types.JID, e *pb.EditMessage) (sdk.Result, error) {
	m, err := decodeMeta(e.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if err := s.channelAdminOf(ctx, channel, "correct"); err != nil {
		return sdk.Result{}, err
	}
	if t := s.sentBefore(m); !t.IsZero() && now().Sub(t) > editWindow {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: a post can be corrected for %d minutes after it was posted; post the correction as a new post", int(editWindow/time.Minute))
	}
	if _, ok := mediatext.GeoURI(e.Text); ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "whatsapp: a shared location cannot be changed: share the new one")
	}
	text, _ := renderOut(e.Text, e.Spans, s.mentionOf)
	if err := textFits(text); err != nil {
		return sdk.Result{}, err
	}
	if text == "" {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: a post corrected to nothing: delete it instead; nothing sent")
	}
	content, id, err := editContent(quoted{ID: e.TargetId, Meta: m}, text, nil) // captionedit.go
	if err != nil {
		return sdk.Result{}, err
	}
	resp, err := s.d.cli.SendMessage(ctx, channel, editMessage(channel, id, content, now()))
	if err != nil {
		return sdk.Result{}, s.sendErr("correct the post", err)
	}
	return sdk.Result{MessageID: e.TargetId, Time: resp.Timestamp}, nil
}

// retractChannelPost deletes a post of channel, which the user
// administers, and the files posted with it.
func (s *Session) retractChannelPost(ctx context.Context, channel types.JID, r *pb.Retract) (sdk.Result, error) {
	m, err := decodeMeta(r.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if err := s.channelAdminOf(ctx, channel, "delete"); err != nil {
		return sdk.Result{}, err
	}
	if t := s.sentBefore(m); !t.IsZero() && now().Sub(t) > revokeWindow {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: a post can be deleted for %d days after it was posted; it stays on WhatsApp", int(revokeWindow/(24*time.Hour)))
	}
	resp, err := s.d.cli.SendMessage(ctx, channel, revokeMessage(channel, quoted{ID: r.TargetId, Meta: m}))
	if err != nil {
		return sdk.Result{}, s.sendErr("delete the post", err)
	}
	for i, id := range m.Parts {
		if _, err := s.d.cli.SendMessage(ctx, channel, revokeMessage(channel, quoted{ID: id, Meta: msgMeta{Sender: m.Sender}})); err != nil {
			return sdk.Result{MessageID: resp.ID, Time: resp.Timestamp}, s.sendErr(fmt.Sprintf("delete file %d of %d (the first ones are deleted)", i+2, len(m.Parts)+1), err)
		}
	}
	return sdk.Result{MessageID: resp.ID, Time: resp.Timestamp}, nil
}
