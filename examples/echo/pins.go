package echo

import (
	"context"
	"slices"

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
// user or by the contact; the chat's pins (ChatInfo) follow it.
func (s *Session) pinNotice(c sdk.Call, target string, unpin, fromMe bool) {
	key := s.loginID + "\x00" + c.ChatID
	s.n.mu.Lock()
	if s.n.pins == nil {
		s.n.pins = map[string][]string{}
	}
	ids := slices.DeleteFunc(s.n.pins[key], func(id string) bool { return id == target })
	if !unpin {
		ids = append(ids, target)
	}
	s.n.pins[key] = ids
	s.n.mu.Unlock()
	ev := s.event(c)
	if fromMe {
		ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
	}
	ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.PinText(unpin), ReplyToId: target}}
	s.emit(ev)
}

// PinnedMessages is the chat's pinned messages, oldest pin first
// (sdk.PinLister): as a network that must search for them, asked only
// for "/pins".
func (s *Session) PinnedMessages(_ context.Context, chatID string) ([]string, error) {
	return s.pinned(chatID), nil
}

// pinned is the chat's pinned messages, oldest pin first.
func (s *Session) pinned(chatID string) []string {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	return slices.Clone(s.n.pins[s.loginID+"\x00"+chatID])
}
