package signal

import (
	"context"
	"errors"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A group's admins may delete any member's message for everyone
// (Signal's admin delete; signal-cli 0.14.0 and later, which drops one
// from someone who is no admin of the group). Received, it is the
// message's retraction by the admin; from XMPP, a moderation (XEP-0425)
// of another's message goes as sendAdminDelete.

// adminDelete is a group admin's deletion of a member's message
// (JsonAdminDelete).
type adminDelete struct {
	TargetAuthorNumber  string `json:"targetAuthorNumber"`
	TargetAuthorUUID    string `json:"targetAuthorUuid"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
}

// adminRetraction is the retraction an admin delete in chat makes; nil
// outside a group.
func (s *Session) adminRetraction(chat string, ad *adminDelete) *pb.RetractionEvent {
	if groupIDOf(chat) == "" || ad.TargetSentTimestamp <= 0 {
		return nil
	}
	who := s.whoOf(ad.TargetAuthorNumber, ad.TargetAuthorUUID)
	orig := s.chats.original(ad.TargetSentTimestamp, who...)
	s.pins.unpin(chat, orig, who...) // a message deleted is pinned no more
	return &pb.RetractionEvent{TargetId: s.refID(orig, ad.TargetAuthorNumber, ad.TargetAuthorUUID)}
}

// retractAsAdmin deletes author's message at ts in the group chat for
// everyone, as the group's admin: refused before anything goes when the
// user is no admin there (Signal's apps would drop it).
func (s *Session) retractAsAdmin(ctx context.Context, c sdk.Call, p map[string]any, author string, ts int64) error {
	if groupIDOf(c.ChatID) == "" {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only your own messages can be deleted for everyone")
	}
	chat, err := s.fetchGroup(ctx, c.ChatID)
	if err != nil {
		return err
	}
	admin := false
	for _, m := range chat.GetMembers() {
		admin = admin || (m.IsSelf && m.Affiliation == pb.Affiliation_AFFILIATION_ADMIN)
	}
	if !admin {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the group's admins delete others' messages for everyone")
	}
	p["targetAuthor"], p["targetTimestamp"] = author, ts
	res, err := s.send(ctx, c, "could not delete the message", "sendAdminDelete", p)
	if se, ok := errors.AsType[*sdk.Error](err); ok && se.Code == pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		return sdk.Errorf(se.Code, "%s (deleting others' messages needs signal-cli 0.14.0 or later; delete it on your phone)", se.Text)
	}
	if err != nil {
		return err
	}
	s.tellPartly(ctx, c.ChatID, res, "your deletion of the member's message")
	who := s.who(author)
	s.pins.unpin(c.ChatID, s.chats.original(ts, who...), who...)
	return nil
}
