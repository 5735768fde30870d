package echo

import (
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A channel the network moves to a new chat ID, as Telegram does when a
// basic group becomes a supergroup, or deletes: in a channel (not the
// echo room, whose ID every account shares),
//
//	move-group #NEW   the channel goes on as #NEW: it ends with
//	                  ChatRemovedEvent replaced_by #NEW, and #NEW comes
//	                  in its own ChatEvent, with the same members
//	delete-group      the channel is deleted (ChatRemovedEvent DELETED)

// groupGone runs move-group and delete-group in the channel c names;
// false when word is neither, or the chat is no channel (an ordinary
// message then).
func (s *Session) groupGone(c sdk.Call, word, rest string) (bool, error) {
	if !isChannel(c.ChatID) || (word != "move-group" && word != "delete-group") {
		return false, nil
	}
	next := strings.TrimSpace(rest)
	if word == "move-group" && (!isChannel(next) || next == c.ChatID) {
		return true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "move-group needs another channel to move to (%sNAME)", ChannelSign)
	}
	s.n.mu.Lock()
	cs := s.channelsLocked()
	ch := cs[c.ChatID]
	if ch == nil {
		s.n.mu.Unlock()
		return true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in %s", c.ChatID)
	}
	delete(cs, c.ChatID)
	var chat *pb.Chat
	if word == "move-group" {
		cs[next] = ch
		chat = s.channelChatLocked(next, ch)
	}
	s.n.mu.Unlock()
	removed := &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED, Text: c.ChatID + " was deleted"}
	if chat != nil {
		removed = &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT, ReplacedBy: next, Text: c.ChatID + " became " + next}
	}
	ev := s.event(c)
	ev.Sender = nil
	ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: removed}
	s.emit(ev)
	if chat != nil {
		ev := s.event(sdk.Call{ChatID: next})
		ev.Sender = nil
		ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}
		s.emit(ev)
	}
	return true, nil
}
