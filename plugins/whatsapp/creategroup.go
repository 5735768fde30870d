package whatsapp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// maxGroupName is the longest group name (WhatsApp's "subject") WhatsApp
// takes, in characters. whatsmeow's ReqCreateGroup still documents 25
// (with a 406 beyond), WhatsApp's limit of old; WhatsApp Web reads it
// from the server's A/B property group_max_subject, 100 by default, and
// other clients enforce 100 (README, "Creating groups"). The server's own
// 406 is a BAD_REQUEST too (createErr), should it want fewer.
const maxGroupName = 100

// errAlreadyIn is the participant error code of someone already in the
// group: they are in it all the same.
const errAlreadyIn = 409

var _ sdk.ChatCreator = (*Session)(nil)

// CreateChat creates a group named cc.Name with the contacts cc.MemberIds
// (WhatsApp adds the user as its creator). Contacts WhatsApp would not
// add come back in its answer with an error code (403: their privacy
// settings allow only an invitation): they are left out of the
// ChatEvent, sent the invitation WhatsApp offers (groupinvite.go), named
// in the new room, and do not fail the command, since the group exists.
func (s *Session) CreateChat(ctx context.Context, _ sdk.Call, cc *pb.CreateChat) (string, error) {
	name := strings.TrimSpace(cc.Name)
	if name == "" {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: a new group needs a name")
	}
	if n := utf8.RuneCountInString(name); n > maxGroupName {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: a group's name has at most %d characters (this one has %d)", maxGroupName, n)
	}
	members, err := s.newMembers(cc.MemberIds)
	if err != nil {
		return "", err
	}
	g, err := s.d.cli.CreateGroup(ctx, whatsmeow.ReqCreateGroup{Name: name, Participants: members})
	if err != nil {
		return "", createErr(err)
	}
	answered := g.Participants
	g.Participants = slices.DeleteFunc(slices.Clone(answered), notAdded)
	s.cacheGroup(g.JID, g)
	chat := s.chatOf(g)
	// As for a group joined (joinedGroup): the gateway makes its room.
	// WhatsApp's own notification of the creation may announce it too;
	// the same chat twice is no change.
	s.emit(&pb.Event{ChatId: chat.ChatId, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	// The room made, those left out are invited where WhatsApp offers it
	// and named there. The command's answer (the chat) has no words of
	// its own, and a failed invitation does not undo the group.
	s.tellRoom(chat.ChatId, refusalText(s.inviteRefused(ctx, g.JID, g.Name, answered)))
	return chat.ChatId, nil
}

// newMembers are the JIDs of a new group's members, without the user
// (WhatsApp adds them) and without repeats; an ID that is not a WhatsApp
// user's is BAD_REQUEST.
func (s *Session) newMembers(ids []string) ([]types.JID, error) {
	own := s.ownJID()
	var ownLID types.JID
	if s.d != nil && s.d.dev != nil {
		ownLID = s.d.dev.LID
	}
	var out []types.JID
	for _, id := range ids {
		if id == s.login.LoginID {
			continue
		}
		jid, err := parseUserID(id)
		if err != nil {
			return nil, err
		}
		jid = jid.ToNonAD()
		switch {
		case jid.Server != types.DefaultUserServer && jid.Server != types.HiddenUserServer:
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is not a WhatsApp user (+<phone number>)", id)
		case jid == own, !ownLID.IsEmpty() && jid.User == ownLID.User && jid.Server == types.HiddenUserServer:
			continue
		case !slices.Contains(out, jid):
			out = append(out, jid)
		}
	}
	return out, nil
}

// notAdded says whether WhatsApp refused to add p to a group it answered
// about: p carries an error code, other than "already in it".
func notAdded(p types.GroupParticipant) bool {
	return p.Error != 0 && p.Error != errAlreadyIn
}

// createErr is the contract's error of a creation WhatsApp refused:
// its answer's code where it says what went wrong, else as any send.
func createErr(err error) error {
	var iq *whatsmeow.IQError
	if errors.As(err, &iq) {
		switch iq.Code {
		case 400, 406:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: WhatsApp refused the new group as asked (%d %s; its name?)", iq.Code, iq.Text)
		case 403, 405:
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: WhatsApp does not let this account create a group (%d %s)", iq.Code, iq.Text)
		}
	}
	return sendErr("create a group", err)
}
