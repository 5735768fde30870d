package botmode

import (
	"context"
	"slices"
	"strconv"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// eventsOf turns one update into the contract's events, in order: a chat
// or contact first seen comes before its first message, a member first
// seen before what they said.
func (s *Session) eventsOf(ctx context.Context, upd *models.Update) []*pb.Event {
	switch {
	case upd.Message != nil:
		return s.messageEvents(ctx, upd.Message)
	case upd.ChannelPost != nil:
		return s.messageEvents(ctx, upd.ChannelPost)
	case upd.EditedMessage != nil:
		return s.toTopics(s.editEvents(ctx, upd.EditedMessage))
	case upd.EditedChannelPost != nil:
		return s.editEvents(ctx, upd.EditedChannelPost)
	case upd.MessageReaction != nil:
		return s.reactionEvents(ctx, upd.MessageReaction)
	case upd.Poll != nil:
		return s.pollEvents(upd.Poll) // msgpolls.go
	case upd.MyChatMember != nil:
		return s.myMemberEvents(ctx, upd.MyChatMember)
	case upd.ChatMember != nil:
		return s.toTopics(s.memberEvents(ctx, upd.ChatMember))
	}
	return nil
}

func chatIDString(id int64) string { return strconv.FormatInt(id, 10) }

// base is an event of a chat at a time (unix seconds).
func base(c *models.Chat, date int) *pb.Event {
	return &pb.Event{ChatId: chatIDString(c.ID), ChatType: chatTypeOf(c.Type), TimestampUnixMicro: int64(date) * 1_000_000}
}

// senderOf is who sent a message: a user, or a chat speaking as itself (a
// channel's post, an anonymous admin).
func senderOf(m *models.Message) *pb.Sender {
	if m.SenderChat != nil {
		name := m.SenderChat.Title
		if m.AuthorSignature != "" {
			name += " (" + m.AuthorSignature + ")"
		}
		return &pb.Sender{UserId: chatIDString(m.SenderChat.ID), Name: name}
	}
	if m.From != nil {
		return &pb.Sender{UserId: strconv.FormatInt(m.From.ID, 10), Name: userName(m.From)}
	}
	return &pb.Sender{UserId: chatIDString(m.Chat.ID), Name: m.Chat.Title}
}

// seeChat records a chat and returns the events of what was new about it:
// a contact, a room and its members, a member of a known room.
func (s *Session) seeChat(ctx context.Context, c *models.Chat, from *models.User, date int) []*pb.Event {
	me := s.identity()
	var evs []*pb.Event
	renamed := false
	isNew := s.chats.refresh(c.ID, func(ch *chat) bool {
		before := *ch
		ch.Type = c.Type
		if c.Title != "" {
			ch.Title = c.Title
		}
		if c.Type == models.ChatTypePrivate {
			ch.Name = userName(&models.User{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Username: c.Username})
		}
		ch.Username = c.Username
		ch.LastActive = max(ch.LastActive, int64(date))
		renamed = ch.Name != before.Name || ch.Username != before.Username
		return ch.Type != before.Type || ch.Title != before.Title || renamed
	})
	if c.Type == models.ChatTypePrivate {
		photoChanged := false
		if isNew {
			s.findAvatar(ctx, c.ID, int64(date))
		} else if cur, _ := s.chats.get(c.ID); int64(date)-cur.AvatarSeen >= avatarRecheck {
			photoChanged = s.findAvatar(ctx, c.ID, int64(date))
		}
		if isNew || renamed || photoChanged {
			ct := s.contactOf(c.ID)
			if photoChanged && ct.AvatarId == "" {
				ct.AvatarId = sdk.NoAvatarID
			}
			ev := base(c, date)
			ev.ChatId = ""
			ev.Payload = &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: ct}}
			evs = append(evs, ev)
		}
		return evs
	}
	if isNew {
		s.fetchRights(ctx, c)
		cur, _ := s.chats.get(c.ID)
		s.knowPicture(ctx, &cur)
		ev := base(c, date)
		ev.Payload = &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: s.chatOf(&cur, me)}}
		evs = append(evs, ev)
	}
	if from != nil && from.ID != me.ID && (c.Type == models.ChatTypeGroup || c.Type == models.ChatTypeSupergroup) {
		joined, nickChanged := false, false
		s.chats.refresh(c.ID, func(ch *chat) bool {
			if ch.Members == nil {
				ch.Members = map[int64]*member{}
			}
			if m, ok := ch.Members[from.ID]; ok {
				nickChanged = m.Name != userName(from)
				changed := nickChanged || m.Username != from.Username
				m.Name, m.Username = userName(from), from.Username
				return changed
			}
			ch.Members[from.ID] = &member{Name: userName(from), Username: from.Username, IsBot: from.IsBot}
			joined = true
			return true
		})
		if joined || nickChanged {
			kind := pb.MemberEvent_KIND_JOINED
			if nickChanged {
				kind = pb.MemberEvent_KIND_RENAMED
			}
			cur, _ := s.chats.get(c.ID)
			aff := cur.Members[from.ID].Affiliation
			ev := base(c, date)
			ev.Sender = &pb.Sender{UserId: strconv.FormatInt(from.ID, 10), Name: userName(from)}
			ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind,
				Member: &pb.Member{UserId: ev.Sender.UserId, Nick: ev.Sender.Name, Affiliation: aff, Role: roleOf(aff)}}}
			evs = append(evs, ev)
		}
	}
	return evs
}

// fetchRights asks Telegram, once per chat, for the administrators of a
// group (the bot's rights among them) or the bot's rights in a channel.
// A failure leaves the chat as seen; the next chat event tries again.
func (s *Session) fetchRights(ctx context.Context, c *models.Chat) {
	if cur, ok := s.chats.get(c.ID); ok && cur.AdminsKnown {
		return
	}
	me := s.identity()
	if c.Type == models.ChatTypeChannel {
		m, err := s.bot.GetChatMember(ctx, &bot.GetChatMemberParams{ChatID: c.ID, UserID: me.ID})
		if err != nil {
			s.log.Warn("telegram bot: the bot's rights in a channel are unknown", "chat", c.ID, "err", err)
			return
		}
		s.chats.update(c.ID, func(ch *chat) { ch.Rights, ch.AdminsKnown = rightsOf(*m), true })
		return
	}
	admins, err := s.bot.GetChatAdministrators(ctx, &bot.GetChatAdministratorsParams{ChatID: c.ID})
	if err != nil {
		s.log.Warn("telegram bot: the administrators of a group are unknown", "chat", c.ID, "err", err)
		return
	}
	s.chats.update(c.ID, func(ch *chat) {
		ch.AdminsKnown = true
		if ch.Members == nil {
			ch.Members = map[int64]*member{}
		}
		for _, a := range admins {
			u := memberUser(a)
			if u == nil {
				continue
			}
			if u.ID == me.ID {
				ch.Rights = rightsOf(a)
				continue
			}
			ch.Members[u.ID] = &member{Name: userName(u), Username: u.Username, IsBot: u.IsBot,
				Affiliation: affiliationOf(a), Status: a.Type}
		}
	})
}

func (s *Session) messageEvents(ctx context.Context, m *models.Message) []*pb.Event {
	from := m.From
	if m.SenderChat != nil {
		// An anonymous admin or a channel: From is a placeholder bot.
		from = nil
	}
	if from != nil && (m.LeftChatMember != nil && m.LeftChatMember.ID == from.ID ||
		slices.ContainsFunc(m.NewChatMembers, func(u models.User) bool { return u.ID == from.ID })) {
		// Who joins or leaves: serviceEvents says it.
		from = nil
	}
	// A forum's member events go to its topics' rooms too, those known
	// before this message: a topic it announces has them in its room's
	// description.
	evs := s.toTopics(s.seeChat(ctx, &m.Chat, from, m.Date))
	evs = append(evs, s.topicEvents(m)...)
	evs = append(evs, s.toTopics(s.serviceEvents(ctx, m))...)
	if m.PinnedMessage != nil || m.MessageAutoDeleteTimerChanged != nil {
		s.states.drop(m.Chat.ID) // its pin or timer changed: getChat again
	}
	if ev := s.pinEvent(m); ev != nil {
		return append(evs, ev) // pin.go
	}
	text, spans := s.messageText(m)
	atts := attachmentsOf(m)
	if text == "" && len(atts) == 0 {
		if silentService(m) { // unshown.go
			return evs
		}
		text = mediatext.UnshownText("A notice", inApp)
	}
	ev := base(&m.Chat, m.Date)
	s.inTopicRoom(ev, m)
	ev.EventId = strconv.Itoa(m.ID)
	ev.Sender = senderOf(m)
	msg := &pb.MessageEvent{Text: text, Spans: spans, Attachments: atts}
	if r := m.ReplyToMessage; r != nil && r.Chat.ID == m.Chat.ID && !(m.IsTopicMessage && r.ID == m.MessageThreadID) {
		msg.ReplyToId = strconv.Itoa(r.ID)
		s.withQuote(msg, m) // quote.go
	}
	ev.Payload = &pb.Event_Message{Message: msg}
	if m.Poll != nil {
		s.polls.remember(m)
	}
	return append(evs, ev)
}

// serviceEvents are the membership and naming changes a service message
// reports.
func (s *Session) serviceEvents(ctx context.Context, m *models.Message) []*pb.Event {
	var evs []*pb.Event
	me := s.identity()
	for _, u := range m.NewChatMembers {
		if u.ID == me.ID {
			continue // my_chat_member says it
		}
		from := &u
		if m.From != nil {
			from = m.From
		}
		evs = append(evs, s.memberChange(&m.Chat, m.Date, from, &u, pb.MemberEvent_KIND_JOINED, pb.Affiliation_AFFILIATION_MEMBER, "", false)...)
	}
	if u := m.LeftChatMember; u != nil && u.ID != me.ID {
		kind, from := pb.MemberEvent_KIND_LEFT, u
		if m.From != nil && m.From.ID != u.ID {
			kind, from = pb.MemberEvent_KIND_KICKED, m.From
		}
		evs = append(evs, s.memberChange(&m.Chat, m.Date, from, u, kind, pb.Affiliation_AFFILIATION_NONE, "", false)...)
	}
	if m.NewChatTitle != "" {
		// A forum's topics' rooms are named after it: renamed too.
		s.chats.update(m.Chat.ID, func(ch *chat) { ch.Title = m.NewChatTitle })
		evs = append(evs, s.chatChanged(&m.Chat, m.Date, senderOf(m))...)
	}
	evs = append(evs, s.pictureChanged(m)...)
	if m.MigrateToChatID != 0 {
		// The group became a supergroup with a new ID: the old room ends
		// as left, pointing to the new one (replaced_by), its archive kept (the supergroup's history starts
		// afresh), as in user mode; the new one comes with the
		// supergroup's first update.
		s.chats.remove(m.Chat.ID)
		ev := base(&m.Chat, m.Date)
		ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT,
			ReplacedBy: chatIDString(m.MigrateToChatID), Text: "this group became a supergroup"}}
		evs = append(evs, ev)
	}
	return evs
}

func (s *Session) editEvents(ctx context.Context, m *models.Message) []*pb.Event {
	evs := s.seeChat(ctx, &m.Chat, m.From, m.Date)
	// A live location's new position is an edit too: the text says it.
	text, spans := s.messageText(m)
	date := m.EditDate
	if date == 0 {
		date = m.Date
	}
	ev := base(&m.Chat, date)
	s.inTopicRoom(ev, m)
	ev.Sender = senderOf(m)
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: strconv.Itoa(m.ID), Text: text, Spans: spans}}
	if m.Poll != nil {
		s.polls.edited(m) // its next update's correction as this one
	}
	return append(evs, ev)
}

func (s *Session) reactionEvents(ctx context.Context, r *models.MessageReactionUpdated) []*pb.Event {
	evs := s.seeChat(ctx, &r.Chat, r.User, r.Date)
	ev := base(&r.Chat, r.Date)
	ev.ChatId = topicChatID(r.Chat.ID, s.topicOfMsg.get(r.Chat.ID, r.MessageID))
	switch {
	case r.User != nil:
		ev.Sender = &pb.Sender{UserId: strconv.FormatInt(r.User.ID, 10), Name: userName(r.User)}
	case r.ActorChat != nil:
		ev.Sender = &pb.Sender{UserId: chatIDString(r.ActorChat.ID), Name: r.ActorChat.Title}
	default:
		return evs
	}
	emojis := s.reactionEmojis(ctx, r.NewReaction) // customemoji.go
	ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: strconv.Itoa(r.MessageID), Emojis: emojis}}
	return append(evs, ev)
}

// myMemberEvents: the bot was added to a chat, removed, or its rights
// changed.
func (s *Session) myMemberEvents(ctx context.Context, u *models.ChatMemberUpdated) []*pb.Event {
	c := &u.Chat
	if c.Type == models.ChatTypePrivate {
		// A person blocked or unblocked the bot: sending says so.
		return nil
	}
	ev := base(c, u.Date)
	ev.Sender = &pb.Sender{UserId: strconv.FormatInt(u.From.ID, 10), Name: userName(&u.From)}
	if !inChat(u.NewChatMember) {
		threads := s.chats.threads(c.ID) // a forum's topics' rooms end too
		s.chats.remove(c.ID)
		reason := pb.ChatRemovedEvent_REASON_KICKED
		text := "the bot was removed from this chat by " + userName(&u.From)
		switch {
		case u.NewChatMember.Type == models.ChatMemberTypeBanned:
			reason = pb.ChatRemovedEvent_REASON_BANNED
		case u.From.ID == s.identity().ID:
			reason, text = pb.ChatRemovedEvent_REASON_LEFT, "the bot left this chat"
		}
		ev.Payload = &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: reason, Text: text}}
		return append([]*pb.Event{ev}, copyToTopics(ev, c.ID, threads)...)
	}
	evs := s.seeChat(ctx, c, nil, u.Date)
	s.chats.update(c.ID, func(ch *chat) { ch.Rights = rightsOf(u.NewChatMember) })
	if len(evs) > 0 {
		// New: seeChat's chat event is sent with the rights just learnt.
		evs = evs[:0]
	}
	// The rights are a forum's topics' rooms' too.
	return append(evs, s.chatChanged(c, u.Date, ev.Sender)...)
}

// memberEvents: someone's membership changed (chat_member updates come
// where the bot is an admin).
func (s *Session) memberEvents(ctx context.Context, u *models.ChatMemberUpdated) []*pb.Event {
	c := &u.Chat
	if c.Type != models.ChatTypeGroup && c.Type != models.ChatTypeSupergroup {
		return nil
	}
	who := memberUser(u.NewChatMember)
	if who == nil || who.ID == s.identity().ID {
		return nil
	}
	evs := s.seeChat(ctx, c, nil, u.Date)
	wasIn, isIn := inChat(u.OldChatMember), inChat(u.NewChatMember)
	muted := mutedOf(u.NewChatMember)
	var kind pb.MemberEvent_Kind
	switch {
	case isIn && (!wasIn || affiliationOf(u.OldChatMember) == affiliationOf(u.NewChatMember) && mutedOf(u.OldChatMember) == muted):
		kind = pb.MemberEvent_KIND_JOINED // or no change, for one not seen yet
	case isIn:
		kind = pb.MemberEvent_KIND_ROLE_CHANGED
	case u.NewChatMember.Type == models.ChatMemberTypeBanned:
		kind = pb.MemberEvent_KIND_BANNED
	case u.From.ID != who.ID:
		kind = pb.MemberEvent_KIND_KICKED
	default:
		kind = pb.MemberEvent_KIND_LEFT
	}
	return append(evs, s.memberChange(c, u.Date, &u.From, who, kind, affiliationOf(u.NewChatMember), u.NewChatMember.Type, muted)...)
}

// memberChange records a change of a group's member and returns its
// event, if it changes the members as seen: a join of one already there
// or the leave of one never seen is no news (Telegram tells an admin bot
// the same join twice: a service message and a chat_member update).
// muted: kept from sending (a visitor).
func (s *Session) memberChange(c *models.Chat, date int, by, who *models.User, kind pb.MemberEvent_Kind, aff pb.Affiliation, status models.ChatMemberType, muted bool) []*pb.Event {
	news := false
	s.chats.update(c.ID, func(ch *chat) {
		if ch.Members == nil {
			ch.Members = map[int64]*member{}
		}
		old, known := ch.Members[who.ID]
		switch kind {
		case pb.MemberEvent_KIND_JOINED:
			if known {
				// Refresh what the update says, no news.
				old.Name, old.Username = userName(who), who.Username
				if status != "" {
					old.Affiliation, old.Status, old.Muted = aff, status, muted
				}
				return
			}
			ch.Members[who.ID] = &member{Name: userName(who), Username: who.Username, IsBot: who.IsBot, Affiliation: aff, Status: status}
			news = true
		case pb.MemberEvent_KIND_ROLE_CHANGED:
			news = !known || old.Affiliation != aff || old.Muted != muted
			ch.Members[who.ID] = &member{Name: userName(who), Username: who.Username, IsBot: who.IsBot, Affiliation: aff, Status: status, Muted: muted}
		case pb.MemberEvent_KIND_BANNED:
			// A ban matters even for one never seen: they are kept out.
			delete(ch.Members, who.ID)
			news = true
		default:
			delete(ch.Members, who.ID)
			news = known
		}
	})
	if !news {
		return nil
	}
	if kind == pb.MemberEvent_KIND_JOINED || kind == pb.MemberEvent_KIND_LEFT {
		by = who // the contract's sender of a join or a leave
	}
	ev := base(c, date)
	ev.Sender = &pb.Sender{UserId: strconv.FormatInt(by.ID, 10), Name: userName(by)}
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: kind,
		Member: &pb.Member{UserId: strconv.FormatInt(who.ID, 10), Nick: userName(who), Affiliation: aff, Role: roleFor(aff, muted)}}}
	return []*pb.Event{ev}
}
