package telegram

import (
	"context"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ChatDeleter = (*Session)(nil)

// DeleteChat deletes a group for everyone (sdk.ChatDeleter, from its
// owner's XEP-0045 destroy): a basic group with messages.deleteChat, a
// supergroup or channel with channels.deleteChannel; Telegram lets only
// the creator. On success the plugin says so once, with a
// ChatRemovedEvent DELETED (a forum's topics' rooms too); what Telegram
// then sends of the group (updateChannel, a difference refused
// CHANNEL_PRIVATE) asks for it anew and would end its room again as
// left or banned: the chat is kept as deleted (deletedChats) and those
// end nothing more. Telegram's reason-less deletion takes no words: the
// destroy's reason is the gateway's to show. A bot deletes no group.
func (s *Session) DeleteChat(ctx context.Context, c sdk.Call, _ *pb.DeleteChat) error {
	if s.bot != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot delete a group; its owner deletes it in a Telegram app")
	}
	if err := inTopic(c.ChatID, "delete the whole forum"); err != nil {
		return err
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	kind, id, err := parsePeer(c.ChatID)
	if err != nil {
		return err
	}
	if kind != peerChat && kind != peerChannel {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %s is a private chat, no group to delete for everyone", c.ChatID)
	}
	// Kept before the request: an updateChannel of the deletion may
	// come on the push stream before the answer does.
	first := s.deleted.add(c.ChatID)
	if first {
		s.keepDeleted(c.ChatID, true)
	}
	var upd tg.UpdatesClass
	if kind == peerChat {
		_, err = api.MessagesDeleteChat(ctx, id)
	} else {
		var ch *tg.InputChannel
		if ch, err = s.peers.inputChannel(id); err == nil {
			upd, err = api.ChannelsDeleteChannel(ctx, ch)
		}
	}
	if err != nil {
		if first {
			s.deleted.remove(c.ChatID)
			s.keepDeleted(c.ChatID, false)
		}
		return deleteErr(err)
	}
	s.typingKeeper().Stop(c.ChatID)
	if kind == peerChannel {
		s.peers.leave(id)
	}
	ev := &pb.Event{ChatId: c.ChatID, ChatType: s.peers.chatType(c.ChatID), EventId: "deleted",
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_DELETED, Text: "you deleted this group on Telegram"}}}
	if err := s.emitEvents(ctx, s.toTopics([]*pb.Event{ev})); err != nil {
		// The gateway ends the room on the command's result all the same.
		s.n.log().Warn("telegram: a deleted group's event not kept", "login", s.login.LoginID, "chat", c.ChatID, "err", err)
	}
	if upd != nil {
		_ = mgr.Handle(ctx, upd)
	}
	return nil
}

// deleteErr is the user's words for Telegram's refusal to delete a
// group.
func deleteErr(err error) error {
	switch {
	case tgerr.Is(err, "CHAT_ADMIN_REQUIRED", "CHAT_WRITE_FORBIDDEN", "CHAT_FORBIDDEN"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: only the group's creator may delete it on Telegram (%s)", errType(err))
	case tgerr.Is(err, "CHANNEL_TOO_LARGE"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: Telegram deletes no group or channel of more than 1,000 members (CHANNEL_TOO_LARGE)")
	}
	return cmdErr("delete the group", err)
}

// errType is a Telegram error's type ("CHAT_ADMIN_REQUIRED").
func errType(err error) string {
	if e, ok := tgerr.As(err); ok {
		return e.Type
	}
	return ""
}

// deletedChats are the groups the user deleted from here: Telegram's
// later news of them ends no room again (channelEvents). Kept in the
// login's database too: that news comes after a restart as well (the
// catch-up of the channel, refused CHANNEL_PRIVATE).
type deletedChats struct {
	mu  sync.Mutex
	ids map[string]bool
}

// add keeps chat as deleted; false when it was already.
func (d *deletedChats) add(chat string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids[chat] {
		return false
	}
	if d.ids == nil {
		d.ids = map[string]bool{}
	}
	d.ids[chat] = true
	return true
}

func (d *deletedChats) remove(chat string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.ids, chat)
}

// has reports whether the user deleted chat from here.
func (d *deletedChats) has(chat string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ids[chat]
}

// loadDeleted takes the groups kept as deleted in the login's database.
func (s *Session) loadDeleted(st *store) {
	chats, err := st.deletedChats()
	if err != nil {
		s.n.log().Warn("telegram: the groups deleted from here not read", "login", s.login.LoginID, "err", err)
	}
	for _, chat := range chats {
		s.deleted.add(chat)
	}
}

// keepDeleted keeps chat as deleted from here in the login's database,
// or forgets it; a failure costs a second end of its room after a
// restart.
func (s *Session) keepDeleted(chat string, deleted bool) {
	if err := s.db().setDeleted(chat, deleted); err != nil {
		s.n.log().Warn("telegram: a group deleted from here not kept", "login", s.login.LoginID, "chat", chat, "err", err)
	}
}
