package echo

import (
	"context"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Pins: the user pins a message with "/pin" in a reply to it (the
// gateway's command), and the network's notice says so, from the user;
// "pin-this TEXT" sent to a contact makes the contact pin its echo.

// Pin pins (or unpins) a message of the chat: the notice, as the user's.
func (s *Session) Pin(_ context.Context, c sdk.Call, p *pb.Pin) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	s.pinNotice(c, p.TargetId, p.Unpin, true)
	return nil
}

// pinNotice is the notice that target was pinned (or unpinned), by the
// user or by the contact.
func (s *Session) pinNotice(c sdk.Call, target string, unpin, fromMe bool) {
	ev := s.event(c)
	if fromMe {
		ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.PinText(unpin), ReplyToId: target}}
	s.emit(ev)
}
