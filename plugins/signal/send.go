package signal

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"passerelle.im/passerelle/plugins/mediatext"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.Editor     = (*Session)(nil)
	_ sdk.Reactor    = (*Session)(nil)
	_ sdk.Retractor  = (*Session)(nil)
	_ sdk.ReadMarker = (*Session)(nil)
	_ sdk.Typer      = (*Session)(nil)
)

// target is the recipient or group parameters of a chat.
func target(chatID string) (map[string]any, error) {
	if chatID == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no chat given")
	}
	if g := groupIDOf(chatID); g != "" {
		return map[string]any{"groupId": g}, nil
	}
	if strings.HasPrefix(chatID, "+") || isUUID(chatID) {
		return map[string]any{"recipient": []string{chatID}}, nil
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no Signal contact or group", chatID)
}

// isUUID reports whether s looks like an ACI (8-4-4-4-12 hex digits).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// msgRef reads which message an ID and its metadata name: its timestamp
// (the metadata's, else the ID) and its author as a user ID ("" when
// unknown). An ID's author is an ACI (msgids.go): the user's own is the
// user, a contact's their number when known, as the metadata names
// them, so that "is it mine" and "who wrote it" read the same either
// way.
func (s *Session) msgRef(id string, meta []byte) (ts int64, author string, err error) {
	ts, author, err = msgRef(id, meta)
	if err == nil && isUUID(author) {
		author = s.ids.lookup("", author, s.account())
	}
	return ts, author, err
}

// msgRef is Session.msgRef with the author as the ID or metadata names
// them.
func msgRef(id string, meta []byte) (ts int64, author string, err error) {
	var m msgMeta
	if len(meta) > 0 && json.Unmarshal(meta, &m) == nil && m.Timestamp > 0 {
		return m.Timestamp, m.Author, nil
	}
	ts, a, ok := parseID(id)
	if !ok {
		return 0, "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is no Signal message", id)
	}
	return ts, cmp.Or(m.Author, a), nil
}

// SendMessage sends text, a reply (a quote of the message replied to) and
// files (uploaded before with UploadMedia; their caption goes in the
// text when there is none).
func (s *Session) SendMessage(ctx context.Context, c sdk.Call, msg *pb.SendMessage) (sdk.Result, error) {
	s.endTyping(c.ChatID) // a message ends typing (typing.go)
	p, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	if arg, ok := sdk.ChatCommand(msg.Text, "/trust"); ok && len(msg.Attachments) == 0 && groupIDOf(c.ChatID) == "" && c.ChatID != s.selfID() {
		return s.trust(ctx, c.ChatID, arg) // safety.go
	}
	if arg, ok := sdk.ChatCommand(msg.Text, "/accept"); ok && arg == "" && len(msg.Attachments) == 0 && groupIDOf(c.ChatID) == "" && c.ChatID != s.selfID() {
		return s.acceptRequest(ctx, c.ChatID) // messagerequest.go
	}
	if arg, ok := sdk.ChatCommand(msg.Text, "/block"); ok && len(msg.Attachments) == 0 && groupIDOf(c.ChatID) == "" && c.ChatID != s.selfID() {
		return s.blockUser(ctx, c.ChatID, arg) // blockcmd.go
	}
	sdk.UnescapeChatCommand(msg) // "//block" goes as "/block"
	text, spans := msg.Text, msg.Spans
	if len(msg.Attachments) == 0 {
		text, spans = locationText(text, spans)
	}
	text, spans = quoteMarks(text, spans) // text.go
	var files []string
	for _, a := range msg.Attachments {
		path, err := s.attachmentPath(a)
		if err != nil {
			return sdk.Result{}, err
		}
		files = append(files, path)
		if text == "" && a.Caption != "" {
			text = a.Caption
		}
		if a.VoiceNote {
			// signal-cli 0.14+ sends it as a voice note; older ones
			// ignore the parameter and send a plain audio file.
			p["voiceNote"] = true
		}
	}
	if text == "" && len(files) == 0 {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "an empty message cannot be sent")
	}
	if err := checkText(text); err != nil {
		return sdk.Result{}, err
	}
	p["message"] = text
	if len(files) > 0 {
		p["attachments"] = files
	}
	mentions, styles := encodeSpans(text, spans)
	if len(mentions) > 0 {
		p["mentions"] = mentions
	}
	if len(styles) > 0 {
		p["textStyles"] = styles
	}
	var reply *replyRef
	if msg.ReplyToId != "" {
		if r, ok := s.earlierNotice(msg.ReplyToId, msg.ReplyToMeta); ok {
			// A reply to the notice of a reaction to an earlier
			// message: the notice is no message on Signal, the message
			// reacted to is, on the recipients' phones: it is quoted
			// (without its author, not at all; nor a story, which a
			// message does not quote).
			if r.Author != "" && !r.Story {
				p["quoteTimestamp"], p["quoteAuthor"] = r.TS, r.Author
				reply = &replyRef{Timestamp: r.TS, Author: r.Author}
			}
		} else if ts, a, err := s.msgRef(msg.ReplyToId, msg.ReplyToMeta); err == nil && a != "" {
			p["quoteTimestamp"], p["quoteAuthor"] = ts, a
			// Its text, for an app without the message (quote.go): the
			// newest when it was edited (edittexts.go).
			q := s.edited.quote(quoteOfMeta(msg.ReplyToMeta), ts, s.who(a)...)
			q.addTo(p)
			reply = &replyRef{Timestamp: ts, Author: a, Quote: q}
		} else {
			// Without its author Signal cannot name the message: the
			// text goes as a plain message rather than not at all.
			s.n.host.Logger().Warn("signal: reply sent without its quote: the message replied to has no author", "login", s.loginID, "reply_to", msg.ReplyToId)
		}
	}
	res, err := s.send(ctx, c, "could not send the message", "send", p)
	if err != nil {
		return sdk.Result{}, err // the uploads stay for another try
	}
	s.removeUploads(files)
	s.noteChat(res.Timestamp, c.ChatID, s.selfID())
	out := s.sentResult(ctx, c.ChatID, res.Timestamp)
	out.Meta = quoteMeta(s.selfID(), res.Timestamp, text, spans, firstType(msg.Attachments), reply)
	// Sent in part: the message is the user's, and they read who did
	// not get it and what to do.
	return out, res.partly("the message")
}

// sentResult is the Result of the user's message sent in chatID at ts
// (Unix ms, its ID): when the chat has a disappearing messages timer,
// the time it expires.
func (s *Session) sentResult(ctx context.Context, chatID string, ts int64) sdk.Result {
	out := sdk.Result{MessageID: s.idFor(ts, s.selfID()), Time: time.UnixMilli(ts), Meta: metaOf(s.selfID(), ts)}
	if secs, err := s.chatTimer(ctx, chatID); err != nil {
		// Sent all the same: the message then stays on the user's
		// clients until they delete it.
		s.n.host.Logger().Warn("signal: the chat's disappearing messages timer could not be read", "login", s.loginID, "chat", chatID, "err", err)
	} else if secs > 0 {
		out.Expires = time.UnixMilli(ts).Add(time.Duration(secs) * time.Second)
	}
	return out
}

// chatTimer is the disappearing messages timer of a chat as signal-cli
// keeps it, in seconds (0: off): the one it adds to every message it
// sends there (SendHelper: the group's, else the contact's), and keeps
// up to date from the messages and updates it receives. The sender's
// timer starts when the message is sent. Read from signal-cli, not the
// session's cache of groups, which lags signal-cli's store until the
// update's envelope is read.
func (s *Session) chatTimer(ctx context.Context, chatID string) (int, error) {
	if gid := groupIDOf(chatID); gid != "" {
		gs, err := s.listGroups(ctx, gid)
		if err != nil {
			return 0, err
		}
		for _, g := range gs {
			if g.ID == gid {
				return g.MessageExpirationTime, nil
			}
		}
		return 0, nil
	}
	if secs, ok := s.timers.get(chatID); ok {
		return secs, nil // as last read (directtimers.go)
	}
	// All recipients, not only contacts: signal-cli keeps the timer of
	// anyone written to.
	var cs []contactEntry
	if err := s.call(ctx, "could not read the contact", "listContacts",
		map[string]any{"recipient": []string{chatID}, "allRecipients": true}, &cs); err != nil {
		return 0, err
	}
	secs := 0
	for _, c := range cs {
		if deref(c.Number) == chatID || c.UUID == chatID {
			secs = c.MessageExpirationTime
			break
		}
	}
	s.timers.set(chatID, secs)
	return secs, nil
}

// EditMessage corrects one of the user's messages. The edit names the
// newest edit of the message, as Signal's apps do (they accept any), and
// its own timestamp is mapped to the original's, by which the gateway
// knows the message.
func (s *Session) EditMessage(ctx context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	p, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	ts, a, err := s.msgRef(e.TargetId, e.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if err := s.refuseNotice(ts, a, "edited"); err != nil {
		return sdk.Result{}, err
	}
	if a != "" && a != s.selfID() {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only your own messages can be edited")
	}
	if e.Text == "" {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a message cannot be edited to nothing")
	}
	if q := quoteOfMeta(e.TargetMeta); q != nil && strings.HasPrefix(q.Type, "audio/") {
		// Signal's apps drop an edit of a message with audio (its
		// metadata keeps its first file's type, quote.go): refused
		// rather than shown edited on XMPP alone.
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Signal does not let a message with a voice message or audio file be edited")
	}
	me := s.who(s.selfID())
	orig := s.chats.original(ts, me...)
	if age := time.Since(time.UnixMilli(orig)); age > editWindow && !s.isSelfChat(c.ChatID) {
		// Signal's apps drop an edit past the window: refused rather
		// than answered as done while no one on Signal sees it.
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "Signal lets a message be edited for %d hours after it was sent; this one is %d hours old", int(editWindow/time.Hour), int(age/time.Hour))
	}
	// A location corrected was sent as text (SendMessage): its text
	// changes.
	text, spans := locationText(e.Text, e.Spans)
	text, spans = quoteMarks(text, spans)
	if err := checkText(text); err != nil {
		return sdk.Result{}, err
	}
	p["message"], p["editTimestamp"] = text, s.chats.latest(orig, me...)
	if r := replyOfMeta(e.TargetMeta); r != nil {
		// A reply stays one (quote.go), quoting as it did: the
		// newest text when the message replied to was edited since.
		p["quoteTimestamp"], p["quoteAuthor"] = r.Timestamp, r.Author
		s.edited.quote(r.Quote, r.Timestamp, s.who(r.Author)...).addTo(p)
	}
	mentions, styles := encodeSpans(text, spans)
	if len(mentions) > 0 {
		p["mentions"] = mentions
	}
	if len(styles) > 0 {
		p["textStyles"] = styles
	}
	res, err := s.send(ctx, c, "could not edit the message", "send", p)
	if err != nil {
		return sdk.Result{}, err
	}
	s.tellPartly(ctx, c.ChatID, res, "your edit")
	s.chats.noteEdit(res.Timestamp, c.ChatID, s.selfID(), orig)
	s.edited.note(orig, s.selfID(), res.Timestamp, text, spans)
	return sdk.Result{MessageID: e.TargetId, Time: time.UnixMilli(res.Timestamp), Meta: metaOf(s.selfID(), orig)}, nil
}

// React sets the user's reaction: Signal has one per person and message,
// so the last emoji of the set is the one; an empty set removes it,
// naming the emoji set before (kept on disk, reactions.go).
func (s *Session) React(ctx context.Context, c sdk.Call, r *pb.React) (sdk.Result, error) {
	p, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	ts, a, err := s.msgRef(r.TargetId, r.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if a == "" {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the author of message %s is not known: Signal cannot name it", r.TargetId)
	}
	if err := s.refuseNotice(ts, a, "reacted to (Signal has no reactions to reactions)"); err != nil {
		return sdk.Result{}, err
	}
	p["targetAuthor"], p["targetTimestamp"] = a, ts
	who := s.who(a)
	orig := s.chats.original(ts, who...)
	prev := s.mine.on(orig, who...)
	emoji := ""
	if len(r.Emojis) == 0 {
		if prev == "" {
			return sdk.Result{}, nil // no reaction of the user known here to remove
		}
		p["emoji"], p["remove"] = prev, true
	} else {
		emoji = r.Emojis[len(r.Emojis)-1]
		p["emoji"] = emoji
	}
	res, err := s.send(ctx, c, "could not react", "sendReaction", p)
	if err != nil {
		return sdk.Result{}, err
	}
	if emoji == "" {
		s.tellPartly(ctx, c.ChatID, res, "taking back your reaction")
	} else {
		s.tellPartly(ctx, c.ChatID, res, "your reaction "+emoji)
	}
	s.mine.set(orig, emoji, who...)
	return sdk.Result{}, nil
}

// Retract deletes one of the user's messages for everyone.
func (s *Session) Retract(ctx context.Context, c sdk.Call, r *pb.Retract) (sdk.Result, error) {
	p, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	ts, a, err := s.msgRef(r.TargetId, r.TargetMeta)
	if err != nil {
		return sdk.Result{}, err
	}
	if err := s.refuseNotice(ts, a, "deleted for everyone"); err != nil {
		return sdk.Result{}, err
	}
	if a != "" && a != s.selfID() {
		return sdk.Result{}, s.retractAsAdmin(ctx, c, p, a, ts) // a moderation (admindelete.go)
	}
	me := s.who(s.selfID())
	orig := s.chats.original(ts, me...)
	if age := time.Since(time.UnixMilli(orig)); age > deleteWindow && !s.isSelfChat(c.ChatID) {
		// Past the window the recipients' apps drop the delete (a day
		// later at the latest) while the user's own devices apply it:
		// refused rather than gone on the phone and kept by the others.
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "Signal lets a message be deleted for everyone for %d hours after it was sent; this one is %d hours old, so it stays on Signal", int(deleteWindow/time.Hour), int(age/time.Hour))
	}
	p["targetTimestamp"] = ts
	res, err := s.send(ctx, c, "could not delete the message", "remoteDelete", p)
	if err != nil {
		return sdk.Result{}, err
	}
	s.tellPartly(ctx, c.ChatID, res, "your deletion of a message for everyone")
	s.pins.unpin(c.ChatID, orig, me...) // a message deleted is pinned no more
	return sdk.Result{}, nil
}

// isSelfChat reports whether chatID is the user's note to self, which
// has no edit or delete window on Signal.
func (s *Session) isSelfChat(chatID string) bool {
	return chatID != "" && (chatID == s.account().Number || chatID == s.account().ACI)
}

// MarkRead sends read receipts for the messages of the chat up to the
// one named: Signal's receipts name messages one by one, and an XMPP
// client marks a chat read up to a message (XEP-0333), so each author
// of a message since the last mark (of the messages the plugin noted)
// is told of theirs; an edited message is read in its newest version
// too. A rate limit has them sent again later (receiptretry.go).
func (s *Session) MarkRead(ctx context.Context, c sdk.Call, m *pb.MarkRead) error {
	gen := s.receiptRetries.supersede(c.ChatID) // this mark sends what an earlier one could not
	err := s.markRead(ctx, c, m)
	s.retryIfRateLimited(c, m, err, gen, receiptRetryWait, false)
	return err
}

// markRead is MarkRead, once.
func (s *Session) markRead(ctx context.Context, c sdk.Call, m *pb.MarkRead) error {
	ts, a, err := s.msgRef(m.UpToId, m.UpToMeta)
	if err != nil {
		return err
	}
	if a == "" && groupIDOf(c.ChatID) == "" {
		a = c.ChatID // in a direct chat, the other one wrote it (or the user, below)
	}
	byAuthor := s.unreadUpTo(c.ChatID, ts)
	if a != "" && a != s.selfID() && !slices.Contains(byAuthor[a], ts) {
		byAuthor[a] = append(byAuthor[a], ts)
	}
	if len(byAuthor) > 0 && s.requestPending(ctx, c.ChatID) {
		// A message request not accepted: its sender is not told it
		// was read (messagerequest.go); the mark moves on all the same.
		byAuthor = nil
	}
	authors := slices.Sorted(maps.Keys(byAuthor))
	var failed []string
	for _, author := range authors {
		var read []int64
		for _, t := range byAuthor[author] {
			read = append(read, t)
			who := s.who(author)
			if l := s.chats.latest(s.chats.original(t, who...), who...); l != t {
				read = append(read, l)
			}
		}
		slices.Sort(read)
		read = slices.Compact(read)
		const what = "could not send the read receipt"
		err := s.callRaw(ctx, what, "sendReceipt",
			map[string]any{"recipient": author, "targetTimestamp": read, "type": "read"}, nil)
		if err == nil {
			continue
		}
		// Their changed safety number blocks every send to them, which
		// the user learns in their chat (once), as for a message.
		s.untrustedSend(ctx, author, err) // safety.go
		err = s.mapError(what, err)
		switch sdk.ToProto(err).Code {
		case pb.ErrorCode_ERROR_CODE_NOT_FOUND, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, pb.ErrorCode_ERROR_CODE_BAD_REQUEST:
			// This author's own trouble (no longer on Signal, their
			// safety number changed), which a mark again would meet
			// again: the other authors get theirs all the same, and
			// the mark moves on.
			failed = append(failed, err.Error())
		default:
			return err // signal-cli down, a rate limit: the next mark sends it all
		}
	}
	if len(failed) > 0 {
		s.n.host.Logger().Warn("signal: some read receipts could not be sent", "login", s.loginID, "chat", c.ChatID, "failed", strings.Join(failed, "; "))
	}
	s.marks.mark(c.ChatID, ts)
	return nil
}

// unreadUpTo is, by author (a user ID, the user left out), the messages
// of chat noted up to ts and after the last read mark sent there (kept
// across restarts, readmarks.go; a chat's first mark reaches back as far
// as the map does).
func (s *Session) unreadUpTo(chat string, ts int64) map[string][]int64 {
	after := s.marks.upTo(chat)
	type noted struct {
		ts           int64
		chat, author string
	}
	var all []noted
	s.chats.m.each(func(e msgChat) {
		if e.Orig == 0 && e.TS <= ts && e.TS > after && e.Author != "" {
			all = append(all, noted{e.TS, e.Chat, e.Author})
		}
	})
	out := map[string][]int64{}
	for _, n := range all {
		// Named as now: a contact noted by ACI may have moved to
		// their number (identity.go).
		if isUUID(n.chat) {
			n.chat = s.ids.lookup("", n.chat, s.account())
		}
		if n.chat != chat {
			continue
		}
		author := n.author
		if isUUID(author) {
			author = s.ids.lookup("", author, s.account())
		}
		if author == s.selfID() {
			continue
		}
		out[author] = append(out[author], n.ts)
	}
	return out
}

// checkText refuses a text over Signal's limit.
func checkText(text string) error {
	if len(text) > maxTextBytes {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "the text is too long for Signal: %d bytes, over its %d KiB", len(text), maxTextBytes>>10)
	}
	return nil
}

// locationText is a message's text as it goes to Signal: a location the
// XMPP client sent as a geo: URI becomes the text the gateway shows a
// WhatsApp or Telegram location as, with a map link that Signal's apps
// open (Signal has no location message: its apps send a map link).
func locationText(text string, spans []*pb.Span) (string, []*pb.Span) {
	if loc, ok := mediatext.GeoURI(text); ok {
		return mediatext.LocationText(mediatext.Location{Lat: loc.Lat, Long: loc.Long}), nil
	}
	return text, spans
}
