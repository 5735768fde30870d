package botmode

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/editwindow"
	"passerelle.im/passerelle/plugins/telegram/parts"
	"passerelle.im/passerelle/plugins/telegram/reaction"
)

// captionMax is the longest caption Telegram takes, in UTF-16 units.
const captionMax = 1024

// target is a command's chat (a topic's forum) and, when it names one,
// message.
func (s *Session) target(c sdk.Call, msgID string) (chatID int64, messageID int, err error) {
	if s.bot == nil {
		return 0, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: not logged in")
	}
	chatID, _, err = splitTopic(c.ChatID) // a topic's message is its forum's
	if err != nil {
		return 0, 0, err
	}
	if msgID != "" {
		if messageID, err = strconv.Atoi(msgID); err != nil {
			return 0, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram message ID", msgID)
		}
	}
	return chatID, messageID, nil
}

func resultOf(m *models.Message) sdk.Result {
	return sdk.Result{MessageID: strconv.Itoa(m.ID), Time: time.Unix(int64(m.Date), 0)}
}

// SendMessage sends text, a reply, files. Files go one message each; the
// text is the first file's caption when it fits, else a message of its
// own before them. The result names the message with the text (or the
// first file).
func (s *Session) SendMessage(ctx context.Context, c sdk.Call, msg *pb.SendMessage) (sdk.Result, error) {
	sdk.UnescapeChatCommand(msg) // "//timer" goes as "/timer"
	chatID, replyTo, err := s.target(c, msg.ReplyToId)
	if err != nil {
		return sdk.Result{}, err
	}
	_, thread, _ := splitTopic(c.ChatID)
	if thread != 0 {
		// What went to a topic is remembered there, for reactions to it.
		defer func() {
			if err := s.topicOfMsg.save(); err != nil {
				s.log.Warn("telegram bot: the topic of a message sent could not be stored; a reaction to it after a restart lands in the forum's room", "err", err)
			}
		}()
	}
	res, err := s.sendMessage(ctx, chatID, thread, replyTo, msg)
	s.foundClosed(chatID, thread, err) // topics.go
	return withSent(res), err          // for a correction refused for its age (editage.go)
}

func (s *Session) sendMessage(ctx context.Context, chatID int64, thread, replyTo int, msg *pb.SendMessage) (sdk.Result, error) {
	var reply *models.ReplyParameters
	if replyTo != 0 {
		// A reply to a message deleted meanwhile still goes out.
		reply = &models.ReplyParameters{MessageID: replyTo, AllowSendingWithoutReply: true}
	}
	if loc, ok := mediatext.GeoURI(msg.Text); ok && len(msg.Attachments) == 0 {
		// A location the XMPP client sent as a geo: URI: Telegram's own
		// (horizontal_accuracy: 0 to 1,500 m).
		m, err := waitOutFlood(ctx, func() (*models.Message, error) {
			return s.bot.SendLocation(ctx, &bot.SendLocationParams{ChatID: chatID, MessageThreadID: thread, Latitude: loc.Lat, Longitude: loc.Long,
				HorizontalAccuracy: min(loc.Accuracy, 1500), ReplyParameters: reply})
		})
		if err != nil {
			return sdk.Result{}, commandError("sending a location", err)
		}
		s.topicOfMsg.set(chatID, m.ID, thread)
		return resultOf(m), nil
	}
	text, ents := msg.Text, entitiesOf(msg.Text, msg.Spans)
	if len(msg.Attachments) == 0 || (text != "" && utf16Len(text) > captionMax) {
		if text == "" {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "an empty message")
		}
		m, err := waitOutFlood(ctx, func() (*models.Message, error) {
			return s.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: chatID, MessageThreadID: thread, Text: text, Entities: ents, ReplyParameters: reply})
		})
		if err != nil {
			return sdk.Result{}, commandError("sending", err)
		}
		s.topicOfMsg.set(chatID, m.ID, thread)
		if len(msg.Attachments) == 0 {
			return resultOf(m), nil
		}
		res := resultOf(m)
		var more []string
		for i, a := range msg.Attachments {
			f, err := s.sendAttachment(ctx, chatID, thread, a, "", nil, nil)
			if err != nil {
				return parts.With(res, more), partial(err, i, a)
			}
			more = append(more, strconv.Itoa(f.ID))
		}
		return parts.With(res, more), nil
	}
	var res sdk.Result
	var more []string
	for i, a := range msg.Attachments {
		caption, capEnts, r := "", []models.MessageEntity(nil), (*models.ReplyParameters)(nil)
		if i == 0 {
			caption, capEnts, r = text, ents, reply
		}
		m, err := s.sendAttachment(ctx, chatID, thread, a, caption, capEnts, r)
		if err != nil && i > 0 {
			return parts.With(res, more), partial(err, i, a)
		}
		if err != nil {
			return sdk.Result{}, err
		}
		if i == 0 {
			res = resultOf(m)
		} else {
			more = append(more, strconv.Itoa(m.ID))
		}
	}
	return parts.With(res, more), nil
}

// partial is the error of a send that went out in part: the user is told
// what reached Telegram, so as not to send it all again.
func partial(err error, i int, a *pb.Attachment) error {
	e := sdk.ToProto(err)
	return sdk.Errorf(e.Code, "only part of this message reached Telegram: the file %q (number %d) did not: %s", a.Name, i+1, e.Text)
}

// EditMessage corrects a message's text (or its caption, for a file).
func (s *Session) EditMessage(ctx context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	chatID, msgID, err := s.target(c, e.TargetId)
	if err != nil {
		return sdk.Result{}, err
	}
	if _, ok := mediatext.GeoURI(e.Text); ok {
		// A location corrected: a bot can change a live location only.
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a shared location cannot be changed: share the new one")
	}
	ents := entitiesOf(e.Text, e.Spans)
	m, err := waitOutFlood(ctx, func() (*models.Message, error) {
		return s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: e.Text, Entities: ents})
	})
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "no text in the message") {
		m, err = waitOutFlood(ctx, func() (*models.Message, error) {
			return s.bot.EditMessageCaption(ctx, &bot.EditMessageCaptionParams{ChatID: chatID, MessageID: msgID, Caption: e.Text, CaptionEntities: ents})
		})
	}
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "message is not modified") {
		// A correction to the text the message has: done already (an
		// XMPP client lets one correct without a change).
		return sdk.Result{MessageID: e.TargetId}, nil
	}
	if err != nil && editExpired(err, e.TargetMeta) {
		return sdk.Result{}, editwindow.Expired()
	}
	if err != nil {
		return sdk.Result{}, commandError("correcting this message", err)
	}
	return sdk.Result{MessageID: e.TargetId, Time: time.Unix(int64(m.EditDate), 0)}, nil
}

// React sets the bot's reaction: a bot has one per message, the last of
// the set; an empty set removes it.
func (s *Session) React(ctx context.Context, c sdk.Call, r *pb.React) (sdk.Result, error) {
	chatID, msgID, err := s.target(c, r.TargetId)
	if err != nil {
		return sdk.Result{}, err
	}
	set := []models.ReactionType{}
	if n := len(r.Emojis); n > 0 {
		set = append(set, models.ReactionType{Type: models.ReactionTypeTypeEmoji,
			ReactionTypeEmoji: &models.ReactionTypeEmoji{Type: models.ReactionTypeTypeEmoji, Emoji: reaction.ToTelegram(r.Emojis[n-1])}})
	}
	if _, err := waitOutFlood(ctx, func() (bool, error) {
		return s.bot.SetMessageReaction(ctx, &bot.SetMessageReactionParams{ChatID: chatID, MessageID: msgID, Reaction: set})
	}); err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "reaction_invalid") {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
				"Telegram does not allow this reaction here (a bot may use the standard emoji reactions the chat allows): %v", err)
		}
		return sdk.Result{}, commandError("reacting", err)
	}
	return sdk.Result{}, nil
}

// Retract deletes a message: the bot's own, or, as an admin with the
// right to, anyone's in a group (Telegram's limits apply: 48 hours); and
// the other messages of its send (its metadata's parts).
func (s *Session) Retract(ctx context.Context, c sdk.Call, r *pb.Retract) (sdk.Result, error) {
	chatID, msgID, err := s.target(c, r.TargetId)
	if err != nil {
		return sdk.Result{}, err
	}
	for i, id := range append([]int{msgID}, parts.IDs(r.TargetMeta)...) {
		if _, err := waitOutFlood(ctx, func() (bool, error) {
			return s.bot.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: chatID, MessageID: id})
		}); err != nil {
			if i > 0 && strings.Contains(strings.ToLower(err.Error()), "not found") {
				continue // a part deleted already: as asked
			}
			if i > 0 {
				return sdk.Result{}, commandError(fmt.Sprintf("deleting message %d of this send (those before it are deleted)", i+1), err)
			}
			return sdk.Result{}, commandError("deleting this message", err)
		}
	}
	return sdk.Result{}, nil
}

// SetTyping shows "typing..." for composing; Telegram ends it by itself
// (after 5 s, or with the next message), so the other states send
// nothing. The telegram session says it again while the user composes.
// A 429 drops it (typing.go).
func (s *Session) SetTyping(ctx context.Context, c sdk.Call, state pb.TypingState) error {
	chatID, _, err := s.target(c, "")
	if err != nil || state != pb.TypingState_TYPING_STATE_COMPOSING {
		return err
	}
	if s.typing.quiet() {
		return nil
	}
	_, thread, _ := splitTopic(c.ChatID)
	_, err = s.bot.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: chatID, MessageThreadID: thread, Action: models.ChatActionTyping})
	if s.typing.rateLimited(err) {
		s.log.Info("telegram bot: typing notifications dropped while Telegram asks the bot to slow down",
			"chat", c.ChatID, "for", s.typing.left().Round(time.Second))
		return nil
	}
	return commandError("typing notifications", err)
}

// LeaveChat has the bot leave a group or channel.
func (s *Session) LeaveChat(ctx context.Context, c sdk.Call) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	if err := notTopic(c.ChatID, "leave the forum"); err != nil {
		return err
	}
	if _, err := s.bot.LeaveChat(ctx, &bot.LeaveChatParams{ChatID: chatID}); err != nil {
		return commandError("leaving this chat", err)
	}
	// The forum's room ends with Telegram's my_chat_member update; its
	// topics' rooms, which that update does not name, end here.
	threads := s.chats.threads(chatID)
	s.chats.remove(chatID)
	ev := &pb.Event{LoginId: s.cfg.LoginID, ChatId: c.ChatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_ChatRemoved{ChatRemoved: &pb.ChatRemovedEvent{Reason: pb.ChatRemovedEvent_REASON_LEFT, Text: "the bot left this chat"}}}
	for _, tev := range copyToTopics(ev, chatID, threads) {
		s.cfg.Host.Emit(tev)
	}
	return s.chats.save()
}

// SetTopic sets a group's description (an admin's right).
func (s *Session) SetTopic(ctx context.Context, c sdk.Call, topic string) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	if err := notTopic(c.ChatID, "set the forum's description"); err != nil {
		return err
	}
	_, err = s.bot.SetChatDescription(ctx, &bot.SetChatDescriptionParams{ChatID: chatID, Description: topic})
	if err != nil && notModified(err) {
		return nil // the description it has (a client setting the subject again): done
	}
	return commandError("setting the topic", err)
}

// SetChatName renames a group (an admin's right).
func (s *Session) SetChatName(ctx context.Context, c sdk.Call, name string) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	if err := notTopic(c.ChatID, "rename the forum"); err != nil {
		return err
	}
	_, err = s.bot.SetChatTitle(ctx, &bot.SetChatTitleParams{ChatID: chatID, Title: name})
	// The name the chat has already: Telegram refuses it
	// (CHAT_NOT_MODIFIED), a no-op for the user, not a failure.
	unchanged := err != nil && notModified(err)
	if err != nil && !unchanged {
		return commandError("renaming this chat", err)
	}
	// Telegram does not tell a bot of its own service messages: the
	// rooms (a forum's topics' too, named after it) are told here,
	// unless they have that name already.
	cur, ok := s.chats.head(chatID)
	if !ok || cur.Title == name {
		return nil
	}
	s.chats.update(chatID, func(ch *chat) { ch.Title = name })
	s.tellChanged(chatID, cur.Type)
	return nil
}

// Kick removes a member from a group (an admin's right to restrict
// members): banned, then let back in unless the kick is a ban.
func (s *Session) Kick(ctx context.Context, c sdk.Call, k *pb.Kick) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	userID, err := strconv.ParseInt(k.UserId, 10, 64)
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram user ID", k.UserId)
	}
	if _, err := s.bot.BanChatMember(ctx, &bot.BanChatMemberParams{ChatID: chatID, UserID: userID}); err != nil {
		return commandError("removing this member", err)
	}
	if !k.Ban {
		if _, err := s.bot.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: chatID, UserID: userID, OnlyIfBanned: true}); err != nil {
			return commandError("letting this member back in after the kick (they are banned now)", err)
		}
	}
	return nil
}

// Unban lifts a ban (sdk.Unbanner): unbanChatMember with only_if_banned,
// which leaves someone not banned as they are (a member stays). A basic
// group has no ban list (a ban there was a removal): nothing to lift.
func (s *Session) Unban(ctx context.Context, c sdk.Call, userID string) error {
	chatID, _, err := s.target(c, "")
	if err != nil {
		return err
	}
	uid, err := strconv.ParseInt(userID, 10, 64)
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a Telegram user ID", userID)
	}
	if ch, ok := s.chats.head(chatID); ok && ch.Type == models.ChatTypeGroup {
		return nil
	}
	if _, err := s.bot.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: chatID, UserID: uid, OnlyIfBanned: true}); err != nil {
		return commandError("lifting this ban", err)
	}
	return nil
}

// notModified reports whether Telegram refused a change as making none:
// the title or description a chat has already (CHAT_NOT_MODIFIED,
// CHAT_ABOUT_NOT_MODIFIED, which the Bot API words "chat description is
// not modified").
func notModified(err error) bool {
	e := strings.ToLower(err.Error())
	return strings.Contains(e, "not_modified") || strings.Contains(e, "is not modified")
}
