package telegram

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotd/td/telegram/updates"
	"github.com/gotd/td/telegram/uploader"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/editwindow"
	"passerelle.im/passerelle/plugins/telegram/parts"
	"passerelle.im/passerelle/plugins/telegram/reaction"
)

var (
	_ sdk.Editor     = (*Session)(nil)
	_ sdk.Reactor    = (*Session)(nil)
	_ sdk.Retractor  = (*Session)(nil)
	_ sdk.ReadMarker = (*Session)(nil)
	_ sdk.Typer      = (*Session)(nil)
)

func randomID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]))
}

// sendRandomID is the random_id of part (0 for the text or first file)
// of a message sent under a txn: the same for the same txn, so that the
// gateway's resend of a command whose answer a killed plugin never gave
// (the message may have gone out) gets the message sent, not a second
// one: Telegram answers a repeated random_id with the message it made
// (core.telegram.org, "Working with Updates", random ID deduplication).
// Without a txn it is random.
func sendRandomID(login string, c sdk.Call, part int) int64 {
	h, ok := sdk.TxnDigest(login, c, part)
	if !ok {
		return randomID()
	}
	if id := int64(binary.LittleEndian.Uint64(h[:8])); id != 0 {
		return id
	}
	return 1
}

func msgID(s string) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %q is no Telegram message ID", s)
	}
	return id, nil
}

// SendMessage sends text, or files with the text as the first one's
// caption, as a reply when asked.
func (s *Session) SendMessage(ctx context.Context, c sdk.Call, msg *pb.SendMessage) (sdk.Result, error) {
	s.typingKeeper().Stop(c.ChatID) // a message ends typing (typing.go)
	if s.bot != nil {
		return s.bot.SendMessage(ctx, c, msg)
	}
	sdk.UnescapeChatCommand(msg) // "//timer" goes as "/timer"
	if err := textFits(msg.Text); err != nil {
		return sdk.Result{}, err // before a file goes without it
	}
	api, mgr, peer, err := s.chatPeer(ctx, c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	topic, err := s.knownTopic(ctx, c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	var reply tg.InputReplyToClass
	replyTo := 0
	if msg.ReplyToId != "" {
		if replyTo, err = msgID(msg.ReplyToId); err != nil {
			return sdk.Result{}, err
		}
		reply = &tg.InputReplyToMessage{ReplyToMsgID: replyTo}
	}
	if topic != 0 {
		reply = topicReply(topic, replyTo)
	}
	if loc, ok := mediatext.GeoURI(msg.Text); ok && len(msg.Attachments) == 0 {
		// A location the XMPP client sent as a geo: URI: Telegram's own.
		rid := sendRandomID(s.login.LoginID, c, 0)
		req := &tg.MessagesSendMediaRequest{Peer: peer, Media: geoMedia(loc), RandomID: rid}
		if reply != nil {
			req.SetReplyTo(reply)
		}
		s.noteSend(c, rid)
		upd, err := api.MessagesSendMedia(ctx, req)
		if err != nil {
			s.sendFailed(c, rid, err)
			return sdk.Result{}, s.topicErr("send a location", c.ChatID, err)
		}
		return s.sentResult(ctx, mgr, c, rid, upd)
	}
	ents := entitiesOf(msg.Text, msg.Spans, s.mentioned)
	if len(msg.Attachments) == 0 {
		rid := sendRandomID(s.login.LoginID, c, 0)
		req := &tg.MessagesSendMessageRequest{Peer: peer, Message: msg.Text, Entities: ents, RandomID: rid}
		if reply != nil {
			req.SetReplyTo(reply)
		}
		if len(ents) > 0 {
			req.SetEntities(ents)
		}
		s.noteSend(c, rid)
		upd, err := api.MessagesSendMessage(ctx, req)
		if err != nil {
			s.sendFailed(c, rid, err)
			return sdk.Result{}, s.topicErr("send", c.ChatID, err)
		}
		s.noteShortSent(c.ChatID, req, upd)
		return s.sentResult(ctx, mgr, c, rid, upd)
	}
	return s.sendFiles(ctx, api, mgr, peer, c, msg, ents, reply, topic)
}

// textMax is the longest text Telegram takes in a message, in UTF-16
// code units once trimmed (its config's message_length_max, the same
// with Premium).
const textMax = 4096

// textFits refuses a text longer than Telegram takes in a message, as
// too large: with files, the first would go and the text fail after it.
func textFits(text string) error {
	if n := utf16Len(strings.TrimSpace(text)); n > textMax {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "telegram: Telegram takes at most 4,096 characters in a message (this one has %s): send it in parts", thousands(n))
	}
	return nil
}

// thousands is n with a comma between its thousands.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// captionMax is the longest caption Telegram takes with a file, in
// UTF-16 code units (its config's caption_length_limit_default; a
// Premium account's may be longer, which the gateway does not know).
const captionMax = 1024

// part is one message of a send with files: a file with its caption, or
// the text that was too long to be one, sent after its file.
type part struct {
	file    int // the attachment's index
	text    bool
	caption string
	ents    []tg.MessageEntityClass
	label   string // for the user: the file's name, or "the text"
}

// sendFiles sends files, the text as the first one's caption, a reply on
// the first. A caption longer than Telegram takes goes as a message of
// its own right after its file, not lost. A file too large for Telegram
// is refused before anything is uploaded. When one fails after others
// went, the error says which went and which did not: the command
// failed, but not as a whole.
func (s *Session) sendFiles(ctx context.Context, api *tg.Client, mgr *updates.Manager, peer tg.InputPeerClass, c sdk.Call, msg *pb.SendMessage,
	ents []tg.MessageEntityClass, reply tg.InputReplyToClass, topic int) (sdk.Result, error) {
	for _, a := range msg.Attachments {
		if err := fileFits(a); err != nil {
			return sdk.Result{}, err
		}
	}
	var sends []part
	for i, a := range msg.Attachments {
		caption, capEnts := a.Caption, []tg.MessageEntityClass(nil)
		if i == 0 {
			caption, capEnts = msg.Text, ents
		}
		label := a.Name
		if label == "" {
			label = fmt.Sprintf("file %d", i+1)
		}
		if utf16Len(caption) <= captionMax {
			sends = append(sends, part{file: i, caption: caption, ents: capEnts, label: label})
			continue
		}
		sends = append(sends, part{file: i, label: label},
			part{file: i, text: true, caption: caption, ents: capEnts, label: "the text"})
	}
	var res sdk.Result
	var more []string
	for k, p := range sends {
		r, err := s.sendPart(ctx, api, mgr, peer, c, msg, p, reply, topic)
		if err != nil {
			// What went is answered with the error (the contract's
			// partly sent): the user can retract it.
			return parts.With(res, more), partlySent(sends[:k], sends[k:], err)
		}
		if k == 0 {
			res = r // the message the gateway maps is the first one
		} else {
			more = append(more, r.MessageID)
		}
	}
	return parts.With(res, more), nil
}

// messageParts are the message IDs a retraction of the message id with
// metadata meta deletes: it and the other messages of its send.
func messageParts(id string, meta []byte) ([]int, error) {
	first, err := msgID(id)
	if err != nil {
		return nil, err
	}
	return append([]int{first}, parts.IDs(meta)...), nil
}

// sendPart sends one part of a send with files; the first file carries
// the reply, every message of a topic names it.
func (s *Session) sendPart(ctx context.Context, api *tg.Client, mgr *updates.Manager, peer tg.InputPeerClass, c sdk.Call, msg *pb.SendMessage,
	p part, reply tg.InputReplyToClass, topic int) (sdk.Result, error) {
	first := p.file == 0 && !p.text
	if p.text {
		// After its file: a random_id of its own, the same at a resend.
		rid := sendRandomID(s.login.LoginID, c, len(msg.Attachments)+p.file)
		req := &tg.MessagesSendMessageRequest{Peer: peer, Message: p.caption, RandomID: rid}
		if len(p.ents) > 0 {
			req.SetEntities(p.ents)
		}
		if topic != 0 {
			req.SetReplyTo(topicReply(topic, 0))
		}
		s.noteSend(c, rid)
		upd, err := api.MessagesSendMessage(ctx, req)
		if err != nil {
			s.sendFailed(c, rid, err)
			return sdk.Result{}, s.topicErr("send", c.ChatID, err)
		}
		s.noteShortSent(c.ChatID, req, upd)
		return s.sentResult(ctx, mgr, c, rid, upd)
	}
	a := msg.Attachments[p.file]
	f, err := s.uploaded(ctx, api, a)
	if err != nil {
		return sdk.Result{}, err
	}
	media := inputMedia(f, a, false)
	rid := sendRandomID(s.login.LoginID, c, p.file)
	req := &tg.MessagesSendMediaRequest{Peer: peer, Media: media, RandomID: rid, Message: p.caption}
	if len(p.ents) > 0 {
		req.SetEntities(p.ents)
	}
	switch {
	case first && reply != nil:
		req.SetReplyTo(reply)
	case !first && topic != 0:
		req.SetReplyTo(topicReply(topic, 0)) // every file in the topic
	}
	s.noteSend(c, rid)
	upd, err := api.MessagesSendMedia(ctx, req)
	if _, isPhoto := media.(*tg.InputMediaUploadedPhoto); isPhoto && photoRefused(err) {
		// An image Telegram will not make a photo of (a panorama,
		// say): the same file as a document. Nothing was sent, so
		// the same random_id.
		req.Media = inputMedia(f, a, true)
		upd, err = api.MessagesSendMedia(ctx, req)
	}
	if err != nil {
		s.sendFailed(c, rid, err)
		if tgerr.Is(err, "FILE_PART_MISSING") { // FILE_PART_<n>_MISSING
			// Telegram lost the upload's parts: naming it again is
			// no use.
			if id := a.GetUploadId(); id != "" {
				s.uploads.drop(id)
			}
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: send a file: Telegram lost the file's upload (%v): send the file again", err)
		}
		return sdk.Result{}, s.topicErr("send a file", c.ChatID, err)
	}
	if id := a.GetUploadId(); id != "" {
		s.uploads.drop(id) // it went: Telegram keeps it as the message's
	}
	return s.sentResult(ctx, mgr, c, rid, upd)
}

// partlySent is the error of a send with files that failed at its part
// failed[0]: as it is when nothing went, else with its code and a text
// that says what went and what did not (the contract's result is a
// message sent or an error: the user must not read "failed" for files
// their contact has).
func partlySent(went, failed []part, err error) error {
	if len(went) == 0 {
		return err
	}
	code := sdk.ToProto(err).GetCode()
	label := func(ps []part) string {
		var ls []string
		for _, p := range ps {
			ls = append(ls, p.label)
		}
		return strings.Join(ls, ", ")
	}
	text := fmt.Sprintf("telegram: sent only in part: %s went; %s failed (%s)", label(went), failed[0].label, sdk.ToProto(err).GetText())
	if len(failed) > 1 {
		text += "; not sent: " + label(failed[1:])
	}
	return sdk.Errorf(code, "%s", text)
}

// geoMedia is a location as a message's media: a map pin, with its
// accuracy where the URI gave one (Telegram takes whole metres, up to
// 1,500 as its Bot API says).
func geoMedia(l mediatext.SentLocation) *tg.InputMediaGeoPoint {
	p := &tg.InputGeoPoint{Lat: l.Lat, Long: l.Long}
	if l.Accuracy > 0 {
		p.SetAccuracyRadius(int(math.Ceil(min(l.Accuracy, 1500))))
	}
	return &tg.InputMediaGeoPoint{GeoPoint: p}
}

// uploaded is an attachment's file on Telegram: uploaded already
// (UploadMedia), or now.
func (s *Session) uploaded(ctx context.Context, api *tg.Client, a *pb.Attachment) (upload, error) {
	switch src := a.Source.(type) {
	case *pb.Attachment_UploadId:
		f, ok := s.uploads.get(src.UploadId)
		if !ok {
			return upload{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: no uploaded file %q (expired?)", src.UploadId)
		}
		return f, nil
	case *pb.Attachment_Path:
		f, err := uploader.NewUploader(api).FromPath(ctx, src.Path)
		if err != nil {
			return upload{}, cmdErr("upload", err)
		}
		info := &pb.MediaInfo{Name: a.Name, MimeType: a.MimeType, Size: -1}
		if fi, err := os.Stat(src.Path); err == nil {
			info.Size = fi.Size()
		}
		return upload{file: f, info: info}, nil
	case *pb.Attachment_Data:
		f, err := uploader.NewUploader(api).FromBytes(ctx, a.Name, src.Data)
		if err != nil {
			return upload{}, cmdErr("upload", err)
		}
		return upload{file: f, info: &pb.MediaInfo{Name: a.Name, MimeType: a.MimeType, Size: int64(len(src.Data))}}, nil
	}
	return upload{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a file must come as an upload, a path or data (got %T)", a.Source)
}

// sentResult finds the new message's ID in Telegram's answer, remembers
// it as the gateway's own (across a restart too: sending.go) and hands
// the answer to the updates manager (which keeps pts in step). In a chat
// with an auto-delete timer the message Telegram made carries its
// ttl_period: the result's Expires.
func (s *Session) sentResult(ctx context.Context, mgr interface {
	Handle(context.Context, tg.UpdatesClass) error
}, c sdk.Call, rid int64, upd tg.UpdatesClass) (sdk.Result, error) {
	chat := c.ChatID
	id, _ := sentID(upd, rid)
	date, ttl := 0, 0
	if u, ok := upd.(*tg.UpdateShortSentMessage); ok {
		date, ttl = u.Date, u.TTLPeriod
	} else if m := newMessage(updateList(upd), id); m != nil {
		date, ttl = m.Date, m.TTLPeriod
	}
	if id == 0 {
		s.live.done(rid)
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSPECIFIED, "telegram: the answer to a send named no message")
	}
	s.newest.note(chat, id)    // readmark.go
	if !s.live.wasNamed(rid) { // else updateMessageID added it
		s.sent.add(chat, id)
	}
	if _, short := upd.(*tg.UpdateShortSentMessage); short {
		// Telegram's answer to a text sent to a user or a basic group:
		// no message comes through the handler to keep its chat by
		// (messageEvents), and a deletion names only the message.
		if st := s.db(); st != nil {
			st.setMessageChat(id, chat)
		}
	}
	s.sendAnswered(c, rid, id) // before the manager, which may wait for it
	if err := s.handOver(ctx, mgr, upd); err != nil {
		s.n.log().Warn("telegram: updates of a send", "login", s.login.LoginID, "err", err)
	}
	t := time.Now()
	if date != 0 {
		t = time.Unix(int64(date), 0)
	}
	res := sdk.Result{MessageID: strconv.Itoa(id), Time: t}
	if ttl > 0 {
		// The chat's auto-delete timer, as Telegram applied it to this
		// very message (ttl_period): the chat's timer known before may
		// have changed since.
		res.Expires = t.Add(time.Duration(ttl) * time.Second)
	}
	return res, nil
}

// EditMessage corrects a message.
func (s *Session) EditMessage(ctx context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	if s.bot != nil {
		return s.bot.EditMessage(ctx, c, e)
	}
	if err := locationEdit(e.Text); err != nil {
		return sdk.Result{}, err
	}
	if err := textFits(e.Text); err != nil {
		return sdk.Result{}, err
	}
	api, mgr, peer, err := s.chatPeer(ctx, c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	id, err := msgID(e.TargetId)
	if err != nil {
		return sdk.Result{}, err
	}
	req := &tg.MessagesEditMessageRequest{Peer: peer, ID: id}
	req.SetMessage(e.Text)
	if ents := entitiesOf(e.Text, e.Spans, s.mentioned); len(ents) > 0 {
		req.SetEntities(ents)
	}
	// The edit's update is not from another device. Noted before
	// Telegram is asked: the update may come (the update stream, a
	// getDifference) before the answer.
	s.sent.add(c.ChatID, -id)
	upd, err := api.MessagesEditMessage(ctx, req)
	if err != nil {
		s.sent.take(c.ChatID, -id)
		if tgerr.Is(err, "MESSAGE_NOT_MODIFIED") {
			// A correction to the text the message has: done already
			// (an XMPP client lets one correct without a change).
			return sdk.Result{MessageID: e.TargetId}, nil
		}
		if tgerr.Is(err, "MESSAGE_EDIT_TIME_EXPIRED") {
			return sdk.Result{}, editwindow.Expired() // bot mode's words too
		}
		return sdk.Result{}, cmdErr("edit", err)
	}
	_ = s.handOver(ctx, mgr, upd) // handover.go
	return sdk.Result{MessageID: e.TargetId}, nil
}

// React sets the user's reactions to a message.
func (s *Session) React(ctx context.Context, c sdk.Call, r *pb.React) (sdk.Result, error) {
	if s.bot != nil {
		return s.bot.React(ctx, c, r)
	}
	api, mgr, peer, err := s.chatPeer(ctx, c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	id, err := msgID(r.TargetId)
	if err != nil {
		return sdk.Result{}, err
	}
	req := &tg.MessagesSendReactionRequest{Peer: peer, MsgID: id}
	var rs []tg.ReactionClass
	var mine []string // as the echo's reactions read
	for _, e := range r.Emojis {
		if my, ok := s.react.myCustomReaction(c.ChatID, id, e); ok {
			// The user's own custom emoji, read as its alt: it stays
			// (sent as the alt, a plain emoji, it could be no reaction
			// Telegram offers).
			if !slices.Contains(mine, my.read) {
				rs = append(rs, &tg.ReactionCustomEmoji{DocumentID: my.doc})
				mine = append(mine, my.read)
			}
			continue
		}
		te := reaction.ToTelegram(e)
		if te == "" || slices.Contains(mine, reaction.ToXMPP(te)) {
			continue
		}
		rs = append(rs, &tg.ReactionEmoji{Emoticon: te})
		mine = append(mine, reaction.ToXMPP(te))
	}
	if most := s.reactionsMax(ctx, api); len(rs) > most {
		// Telegram refuses more (REACTIONS_TOO_MANY): the newest go.
		rs, mine = rs[len(rs)-most:], mine[len(mine)-most:]
	}
	req.SetReaction(rs)
	upd, err := api.MessagesSendReaction(ctx, req)
	if tgerr.Is(err, "REACTION_INVALID") {
		return sdk.Result{}, s.reactionRefused(ctx, api, c.ChatID)
	}
	if err != nil {
		return sdk.Result{}, cmdErr("react", err)
	}
	s.react.setMine(c.ChatID, id, userID(s.self), mine)
	_ = mgr.Handle(ctx, upd)
	return sdk.Result{}, nil
}

// setMine records the user's own reactions, so their echo is not news.
func (c *reactionCache) setMine(chat string, msg int, self string, emojis []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := chat + "/" + strconv.Itoa(msg)
	if c.last[key] == nil {
		c.setLocked(key, map[string][]string{})
	}
	if len(emojis) == 0 {
		delete(c.last[key], self)
		return
	}
	c.last[key][self] = append([]string(nil), emojis...)
}

// Retract deletes a message for everyone.
func (s *Session) Retract(ctx context.Context, c sdk.Call, r *pb.Retract) (sdk.Result, error) {
	if s.bot != nil {
		return s.bot.Retract(ctx, c, r)
	}
	api, mgr, err := s.client()
	if err != nil {
		return sdk.Result{}, err
	}
	// The other messages its send made (files, a long caption) go too.
	ids, err := messageParts(r.TargetId, r.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	kind, cid, err := parsePeer(baseChat(c.ChatID))
	if err != nil {
		return sdk.Result{}, err
	}
	if kind == peerChannel {
		ch, err := s.peers.inputChannel(cid)
		if err != nil {
			return sdk.Result{}, err
		}
		aff, err := api.ChannelsDeleteMessages(ctx, &tg.ChannelsDeleteMessagesRequest{Channel: ch, ID: ids})
		if err != nil {
			return sdk.Result{}, cmdErr("delete", err)
		}
		_ = mgr.HandleAffected(ctx, cid, aff.Pts, aff.PtsCount)
		return sdk.Result{}, nil
	}
	aff, err := api.MessagesDeleteMessages(ctx, &tg.MessagesDeleteMessagesRequest{Revoke: true, ID: ids})
	if err != nil {
		return sdk.Result{}, cmdErr("delete", err)
	}
	_ = mgr.HandleAffected(ctx, 0, aff.Pts, aff.PtsCount)
	return sdk.Result{}, nil
}

// MarkRead marks a chat read up to a message.
func (s *Session) MarkRead(ctx context.Context, c sdk.Call, m *pb.MarkRead) error {
	if s.bot != nil {
		return nil // a bot has no read markers to set
	}
	api, mgr, err := s.client()
	if err != nil {
		return err
	}
	id, err := msgID(m.UpToId)
	if err != nil {
		if !isNoticeID(m.UpToId) {
			return err
		}
		// A notice that is no message (a call ringing, an unpin): the
		// chat is read up to the message before it (readmark.go).
		if id = s.noticeReadID(c.ChatID, m.UpToId, m.UpToMeta); id == 0 {
			return nil // nothing known to mark read
		}
	}
	forum, topic, err := splitTopic(c.ChatID)
	if err != nil {
		return err
	}
	if topic != 0 {
		// A topic is read as a thread of its forum.
		peer, err := s.inputPeer(ctx, api, forum)
		if err != nil {
			return err
		}
		_, err = api.MessagesReadDiscussion(ctx, &tg.MessagesReadDiscussionRequest{Peer: peer, MsgID: topic, ReadMaxID: id})
		return s.topicErr("mark read", c.ChatID, err)
	}
	kind, cid, err := parsePeer(c.ChatID)
	if err != nil {
		return err
	}
	if kind == peerChannel {
		ch, err := s.peers.inputChannel(cid)
		if err != nil {
			return err
		}
		_, err = api.ChannelsReadHistory(ctx, &tg.ChannelsReadHistoryRequest{Channel: ch, MaxID: id})
		return cmdErr("mark read", err)
	}
	peer, err := s.inputPeer(ctx, api, c.ChatID)
	if err != nil {
		return err
	}
	aff, err := api.MessagesReadHistory(ctx, &tg.MessagesReadHistoryRequest{Peer: peer, MaxID: id})
	if err != nil {
		return cmdErr("mark read", err)
	}
	_ = mgr.HandleAffected(ctx, 0, aff.Pts, aff.PtsCount)
	return nil
}

// mentioned is a mentioned user as a request names them; nil when the
// session does not know them.
func (s *Session) mentioned(id string) tg.InputUserClass {
	kind, n, err := parsePeer(id)
	if err != nil || kind != peerUser {
		return nil
	}
	u, err := s.peers.inputUser(n)
	if err != nil {
		return nil
	}
	return u
}

// locationEdit refuses a correction whose text is one geo: URI (an XMPP
// client correcting a shared location): Telegram cannot change a sent
// location (only a live one, which XMPP clients do not share), and the
// message would become the URI's text.
func locationEdit(text string) error {
	if _, ok := mediatext.GeoURI(text); ok {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a shared location cannot be changed: share the new one")
	}
	return nil
}

// newMessage is the message id among the new messages list tells of;
// nil for none.
func newMessage(list []tg.UpdateClass, id int) *tg.Message {
	for _, x := range list {
		var mc tg.MessageClass
		switch x := x.(type) {
		case *tg.UpdateNewMessage:
			mc = x.Message
		case *tg.UpdateNewChannelMessage:
			mc = x.Message
		}
		if m, ok := mc.(*tg.Message); ok && m.ID == id {
			return m
		}
	}
	return nil
}

// sentID is the ID of the message a send of random_id rid made, from
// Telegram's answer.
func sentID(upd tg.UpdatesClass, rid int64) (int, bool) {
	if u, ok := upd.(*tg.UpdateShortSentMessage); ok {
		return u.ID, true
	}
	for _, x := range updateList(upd) {
		if m, ok := x.(*tg.UpdateMessageID); ok && m.RandomID == rid {
			return m.ID, true
		}
	}
	return 0, false
}

// updateList is the updates an answer holds.
func updateList(upd tg.UpdatesClass) []tg.UpdateClass {
	switch u := upd.(type) {
	case *tg.Updates:
		return u.Updates
	case *tg.UpdatesCombined:
		return u.Updates
	case *tg.UpdateShort:
		return []tg.UpdateClass{u.Update}
	}
	return nil
}
