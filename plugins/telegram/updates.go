package telegram

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/customemoji"
	"passerelle.im/passerelle/plugins/telegram/reaction"
)

// handle is gotd's updates manager's handler: Telegram's updates as
// contract events. The manager saves the new pts only after handle
// returns, and handle returns once the events are on disk in the SDK's
// journal (EmitDurable): a kill or crash in between costs a second
// delivery, never a lost message. The second copy carries the same event
// IDs (Telegram's message IDs), and the gateway drops it; what has no
// event ID (reactions, receipts, typing, presence) says a state again,
// which changes nothing.
func (s *Session) handle(ctx context.Context, u tg.UpdatesClass) error {
	var list []tg.UpdateClass
	switch u := u.(type) {
	case *tg.Updates:
		s.peers.add(u.Users, u.Chats)
		list = u.Updates
	case *tg.UpdatesCombined:
		s.peers.add(u.Users, u.Chats)
		list = u.Updates
	case *tg.UpdateShort:
		list = []tg.UpdateClass{u.Update}
	}
	var evs []*pb.Event
	ctx = s.askContainerEmoji(ctx, list) // customemoji.go
	for _, x := range list {
		evs = append(evs, s.convert(ctx, x)...)
	}
	if err := s.emitEvents(ctx, evs); err != nil {
		// gotd saves the new update state whatever the handler answers:
		// keep it back, so the next Connect's catch-up brings these
		// events again rather than skip them.
		if st := s.db(); st != nil {
			st.freeze()
		}
		s.n.log().Error("telegram: events not kept; the update state stays before them until the next connection", "login", s.login.LoginID, "err", err)
		return fmt.Errorf("telegram: keep events: %w", err)
	}
	return nil
}

// convert turns one update into events, a group's chat events with
// the features the user has there now (chatrights.go).
func (s *Session) convert(ctx context.Context, u tg.UpdateClass) []*pb.Event {
	evs := s.updateEvents(ctx, u)
	s.limitChatEvents(ctx, evs)
	return evs
}

// updateEvents turns one update into events.
func (s *Session) updateEvents(ctx context.Context, u tg.UpdateClass) []*pb.Event {
	s.gone.noteDeleted(u) // gonemsgs.go
	switch u := u.(type) {
	case *tg.UpdateNewMessage:
		return s.messageEvents(ctx, u.Message, false)
	case *tg.UpdateNewChannelMessage:
		return s.messageEvents(ctx, u.Message, false)
	case *tg.UpdateEditMessage:
		return s.editEvents(u.Message)
	case *tg.UpdateEditChannelMessage:
		return s.editEvents(u.Message)
	case *tg.UpdateMessageID:
		s.messageIDOf(u.RandomID, u.ID) // sending.go
	case *tg.UpdatePhoneCall:
		return s.ringingEvent(u) // calls.go
	case *tg.UpdateEncryption:
		return s.secretChatEvent(u) // secretchat.go
	case *tg.UpdateServiceNotification:
		return s.serviceNotificationEvents(u) // servicenotification.go
	case *tg.UpdateMessagePoll:
		return s.pollEvents(ctx, u) // polls.go
	case *tg.UpdatePinnedMessages:
		return s.unpinEvents(peerChatID(u.Peer), 0, u.Pinned, u.Messages, u.Pts) // pin.go
	case *tg.UpdatePinnedChannelMessages:
		return s.unpinEvents(channelID(u.ChannelID), u.ChannelID, u.Pinned, u.Messages, u.Pts)
	case *tg.UpdateDeleteMessages:
		var evs []*pb.Event
		st := s.db()
		for _, id := range u.Messages {
			chat, ok := st.messageChat(id)
			if !ok {
				continue
			}
			evs = append(evs, deleteEvent(chat, id))
		}
		return s.deletionEvents(evs) // bulkdelete.go
	case *tg.UpdateDeleteChannelMessages:
		return s.deletionEvents(s.channelDeleteEvents(u.ChannelID, u.Messages))
	case *tg.UpdateChannelAvailableMessages:
		return s.availableEvents(u.ChannelID, u.AvailableMinID) // bulkdelete.go
	case *tg.UpdateMessageReactions:
		if s.gone.reactsToGone(u) {
			return nil // the message is gone (gonemsgs.go)
		}
		chat := peerChatID(u.Peer)
		if p, ok := u.Peer.(*tg.PeerChannel); ok && s.isForum(p.ChannelID) {
			chat = s.channelMessageChat(p.ChannelID, u.MsgID, u.TopMsgID)
		}
		return s.reactionEvents(ctx, chat, u.MsgID, u.Reactions)
	case *tg.UpdateReadHistoryOutbox:
		switch p := u.Peer.(type) {
		case *tg.PeerUser:
			return []*pb.Event{receipt(userID(p.UserID), &pb.Sender{UserId: userID(p.UserID)}, u.MaxID)}
		case *tg.PeerChat:
			// Who read a group is not said: asked (groupreads.go).
			return s.groupReadEvents(ctx, chatID(p.ChatID), u.MaxID)
		}
	case *tg.UpdateReadChannelOutbox:
		if c, ok := s.peers.channel(u.ChannelID); ok && c.Broadcast {
			return nil // a channel's readers are not told
		}
		return s.groupReadEvents(ctx, s.channelMessageChat(u.ChannelID, u.MaxID, 0), u.MaxID)
	case *tg.UpdateReadHistoryInbox:
		chat := peerChatID(u.Peer)
		return []*pb.Event{receipt(chat, &pb.Sender{UserId: userID(s.self), IsFromMe: true}, s.had.upTo(chat, u.MaxID))}
	case *tg.UpdateReadChannelInbox:
		chat := channelID(u.ChannelID)
		if s.isForum(u.ChannelID) {
			chat = s.channelMessageChat(u.ChannelID, u.MaxID, 0)
		}
		return []*pb.Event{receipt(chat, &pb.Sender{UserId: userID(s.self), IsFromMe: true}, s.had.upTo(chat, u.MaxID))}
	case *tg.UpdateReadChannelDiscussionInbox:
		if s.isForum(u.ChannelID) && u.TopMsgID > generalTopic {
			chat := topicChatID(channelID(u.ChannelID), u.TopMsgID)
			return []*pb.Event{receipt(chat, &pb.Sender{UserId: userID(s.self), IsFromMe: true}, s.had.upTo(chat, u.ReadMaxID))}
		}
	case *tg.UpdateUserTyping:
		return typing(userID(u.UserID), userID(u.UserID), u.Action)
	case *tg.UpdateChatUserTyping:
		return typing(chatID(u.ChatID), peerChatID(u.FromID), u.Action)
	case *tg.UpdateChannelUserTyping:
		chat := channelID(u.ChannelID)
		if s.isForum(u.ChannelID) {
			chat = topicChatID(chat, u.TopMsgID)
		}
		return typing(chat, peerChatID(u.FromID), u.Action)
	case *tg.UpdateUserStatus:
		if u.UserID == s.self {
			// The account's own status, as another device sets it: no
			// contact's presence.
			return nil
		}
		p := presenceOf(u.Status)
		return []*pb.Event{{ChatId: userID(u.UserID), Sender: &pb.Sender{UserId: userID(u.UserID)},
			Payload: &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: p}}}}
	case *tg.UpdateChannel:
		return s.channelEvents(ctx, u.ChannelID) // channelupdate.go
	case *tg.UpdateChatDefaultBannedRights:
		return s.basicGroupRightsEvents(ctx, u)
	case *tg.UpdateChatParticipantAdmin, *tg.UpdateChannelParticipant:
		return s.participantEvents(ctx, u) // members.go
	case *tg.UpdatePendingJoinRequests:
		return s.pendingJoinEvents(ctx, u) // joinrequests.go
	case *tg.UpdatePeerBlocked:
		return s.blockEvents(u) // contacts.go
	case *tg.UpdateContactsReset:
		return s.contactsResetEvents()
	case *tg.UpdateUser:
		if u.UserID == s.self {
			return s.ownRenameEvents() // ownprofile.go
		}
		return s.userEvents(u.UserID)
	case *tg.UpdateUserName:
		evs := s.userChanged(u.UserID, func(cp *tg.User) {
			// A new username comes in the same update (usernames).
			cp.FirstName, cp.LastName, cp.Username, cp.Usernames = u.FirstName, u.LastName, mainUsername(u.Usernames), u.Usernames
		})
		if u.UserID == s.self {
			evs = append(evs, s.ownRenameEvents()...) // ownprofile.go
		}
		return evs
	case *tg.UpdateMessageExtendedMedia:
		return s.paidBoughtEvents(u) // paidbought.go
	case *tg.UpdateUserPhone:
		return s.userChanged(u.UserID, func(cp *tg.User) { cp.Phone = u.Phone })
	}
	return nil
}

// userChanged keeps what change does to a cached user and describes a
// listed contact again with it: a new name, username or phone number.
func (s *Session) userChanged(id int64, change func(*tg.User)) []*pb.Event {
	old, ok := s.peers.user(id)
	if !ok {
		return nil
	}
	cp := *old
	change(&cp)
	s.peers.add([]tg.UserClass{&cp}, nil)
	if id == s.self || !s.listing.lists(id, cp.Contact) {
		// The account itself, or someone of a group only: a contact
		// event would make them a roster contact.
		return nil
	}
	return []*pb.Event{{Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: contactOf(&cp)}}}}
}

func deleteEvent(chat string, id int) *pb.Event {
	return &pb.Event{ChatId: chat, EventId: "del-" + strconv.Itoa(id),
		Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: strconv.Itoa(id)}}}
}

func receipt(chat string, from *pb.Sender, maxID int) *pb.Event {
	return &pb.Event{ChatId: chat, Sender: from, Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{
		Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{strconv.Itoa(maxID)}}}}
}

// typing is a chat action as a chat state: writing, recording or sending
// something is composing, a cancel paused. What is no message coming
// is nothing: a member speaking in a group call (sent every few seconds
// while they speak), an animated emoji tapped or seen, a game played, a
// history import.
func typing(chat, from string, a tg.SendMessageActionClass) []*pb.Event {
	st := pb.TypingState_TYPING_STATE_COMPOSING
	switch a.(type) {
	case *tg.SendMessageCancelAction:
		st = pb.TypingState_TYPING_STATE_PAUSED
	case *tg.SpeakingInGroupCallAction, *tg.SendMessageEmojiInteraction, *tg.SendMessageEmojiInteractionSeen,
		*tg.SendMessageGamePlayAction, *tg.SendMessageHistoryImportAction:
		return nil
	}
	ev := &pb.TypingEvent{State: st}
	if st == pb.TypingState_TYPING_STATE_COMPOSING {
		// An action holds 6 s unless said again (updateUserTyping's
		// rule, typing.go): the apps repeat it every 5 s.
		ev.TimeoutMs = typingValidMs
	}
	return []*pb.Event{{ChatId: chat, Sender: &pb.Sender{UserId: from}, Payload: &pb.Event_Typing{Typing: ev}}}
}

// presenceOf is a Telegram status as presence: online, or away with the
// last time seen (or roughly when, as Telegram hides it).
func presenceOf(st tg.UserStatusClass) *pb.Presence {
	switch st := st.(type) {
	case *tg.UserStatusOnline:
		return &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	case *tg.UserStatusOffline:
		return &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, LastSeenUnix: int64(st.WasOnline), Status: "last seen"}
	case *tg.UserStatusRecently:
		return &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: "last seen recently"}
	case *tg.UserStatusLastWeek:
		return &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_XA, Status: "last seen within a week"}
	case *tg.UserStatusLastMonth:
		return &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_XA, Status: "last seen within a month"}
	}
	return &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_XA, Status: "last seen a long time ago"}
}

// sender is who sent a message, from the user's point of view.
func (s *Session) sender(m *tg.Message) *pb.Sender {
	if m.Out {
		return &pb.Sender{UserId: userID(s.self), IsFromMe: true}
	}
	from := m.FromID
	if from == nil {
		from = m.PeerID // a private chat, or a channel's post
	}
	id := peerChatID(from)
	snd := &pb.Sender{UserId: id}
	switch f := from.(type) {
	case *tg.PeerUser:
		snd.Name = s.peers.name(f.UserID)
	case *tg.PeerChannel:
		if c, ok := s.peers.channel(f.ChannelID); ok {
			snd.Name = c.Title
		}
		// A signed post (or an anonymous admin's title) names its
		// author after the channel, as bot mode and the apps do.
		if snd.Name != "" && m.PostAuthor != "" {
			snd.Name += " (" + m.PostAuthor + ")"
		}
	}
	return snd
}

// messageEvents is a new message; history marks it as backfill. A
// message the gateway itself sent is left out (its command's result
// already named it), after a restart too (sending.go).
func (s *Session) messageEvents(ctx context.Context, mc tg.MessageClass, history bool) []*pb.Event {
	switch m := mc.(type) {
	case *tg.MessageEmpty:
		// The gateway's own text answered with updateShortSentMessage,
		// as gotd's manager passes it on: no message comes for it, so
		// its note goes now (sentResult kept its chat).
		if history {
			return nil
		}
		if chat, ok := s.db().messageChat(m.ID); ok {
			s.sent.take(chat, m.ID)
			s.had.note(chat, m.ID) // ownread.go
		}
	case *tg.Message:
		s.noteMessage(m) // readmark.go
		chat := s.messageChat(m, !history)
		if _, isCh := m.PeerID.(*tg.PeerChannel); !isCh && !history {
			s.db().setMessageChat(m.ID, chat)
		}
		text, spans := s.messageText(m)
		s.shown.note(chat, m.ID, text, spans) // the user's own sends too
		s.had.note(chat, m.ID)                // ownread.go
		s.noteQuoted(chat, m, text)           // quote.go
		if !history && m.Out && s.ownSend(ctx, chat, m.ID) {
			// The gateway's own poll (pollstart.go), as Telegram tells
			// it again (after a restart, say): its votes correct it.
			s.rememberPoll(chat, m, s.sender(m))
			return nil
		}
		return []*pb.Event{s.messageEvent(ctx, m, !history)}
	case *tg.MessageService:
		s.noteMessage(m)
		// A call, a timer change, a new name or picture (calls.go): its
		// line, after the room's change a new name or picture makes.
		notice := s.noticeEvent(m, history)
		if notice == nil {
			if ev := s.pinNotice(m, history); ev != nil {
				s.had.note(ev.ChatId, m.ID) // ownread.go
				return []*pb.Event{ev}      // pin.go
			}
		} else {
			s.had.note(notice.ChatId, m.ID)
		}
		evs := s.serviceEvents(ctx, m, history)
		if !history {
			evs = s.toTopics(evs)
		}
		if notice != nil {
			evs = append(evs, notice)
		}
		return evs
	}
	return nil
}

// messageEvent is a message as the contract's event; live, a reply to a
// message not seen asks Telegram for it, for its quote (quotefetch.go).
// In a forum topic, a message without reply_to_top_id answers the
// topic's first message only to say where it is: no reply.
func (s *Session) messageEvent(ctx context.Context, m *tg.Message, live bool) *pb.Event {
	chat := s.messageChat(m, false)
	text, spans := s.messageText(m)
	text, spans = s.withForward(m, text, spans)
	text, spans = s.withStoryReply(m, text, spans) // storyreply.go
	me := &pb.MessageEvent{Text: text, Spans: spans, ExpiresUnixMicro: expiresAt(m.Date, m.TTLPeriod)}
	if r, ok := m.ReplyTo.(*tg.MessageReplyHeader); ok {
		// A reply to another chat's message (reply_to_peer_id: Telegram's
		// "reply in another chat") names an ID of that chat, which here
		// would be another message: no reply.
		other := r.ReplyToPeerID != nil && peerChatID(r.ReplyToPeerID) != baseChat(chat)
		if r.ReplyToMsgID != 0 && !(r.ForumTopic && r.ReplyToTopID == 0) && !other {
			me.ReplyToId = strconv.Itoa(r.ReplyToMsgID)
			s.withQuote(ctx, chat, me, r, live) // quote.go
		}
	}
	if a := s.attachmentOf(chat, m); a != nil {
		me.Attachments = []*pb.Attachment{a}
		if me.Text != "" {
			a.Caption = me.Text
		}
	}
	snd := s.sender(m)
	s.rememberPoll(chat, m, snd)
	return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), Sender: snd,
		TimestampUnixMicro: int64(m.Date) * 1e6, EventId: strconv.Itoa(m.ID),
		Payload: &pb.Event_Message{Message: me}}
}

// expiresAt is when Telegram deletes a message of a chat with an
// auto-delete timer: its date (Unix seconds) plus its ttl_period
// (seconds), in Unix microseconds; 0 without one. A deadline already
// past (a history message) is given too: the gateway drops the message.
func expiresAt(date, ttl int) int64 {
	if ttl <= 0 {
		return 0
	}
	return (int64(date) + int64(ttl)) * 1e6
}

func (s *Session) editEvents(mc tg.MessageClass) []*pb.Event {
	if svc, ok := mc.(*tg.MessageService); ok {
		return s.noticeEdit(svc) // a group call ended (calls.go)
	}
	m, ok := mc.(*tg.Message)
	if !ok {
		return nil
	}
	chat := s.messageChat(m, false)
	if m.Out && s.sent.take(chat, -m.ID) {
		text, spans := s.messageText(m)
		s.shown.note(chat, m.ID, text, spans)
		s.quotes.edited(chat, m.ID, text)
		s.delivered.forget(chat, strconv.Itoa(m.ID)) // the client shows its own text (delivered.go)
		return nil                                   // the gateway's own correction
	}
	snd := s.sender(m)
	if md, ok := m.Media.(*tg.MessageMediaPoll); ok {
		if m.EditDate == 0 && !md.Poll.Closed {
			s.rememberPoll(chat, m, snd) // its results: their update corrects it
			return nil
		}
		// A poll's message edited, or its poll closed (by ClosePoll or
		// another device): corrected as the poll's updates do, once per
		// text, whichever of the edit and the update comes first.
		return s.pollEditEvents(chat, m, md, snd) // polls.go
	}
	if m.EditDate == 0 {
		// Not a new text: reactions or views changed. Reactions come
		// as their own update.
		return nil
	}
	// A live location's new position is an edit too: the text says it.
	text, spans := s.messageText(m)
	if m.EditHide {
		// An edit not to be shown as one (a link's preview added) is
		// no correction when the text is as shown. A hidden edit that
		// changes it (a live location's move) is not noted: told again
		// (its event not emitted), it comes again.
		if s.shown.same(chat, m.ID, text, spans) {
			return nil
		}
	} else {
		s.shown.note(chat, m.ID, text, spans)
	}
	s.quotes.edited(chat, m.ID, text)
	text, spans = s.withStoryReply(m, text, spans) // as first shown (storyreply.go)
	if s.delivered.same(chat, m.ID, text, spans, s.attachmentOf(chat, m)) {
		// The message was handed over as it is now (a catch-up's
		// message sent and edited while away): nothing to correct
		// (delivered.go).
		return nil
	}
	return []*pb.Event{s.editEvent(chat, snd, m.ID, int64(m.EditDate), editEventID(m.ID, m.EditDate, text, spans), text, spans)}
}

// editEventID is the event ID of message id's correction at editDate
// (Unix seconds) to text: Telegram's edit_date counts seconds, and a bot
// streaming its answer edits its message several times a second, so
// the text says which (the gateway drops an event whose ID it has seen);
// the same correction told again, and an edit that changes nothing
// shown (views, a link's preview), keep the ID.
func editEventID(id, editDate int, text string, spans []*pb.Span) string {
	h := fnv.New32a()
	h.Write([]byte(text))
	for _, sp := range spans {
		fmt.Fprintf(h, "|%d,%d,%d,%s,%s", sp.Start, sp.End, sp.Style, sp.Url, sp.UserId)
	}
	return fmt.Sprintf("%d.e%d.%s", id, editDate, strconv.FormatUint(uint64(h.Sum32()), 36))
}

// editEvent is a correction of message id of chat by snd at a time (unix
// seconds): its text now.
func (s *Session) editEvent(chat string, snd *pb.Sender, id int, at int64, eventID, text string, spans []*pb.Span) *pb.Event {
	return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), Sender: snd,
		TimestampUnixMicro: at * 1e6, EventId: eventID,
		Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: strconv.Itoa(id), Text: text, Spans: spans}}}
}

// serviceEvents are a group's joins and leaves.
func (s *Session) serviceEvents(ctx context.Context, m *tg.MessageService, history bool) []*pb.Event {
	chat := peerChatID(m.PeerID)
	from := ""
	if m.FromID != nil {
		from = peerChatID(m.FromID)
	}
	base := func(i int, kind pb.MemberEvent_Kind, who string) *pb.Event {
		return &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat), Sender: &pb.Sender{UserId: from, IsFromMe: m.Out},
			TimestampUnixMicro: int64(m.Date) * 1e6, EventId: fmt.Sprintf("%d.%d", m.ID, i),
			Payload: &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind, Member: s.member(who)}}}
	}
	switch a := m.Action.(type) {
	case *tg.MessageActionTopicCreate, *tg.MessageActionTopicEdit:
		return s.topicServiceEvents(ctx, m, history)
	case *tg.MessageActionChatCreate, *tg.MessageActionChannelCreate, *tg.MessageActionChatEditTitle,
		*tg.MessageActionChatEditPhoto, *tg.MessageActionChatDeletePhoto, *tg.MessageActionChangeCreator:
		// A new group (or a new name, a new picture, a new owner): the
		// whole chat, for its room.
		if history {
			return nil
		}
		return s.chatEvent(ctx, chat, m)
	case *tg.MessageActionChatAddUser:
		if !history && slices.Contains(a.Users, s.self) {
			return s.chatEvent(ctx, chat, m) // the user is in a new group
		}
		var evs []*pb.Event
		for i, u := range a.Users {
			ev := base(i, pb.MemberEvent_KIND_JOINED, userID(u))
			if from == userID(u) || from == "" {
				ev.Sender = &pb.Sender{UserId: userID(u)}
			}
			evs = append(evs, ev)
		}
		return evs
	case *tg.MessageActionChatJoinedByLink, *tg.MessageActionChatJoinedByRequest:
		if !history && from == userID(s.self) {
			// The user joined by a link, or an admin approved their
			// request: a new group (join_invite.go).
			return s.chatEvent(ctx, chat, m)
		}
		return []*pb.Event{base(0, pb.MemberEvent_KIND_JOINED, from)}
	case *tg.MessageActionChatMigrateTo:
		// The basic group became a supergroup, with a new ID: Telegram
		// sends nothing more to this one. Its room ends, pointing to the
		// supergroup's (replaced_by), its archive kept (the supergroup's
		// history starts afresh); the new room comes with the
		// supergroup's service message (below).
		if history {
			return nil
		}
		return []*pb.Event{{ChatId: chat, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: int64(m.Date) * 1e6,
			EventId: fmt.Sprintf("%d.migrated", m.ID), Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{
				Reason: pb.ChatRemovedEvent_REASON_LEFT, ReplacedBy: channelID(a.ChannelID),
				Text: "this group became a supergroup"}}}}
	case *tg.MessageActionChannelMigrateFrom:
		// The supergroup a basic group became: a new room.
		if history {
			return nil
		}
		return s.chatEvent(ctx, chat, m)
	case *tg.MessageActionChatDeleteUser:
		kind := pb.MemberEvent_KIND_KICKED
		if userID(a.UserID) == from {
			kind = pb.MemberEvent_KIND_LEFT
		}
		if a.UserID == s.self {
			if history {
				// Read in the history of a group the user is in
				// again (re-added, back by a link): old news, not
				// the end of its room.
				return nil
			}
			reason := pb.ChatRemovedEvent_REASON_LEFT
			if kind == pb.MemberEvent_KIND_KICKED {
				reason = pb.ChatRemovedEvent_REASON_KICKED
			}
			return []*pb.Event{{ChatId: chat, ChatType: s.peers.chatType(chat), EventId: fmt.Sprintf("%d.0", m.ID),
				Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: reason}}}}
		}
		ev := base(0, kind, userID(a.UserID))
		if pk, ch, err := parsePeer(chat); !history && err == nil && pk == peerChannel && from == userID(s.self) {
			if reason, ok := s.ownBans.banning(ch, a.UserID); ok {
				// The user's own ban, its answer not read yet.
				ev.GetMember().Kind, ev.GetMember().Reason = pb.MemberEvent_KIND_BANNED, reason
			}
		}
		return []*pb.Event{ev}
	}
	return nil
}

// chatEvent is a group as it is now, members included, for a room to
// make or change; without an answer from Telegram, what the cache knows.
func (s *Session) chatEvent(ctx context.Context, chat string, m *tg.MessageService) []*pb.Event {
	c, err := s.ChatInfo(ctx, chat)
	if err != nil {
		if c = s.chatOf(chat); c == nil {
			return nil
		}
		c.Members = []*pb.Member{s.member(userID(s.self))}
	}
	return []*pb.Event{{ChatId: chat, ChatType: c.Type, TimestampUnixMicro: int64(m.Date) * 1e6,
		EventId: fmt.Sprintf("%d.chat", m.ID), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}}}
}

// member is a group member as the contract says it.
func (s *Session) member(user string) *pb.Member {
	mem := &pb.Member{UserId: user, IsSelf: user == userID(s.self)}
	if _, id, err := parsePeer(user); err == nil {
		mem.Nick = s.peers.name(id)
	}
	if mem.IsSelf {
		s.own.note(mem.Nick) // the rooms' nick of the user (ownprofile.go)
	}
	return mem
}

// sentSet holds the IDs of messages the gateway sent (an edit's as -ID),
// until their update comes back: they are not reported as from another
// device. Counted: two edits of a message in flight have two updates.
type sentSet struct {
	mu  sync.Mutex
	ids map[string]int
}

func (s *sentSet) add(chat string, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	s.ids[chat+"/"+strconv.Itoa(id)]++
}

func (s *sentSet) take(chat string, id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := chat + "/" + strconv.Itoa(id)
	if s.ids[k] == 0 {
		return false
	}
	if s.ids[k]--; s.ids[k] == 0 {
		delete(s.ids, k)
	}
	return true
}

// reactionCache is the last set of reactions seen per message and sender,
// to tell who removed theirs (Telegram sends the message's whole list).
type reactionCache struct {
	mu    sync.Mutex
	last  map[string]map[string][]string // chat/msg -> sender -> emojis
	order []string                       // the keys of last, oldest first
	// myCustom are the user's own custom emoji reactions per message
	// (chat/msg -> as read, without variation selectors -> document), so
	// that one sent back from XMPP, as clients resend the user's whole
	// set, stays the custom emoji (customemoji.go).
	myCustom map[string]map[string]myCustomEmoji
}

// reactionsKept bounds the messages whose reactions are kept: past it,
// the one first reacted to longest ago is forgotten (a change of its
// reactions then tells them all again, which changes nothing shown, and
// not one taken back meanwhile).
const reactionsKept = 4096

// setLocked keeps the reactions of the message key; with c.mu held.
func (c *reactionCache) setLocked(key string, now map[string][]string) {
	if c.last == nil {
		c.last = map[string]map[string][]string{}
	}
	if _, known := c.last[key]; !known {
		c.order = append(c.order, key)
		if len(c.order) > reactionsKept {
			delete(c.last, c.order[0])
			delete(c.myCustom, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.last[key] = now
}

// reactionEvents compares a message's reactions with the last seen.
func (s *Session) reactionEvents(ctx context.Context, chat string, msg int, r tg.MessageReactions) []*pb.Event {
	now := map[string][]string{}
	alts := s.customEmojiAlts(ctx, customEmojiIDs(r)) // customemoji.go
	emoji := func(rc tg.ReactionClass) string {
		switch rc := rc.(type) {
		case *tg.ReactionEmoji:
			return reaction.ToXMPP(rc.Emoticon)
		case *tg.ReactionCustomEmoji:
			if a := alts[rc.DocumentID]; a != "" {
				return reaction.ToXMPP(a)
			}
			return customemoji.Fallback
		}
		return ""
	}
	myCustom := map[string]myCustomEmoji{}
	mineIs := func(rc tg.ReactionClass, e string) {
		if ce, ok := rc.(*tg.ReactionCustomEmoji); ok {
			myCustom[reaction.ToTelegram(e)] = myCustomEmoji{doc: ce.DocumentID, read: e}
		}
	}
	if len(r.RecentReactions) > 0 {
		for _, pr := range r.RecentReactions {
			who := peerChatID(pr.PeerID)
			if pr.My {
				who = userID(s.self)
			}
			if e := emoji(pr.Reaction); e != "" && !slices.Contains(now[who], e) {
				now[who] = append(now[who], e)
				if pr.My {
					mineIs(pr.Reaction, e)
				}
			}
		}
	} else {
		// A private chat: the counts say it, mine have a chosen order.
		other := ""
		if k, id, err := parsePeer(chat); err == nil && k == peerUser {
			other = userID(id)
		}
		for _, rc := range r.Results {
			e := emoji(rc.Reaction)
			if e == "" {
				continue
			}
			_, mine := rc.GetChosenOrder()
			if mine {
				now[userID(s.self)] = append(now[userID(s.self)], e)
				mineIs(rc.Reaction, e)
			}
			if other != "" && rc.Count > btoi(mine) {
				now[other] = append(now[other], e)
			}
		}
	}
	key := chat + "/" + strconv.Itoa(msg)
	c := &s.react
	c.mu.Lock()
	before := c.last[key]
	if k, _, err := parsePeer(chat); len(r.RecentReactions) > 0 || err != nil || k != peerUser {
		// A group's: whom the recent list (or, when Telegram gives
		// none, the counts alone) leaves out may still have reacted.
		keepUnlisted(before, now, r, emoji)
	}
	c.setLocked(key, now)
	c.setMyCustomLocked(key, myCustom)
	c.mu.Unlock()
	var evs []*pb.Event
	emitFor := func(who string, set []string) {
		slices.Sort(set)
		evs = append(evs, &pb.Event{ChatId: chat, ChatType: s.peers.chatType(chat),
			Sender:  &pb.Sender{UserId: who, IsFromMe: who == userID(s.self)},
			Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: strconv.Itoa(msg), Emojis: set}}})
	}
	for who, set := range now {
		old := slices.Clone(before[who])
		slices.Sort(old)
		cur := slices.Clone(set)
		slices.Sort(cur)
		if !slices.Equal(old, cur) {
			emitFor(who, cur)
		}
	}
	for who := range before {
		if _, ok := now[who]; !ok {
			emitFor(who, nil)
		}
	}
	slices.SortFunc(evs, func(a, b *pb.Event) int {
		switch {
		case a.Sender.UserId < b.Sender.UserId:
			return -1
		case a.Sender.UserId > b.Sender.UserId:
			return 1
		}
		return 0
	})
	return evs
}

// keepUnlisted keeps in now the earlier reactions of those the recent
// list leaves out while the counts say someone still has them: Telegram's
// recent_reactions names only the latest reactors of a large group (and
// none where it does not show who reacted), so one missing from it has
// not necessarily taken their reaction back.
// Only as many are kept as the counts have unnamed reactors.
func keepUnlisted(before, now map[string][]string, r tg.MessageReactions, emoji func(tg.ReactionClass) string) {
	unnamed := map[string]int{}
	for _, rc := range r.Results {
		if e := emoji(rc.Reaction); e != "" {
			unnamed[e] += rc.Count
		}
	}
	for _, set := range now {
		for _, e := range set {
			unnamed[e]--
		}
	}
	whos := slices.Sorted(maps.Keys(before))
	for _, who := range whos {
		for _, e := range before[who] {
			if unnamed[e] > 0 && !slices.Contains(now[who], e) {
				unnamed[e]--
				now[who] = append(now[who], e)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mainUsername is the username a user goes by: their own (editable) one
// when active, else the first active one (a collectible); "" for none.
func mainUsername(us []tg.Username) string {
	first := ""
	for _, u := range us {
		switch {
		case !u.Active:
		case u.Editable:
			return u.Username
		case first == "":
			first = u.Username
		}
	}
	return first
}
