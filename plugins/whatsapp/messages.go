package whatsapp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The user's messages and actions, out to WhatsApp.

// now is the clock of outgoing actions.
func now() time.Time { return clock.get()() }

// clock is now's, a setting: tests move it.
var clock = newSetting(time.Now)

// mentionOf resolves a mention span's user to WhatsApp's "@<number>" and
// the JID to list beside the text.
func (s *Session) mentionOf(userID string) (user, jid string) {
	j, err := parseUserID(userID)
	if err != nil || (j.Server != types.DefaultUserServer && j.Server != types.HiddenUserServer) {
		return "", ""
	}
	return j.User, j.String()
}

// sent is the result of a message the user sent at t (WhatsApp's time)
// into a chat whose timer is timer (seconds; 0: off): it disappears that
// long after t, as the timer it carries says (withTimer).
func (s *Session) sent(id string, t time.Time, timer uint32, spoiler bool) sdk.Result {
	return s.sentAs(id, t, timer, spoiler, nil)
}

// sentAs is sent's result for a message of a kind a correction must
// know (a location, a poll: fileOf's form, kept in the meta).
// A zero t (WhatsApp's acknowledgement said no time) is now, when the
// message went: a meta without a time is taken for an older version's,
// sent before this version first ran (sentBefore).
func (s *Session) sentAs(id string, t time.Time, timer uint32, spoiler bool, kind []byte) sdk.Result {
	if t.IsZero() {
		t = now()
	}
	r := sdk.Result{MessageID: id, Time: t, Meta: msgMeta{Sender: s.ownJID(), FromMe: true, Time: t, Spoiler: spoiler, File: kind}.encode()}
	if timer > 0 {
		r.Expires = t.Add(time.Duration(timer) * time.Second)
	}
	return r
}

// quotedOf is the message a reply names, with the metadata stored with
// it; a reply whose metadata is missing goes out without its quote
// rather than not at all.
func (s *Session) quotedOf(id string, meta []byte) *quoted {
	if id == "" {
		return nil
	}
	m, err := decodeMeta(meta)
	if err != nil {
		s.log.Info("reply sent without its quote", "reply_to", id, "err", err)
		return nil
	}
	return &quoted{ID: id, Meta: m}
}

// SendMessage sends text, or files with the text as the first one's
// caption (WhatsApp sends one file per message; the result names the
// first, and its meta the others: see msgMeta.Parts).
func (s *Session) SendMessage(ctx context.Context, c sdk.Call, msg *pb.SendMessage) (sdk.Result, error) {
	s.typingKeeper().Stop(c.ChatID) // a message ends typing (typing.go)
	// The uploads a refusal or a failure left untaken: the gateway
	// names none again, and their files would stay until the next start.
	defer s.uploads.drop(msg.Attachments)
	sdk.UnescapeChatCommand(msg) // "//timer" goes as "/timer", a channel's post too
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if isChannel(chat) {
		return s.postToChannel(ctx, c, chat.ToNonAD(), msg) // channelsend.go
	}
	if err := s.reachable(ctx, chat); err != nil {
		return sdk.Result{}, err
	}
	text, mentions := renderOut(msg.Text, msg.Spans, s.mentionOf)
	if err := sendFits(text, msg.Attachments); err != nil {
		return sdk.Result{}, err
	}
	reply := s.quotedOf(msg.ReplyToId, msg.ReplyToMeta)
	// "@all" in a group mentions all its members (mentionall.go); read
	// in the text as sent, whose spans say what is code.
	all := chat.Server == types.GroupServer && len(mentionAllWords(msg.Text, msg.Spans)) > 0
	timer := s.timers.get(c.ChatID)
	secret := s.communityAnnouncements(chat) // secretmsg.go
	// prep is a message as it goes: with the chat's timer, and in a
	// community's announcement group with a message secret.
	prep := func(m *waE2E.Message) *waE2E.Message {
		m = withTimer(m, timer)
		if secret {
			m = withSecret(m)
		}
		return m
	}
	// The whole text a spoiler: what carries it (the text, a location,
	// the first file) goes hidden as the apps hide one, the chat's
	// timer on the content inside (prep leaves the wrapper's alone but
	// for a message secret). A file marked as one (Attachment.spoiler:
	// a file sent without text, whose spoiler mark had no text to be a
	// span over) goes hidden too, and the first one so hides the
	// message as its text would.
	hidden := wholeSpoiler(msg.Text, msg.Spans) || len(msg.Attachments) > 0 && msg.Attachments[0].GetSpoiler()
	hideIf := func(on bool, m *waE2E.Message) (*waE2E.Message, error) {
		if !on {
			return m, nil
		}
		return spoilerMessage(withTimer(m, timer))
	}
	hide := func(m *waE2E.Message) (*waE2E.Message, error) { return hideIf(hidden, m) }
	if len(msg.Attachments) == 0 {
		content := textMessage(text, reply, mentions)
		if all {
			content = textMentionAll(content)
		}
		if loc, ok := mediatext.GeoURI(msg.Text); ok {
			// A location the XMPP client sent as a geo: URI: WhatsApp's own.
			content = locationMessage(loc, reply)
		}
		kind := fileOf(content) // a location's, not a text's: not corrected (captionedit.go)
		if content, err = hide(content); err != nil {
			return sdk.Result{}, err
		}
		resp, err := s.d.cli.SendMessage(ctx, chat, prep(content), s.sendID(c, 0))
		if err != nil {
			return sdk.Result{}, s.sendErr("send", err)
		}
		s.noteSent(c.ChatID, chat, resp)
		return s.sentAs(resp.ID, resp.Timestamp, timer, hidden, kind), nil
	}
	var first sdk.Result
	var parts []types.MessageID
	var file []byte   // the first file, for a correction of its caption (captionedit.go)
	var textPart bool // its text went as parts[0]
	withParts := func() sdk.Result {
		if first.MessageID != "" {
			first.Meta = msgMeta{Sender: s.ownJID(), FromMe: true, Parts: parts, Time: first.Time, File: file, TextPart: textPart, Spoiler: hidden}.encode()
		}
		return first
	}
	for i, a := range msg.Attachments {
		caption := a.Caption
		ci := contextInfo(nil, nil)
		if i == 0 {
			if text != "" {
				caption = text
			}
			ci = contextInfo(reply, mentions)
			if all {
				ci = withMentionAll(ci)
			}
		}
		m, err := s.upload(ctx, a, caption, ci)
		if err != nil {
			return withParts(), err
		}
		// The first file goes hidden with the text (its caption, or
		// the message after an audio file); any file marked as a
		// spoiler, hidden.
		out, err := hideIf(i == 0 && hidden || a.GetSpoiler(), m)
		if err != nil {
			return withParts(), err
		}
		resp, err := s.d.cli.SendMessage(ctx, chat, prep(out), s.sendID(c, i))
		if err != nil {
			return withParts(), s.sendErr("send a file", err)
		}
		if i == 0 {
			first = s.sent(resp.ID, resp.Timestamp, timer, hidden)
			file = fileOf(m)
			s.noteSent(c.ChatID, chat, resp)
		} else {
			parts = append(parts, resp.ID)
		}
		if caption != "" && captionless(m) {
			// WhatsApp's audio and contact cards have no caption: the
			// text follows as a message of its own, one more part of
			// the send.
			var ms []string
			if i == 0 {
				ms = mentions
			}
			tm := textMessage(caption, nil, ms)
			if i == 0 && all {
				tm = textMentionAll(tm)
			}
			if i == 0 {
				if tm, err = hide(tm); err != nil {
					return withParts(), err
				}
			}
			resp, err := s.d.cli.SendMessage(ctx, chat, prep(tm), s.sendID(c, len(msg.Attachments)+i))
			if err != nil {
				return withParts(), s.sendErr("send the text of an audio file", err)
			}
			textPart = textPart || i == 0
			parts = append(parts, resp.ID)
		}
	}
	return withParts(), nil
}

// sendID is the message ID of part (0 for the text or first file) of a
// message sent under a txn: the same for the same txn, so that the
// gateway's resend of a command whose answer a killed plugin never gave
// (the message may have gone out) does not deliver it twice: WhatsApp
// acknowledges a message whose ID the sender used before in the chat
// and delivers nothing (an integration that sent every message under one
// ID saw only the first delivered: evolution-go issue 61), and the apps
// keep one message per ID. Without a txn whatsmeow picks a random ID.
// The form is whatsmeow's own (GenerateMessageID): "3EB0" and 18
// upper-case hex digits.
func (s *Session) sendID(c sdk.Call, part int) whatsmeow.SendRequestExtra {
	h, ok := sdk.TxnDigest(s.login.LoginID, c, part)
	if !ok {
		return whatsmeow.SendRequestExtra{}
	}
	return whatsmeow.SendRequestExtra{ID: types.MessageID(whatsmeow.WebMessageIDPrefix + strings.ToUpper(hex.EncodeToString(h[:9])))}
}

// ownTarget is the metadata of a message the user may edit: their own.
func ownTarget(id string, meta []byte) (quoted, error) {
	m, err := decodeMeta(meta)
	if err != nil {
		return quoted{}, err
	}
	if !m.FromMe {
		return quoted{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only your own messages can be corrected")
	}
	return quoted{ID: id, Meta: m}, nil
}

// maxTextBytes is the longest text the plugin sends (the capabilities'
// MaxTextBytes): WhatsApp's 65536.
const maxTextBytes = 65536

// textFits refuses a text longer than maxTextBytes, as the contract
// asks of the plugin (nothing else enforces it).
func textFits(text string) error {
	if len(text) > maxTextBytes {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "whatsapp: a message holds at most %d bytes of text (this one %d): send it in parts", maxTextBytes, len(text))
	}
	return nil
}

// sendFits checks that a send's text and each of its files' captions
// fit in a message (textFits).
func sendFits(text string, files []*pb.Attachment) error {
	if err := textFits(text); err != nil {
		return err
	}
	for _, a := range files {
		if err := textFits(a.Caption); err != nil {
			return err
		}
	}
	return nil
}

// editWindow is how long after it was sent the user may correct a
// message (the capabilities' EditWindowSeconds): WhatsApp's apps drop a
// later edit (whatsmeow's EditWindow, 20 minutes, is the most they
// take), which would show corrected on XMPP alone.
const editWindow = 15 * time.Minute

// EditMessage corrects one of the user's messages, within editWindow
// when its time is known, or the time it was sent before (sentBefore;
// nothing else enforces it).
func (s *Session) EditMessage(ctx context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if isChannel(chat) {
		return s.editChannelPost(ctx, chat.ToNonAD(), e) // channeledit.go
	}
	target, err := ownTarget(e.TargetId, e.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if t := s.sentBefore(target.Meta); !t.IsZero() && now().Sub(t) > editWindow {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: a message can be corrected for %d minutes after it was sent; send the correction as a new message", int(editWindow/time.Minute))
	}
	if _, ok := mediatext.GeoURI(e.Text); ok {
		// A location corrected (XEP-0308 of a geo: URI): WhatsApp edits
		// text only.
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "whatsapp: a shared location cannot be changed: share the new one")
	}
	text, mentions := renderOut(e.Text, e.Spans, s.mentionOf)
	if err := textFits(text); err != nil {
		return sdk.Result{}, err
	}
	// A file's caption goes as its media message with the new caption
	// (captionedit.go).
	content, id, err := editContent(target, text, mentions)
	if err != nil {
		return sdk.Result{}, err
	}
	if target.Meta.Spoiler || wholeSpoiler(e.Text, e.Spans) {
		// A correction of a message sent hidden, or one marked as a
		// spoiler (XEP-0382 in the correction): its new content hidden
		// as a message's, else the correction showed the hidden text to
		// all (a client need not mark the correction again).
		if content, err = spoilerMessage(content); err != nil {
			return sdk.Result{}, err
		}
	}
	resp, err := s.d.cli.SendMessage(ctx, chat, editMessage(chat, id, content, now()))
	if err != nil {
		return sdk.Result{}, s.sendErr("edit", err)
	}
	return sdk.Result{MessageID: e.TargetId, Time: resp.Timestamp}, nil
}

// React sets the user's reaction (WhatsApp keeps one per user).
func (s *Session) React(ctx context.Context, c sdk.Call, r *pb.React) (sdk.Result, error) {
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	m, err := decodeMeta(r.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if isChannel(chat) {
		return s.channelReact(ctx, chat.ToNonAD(), r, m) // channels.go
	}
	msg := reactionMessage(chat, quoted{ID: r.TargetId, Meta: m}, r.Emojis, now())
	var extra whatsmeow.SendRequestExtra
	if s.communityAnnouncements(chat) {
		if msg, extra, err = s.encryptReaction(ctx, chat, quoted{ID: r.TargetId, Meta: m}, msg); err != nil {
			return sdk.Result{}, err
		}
	}
	resp, err := s.d.cli.SendMessage(ctx, chat, msg, extra)
	if err != nil {
		return sdk.Result{}, s.sendErr("react", err)
	}
	return sdk.Result{MessageID: resp.ID, Time: resp.Timestamp}, nil
}

// revokeWindow is how long after it was sent the user may delete a
// message of theirs for everyone: WhatsApp's apps offer it "about 2
// days" (their FAQ) and ignore a later deletion, which would show the
// message deleted on XMPP alone while everyone on WhatsApp keeps it. A
// group admin deletes another member's message within the same window
// (the apps offer no deletion for everyone past it; whatsmeow has no
// rule of its own, and WhatsApp's server refuses nothing).
const revokeWindow = 48 * time.Hour

// Retract deletes a message for everyone, within revokeWindow when its
// time is known, or the time it was sent before (sentBefore): the
// user's own, or another's in a group as its admin.
func (s *Session) Retract(ctx context.Context, c sdk.Call, r *pb.Retract) (sdk.Result, error) {
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if isChannel(chat) {
		return s.retractChannelPost(ctx, chat.ToNonAD(), r) // channeledit.go
	}
	m, err := decodeMeta(r.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if !m.FromMe && chat.Server != types.GroupServer {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only your own messages can be deleted for everyone here")
	}
	if !m.FromMe {
		if err := s.mayDeleteOthers(ctx, chat); err != nil {
			return sdk.Result{}, err
		}
	}
	if t := s.sentBefore(m); !t.IsZero() && now().Sub(t) > revokeWindow {
		if !m.FromMe {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: a group's admin can delete a member's message for everyone for %d days after it was sent; it stays on WhatsApp", int(revokeWindow/(24*time.Hour)))
		}
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: a message can be deleted for everyone for %d days after it was sent; it stays on WhatsApp", int(revokeWindow/(24*time.Hour)))
	}
	resp, err := s.d.cli.SendMessage(ctx, chat, revokeMessage(chat, quoted{ID: r.TargetId, Meta: m}))
	if err != nil {
		return sdk.Result{}, s.sendErr("delete", err)
	}
	s.dropPin(chatIDOf(s.ids, chat), r.TargetId, resp.Timestamp) // pinstate.go
	// The other files the same send made go with it.
	for i, id := range m.Parts {
		if _, err := s.d.cli.SendMessage(ctx, chat, revokeMessage(chat, quoted{ID: id, Meta: msgMeta{Sender: m.Sender, FromMe: m.FromMe}})); err != nil {
			return sdk.Result{MessageID: resp.ID, Time: resp.Timestamp}, s.sendErr(fmt.Sprintf("delete file %d of %d (the first ones are deleted)", i+2, len(m.Parts)+1), err)
		}
	}
	return sdk.Result{MessageID: resp.ID, Time: resp.Timestamp}, nil
}

// mayDeleteOthers refuses the deletion of someone else's message in a
// group where the user is no admin, as the group is known (read once if
// it is not): WhatsApp's apps take such a deletion from an admin only,
// and WhatsApp itself does not refuse it, so the message would show
// deleted on XMPP alone. A group that cannot be read leaves it to
// WhatsApp.
func (s *Session) mayDeleteOthers(ctx context.Context, chat types.JID) error {
	g, ok := s.cachedGroup(chat)
	if !ok {
		rg, err := s.group(ctx, chat)
		if err != nil {
			s.log.Info("group unknown before deleting a message of another's: WhatsApp decides", "chat", chat, "err", err)
			return nil
		}
		g = *rg
	}
	if !s.isSelfAdmin(&g) {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: only the group's admins may delete others' messages for everyone")
	}
	return nil
}

// MarkRead sends a read receipt for the newest message read (WhatsApp
// takes it as all before it read); the user's own messages need none.
func (s *Session) MarkRead(ctx context.Context, c sdk.Call, m *pb.MarkRead) error {
	chat, err := parseChatID(c.ChatID)
	if err != nil {
		return err
	}
	meta, err := decodeMeta(m.UpToMeta)
	if err != nil {
		return err
	}
	if meta.FromMe {
		return nil
	}
	msgs := s.unread.upTo(c.ChatID, m.UpToId) // readmarks.go: the earlier ones too
	taken := msgs != nil
	if !taken {
		msgs = []unreadMsg{{id: m.UpToId, sender: meta.Sender}}
	}
	keys, ids := bySender(msgs, chat.Server == types.GroupServer)
	for _, k := range keys {
		to := chat
		if !k.list.IsEmpty() {
			to = k.list // a contact's message to their list (readmarks.go)
		}
		if err := s.d.cli.MarkRead(ctx, ids[k], now(), to, k.sender); err != nil {
			if taken {
				s.unread.putBack(c.ChatID, msgs) // for the same mark again
			}
			return s.sendErr("mark read", err)
		}
	}
	if isChannel(chat) {
		if !taken {
			msgs[0].server = meta.ServerID
		}
		if err := s.channelViewed(ctx, chat, msgs); err != nil {
			if taken {
				s.unread.putBack(c.ChatID, msgs)
			}
			return err
		}
	}
	return nil
}

// SetPresence forwards the user's presence. WhatsApp tells contacts'
// presence only to a client that is available itself, and only for the
// contacts it subscribed to: being available subscribes them.
func (s *Session) SetPresence(ctx context.Context, p *pb.Presence) error {
	wp := presenceOf(p)
	available := wp == types.PresenceAvailable
	s.presenceMu.Lock()
	err := s.d.cli.SendPresence(ctx, wp)
	was, err := s.presenceSent(available, err)
	s.presenceMu.Unlock()
	if err != nil {
		return s.sendErr("presence", err)
	}
	if available && !was {
		s.subscribeContacts(ctx)
	}
	return nil
}

// presenceSent keeps the user's presence once sent (with presenceMu
// held), and says whether they were available already.
func (s *Session) presenceSent(available bool, err error) (bool, error) {
	if errors.Is(err, whatsmeow.ErrNoPushName) {
		// A device just linked: WhatsApp has not synced the account's
		// name yet (its settings come seconds later), and a presence
		// must carry it. Kept, and sent once the name is known
		// (pushNameKnown).
		s.log.Info("presence kept until WhatsApp syncs the account's name", "available", available)
		s.mu.Lock()
		s.available, s.presenceOwed = available, available
		s.mu.Unlock()
		return true, nil
	}
	if err != nil {
		return true, err
	}
	s.mu.Lock()
	was := s.available && !s.presenceOwed
	s.available, s.presenceOwed = available, false
	if !available {
		// Available again subscribes them all again, as before.
		s.subscribed = nil
	}
	s.mu.Unlock()
	return was, nil
}

// presentUnavailable tells WhatsApp the user is away when a connection
// starts, or the account's name comes, while the user is not available:
// whatsmeow sends no presence by itself, and WhatsApp learns the name it
// shows to those the user writes to from a presence ("-" without one),
// as whatsmeow's SendPresence says. Under presenceMu: a SetPresence of
// the user's meanwhile is not undone.
func (s *Session) presentUnavailable() {
	s.presenceMu.Lock()
	defer s.presenceMu.Unlock()
	s.mu.Lock()
	available := s.available
	s.mu.Unlock()
	if available {
		return // theirs went, or goes once the name is known
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.d.cli.SendPresence(ctx, types.PresenceUnavailable); err != nil && !errors.Is(err, whatsmeow.ErrNoPushName) {
		s.log.Info("presence on connecting", "err", err)
	}
}

// presentUnavailableLater is presentUnavailable off WhatsApp's event
// loop.
func (s *Session) presentUnavailableLater() {
	s.presenceWork.Add(1)
	go func() {
		defer s.presenceWork.Done()
		s.presentUnavailable()
	}()
}

// pushNameKnown sends the user's presence, and subscribes to the
// contacts', when SetPresence could not for want of the account's name.
func (s *Session) pushNameKnown() {
	s.mu.Lock()
	owed, available := s.presenceOwed, s.available
	s.presenceOwed = false
	s.mu.Unlock()
	switch {
	case owed:
		s.presenceWork.Add(1)
		go func() { // off WhatsApp's event loop
			defer s.presenceWork.Done()
			s.resubscribe()
		}()
	case !available:
		s.presentUnavailableLater() // the name, which none could carry before
	}
}

// resubscribe is SetPresence available again after a reconnection.
func (s *Session) resubscribe() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.presenceMu.Lock()
	s.mu.Lock()
	available := s.available
	s.mu.Unlock()
	var err error
	if available {
		err = s.d.cli.SendPresence(ctx, types.PresenceAvailable)
	}
	s.presenceMu.Unlock()
	if !available {
		return // unavailable meanwhile: SetPresence sent it
	}
	if err != nil {
		s.log.Info("presence after reconnecting", "err", err)
		return
	}
	s.subscribeContacts(ctx)
}

// subscribeContacts asks for the presence of every saved contact (the
// contact list's) not yet asked for on this connection: right after
// linking, the address book's sync and the presence kept until the
// account's name came both call it, seconds apart, and each would
// otherwise ask for every contact again.
func (s *Session) subscribeContacts(ctx context.Context) {
	s.subscribing.Lock()
	defer s.subscribing.Unlock()
	all, err := s.d.dev.Contacts.GetAllContacts(ctx)
	if err != nil {
		s.log.Warn("contacts for presence", "err", err)
		return
	}
	s.mu.Lock()
	if s.subscribed == nil {
		s.subscribed = map[types.JID]bool{}
	}
	done := s.subscribed // a reset meanwhile leaves this one
	s.mu.Unlock()
	for jid, c := range all {
		if (c.FullName == "" && c.FirstName == "") || jid.Server != types.DefaultUserServer {
			continue
		}
		s.mu.Lock()
		asked := done[jid]
		s.mu.Unlock()
		if asked {
			continue
		}
		if err := s.d.cli.SubscribePresence(ctx, jid); err != nil {
			s.log.Debug("presence subscription", "jid", jid, "err", err)
			continue
		}
		s.mu.Lock()
		done[jid] = true
		s.mu.Unlock()
	}
}
