package signal

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The envelope of a "receive" notification, as signal-cli writes it
// (its Json* records); only what the plugin uses.
type envelope struct {
	SourceNumber string          `json:"sourceNumber"`
	SourceUUID   string          `json:"sourceUuid"`
	SourceName   string          `json:"sourceName"`
	Timestamp    int64           `json:"timestamp"`
	DataMessage  *dataMessage    `json:"dataMessage"`
	EditMessage  *editMessage    `json:"editMessage"`
	SyncMessage  *syncMessage    `json:"syncMessage"`
	Receipt      *receiptMessage `json:"receiptMessage"`
	Typing       *typingMessage  `json:"typingMessage"`
	Call         *callMessage    `json:"callMessage"`
}

type dataMessage struct {
	Timestamp    int64        `json:"timestamp"`
	Message      *string      `json:"message"`
	Reaction     *reaction    `json:"reaction"`
	Quote        *quote       `json:"quote"`
	Mentions     []mention    `json:"mentions"`
	TextStyles   []textStyle  `json:"textStyles"`
	Attachments  []attachment `json:"attachments"`
	RemoteDelete *struct {
		Timestamp int64 `json:"timestamp"`
	} `json:"remoteDelete"`
	GroupInfo *groupInfo `json:"groupInfo"`
	// Content beyond text and files (content.go).
	Sticker    *sticker        `json:"sticker"`
	Contacts   []sharedContact `json:"contacts"`
	PollCreate *pollCreate     `json:"pollCreate"`
	Payment    *payment        `json:"payment"`
	// A poll's votes and its end (polls.go).
	PollVote      *pollVote      `json:"pollVote"`
	PollTerminate *pollTerminate `json:"pollTerminate"`
	// A message pinned or unpinned (pins.go).
	PinMessage   *pinMessage   `json:"pinMessage"`
	UnpinMessage *unpinMessage `json:"unpinMessage"`
	// A group admin's deletion of another's message (admindelete.go).
	AdminDelete *adminDelete `json:"adminDelete"`
	// A change of the chat's disappearing messages, to ExpiresInSeconds
	// (0: off); every message carries the chat's timer too.
	IsExpirationUpdate bool `json:"isExpirationUpdate"`
	ExpiresInSeconds   int  `json:"expiresInSeconds"`
	// ViewOnce: the attachments may be seen once, on the phone only
	// (viewOnceText, content.go).
	ViewOnce bool `json:"viewOnce"`
	// StoryContext: the message answers a story (stories.go).
	StoryContext *storyContext `json:"storyContext"`
	// unknown are the fields set that the plugin does not know
	// (unknowncontent.go).
	unknown []string
}

type editMessage struct {
	TargetSentTimestamp int64       `json:"targetSentTimestamp"`
	DataMessage         dataMessage `json:"dataMessage"`
}

// quote is what a reply carries of the message it answers: the message's
// timestamp and author, which name it, and its text (with the text's
// mentions) and files, which the gateway shows when it does not have the
// message (quote.go, receivedQuote).
type quote struct {
	ID           int64        `json:"id"`
	AuthorNumber string       `json:"authorNumber"`
	AuthorUUID   string       `json:"authorUuid"`
	Text         string       `json:"text"`
	Mentions     []mention    `json:"mentions"`
	Attachments  []quotedFile `json:"attachments"`
	TextStyles   []textStyle  `json:"textStyles"`
}

// quotedFile is a file of a quoted message, as a quote names it.
type quotedFile struct {
	ContentType string `json:"contentType"`
	Filename    string `json:"filename"`
}

type mention struct {
	Number string `json:"number"`
	UUID   string `json:"uuid"`
	Start  int    `json:"start"`
	Length int    `json:"length"`
}

type textStyle struct {
	Style  string `json:"style"`
	Start  int    `json:"start"`
	Length int    `json:"length"`
}

// longTextType is the type of the file a Signal app sends a text past
// 2000 bytes in: signal-cli reads it into the message's body, and still
// lists it among the attachments.
const longTextType = "text/x-signal-plain"

// longTextCutNote ends a long text signal-cli could not fetch: its body
// is then only the first 2000 bytes the sender's app put beside the file.
const longTextCutNote = "\n… (the rest of this long message could not be fetched)"

// longTextCut reports whether the message's body is shorter than its
// long-text file says: signal-cli failed to fetch the file and kept the
// start the sender's app sent beside it.
func longTextCut(dm *dataMessage) bool {
	if dm.Message == nil {
		return false
	}
	for _, a := range dm.Attachments {
		if a.ContentType == longTextType && a.Size > int64(len(*dm.Message)) {
			return true
		}
	}
	return false
}

type attachment struct {
	ContentType string `json:"contentType"`
	Filename    string `json:"filename"`
	ID          string `json:"id"`
	Size        int64  `json:"size"`
	Width       int32  `json:"width"`
	Height      int32  `json:"height"`
	Caption     string `json:"caption"`
}

type reaction struct {
	Emoji               string `json:"emoji"`
	TargetAuthorNumber  string `json:"targetAuthorNumber"`
	TargetAuthorUUID    string `json:"targetAuthorUuid"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	IsRemove            bool   `json:"isRemove"`
}

type groupInfo struct {
	GroupID   string `json:"groupId"`
	GroupName string `json:"groupName"`
	Type      string `json:"type"`
	Revision  int    `json:"revision"`
}

type syncMessage struct {
	SentMessage  *sentMessage  `json:"sentMessage"`
	ReadMessages []readMessage `json:"readMessages"`
	// Type is CONTACTS_SYNC or GROUPS_SYNC when the phone sent its lists
	// (after a link, and when they change).
	Type string `json:"type"`
	// BlockedNumbers is the phone's whole block list when it sent it
	// (a block or unblock there): numbers, or ACIs of those without
	// one; nil when the sync is no block list.
	BlockedNumbers *[]string `json:"blockedNumbers"`
	// BlockedGroupIDs are the groups of that block list (base64 IDs).
	BlockedGroupIDs *[]string `json:"blockedGroupIds"`
}

// readMessage is a message the user read on another device.
type readMessage struct {
	SenderNumber string `json:"senderNumber"`
	SenderUUID   string `json:"senderUuid"`
	Timestamp    int64  `json:"timestamp"`
}

// sentMessage is a data message flattened with its destination.
type sentMessage struct {
	DestinationNumber string       `json:"destinationNumber"`
	DestinationUUID   string       `json:"destinationUuid"`
	EditMessage       *editMessage `json:"editMessage"`
	dataMessage
}

type receiptMessage struct {
	IsDelivery bool    `json:"isDelivery"`
	IsRead     bool    `json:"isRead"`
	IsViewed   bool    `json:"isViewed"`
	Timestamps []int64 `json:"timestamps"`
}

type typingMessage struct {
	Action  string `json:"action"`
	GroupID string `json:"groupId"`
}

// msgMeta is a message's metadata: its author and timestamp, the pair by
// which Signal names a message (quote, reaction, delete, receipt).
type msgMeta struct {
	Author    string `json:"a"`
	Timestamp int64  `json:"t,omitempty"`
	// Quote is what a reply quotes of the message; Reply, for the
	// user's own, the message it replies to (quote.go).
	Quote *quoted   `json:"q,omitempty"`
	Reply *replyRef `json:"r,omitempty"`
}

func metaOf(author string, ts int64) []byte {
	b, _ := json.Marshal(msgMeta{Author: author, Timestamp: ts})
	return b
}

// groupChatID is the chat ID of a base64 group ID: its bytes in hex.
func groupChatID(groupID string) string {
	b, err := base64.StdEncoding.DecodeString(groupID)
	if err != nil || len(b) == 0 {
		return ""
	}
	return hex.EncodeToString(b)
}

// groupChatIDPattern is the form of a group's chat ID (groupChatID of a
// Signal group ID: 32 bytes, 16 for an old group v1), which no user ID
// has (a phone number, an ACI with its dashes): the transport's
// join_chat_pattern.
const groupChatIDPattern = "[0-9a-f]{64}|[0-9a-f]{32}"

// groupIDOf is the base64 group ID of a group chat ID ("" when chatID is
// not a group's).
func groupIDOf(chatID string) string {
	if len(chatID) < 32 || len(chatID)%2 != 0 {
		return ""
	}
	b, err := hex.DecodeString(chatID)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// receive turns one envelope into events.
func (s *Session) receive(env envelope) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	from := s.userID(ctx, env.SourceNumber, env.SourceUUID, env.SourceName)
	if from == "" {
		return // signal-cli could not tell the sender (a sealed message it could not open)
	}
	if env.DataMessage != nil || env.EditMessage != nil {
		s.readFrom(from)                                 // safety.go
		read := s.profileSeen(ctx, from, env.SourceName) // contacts.go
		s.memberSeen(ctx, from, env.SourceName, read)    // membernames.go
	}
	sender := &pb.Sender{UserId: from, Name: env.SourceName}
	ts := env.Timestamp
	switch {
	case env.DataMessage != nil:
		s.data(ctx, sender, from, ts, env.DataMessage, from)
	case env.EditMessage != nil:
		s.edit(ctx, sender, from, ts, env.EditMessage)
	case env.SyncMessage != nil && env.SyncMessage.SentMessage != nil:
		sm := env.SyncMessage.SentMessage
		me := &pb.Sender{UserId: s.selfID(), IsFromMe: true}
		dest := s.userID(ctx, sm.DestinationNumber, sm.DestinationUUID, "")
		if sm.EditMessage != nil {
			if sm.Timestamp != 0 {
				ts = sm.Timestamp
			}
			s.edit(ctx, me, dest, ts, sm.EditMessage)
			return
		}
		if sm.Timestamp == 0 {
			sm.Timestamp = ts
		}
		s.data(ctx, me, dest, sm.Timestamp, &sm.dataMessage, s.selfID())
	case env.SyncMessage != nil && env.SyncMessage.Type == "CONTACTS_SYNC":
		s.contactsSynced(ctx)
	case env.SyncMessage != nil && env.SyncMessage.Type == "GROUPS_SYNC":
		s.groupsSynced(ctx)
	case env.SyncMessage != nil && (env.SyncMessage.BlockedNumbers != nil || env.SyncMessage.BlockedGroupIDs != nil):
		var numbers []string
		if env.SyncMessage.BlockedNumbers != nil {
			numbers = *env.SyncMessage.BlockedNumbers
		}
		s.blockedSynced(ctx, numbers) // contacts.go
		s.blockedGroupsSynced(ctx)    // groups.go
	case env.SyncMessage != nil && len(env.SyncMessage.ReadMessages) > 0:
		// Read on the phone: the user's own read receipts, so that their
		// XMPP clients mark the chats read too, up to the newest message
		// (an edit read names its original).
		me := &pb.Sender{UserId: s.selfID(), IsFromMe: true}
		newest := map[string]int64{}
		newestID := map[string]string{}
		var chats []string
		for _, r := range env.SyncMessage.ReadMessages {
			who := s.whoOf(r.SenderNumber, r.SenderUUID)
			chat := s.chatAt(r.Timestamp, who...)
			orig := s.chats.original(r.Timestamp, who...)
			if chat == "" {
				chat = s.userID(ctx, r.SenderNumber, r.SenderUUID, "")
			}
			if chat == "" {
				continue
			}
			if _, ok := newest[chat]; !ok {
				chats = append(chats, chat)
			}
			if orig >= newest[chat] {
				newest[chat], newestID[chat] = orig, s.refID(orig, r.SenderNumber, r.SenderUUID)
			}
		}
		for _, chat := range chats {
			s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: me, TimestampUnixMicro: ts * 1000,
				Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: []string{newestID[chat]}}}}, false)
		}
	case env.Receipt != nil:
		r := env.Receipt
		kind := pb.ReceiptEvent_KIND_DELIVERED
		if r.IsRead || r.IsViewed {
			kind = pb.ReceiptEvent_KIND_READ
		}
		// Receipts name timestamps only: group them by the chat each
		// message of mine went to; the receipt of an edit is its
		// original's. A receipt of a message in another's direct chat
		// says nothing of it (Signal's apps take one only from whom the
		// message went to).
		byChat := map[string][]string{}
		var chats []string
		me := s.who(s.selfID())
		for _, t := range r.Timestamps {
			chat := s.chatAt(t, me...)
			if chat == "" {
				chat = from
			}
			if chat != from && groupIDOf(chat) == "" {
				continue
			}
			if byChat[chat] == nil {
				chats = append(chats, chat)
			}
			if id := s.idFor(s.chats.original(t, me...), s.selfID()); !slices.Contains(byChat[chat], id) {
				byChat[chat] = append(byChat[chat], id)
			}
		}
		for _, chat := range chats {
			// One receipt from each of the recipient's devices: told once
			// (receiptsonce.go).
			ids := s.receipts.fresh(kind.String(), sender.GetUserId(), byChat[chat])
			if len(ids) == 0 {
				continue
			}
			s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000,
				Payload: &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: ids}}}, false)
		}
	case env.Call != nil:
		s.callNotice(ctx, sender, from, ts, env.Call) // calls.go
	case env.Typing != nil:
		chat := from
		if env.Typing.GroupID != "" {
			chat = groupChatID(env.Typing.GroupID)
		}
		if chat == "" {
			return
		}
		// STARTED holds 15 s unless said again (typing.go): the apps
		// repeat it every 10 s while the contact types.
		typing := &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_COMPOSING, TimeoutMs: typingValidMs}
		if env.Typing.Action == "STOPPED" {
			typing = &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_PAUSED}
		}
		s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000,
			Payload: &pb.Event_Typing{Typing: typing}}, false)
	}
}

// groupUpdated tells what a group update (no message of its own) of
// chat changed, the timer included. What the room was told is written
// once it is (groupstold.go's begin and end).
func (s *Session) groupUpdated(ctx context.Context, chat string, sender *pb.Sender, ts int64, dm *dataMessage) {
	fails := s.unfinished.Load()
	s.told.begin(chat)
	defer func() {
		s.told.end(chat, s.unfinished.Load() == fails)
		s.told.save()
	}()
	known := s.timerKnown(chat)
	read := s.groupChanged(ctx, chat, sender, ts, dm.GroupInfo.Revision)
	after, changed := s.timerChanged(chat, dm.ExpiresInSeconds, known, read.laterUpdate)
	switch {
	case !changed:
	case dm.ExpiresInSeconds == 0 && read.gap:
		// Read, not carried, past an update that never came: whose it
		// is is not known (revisions.go). Named by its value too, as
		// an own change's cut short is (tellCut): its envelope handled
		// again at the next start may read the timer changed since.
		s.groupNotice(ctx, chat, "timer"+strconv.Itoa(after), ts, "", timerNotice(after))
	default:
		// The timer changed (calls.go): a notice from whoever changed
		// it, by the update's timestamp. Named by its value and its
		// author, as the other notices of an update are: a timer read,
		// not carried, may have changed again when the envelope is
		// handled again at the next start (the notice's confirmation
		// lost), which is another notice; under the update's message
		// ID, the gateway dropped it as told.
		ev := groupNoticeEvent(chat, "timer"+strconv.Itoa(after), ts, sender.UserId, timerNotice(after))
		ev.Sender = sender
		s.emit(ctx, ev, true)
	}
}

func chatType(chatID string) pb.ChatType {
	if groupIDOf(chatID) != "" {
		return pb.ChatType_CHAT_TYPE_GROUP
	}
	return pb.ChatType_CHAT_TYPE_DIRECT
}

// emit hands an event to the host; durable ones are on disk before the
// next envelope is read (signal-cli does not deliver an envelope twice).
func (s *Session) emit(ctx context.Context, ev *pb.Event, durable bool) {
	ev.LoginId = s.loginID
	if ev.TimestampUnixMicro == 0 {
		ev.TimestampUnixMicro = time.Now().UnixMicro()
	}
	if !durable {
		s.n.host.Emit(ev)
		return
	}
	s.emitConfirmed(ctx, ev)
}

// emitConfirmed is emit of durable events, reporting whether the host
// confirmed them all on disk: what tells them is noted told then only
// (onTheWay, toldsets.go). It stops at the first not confirmed.
func (s *Session) emitConfirmed(ctx context.Context, evs ...*pb.Event) bool {
	for _, ev := range evs {
		ev.LoginId = s.loginID
		if ev.TimestampUnixMicro == 0 {
			ev.TimestampUnixMicro = time.Now().UnixMicro()
		}
		if err := s.n.host.EmitDurable(ctx, ev); err != nil {
			s.unfinished.Add(1)
			s.n.host.Logger().Warn("signal: an event was not confirmed on disk; its envelope is handled again at the next start", "login", s.loginID, "err", err)
			return false
		}
	}
	return true
}

// data turns a data message (received, or sent from another device) of
// author in the direct chat peer, or in its group, into events.
func (s *Session) data(ctx context.Context, sender *pb.Sender, peer string, ts int64, dm *dataMessage, author string) {
	chat := peer
	if dm.GroupInfo != nil {
		chat = groupChatID(dm.GroupInfo.GroupID)
		if chat == "" {
			return
		}
		if dm.GroupInfo.Type == "UPDATE" && dm.Message == nil && len(dm.Attachments) == 0 {
			s.groupUpdated(ctx, chat, sender, ts, dm)
			return
		}
		s.knowGroup(ctx, chat)
	}
	if chat == "" {
		return
	}
	if dm.GroupInfo == nil && (dm.IsExpirationUpdate || dm.Message != nil) {
		// signal-cli takes the chat's timer from such a message.
		s.timers.seen(chat, dm.ExpiresInSeconds) // directtimers.go
	}
	s.noteChat(ts, chat, author)
	ev := &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000}
	switch {
	case dm.Reaction != nil && dm.StoryContext != nil:
		// A reaction to a story, which the gateway does not know: told
		// as a message (stories.go). Signal's apps take none back.
		if dm.Reaction.IsRemove {
			return
		}
		ev.EventId, ev.Meta = s.idFor(ts, author), metaOf(author, ts)
		s.noteStoryReaction(dm.StoryContext, author, ts, dm.Reaction.Emoji) // stories.go
		m := &pb.MessageEvent{Text: s.storyReaction(dm.StoryContext, chat, dm.Reaction.Emoji)}
		expireWith(m, sender, ts, dm.ExpiresInSeconds) // as a reply to the story would
		ev.Payload = &pb.Event_Message{Message: m}
	case dm.Reaction != nil:
		r := dm.Reaction
		emoji, emojis := r.Emoji, []string{r.Emoji}
		if r.IsRemove {
			emoji, emojis = "", nil
		}
		who := s.whoOf(r.TargetAuthorNumber, r.TargetAuthorUUID)
		target := s.chats.original(r.TargetSentTimestamp, who...)
		if sender.IsFromMe {
			// Set on the phone: the one to name if XMPP removes it.
			s.mine.set(target, emoji, who...)
		}
		if s.chats.unknownTarget(target, who...) {
			// A message the gateway never had, which would drop the
			// reaction: a notice of its own (earlierreactions.go).
			if !s.earlierReaction(ev, chat, author, ts, r, dm.ExpiresInSeconds, target, who) {
				return
			}
			break
		}
		ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: s.refID(target, r.TargetAuthorNumber, r.TargetAuthorUUID), Emojis: emojis}}
	case dm.RemoteDelete != nil:
		who := s.who(author)
		orig := s.chats.original(dm.RemoteDelete.Timestamp, who...)
		if !s.wrote(orig, author) {
			s.n.host.Logger().Warn("signal: a delete of another's message dropped, as Signal drops it", "login", s.loginID, "chat", chat, "by", author, "target", orig)
			return
		}
		if s.tooLate(sender, ts, orig) {
			s.n.host.Logger().Warn("signal: a delete of a message older than Signal takes dropped, as Signal's apps drop it", "login", s.loginID, "chat", chat, "by", author, "target", orig)
			return
		}
		s.pins.unpin(chat, orig, who...) // a message deleted is pinned no more
		ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: s.idFor(orig, author)}}
	case dm.AdminDelete != nil:
		r := s.adminRetraction(chat, dm.AdminDelete)
		if r == nil {
			return
		}
		ev.Payload = &pb.Event_Retraction{Retraction: r}
	case dm.PollVote != nil || dm.PollTerminate != nil:
		s.pollUpdate(ctx, chat, author, ts, dm)
		return
	case dm.PinMessage != nil:
		who := s.whoOf(dm.PinMessage.TargetAuthorNumber, dm.PinMessage.TargetAuthorUUID)
		orig := s.chats.original(dm.PinMessage.TargetSentTimestamp, who...)
		s.pins.pin(chat, orig, ts, dm.PinMessage.PinDurationSeconds, who...)
		s.pinNotice(ctx, chat, sender, ts, s.refID(orig, dm.PinMessage.TargetAuthorNumber, dm.PinMessage.TargetAuthorUUID), false)
		return
	case dm.UnpinMessage != nil:
		who := s.whoOf(dm.UnpinMessage.TargetAuthorNumber, dm.UnpinMessage.TargetAuthorUUID)
		orig := s.chats.original(dm.UnpinMessage.TargetSentTimestamp, who...)
		s.pins.unpin(chat, orig, who...)
		s.pinNotice(ctx, chat, sender, ts, s.refID(orig, dm.UnpinMessage.TargetAuthorNumber, dm.UnpinMessage.TargetAuthorUUID), true)
		return
	case dm.hasContent():
		if len(dm.Attachments) > 0 {
			s.n.sweepAttachments(time.Now()) // media.go
		}
		text, spans := s.decodeText(ctx, deref(dm.Message), dm.Mentions, dm.TextStyles)
		if longTextCut(dm) {
			s.n.host.Logger().Warn("signal: a long text's file could not be fetched: its start alone is shown", "login", s.loginID, "chat", chat, "by", author, "ts", ts)
			text += longTextCutNote
		}
		meta := quoteMeta(author, ts, text, spans, quotedType(dm), s.replyRefOf(ctx, sender, dm.Quote)) // the message's own words, for a reply's quote
		s.rememberPoll(chat, author, sender, ts, dm, text, spans)
		// What the message carries first, then its own text, as a
		// caption: as the other transports show it.
		extra := extraText(dm, s.payer(sender, peer))
		if dm.ViewOnce && len(dm.Attachments) > 0 {
			// Shown as what it is, not kept as a file in the
			// archives: Signal's own linked devices do not show it.
			extra = viewOnceText(dm.Attachments, sender.IsFromMe)
			s.dropViewOnce(dm.Attachments)
		}
		text, spans = mediatext.WithCaption(extra, text, spans)
		if dm.StoryContext != nil {
			text, spans = s.storyReply(dm.StoryContext, chat, text, spans) // stories.go
		}
		m := &pb.MessageEvent{Text: text, Spans: spans}
		if dm.Sticker != nil {
			m.Attachments = append(m.Attachments, stickerAttachment(dm.Sticker))
		}
		s.replyInto(ctx, m, dm.Quote) // quote.go
		for _, a := range dm.Attachments {
			if dm.ViewOnce {
				break
			}
			if a.ContentType == longTextType && dm.Message != nil {
				continue // the body is its text (signal-cli read it)
			}
			m.Attachments = append(m.Attachments, &pb.Attachment{Name: a.Filename, MimeType: a.ContentType, Size: sizeOr(a.Size),
				Source: &pb.Attachment_Ref{Ref: a.ID}, Caption: a.Caption, Width: a.Width, Height: a.Height,
				VoiceNote: isVoiceNote(a.ContentType, a.Filename)})
		}
		if !dm.IsExpirationUpdate {
			expireWith(m, sender, ts, dm.ExpiresInSeconds)
		}
		ev.EventId, ev.Meta = s.idFor(ts, author), meta
		ev.Payload = &pb.Event_Message{Message: m}
	case dm.IsExpirationUpdate && dm.Message == nil:
		// Its sender changed the timer: a notice from them, by the
		// message's timestamp as any message.
		ev.EventId, ev.Meta = s.idFor(ts, author), metaOf(author, ts)
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: timerText(dm)}}
	case len(dm.unknown) > 0:
		// Content of a kind a newer signal-cli writes (unknowncontent.go).
		s.n.host.Logger().Warn("signal: a message's content is of a kind this plugin does not know: told as one the gateway cannot show", "login", s.loginID, "chat", chat, "by", author, "ts", ts, "fields", dm.unknown)
		ev.EventId, ev.Meta = s.idFor(ts, author), metaOf(author, ts)
		m := &pb.MessageEvent{Text: unknownText}
		expireWith(m, sender, ts, dm.ExpiresInSeconds)
		ev.Payload = &pb.Event_Message{Message: m}
	default:
		return // a story: nothing to show
	}
	s.emit(ctx, ev, true)
	if dm.GroupInfo == nil && !dm.IsExpirationUpdate && ev.GetMessage() != nil && !sender.GetIsFromMe() && author != s.selfID() {
		// A message of theirs, not a timer's notice.
		s.requestNotice(ctx, chat, sender, ts) // messagerequest.go
	}
}

// edit turns an edit (received, or sent from another device) in the
// direct chat peer, or in its group, into an event. The edit is a message
// of its own timestamp (its data message's, else the envelope's ts),
// which receipts, reactions, quotes and later edits may name: it is
// mapped to the message it replaces, whose ID the gateway knows. Signal
// clients name the newest edit as the target of the next one.
func (s *Session) edit(ctx context.Context, sender *pb.Sender, peer string, ts int64, e *editMessage) {
	chat := peer
	if e.DataMessage.GroupInfo != nil {
		chat = groupChatID(e.DataMessage.GroupInfo.GroupID)
	}
	if chat == "" {
		return
	}
	if e.DataMessage.Timestamp > 0 {
		ts = e.DataMessage.Timestamp
	}
	orig := s.chats.original(e.TargetSentTimestamp, s.who(sender.UserId)...)
	if !s.wrote(orig, sender.UserId) {
		s.n.host.Logger().Warn("signal: an edit of another's message dropped, as Signal drops it", "login", s.loginID, "chat", chat, "by", sender.UserId, "target", orig)
		return
	}
	if s.tooLate(sender, ts, orig) {
		s.n.host.Logger().Warn("signal: an edit of a message older than Signal takes dropped, as Signal's apps drop it", "login", s.loginID, "chat", chat, "by", sender.UserId, "target", orig)
		return
	}
	text, spans := s.decodeText(ctx, deref(e.DataMessage.Message), e.DataMessage.Mentions, e.DataMessage.TextStyles)
	if !s.chats.known(orig, s.who(sender.UserId)...) {
		s.editOfUnknown(ctx, chat, sender, ts, orig, &e.DataMessage, text, spans)
		return
	}
	s.chats.noteEdit(ts, chat, sender.UserId, orig)
	s.edited.note(orig, sender.UserId, ts, text, spans) // a reply quotes the newest text (edittexts.go)
	s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000,
		Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: s.idFor(orig, sender.UserId), Text: text, Spans: spans}}}, true)
}

// editedHead starts the text of an edit of a message the plugin never
// had.
const editedHead = "✏ Edited an earlier message:"

// editOfUnknown shows the edit (at ts) of a message the plugin never had
// (orig: sent before the gateway's device was linked, as Signal gives a
// linked device no history) as a message of its own: the gateway drops a
// correction of a message it does not know, and the new text with it.
// The original's timestamp is noted as edited into this one, so that a
// later edit corrects it, whether it names this edit (as Signal's apps
// do) or the original; so do reactions, replies and receipts.
func (s *Session) editOfUnknown(ctx context.Context, chat string, sender *pb.Sender, ts, orig int64, dm *dataMessage, text string, spans []*pb.Span) {
	author := sender.UserId
	s.chats.note(ts, chat, author)
	s.chats.noteEdit(orig, chat, author, ts)
	meta := quoteMeta(author, ts, text, spans, quotedType(dm), s.replyRefOf(ctx, sender, dm.Quote))
	text, spans = headed(editedHead, text, spans)
	m := &pb.MessageEvent{Text: text, Spans: spans}
	s.replyInto(ctx, m, dm.Quote) // an edit of a reply quotes again
	expireWith(m, sender, ts, dm.ExpiresInSeconds)
	s.emit(ctx, &pb.Event{ChatId: chat, ChatType: chatType(chat), Sender: sender, TimestampUnixMicro: ts * 1000,
		EventId: s.idFor(ts, author), Meta: meta, Payload: &pb.Event_Message{Message: m}}, true)
}

// tooLate reports whether a delete or edit sent at ts of the message
// sent at orig comes too late for Signal's apps to apply it (takeWindow;
// they compare the server's times, close to the senders'): only another's
// is, the user's own from the phone never.
func (s *Session) tooLate(sender *pb.Sender, ts, orig int64) bool {
	return !sender.GetIsFromMe() && orig > 0 && time.UnixMilli(ts).Sub(time.UnixMilli(orig)) >= takeWindow
}

// expireWith puts on m, a message of sender at ts (Unix ms), the chat's
// disappearing messages timer of secs (0: none), as Signal runs it: the
// sender's copy counts from the send, a recipient's from the reading.
func expireWith(m *pb.MessageEvent, sender *pb.Sender, ts int64, secs int) {
	if secs <= 0 {
		return
	}
	if sender.GetIsFromMe() {
		m.ExpiresUnixMicro = (ts + int64(secs)*1000) * 1000
	} else {
		m.ExpiresAfterReadSeconds = int64(secs)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sizeOr(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}
