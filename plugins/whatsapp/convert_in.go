package whatsapp

import (
	"encoding/base64"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waAICommon"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Converters from whatsmeow's events to the contract's: pure functions of
// the event and an idMap, table-tested in convert_in_test.go.

// onPhone is where the user does what the gateway only shows: accept an
// invitation, see a message of a kind it cannot show.
const onPhone = "on your phone"

// pollWhere is where the user votes in a poll: in a reply to it from
// XMPP, the gateway's command (vote.go), or on the phone.
const pollWhere = "with a reply: /vote 1, or " + onPhone

// inbound converts for one login: self is the login's own user ID, the
// sender of what the user sent from their phone; domain is the
// transport's JID, named in instructions ("" when not known).
type inbound struct {
	ids    idMap
	self   string
	domain string
	heads  *replyHeads // the lines of replies to other chats, for their edits; nil keeps none
}

// base is the event's common part: chat, sender, time, ID and meta.
func (c inbound) base(info *types.MessageInfo) *pb.Event {
	sender := &pb.Sender{Name: info.PushName}
	if info.IsFromMe {
		sender.UserId, sender.IsFromMe, sender.Name = c.self, true, ""
	} else {
		sender.UserId = c.ids.userID(senderOf(info))
	}
	chat := chatOf(info)
	return &pb.Event{
		ChatId:             chatIDOf(c.ids, chat),
		ChatType:           chatTypeOf(chat),
		Sender:             sender,
		TimestampUnixMicro: info.Timestamp.UnixMicro(),
		EventId:            info.ID,
	}
}

// chatOf is the chat of a message.
func chatOf(info *types.MessageInfo) types.JID {
	if incomingBroadcast(info) {
		// A contact's message to one of their broadcast lists: the apps
		// show it in the direct chat with them.
		return senderOf(info)
	}
	if !info.IsGroup && info.IsFromMe && info.DeviceSentMeta != nil {
		// A message the user sent from the phone names the user's
		// own JID as chat in some forms: the destination is the chat.
		if dst, err := types.ParseJID(info.DeviceSentMeta.DestinationJID); err == nil && !dst.IsEmpty() {
			return dst
		}
	}
	return info.Chat
}

// incomingBroadcast says whether info is of a message someone sent to a
// broadcast list the user is on (not a status: a list's ID is a number).
func incomingBroadcast(info *types.MessageInfo) bool {
	return !info.IsFromMe && info.Chat.IsBroadcastList() && !info.Sender.IsEmpty()
}

// senderOf is the sender's phone-number JID when the message gave it
// beside a LID (SenderAlt), else the sender.
func senderOf(info *types.MessageInfo) types.JID {
	if info.Sender.Server == types.HiddenUserServer && info.SenderAlt.Server == types.DefaultUserServer {
		return info.SenderAlt.ToNonAD()
	}
	return info.Sender.ToNonAD()
}

// message converts a message event; nil for what the contract has no
// word for (protocol chatter, ...), which the caller logs, and for a
// poll's vote, which the session counts (polls.go).
func (c inbound) message(evt *events.Message) *pb.Event {
	msg := evt.Message
	if msg == nil {
		return c.stub(evt)
	}
	ev := c.base(&evt.Info)
	if pm := msg.GetProtocolMessage(); pm != nil {
		switch pm.GetType() {
		case waE2E.ProtocolMessage_EPHEMERAL_SETTING:
			// The chat's disappearing messages changed (the session
			// keeps the timer: disappearing.go).
			return timerEvent(ev, pm.GetEphemeralExpiration())
		case waE2E.ProtocolMessage_REVOKE:
			ev.EventId = "" // the revoke has its own ID; the target is what counts
			ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: pm.GetKey().GetID()}}
			return ev
		case waE2E.ProtocolMessage_STATUS_MENTION_MESSAGE:
			// A status mentioning the user, or the group (wrapped in
			// statusMentionMessage: wrappers.go): statuses are not shown.
			text := "Mentioned you in their status: see it " + onPhone
			if evt.Info.IsGroup {
				text = "Mentioned this group in their status: see it " + onPhone
			}
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
			return ev
		case waE2E.ProtocolMessage_SHARE_PHONE_NUMBER:
			// A contact known by their LID shares their number (the
			// answer to a request for it, requestPhoneNumberMessage):
			// the apps say so in the chat. The number comes beside the
			// LID (learnt before this message: the chat is the
			// number's); the user's own share, from the phone, too.
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: sharedNumberText(ev.Sender)}}
			return ev
		case waE2E.ProtocolMessage_GROUP_MEMBER_LABEL_CHANGE:
			// A member's tag in a group, which the phones show beside
			// their name (the member sets their own): a line, the
			// room's nicknames being the members' names.
			if !evt.Info.IsGroup {
				return nil
			}
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: memberTagText(pm.GetMemberLabel().GetLabel(), evt.Info.IsFromMe)}}
			return ev
		case waE2E.ProtocolMessage_LIMIT_SHARING:
			// Advanced chat privacy (WhatsApp's apps then keep the
			// chat's media from being saved and the chat from being
			// exported): a line, as the apps show one.
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: limitSharingText(pm.GetLimitSharing())}}
			return ev
		case waE2E.ProtocolMessage_MESSAGE_EDIT:
			edited, w := unwrapped(pm.GetEditedMessage())
			m := c.content(edited)
			if m == nil {
				return nil
			}
			if w.spoiler {
				spoiler(m)
			}
			if w.groupStatus {
				prefix(m, "Group status:")
			}
			// A reply to another chat's message keeps its line
			// (contextlines.go): the edit's own, or the one noted.
			if head := c.otherChatHead(contextOf(edited), chatOf(&evt.Info)); head != "" {
				prefix(m, head)
			} else if head := c.heads.get(ev.ChatId, pm.GetKey().GetID()); head != "" {
				prefix(m, head)
			}
			ev.EventId = ""
			ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: pm.GetKey().GetID(), Text: m.Text, Spans: m.Spans}}
			return ev
		}
		if _, known := waE2E.ProtocolMessage_Type_name[int32(pm.GetType())]; !known && !evt.Info.IsFromMe {
			// A type newer than whatsmeow, from someone: WhatsApp adds
			// types that people see (member tags, advanced chat
			// privacy came so), said rather than dropped without a
			// word. The user's own devices' are their bookkeeping.
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: mediatext.UnshownText("A message of a kind", onPhone)}}
			return ev
		}
		return nil
	}
	if evt.IsEdit {
		// An edit unwrapped by whatsmeow from an EditedMessage whose
		// inner message is the protocol message handled above; a bare
		// one names no target.
		return nil
	}
	if p := msg.GetPinInChatMessage(); p != nil {
		// A message pinned or unpinned: the chat's notice (pin.go).
		return c.pinEvent(&evt.Info, p)
	}
	if r := msg.GetReactionMessage(); r != nil {
		if r.GetKey().GetRemoteJID() == types.StatusBroadcastJID.String() {
			// A reaction to a status (the user's, sent to them in the
			// direct chat): the phone shows it among the status's
			// viewers, not in the chat, which does not have the status.
			return nil
		}
		var emojis []string
		if r.GetText() != "" {
			emojis = []string{r.GetText()}
		}
		// Under the reaction message's own ID, which history's copy of
		// it has too (historyReactions): the gateway drops the second.
		ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: r.GetKey().GetID(), Emojis: emojis}}
		return ev
	}
	m := c.content(msg)
	if gi := msg.GetGroupInviteMessage(); gi != nil {
		m = c.groupInvite(gi, &evt.Info)
	}
	w := wrappedAs(evt.RawMessage)
	if m == nil && (unshown(msg) || w.addYours) {
		// Content of a kind the plugin has no words for (a payment, a
		// product, a sticker pack, one newer than whatsmeow, a status's
		// prompt wrapping nothing it shows...): said, not dropped
		// without a word.
		m = &pb.MessageEvent{Text: mediatext.UnshownText("A message of a kind", onPhone)}
		w.addYours = false
	}
	if m == nil {
		return nil
	}
	ci := contextOf(msg)
	if w.addYours {
		prefix(m, "«Add yours» status:")
	}
	if w.spoiler {
		spoiler(m)
	}
	if w.groupStatus {
		prefix(m, "Group status:")
	}
	if w.viewOnce || flaggedViewOnce(msg) {
		viewOnce(m, msg)
	}
	c.heads.note(ev.ChatId, evt.Info.ID, c.otherChatReply(m, ci, chatOf(&evt.Info)))
	withForward(m, ci) // contextlines.go
	for _, a := range m.Attachments {
		if r := a.GetRef(); r != "" {
			// With the message's key: a file WhatsApp no longer has is
			// asked of the phone again (mediaretry.go).
			a.Source = &pb.Attachment_Ref{Ref: keyedRef(r, &evt.Info)}
		}
	}
	// WhatsApp keys a message by its sender as sent (a LID stays one).
	meta := msgMeta{Sender: evt.Info.Sender.ToNonAD(), FromMe: evt.Info.IsFromMe}
	if !evt.Info.Timestamp.IsZero() && evt.Info.Timestamp.Unix() > 0 {
		// The user's own: theirs to edit, within editWindow; anyone's:
		// an admin deletes it within revokeWindow.
		meta.Time = evt.Info.Timestamp
	}
	if evt.Info.IsFromMe {
		meta.File = fileOf(msg)  // a caption to correct as a file's (captionedit.go)
		meta.Spoiler = w.spoiler // sent hidden from the phone: corrected hidden
	}
	ev.Meta = meta.encode()
	// In a chat with disappearing messages: when it goes (history adds
	// the conversation's timer: historyEvents; a live message wrapped as
	// disappearing that says none has the chat's: Session.message).
	m.ExpiresUnixMicro = expiresAt(evt, chatTimer{})
	ev.Payload = &pb.Event_Message{Message: m}
	return ev
}

// content converts what a message says: text, media, location, contact
// cards. nil when it is none of these.
func (c inbound) content(msg *waE2E.Message) *pb.MessageEvent {
	if msg == nil {
		return nil
	}
	switch {
	case msg.Conversation != nil:
		return &pb.MessageEvent{Text: msg.GetConversation()}
	case msg.ExtendedTextMessage != nil:
		t := msg.GetExtendedTextMessage()
		return c.withContext(&pb.MessageEvent{Text: t.GetText()}, t.GetContextInfo())
	case msg.ImageMessage != nil:
		m := msg.GetImageMessage()
		a := &pb.Attachment{Name: "image" + extFor(m.GetMimetype()), MimeType: m.GetMimetype(), Size: int64(m.GetFileLength()),
			Width: int32(m.GetWidth()), Height: int32(m.GetHeight()), Caption: m.GetCaption(), Thumbnail: m.GetJPEGThumbnail()}
		return c.media(a, &waE2E.Message{ImageMessage: stripImage(m)}, m.GetContextInfo())
	case msg.VideoMessage != nil:
		m := msg.GetVideoMessage()
		a := &pb.Attachment{Name: "video" + extFor(m.GetMimetype()), MimeType: m.GetMimetype(), Size: int64(m.GetFileLength()),
			Width: int32(m.GetWidth()), Height: int32(m.GetHeight()), DurationMs: int64(m.GetSeconds()) * 1000,
			Caption: m.GetCaption(), Thumbnail: m.GetJPEGThumbnail()}
		return c.media(a, &waE2E.Message{VideoMessage: stripVideo(m)}, m.GetContextInfo())
	case msg.PtvMessage != nil:
		// A video note (the round video WhatsApp records in the chat).
		m := msg.GetPtvMessage()
		a := &pb.Attachment{Name: "video-note" + extFor(m.GetMimetype()), MimeType: m.GetMimetype(), Size: int64(m.GetFileLength()),
			Width: int32(m.GetWidth()), Height: int32(m.GetHeight()), DurationMs: int64(m.GetSeconds()) * 1000,
			Caption: m.GetCaption(), Thumbnail: m.GetJPEGThumbnail()}
		return c.media(a, &waE2E.Message{PtvMessage: stripVideo(m)}, m.GetContextInfo())
	case msg.AudioMessage != nil:
		m := msg.GetAudioMessage()
		name := "audio"
		if m.GetPTT() {
			name = "voice-note"
		}
		a := &pb.Attachment{Name: name + extFor(m.GetMimetype()), MimeType: m.GetMimetype(), Size: int64(m.GetFileLength()),
			DurationMs: int64(m.GetSeconds()) * 1000, VoiceNote: m.GetPTT()}
		return c.media(a, &waE2E.Message{AudioMessage: m}, m.GetContextInfo())
	case msg.DocumentMessage != nil:
		m := msg.GetDocumentMessage()
		name := m.GetFileName()
		if name == "" {
			// A title is a name without an extension, as a rule.
			if name = m.GetTitle(); name != "" && path.Ext(name) == "" {
				name += extFor(m.GetMimetype())
			}
		}
		if name == "" {
			name = "document" + extFor(m.GetMimetype())
		}
		a := &pb.Attachment{Name: name, MimeType: m.GetMimetype(), Size: int64(m.GetFileLength()), Caption: m.GetCaption(), Thumbnail: m.GetJPEGThumbnail()}
		return c.media(a, &waE2E.Message{DocumentMessage: stripDocument(m)}, m.GetContextInfo())
	case msg.StickerMessage != nil:
		m := msg.GetStickerMessage()
		if lottie(m) {
			return c.lottieSticker(m)
		}
		a := &pb.Attachment{Name: "sticker" + extFor(m.GetMimetype()), MimeType: m.GetMimetype(), Size: int64(m.GetFileLength()),
			Width: int32(m.GetWidth()), Height: int32(m.GetHeight())}
		return c.media(a, &waE2E.Message{StickerMessage: m}, m.GetContextInfo())
	case msg.LocationMessage != nil:
		m := msg.GetLocationMessage()
		l := mediatext.Location{Lat: m.GetDegreesLatitude(), Long: m.GetDegreesLongitude(), Title: m.GetName(), Address: m.GetAddress()}
		// With the words sent with it (its comment: what bridges and
		// other clients send a location's text as).
		text, _ := mediatext.WithCaption(mediatext.LocationText(l), m.GetComment(), nil)
		return c.withContext(&pb.MessageEvent{Text: text}, m.GetContextInfo())
	case msg.LiveLocationMessage != nil:
		m := msg.GetLiveLocationMessage()
		l := mediatext.Location{Lat: m.GetDegreesLatitude(), Long: m.GetDegreesLongitude(), Title: m.GetCaption(), Live: true}
		// WhatsApp sends a linked device where the sharing started, never
		// where it moves (whatsmeow issue 24): said, lest the point read
		// as current.
		return c.withContext(&pb.MessageEvent{Text: mediatext.LocationText(l) + "\n" + liveNote}, m.GetContextInfo())
	case msg.ContactMessage != nil:
		m := msg.GetContactMessage()
		return c.withContext(&pb.MessageEvent{Text: c.contactText(m)}, m.GetContextInfo())
	case msg.ContactsArrayMessage != nil:
		m := msg.GetContactsArrayMessage()
		parts := make([]string, 0, len(m.GetContacts()))
		for _, cm := range m.GetContacts() {
			parts = append(parts, c.contactText(cm))
		}
		return c.withContext(&pb.MessageEvent{Text: strings.Join(parts, "\n\n")}, m.GetContextInfo())
	case firstPoll(msg) != nil:
		m := firstPoll(msg)
		return c.withContext(&pb.MessageEvent{Text: pollText(m)}, m.GetContextInfo())
	case msg.PollResultSnapshotMessage != nil, msg.PollResultSnapshotMessageV3 != nil:
		// A poll's results shared (forwarded) as they stood: the
		// counts, not a poll to vote in.
		r := msg.GetPollResultSnapshotMessage()
		if r == nil {
			r = msg.GetPollResultSnapshotMessageV3()
		}
		return c.withContext(&pb.MessageEvent{Text: pollResultsText(r)}, r.GetContextInfo())
	case msg.CallLogMesssage != nil: // sic: WhatsApp's own spelling
		// Incoming, one-to-one, until its key and chat say otherwise
		// (Session.callLogged).
		return callLogText(msg.GetCallLogMesssage(), false, false)
	case msg.DocumentWithCaptionMessage != nil:
		// A document with a caption as the apps wrap it, where whatsmeow
		// leaves it wrapped: a correction's new content, a quoted one.
		return c.content(msg.GetDocumentWithCaptionMessage().GetMessage())
	case msg.EventMessage != nil:
		return c.event(msg.GetEventMessage()) // eventmsg.go
	case msg.RequestPhoneNumberMessage != nil:
		// A contact who knows the user by their hidden ID (LID) asks
		// for their number, which the apps share with a tap.
		m := msg.GetRequestPhoneNumberMessage()
		return c.withContext(&pb.MessageEvent{Text: "Asked for your phone number: share it " + onPhone + " if you wish"}, m.GetContextInfo())
	case msg.ScheduledCallCreationMessage != nil:
		return c.scheduledCall(msg.GetScheduledCallCreationMessage())
	case msg.ScheduledCallEditMessage != nil:
		return scheduledCallEdit(msg.GetScheduledCallEditMessage())
	case msg.StickerPackMessage != nil && msg.GetStickerPackMessage().GetName() != "":
		// A sticker pack shared: its name and maker; the stickers
		// themselves, a zip of WebP files, are added on the phone.
		p := msg.GetStickerPackMessage()
		text := "Sticker pack «" + p.GetName() + "»"
		if p.GetPublisher() != "" {
			text += " by " + p.GetPublisher()
		}
		return c.withContext(&pb.MessageEvent{Text: text + ": see it " + onPhone}, p.GetContextInfo())
	case richText(msg.GetRichResponseMessage()) != "":
		// An answer of Meta AI's (in a chat with it, or summoned in a
		// group): its paragraphs; tables, images and code stay on the
		// phone.
		r := msg.GetRichResponseMessage()
		return c.withContext(&pb.MessageEvent{Text: richText(r)}, r.GetContextInfo())
	case msg.PlaceholderMessage != nil && msg.PlaceholderMessage.GetType() == waE2E.PlaceholderMessage_MASK_LINKED_DEVICES:
		// What WhatsApp keeps from linked devices (a one-time passcode):
		// the phone alone shows it.
		return &pb.MessageEvent{Text: maskedText}
	case msg.ButtonsMessage != nil, msg.TemplateMessage != nil, msg.ListMessage != nil,
		msg.InteractiveMessage != nil:
		// Business messages: their text and choices (business.go), or,
		// saying nothing readable, said all the same, not dropped.
		if m := c.business(msg); m != nil {
			return m
		}
		return &pb.MessageEvent{Text: mediatext.UnshownText("A message (buttons, a list...) of a kind", onPhone)}
	case msg.ButtonsResponseMessage != nil, msg.TemplateButtonReplyMessage != nil, msg.ListResponseMessage != nil,
		msg.InteractiveResponseMessage != nil, msg.ProductMessage != nil:
		// A choice made in one (a button tapped): what the apps show;
		// a product shared. One that says nothing is the notice.
		return c.business(msg)
	}
	return nil
}

// notContent are the fields of a message that show nothing of their own:
// the bookkeeping every message may carry, what the session handles
// apart (votes, keeps, pins, reactions), and what goes with another
// message (an album's announcement before its photos, an event's cover,
// an event's answers, history bundles), and a call log, which content
// reads and leaves out while the call goes on (calls.go).
var notContent = map[protoreflect.Name]bool{
	"messageContextInfo": true, "senderKeyDistributionMessage": true, "fastRatchetKeySenderKeyDistributionMessage": true,
	"protocolMessage": true, "call": true, "chat": true, "stickerSyncRmrMessage": true,
	"reactionMessage": true, "encReactionMessage": true, "pollUpdateMessage": true,
	"keepInChatMessage": true, "pinInChatMessage": true, "secretEncryptedMessage": true,
	"albumMessage": true, "eventCoverImage": true, "encEventResponseMessage": true,
	"pollCreationOptionImageMessage": true, "messageHistoryBundle": true, "messageHistoryNotice": true,
	"callLogMesssage": true,
}

// sharedNumberText says that sender shared their phone number: with it,
// once it is known (their user ID is then the number).
func sharedNumberText(sender *pb.Sender) string {
	switch id := sender.GetUserId(); {
	case sender.GetIsFromMe():
		return "You shared your phone number"
	case strings.HasPrefix(id, "+"):
		return "Shared their phone number with you: " + id
	default:
		return "Shared their phone number with you: see it " + onPhone
	}
}

// memberTagText says that a member set (or, label empty, removed) their
// tag in a group; the user's own, from the phone, as the user's.
func memberTagText(label string, fromMe bool) string {
	label = strings.TrimSpace(label)
	switch {
	case fromMe && label == "":
		return "You removed your member tag in this group"
	case fromMe:
		return "You set your member tag in this group: «" + label + "»"
	case label == "":
		return "Removed their member tag in this group"
	default:
		return "Set their member tag in this group: «" + label + "»"
	}
}

// unshown says whether a message the plugin did not convert holds
// content all the same: a field outside notContent, or one whatsmeow
// does not know (a kind of message newer than it).
func unshown(msg *waE2E.Message) bool {
	if len(msg.ProtoReflect().GetUnknown()) > 0 {
		return true
	}
	found := false
	msg.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		found = !notContent[fd.Name()]
		return !found
	})
	return found
}

// groupInvite is a private invitation to join a group (sent to someone
// WhatsApp would not add for their privacy settings): the group's name,
// until when it is valid, its caption, and, for one the user received,
// how to join from XMPP: the room joinchat@ (joingroup.go) with the
// invitation as the password.
func (c inbound) groupInvite(m *waE2E.GroupInviteMessage, info *types.MessageInfo) *pb.MessageEvent {
	text := "Invitation to a WhatsApp group"
	if m.GetGroupName() != "" {
		text = "Invitation to the WhatsApp group «" + m.GetGroupName() + "»"
	}
	if exp := m.GetInviteExpiration(); exp > 0 {
		text += " (valid until " + time.Unix(exp, 0).UTC().Format(expiryLayout) + ")"
	}
	if m.GetCaption() != "" {
		text += "\n" + m.GetCaption()
	}
	// The inviter as WhatsApp named them (a LID stays one), as its
	// answer to the join expects them (Baileys' acceptInviteV4 too).
	inv, ok := invitationOf(m, info.Sender.ToNonAD())
	switch {
	case info.IsFromMe:
		// The user's own, sent from the phone: theirs to give, not to take.
	case ok:
		room := inviteRoom + "@" + c.domain
		if c.domain == "" {
			room = inviteRoom + "@ this transport"
		}
		text += "\nTo join it from here, join the room " + room + " with this password (or accept it " + onPhone + "):\n" + inv.password()
	default:
		text += "\n(accept it " + onPhone + ")"
	}
	return c.withContext(&pb.MessageEvent{Text: text}, m.GetContextInfo())
}

// viewOnce marks m, what msg shows, as to be seen once: the sender
// meant it so (the apps then hide it), and the user knows, though XMPP
// keeps it. A file whose keys WhatsApp left out (it keeps view-once
// media from linked devices, as WhatsApp Web says "open it on your
// phone") is said to be on the phone, not a file that cannot download.
func viewOnce(m *pb.MessageEvent, msg *waE2E.Message) {
	if dm, err := downloadable(msg); err == nil && len(m.Attachments) > 0 && len(dm.GetMediaKey()) == 0 {
		caption := m.Text
		m.Attachments, m.Spans = nil, nil
		m.Text = "View once: a file WhatsApp lets you open only " + onPhone
		if caption != "" {
			m.Text += "\n" + caption
		}
		return
	}
	prefix(m, "View once:")
}

// flaggedViewOnce says whether msg's media says it is to be seen once
// by its own flag (what the apps heed), with no view-once wrapper left
// around it, as history may keep it.
func flaggedViewOnce(msg *waE2E.Message) bool {
	return msg.GetImageMessage().GetViewOnce() || msg.GetVideoMessage().GetViewOnce() || msg.GetAudioMessage().GetViewOnce()
}

// richText is the text parts of an AI's rich answer, a paragraph each.
func richText(r *waE2E.AIRichResponseMessage) string {
	var parts []string
	for _, sub := range r.GetSubmessages() {
		if sub.GetMessageType() == waAICommon.AIRichResponseSubMessageType_AI_RICH_RESPONSE_TEXT && sub.GetMessageText() != "" {
			parts = append(parts, sub.GetMessageText())
		}
	}
	return strings.Join(parts, "\n")
}

// limitSharingText is a chat's advanced chat privacy turned on or off,
// said as its sender's doing.
func limitSharingText(l *waCommon.LimitSharing) string {
	if l.GetSharingLimited() {
		return "Turned on advanced chat privacy"
	}
	return "Turned off advanced chat privacy"
}

// liveNote follows a live location: where it starts, the rest on the
// phone.
const liveNote = "(where the sharing started: WhatsApp shows where it moves only " + onPhone + ")"

// maskedText is what the user sees of a message WhatsApp shows on the
// phone only (a placeholder for linked devices, as for a one-time
// passcode).
const maskedText = "A message WhatsApp shows only on your phone, for your security (such as a one-time passcode): see it " + onPhone + "."

// pollV6Field is the Message field of the newest poll form
// (pollCreationMessageV6: a PollCreationMessage that may hide its voters,
// end at a time, or let voters add options), newer than the pinned
// whatsmeow, whose proto keeps it as an unknown field (WhatsApp Web's
// later WAWebProtobufsE2E.proto: "optional PollCreationMessage
// pollCreationMessageV6 = 119").
const pollV6Field protowire.Number = 119

// firstPoll is the poll a message creates, of whichever version.
func firstPoll(msg *waE2E.Message) *waE2E.PollCreationMessage {
	for _, p := range []*waE2E.PollCreationMessage{msg.GetPollCreationMessage(), msg.GetPollCreationMessageV2(),
		msg.GetPollCreationMessageV3(), msg.GetPollCreationMessageV5(), msg.GetPollCreationMessageV4().GetMessage().GetPollCreationMessage()} {
		if p != nil {
			return p
		}
	}
	if msg == nil {
		return nil
	}
	var p waE2E.PollCreationMessage
	if unknownField(msg, pollV6Field, &p) {
		return &p
	}
	return nil
}

// pollText is a poll as text: its question and options, numbered for
// the user's /vote (vote.go); votes come one at a time, and correct the
// message with the counts (polls.go).
func pollText(p *waE2E.PollCreationMessage) string {
	return mediatext.PollText(pollOf(p), pollWhere)
}

// pollResultsText is a poll's results shared, as the apps show them:
// its question and each option's count.
func pollResultsText(r *waE2E.PollResultSnapshotMessage) string {
	var b strings.Builder
	b.WriteString("Poll results: " + r.GetName())
	for _, v := range r.GetPollVotes() {
		n := v.GetOptionVoteCount()
		b.WriteString("\n" + v.GetOptionName() + ": " + strconv.FormatInt(n, 10) + " vote")
		if n != 1 {
			b.WriteString("s")
		}
	}
	return b.String()
}

// pollOf is a poll for mediatext, no votes counted.
func pollOf(p *waE2E.PollCreationMessage) mediatext.Poll {
	// The most options a voter picks: 1 for one answer; 0 is no
	// maximum (whatsmeow's BuildPollCreation makes a count out of range
	// 0).
	mp := mediatext.Poll{Question: p.GetName(), Multiple: p.GetSelectableOptionsCount() != 1}
	for _, o := range p.GetOptions() {
		mp.Options = append(mp.Options, mediatext.Option{Text: o.GetOptionName()})
	}
	return mp
}

// contactText is a contact card as text: its display name, then its
// vCard's numbers and addresses, then, for each number the card says is
// on WhatsApp, the address of the chat with it here (the apps' button
// to message the contact; an xmpp: link clients open as a chat).
func (c inbound) contactText(m *waE2E.ContactMessage) string {
	text := mediatext.ContactText(mediatext.Contact{Name: m.GetDisplayName(), VCard: m.GetVcard()})
	if c.domain == "" {
		return text
	}
	for _, id := range vcardWAIDs(m.GetVcard()) {
		text += "\nWhatsApp: xmpp:+" + id + "@" + c.domain
	}
	return text
}

// media is a message with one attachment, fetched later by reference.
func (c inbound) media(a *pb.Attachment, ref *waE2E.Message, ci *waE2E.ContextInfo) *pb.MessageEvent {
	if a.Size == 0 {
		a.Size = -1
	}
	if len(a.Thumbnail) > 0 {
		a.ThumbnailMime = "image/jpeg"
	}
	a.Source = &pb.Attachment_Ref{Ref: encodeMediaRef(ref)}
	return c.withContext(&pb.MessageEvent{Text: a.Caption, Attachments: []*pb.Attachment{a}}, ci)
}

// withContext adds a reply and mentions from a message's ContextInfo.
func (c inbound) withContext(m *pb.MessageEvent, ci *waE2E.ContextInfo) *pb.MessageEvent {
	if ci == nil {
		return m
	}
	m.ReplyToId = ci.GetStanzaID()
	if m.ReplyToId != "" {
		c.withQuote(m, ci) // quote_in.go
	}
	m.Spans = append(m.Spans, mentionSpans(m.Text, ci.GetMentionedJID(), c.ids)...)
	if all := mentionAllSpans(m.Text, m.Spans, ci, c.self); len(all) > 0 { // mentionall.go
		m.Spans = append(m.Spans, all...)
		sortSpans(m.Spans)
	}
	return m
}

// mentionSpans finds each mentioned user's "@<number>" in text (as the
// WhatsApp apps write a mention) and marks it as a mention of that user.
func mentionSpans(text string, mentioned []string, ids idMap) []*pb.Span {
	var spans []*pb.Span
	for _, s := range mentioned {
		jid, err := types.ParseJID(s)
		if err != nil || jid.User == "" {
			continue
		}
		at := "@" + jid.User
		from := 0
		for {
			i := strings.Index(text[from:], at)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(at)
			from = end
			if end < len(text) && text[end] >= '0' && text[end] <= '9' {
				continue // a longer number
			}
			spans = append(spans, &pb.Span{Start: uint32(start), End: uint32(end), Style: pb.Span_STYLE_MENTION, UserId: ids.userID(jid.ToNonAD())})
		}
	}
	sortSpans(spans)
	return spans
}

// A media reference is the media message itself, without its thumbnail
// and context, marshalled: everything DownloadMedia needs (direct path,
// keys, hashes) and nothing the event already carries.

func encodeMediaRef(m *waE2E.Message) string {
	b, err := proto.Marshal(m)
	if err != nil {
		return "" // a message that just came out of Unmarshal marshals
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeMediaRef(ref string) (*waE2E.Message, error) {
	b, err := base64.RawURLEncoding.DecodeString(ref)
	if err != nil {
		return nil, fmt.Errorf("media reference is not base64: %w", err)
	}
	var m waE2E.Message
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("media reference: %w", err)
	}
	return &m, nil
}

func stripImage(m *waE2E.ImageMessage) *waE2E.ImageMessage {
	c := proto.Clone(m).(*waE2E.ImageMessage)
	c.JPEGThumbnail, c.ContextInfo, c.Caption = nil, nil, nil
	return c
}

func stripVideo(m *waE2E.VideoMessage) *waE2E.VideoMessage {
	c := proto.Clone(m).(*waE2E.VideoMessage)
	c.JPEGThumbnail, c.ContextInfo, c.Caption = nil, nil, nil
	return c
}

func stripDocument(m *waE2E.DocumentMessage) *waE2E.DocumentMessage {
	c := proto.Clone(m).(*waE2E.DocumentMessage)
	c.JPEGThumbnail, c.ContextInfo, c.Caption = nil, nil, nil
	return c
}

// receipt converts a receipt; nil for kinds the contract has no word for
// (retry, server acknowledgements).
func (c inbound) receipt(evt *events.Receipt) *pb.Event {
	var kind pb.ReceiptEvent_Kind
	switch evt.Type {
	case types.ReceiptTypeDelivered:
		kind = pb.ReceiptEvent_KIND_DELIVERED
	case types.ReceiptTypeRead, types.ReceiptTypeReadSelf, types.ReceiptTypePlayed, types.ReceiptTypePlayedSelf:
		// Played: a voice note listened to (played-self: by the user, on
		// another device), which reads it.
		kind = pb.ReceiptEvent_KIND_READ
	default:
		return nil
	}
	chat := evt.Chat
	if isChannel(chat) {
		return nil // a channel's post seen: its room has no read marks (channels.go)
	}
	if chat.Server == types.BroadcastServer {
		if !chat.IsBroadcastList() || evt.IsFromMe || evt.Sender.IsEmpty() {
			return nil // a status's views (statuses are not shown), or no one's; the user's own: ownListRead
		}
		// A recipient of the user's broadcast list: the message is
		// shown in their chat (ownBroadcastMessage), where their phone
		// shows it too; the receipt went to the list, no chat here.
		chat = evt.Sender.ToNonAD()
	}
	sender := &pb.Sender{UserId: c.ids.userID(evt.Sender.ToNonAD())}
	if evt.IsFromMe {
		sender = &pb.Sender{UserId: c.self, IsFromMe: true}
	}
	ids := make([]string, len(evt.MessageIDs))
	copy(ids, evt.MessageIDs)
	return &pb.Event{
		ChatId: chatIDOf(c.ids, chat), ChatType: chatTypeOf(chat), Sender: sender,
		TimestampUnixMicro: evt.Timestamp.UnixMicro(),
		Payload:            &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: ids}},
	}
}

// chatMarkedRead converts the user marking a chat read on the phone (an
// app state change, "mark as read" in its chat list, which mautrix-
// whatsapp follows too: read-self receipts may not come with it): a
// read receipt of the user's for the
// messages of others the change names; nil when marked unread or naming
// none.
func (c inbound) chatMarkedRead(evt *events.MarkChatAsRead) *pb.Event {
	if !evt.Action.GetRead() || isChannel(evt.JID) || evt.JID.Server == types.BroadcastServer {
		// A channel's room has no read marks (channels.go), statuses
		// are not shown, and a broadcast list has no chat of its own.
		return nil
	}
	var ids []string
	for _, m := range evt.Action.GetMessageRange().GetMessages() {
		if k := m.GetKey(); k.GetID() != "" && !k.GetFromMe() {
			ids = append(ids, k.GetID())
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return &pb.Event{
		ChatId: chatIDOf(c.ids, evt.JID), ChatType: chatTypeOf(evt.JID), Sender: &pb.Sender{UserId: c.self, IsFromMe: true},
		TimestampUnixMicro: evt.Timestamp.UnixMicro(),
		Payload:            &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: pb.ReceiptEvent_KIND_READ, MessageIds: ids}},
	}
}

// chatPresence converts typing.
func (c inbound) chatPresence(evt *events.ChatPresence) *pb.Event {
	state := pb.TypingState_TYPING_STATE_PAUSED
	if evt.State == types.ChatPresenceComposing {
		state = pb.TypingState_TYPING_STATE_COMPOSING
	}
	sender := &pb.Sender{UserId: c.ids.userID(senderOf(&types.MessageInfo{MessageSource: evt.MessageSource}))}
	if evt.IsFromMe {
		return nil // the user typing on the phone: nothing to show
	}
	typing := &pb.TypingEvent{State: state}
	if state == pb.TypingState_TYPING_STATE_COMPOSING {
		// Composing ends by silence: the apps say it again while the
		// contact types (typing.go).
		typing.TimeoutMs = typingValidMs
	}
	return &pb.Event{
		ChatId: chatIDOf(c.ids, evt.Chat), ChatType: chatTypeOf(evt.Chat), Sender: sender,
		TimestampUnixMicro: time.Now().UnixMicro(),
		Payload:            &pb.Event_Typing{Typing: typing},
	}
}

// presence converts a contact's presence, with last seen when given.
func (c inbound) presence(evt *events.Presence) *pb.Event {
	p := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	if evt.Unavailable {
		p.Show = pb.PresenceShow_PRESENCE_SHOW_OFFLINE
		if !evt.LastSeen.IsZero() {
			p.LastSeenUnix = evt.LastSeen.Unix()
		}
	}
	user := c.ids.userID(evt.From.ToNonAD())
	return &pb.Event{
		ChatId: user, Sender: &pb.Sender{UserId: user},
		TimestampUnixMicro: time.Now().UnixMicro(),
		Payload:            &pb.Event_Presence{Presence: &pb.PresenceEvent{Presence: p}},
	}
}
