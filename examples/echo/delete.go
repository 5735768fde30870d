package echo

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ChatDeleter = (*Session)(nil)

// DeleteChat deletes, for every member, the echo room or a group the
// user created (create.go), whose owner the user is (sdk.ChatDeleter,
// from an owner's XEP-0045 destroy). The network then tells the
// account's devices, the gateway too, with a ChatRemovedEvent DELETED,
// as for a deletion made on the phone: it may reach the gateway before
// the command's result, and the room ends once all the same. The echo
// room's deletion is kept as its leaving is (LeftFile, with the reason),
// so the group stays gone for the account. A channel the user only
// joined is not theirs: NOT_ALLOWED. A lite login (LiteMark, as a
// Telegram bot) deletes no group: UNSUPPORTED, as a network without
// deleting (WhatsApp) answers.
func (s *Session) DeleteChat(_ context.Context, c sdk.Call, d *pb.DeleteChat) error {
	if strings.Contains(s.loginID, LiteMark) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "a lite echo login deletes no group")
	}
	if err := s.inChat(c); err != nil {
		return err
	}
	s.n.mu.Lock()
	switch cs := s.channelsLocked(); {
	case c.ChatID == RoomID:
		s.n.groupLocked(s.loginID).left = true
	case cs[c.ChatID] != nil && cs[c.ChatID].name != "":
		delete(cs, c.ChatID)
	case cs[c.ChatID] != nil:
		s.n.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the owner of %s may delete it", c.ChatID)
	default:
		s.n.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no group of the echo network", c.ChatID)
	}
	s.n.mu.Unlock()
	if c.ChatID == RoomID && s.dir != "" {
		if err := os.WriteFile(filepath.Join(s.dir, LeftFile), []byte(d.Reason), 0o600); err != nil {
			s.n.host.Logger().Warn("echo: the group's deletion not saved", "err", err)
		}
	}
	ev := s.event(c)
	ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED, Text: "you deleted this group"}}
	s.emit(ev)
	return nil
}
