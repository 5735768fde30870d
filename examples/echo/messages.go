package echo

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Reactions is what the echo network offers; others are refused, as some
// networks refuse reactions outside their set.
var Reactions = []string{"👍", "❤️", "😂", "😮", "😢", "🙏", "👎", "🎉"}

// SlowConfirm is how late the network confirms a "slow" send.
const SlowConfirm = 1500 * time.Millisecond

// KeepApart is how long after its echo a "vanish-kept-late" keep comes:
// long enough that the plugin host reads the two in different batches.
const KeepApart = 300 * time.Millisecond

// event is an event in a chat, from the contact; in the group, from
// Echo One, who repeats there (groups.go).
func (s *Session) event(c sdk.Call) *pb.Event {
	ev := &pb.Event{LoginId: s.loginID, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: s.n.newID()}
	if c.ChatID == RoomID || isChannel(c.ChatID) {
		ev.ChatType, ev.Sender.UserId = pb.ChatType_CHAT_TYPE_GROUP, RoomRepeater
	}
	if c.ChatID == RoomID {
		ev.Sender.UserId = s.repeater()
	}
	return ev
}

// SendMessage echoes a message (the one method every Session has): same text
// and formatting, with the links and mentions the network recognises
// (rich.go), a reply stays a reply (to the user's message), same files;
// then the contact marks it delivered and read. Each message carries
// metadata the gateway must hand back (rich.go). A few texts do more, to show what a network can send:
//
//	from-phone TEXT   the user "sent" TEXT from their phone
//	phone-story TEXT  the same, then corrected it to "TEXT (edited)",
//	                  reacted 👍 to it and deleted it, all on the phone
//	backlog N         N old messages arrive late (history catch-up)
//	late N            the contact's message sent N minutes ago arrives
//	                  now, live (a phone that was offline); in the
//	                  group, Echo One's
//	dup TEXT          the network delivers the echo twice
//	slow TEXT         the network confirms the send SlowConfirm late,
//	                  after its echo (a reply's echo then names a message
//	                  whose ID the gateway does not know yet); to
//	                  NoSuchContact, it refuses it SlowConfirm late
//	kick              the network logs the account out
//	stop              the network stops the connection (another client
//	                  took over): the login stays, relogin connects again
//	identity NEWID    the contact moves to NEWID (identity.go)
//	progress N        long work of N steps is reported (identity.go)
//	say-escaped TEXT  the contact says TEXT with its Go escapes decoded
//	                  (\x02...): text XML cannot carry, as networks send
//	net-event JSON... what a hostile network sends (hostile.go)
//	move-group #NEW   in a channel: the network moves it to #NEW
//	                  (group_gone.go)
//	delete-group      in a channel: the network deletes it
//	poll Q? A / B     the contact asks a poll (poll-multi: several
//	                  answers; poll-closed: closed already) (polls.go)
//	vanish N TEXT     a disappearing message: the echo and the user's
//	                  message are deleted N seconds from now (N may be
//	                  negative: the echo comes after its deadline)
//	pin-this TEXT     the contact pins its echo (pins.go)
//	vanish-kept N TEXT  the same, but the contact keeps the echo
//	                  (WhatsApp's keep in chat): it never disappears
//	vanish-kept-late N TEXT  kept too, the keep sent apart, a moment
//	                  after the echo (KeepApart): in another batch
//	vanish-unkept N TEXT  kept, then no longer: the echo disappears N
//	                  seconds after its time after all
//	vanish-read N TEXT  the echo's timer is N seconds from when the
//	                  user reads it (Signal's rule)
//	hang              the send never returns, ignoring its context (a
//	                  network that black-holes): the SDK answers
//	                  UNAVAILABLE after its limit (hang.go)
//	partly TEXT       the send goes only in part: echoed, but its answer
//	                  also says a second part failed (PartlyFailed)
//	typing-silent MS  the contact starts typing, holding MS milliseconds
//	                  (TypingEvent.timeout_ms), and stops without a word
//	reply-old TEXT    the contact (in the group, Echo One) answers TEXT
//	                  to its own message from before the login, which
//	                  the gateway never had: the reply carries the
//	                  network's quote of it (OldQuote), as Signal's does
//	reply-old-mine TEXT  the same, to the user's message from before
//	hold-joins        joins by a secret name wait until release-joins
//	                  (secret.go); both are echoed as any text
//	/echo-command [TEXT]  a command the network runs, not a message (as
//	                  IRC's "/mode"): nothing is echoed, and the answer
//	                  says so (sdk.Result.Command), with TEXT, if any,
//	                  as the command's reply; "//echo-command TEXT" (any
//	                  "//" and a letter) is echoed with one slash less
//	                  (sdk.UnescapeChatCommand)
//
// The echo of a reply quotes the user's message too (quote_text,
// quote_from_me), as a network's reply does.
func (s *Session) SendMessage(_ context.Context, c sdk.Call, send *pb.SendMessage) (sdk.Result, error) {
	if err := s.inChat(c); err != nil {
		if strings.HasPrefix(send.Text, "slow ") {
			time.Sleep(SlowConfirm) // refused late, as a slow network's server
		}
		return sdk.Result{}, err
	}
	if madeHere(send.ReplyToId) {
		if err := checkMeta("reply to", send.ReplyToId, send.ReplyToMeta); err != nil {
			return sdk.Result{}, err
		}
	}
	now := time.Now()
	// What is not echoed (the commands below) gets a plain ID, which no
	// echo answers: corrections and retractions of it are refused.
	sent := s.sentID(c)
	text := send.Text
	s.holdCommand(text)    // secret.go; echoed as any text
	s.reloginCommand(text) // relogin_hold.go; so are these
	s.tellNamesLater(c.ChatID)
	if c.ChatID == RoomID && s.roomCommand(text) {
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	}
	if rest, ok := strings.CutPrefix(text, EchoCommand); ok && (rest == "" || rest[0] == ' ') {
		return sdk.Result{Command: true, Reply: strings.TrimSpace(rest)}, nil
	}
	if sdk.UnescapeChatCommand(send) { // "//echo-command x" is the text "/echo-command x"
		text = send.Text
	}
	switch word, rest, _ := strings.Cut(text, " "); word {
	case "hang":
		hang()
	case "from-phone":
		ev := s.event(c)
		ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: rest}}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "phone-story":
		s.phoneStory(c, rest)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "reply-old", "reply-old-mine":
		ev := s.event(c)
		m := &pb.MessageEvent{Text: rest, ReplyToId: "before-" + s.n.newID(), QuoteText: OldQuote}
		if word == "reply-old-mine" {
			m.QuoteFromMe = true
		} else {
			m.QuoteAuthorId = ev.Sender.UserId
		}
		ev.Payload = &pb.Event_Message{Message: m}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "typing-silent":
		ms, err := strconv.ParseUint(rest, 10, 32)
		if err != nil {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "typing-silent takes milliseconds: %v", err)
		}
		ev := s.event(c)
		ev.EventId = ""
		ev.Payload = &pb.Event_Typing{Typing: &pb.TypingEvent{State: pb.TypingState_TYPING_STATE_COMPOSING, TimeoutMs: uint32(ms)}}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "kick":
		// The network logs the account out, as a phone unlinking the
		// device would.
		s.connected.Store(false)
		ev := s.event(c)
		ev.ChatId, ev.Sender, ev.EventId = "", nil, ""
		ev.Payload = &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_LOGGED_OUT, Message: "kicked by the echo network"}}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "stop":
		s.connected.Store(false)
		ev := s.event(c)
		ev.ChatId, ev.Sender, ev.EventId = "", nil, ""
		ev.Payload = &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_STOPPED, Message: "another echo client took over"}}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "identity":
		s.moveContact(c.ChatID, rest)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "progress":
		s.progress(rest)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "say-escaped":
		said, err := strconv.Unquote(`"` + rest + `"`)
		if err != nil {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "say-escaped: %v", err)
		}
		ev := s.event(c)
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: said}}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "move-group", "delete-group":
		if done, err := s.groupGone(c, word, rest); err != nil { // group_gone.go
			return sdk.Result{}, err
		} else if done {
			return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
		}
	case "chat-info-wait":
		if err := s.infoWait(c, rest); err != nil { // info_count.go
			return sdk.Result{}, err
		}
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "net-event", "net-long", "net-crowd", "net-quiet":
		if err := s.hostileCommand(c, word, rest); err != nil { // hostile.go
			return sdk.Result{}, err
		}
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "poll", "poll-multi", "poll-closed":
		if err := s.pollCommand(c, word, rest); err != nil { // polls.go
			return sdk.Result{}, err
		}
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "late":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			break
		}
		ev := s.event(c)
		ev.TimestampUnixMicro = now.Add(-time.Duration(n) * time.Minute).UnixMicro()
		ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprintf("sent %d minutes ago", n)}}
		s.emit(ev)
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	case "backlog":
		n, _ := strconv.Atoi(rest)
		for i := 1; i <= min(n, 50); i++ {
			ev := s.event(c)
			ev.IsBackfill = true
			ev.TimestampUnixMicro = now.Add(-time.Duration(n-i+1) * time.Minute).UnixMicro()
			ev.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: fmt.Sprintf("backlog %d of %d", i, n)}}
			s.emit(ev)
		}
		return sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent)}, nil
	}
	atts, err := s.n.copyAttachments(send.Attachments)
	if err != nil {
		return sdk.Result{}, err
	}
	sent += sentSuffix
	echo := s.event(c)
	echo.EventId, _ = echoOf(sent)
	msg := &pb.MessageEvent{Text: text, Attachments: atts, Spans: s.richSpans(text, send.Spans)}
	var expires time.Time
	if ttl := s.chatTimer(c.ChatID); ttl > 0 {
		expires = now.Add(ttl)
		msg.ExpiresUnixMicro = expires.UnixMicro()
	}
	word, rest, _ := strings.Cut(text, " ")
	secs := 0
	switch word {
	case "vanish", "vanish-read", "vanish-kept", "vanish-kept-late", "vanish-unkept":
		n, _, _ := strings.Cut(rest, " ")
		if secs, err = strconv.Atoi(n); err != nil {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s: %v", word, err)
		}
		if word == "vanish-read" {
			msg.ExpiresAfterReadSeconds = int64(secs)
		} else {
			expires = now.Add(time.Duration(secs) * time.Second)
			msg.ExpiresUnixMicro = expires.UnixMicro()
		}
	}
	if send.ReplyToId != "" {
		msg.ReplyToId, msg.QuoteText, msg.QuoteFromMe = sent, text, true
	}
	echo.Payload = &pb.Event_Message{Message: msg}
	s.emit(echo)
	if strings.HasPrefix(text, "dup ") {
		s.emit(echo)
	}
	switch word {
	case "vanish-kept", "vanish-unkept":
		s.keep(c, echo.EventId, word == "vanish-unkept", secs)
	case "vanish-kept-late":
		id := echo.EventId
		time.AfterFunc(KeepApart, func() { s.keep(c, id, false, secs) })
	}
	if word == "pin-this" {
		s.pinNotice(c, echo.EventId, false, false) // pins.go
	}
	if c.ChatID == RoomID {
		s.roomReact(sent)
	}
	if strings.HasPrefix(text, "slow ") {
		time.Sleep(SlowConfirm)
	}
	s.contactCommand(text)
	s.noticeCommand(text) // notice.go
	for _, kind := range []pb.ReceiptEvent_Kind{pb.ReceiptEvent_KIND_DELIVERED, pb.ReceiptEvent_KIND_READ} {
		r := s.event(c)
		r.EventId = ""
		r.Payload = &pb.Event_Receipt{Receipt: &pb.ReceiptEvent{Kind: kind, MessageIds: []string{sent}}}
		s.emit(r)
	}
	res := sdk.Result{MessageID: sent, Time: now, Meta: metaFor(sent), Expires: expires}
	if word == "partly" {
		return res, sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "%s", PartlyFailed)
	}
	return res, nil
}

// EchoCommand starts a text the network runs as a command, not a
// message: the answer says so, with the rest of the text as its reply.
const EchoCommand = "/echo-command"

// OldQuote is what the network quotes, in a reply-old, of the message
// from before the login.
const OldQuote = "see you at noon\nby the fountain"

// PartlyFailed is the error of a "partly" send: its message went, a
// second part of it did not.
const PartlyFailed = "echo: sent only in part: the text went; the file did not"

// copyAttachments makes the contact's copy of the user's files (a
// spoiler stays one): a reference to a file streamed to us (see
// media.go), or a copy in our data folder for the gateway to take (what
// the gateway hands a plugin without UploadMedia).
func (n *Network) copyAttachments(in []*pb.Attachment) ([]*pb.Attachment, error) {
	var out []*pb.Attachment
	for _, a := range in {
		if a.GetUploadId() != "" {
			// Streamed to us already (media.go): the echo names it, and
			// the gateway streams it back.
			f, err := n.uploadedFile(a)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
			continue
		}
		dir := filepath.Join(n.dataDir, "outgoing")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("echo: %w", err)
		}
		dst := filepath.Join(dir, n.newID()+"-"+filepath.Base(a.Name))
		if err := copyFrom(a, dst); err != nil {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "cannot read the attachment: %v", err)
		}
		fi, err := os.Stat(dst)
		if err != nil {
			return nil, fmt.Errorf("echo: %w", err)
		}
		out = append(out, &pb.Attachment{Name: a.Name, MimeType: a.MimeType, Size: fi.Size(), Source: &pb.Attachment_Path{Path: dst}, Spoiler: a.Spoiler})
	}
	return out, nil
}

func copyFrom(a *pb.Attachment, dst string) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	switch src := a.Source.(type) {
	case *pb.Attachment_Data:
		_, err = f.Write(src.Data)
	case *pb.Attachment_Path:
		var in *os.File
		if in, err = os.Open(src.Path); err == nil {
			_, err = io.Copy(f, in) // streamed, never whole in memory
			in.Close()
		}
	default:
		err = fmt.Errorf("attachment %q has no data or path", a.Name)
	}
	return err
}

// A message the user sends and its echo have IDs derived from each other
// ("<id>.sent", "<id>.echo"), so the network finds one from the other with
// no memory to keep, after a restart too. IDs are unique across logins and
// restarts (see newID); which login a message was sent from is not
// checked, a liberty a real network would not take.
const (
	sentSuffix = ".sent"
	echoSuffix = ".echo"
)

// sentID is the ID of a message the user sends. Under a txn it comes
// from the txn, as docs/plugins.md asks of a network that lets a client
// pick its messages' IDs: a command the gateway sends again because the
// plugin died before its answer was journaled (after the echo went out)
// makes the same message, whose echo the gateway drops as one it has
// seen. Its "-0" is a sequence number newID never gives.
func (s *Session) sentID(c sdk.Call) string {
	h, ok := sdk.TxnDigest(s.loginID, c, 0)
	if !ok {
		return s.n.newID()
	}
	return hex.EncodeToString(h[:8]) + "-0"
}

// echoOf is the echo of one of the user's messages.
func echoOf(sent string) (string, bool) {
	id, ok := strings.CutSuffix(sent, sentSuffix)
	if !ok || !isID(id) {
		return "", false
	}
	return id + echoSuffix, true
}

// sentOf is the user's message an echo answered.
func sentOf(echo string) (string, bool) {
	id, ok := strings.CutSuffix(echo, echoSuffix)
	if !ok || !isID(id) {
		return "", false
	}
	return id + sentSuffix, true
}

// isID reports whether id has newID's shape: hex digits, "-", digits.
func isID(id string) bool {
	prefix, n, ok := strings.Cut(id, "-")
	if !ok || prefix == "" || n == "" {
		return false
	}
	for _, c := range prefix {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// EditMessage corrects the echo the same way (sdk.Editor).
func (s *Session) EditMessage(ctx context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	s.editInFlight(ctx) // relogin_hold.go
	if err := s.inChat(c); err != nil {
		return sdk.Result{}, err
	}
	echo, ok := echoOf(e.TargetId)
	if !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no message %q to correct", e.TargetId)
	}
	if err := checkMeta("correct", e.TargetId, e.TargetMeta); err != nil {
		return sdk.Result{}, err
	}
	ev := s.event(c)
	ev.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: echo, Text: e.Text, Spans: s.richSpans(e.Text, e.Spans)}}
	s.emit(ev)
	// As WhatsApp, Signal and Telegram answer: with the edited message's
	// own ID (an edit is no new message), which the gateway must not
	// take for the original's echo.
	return sdk.Result{MessageID: e.TargetId}, nil
}

// React answers with the same reaction on the user's message
// (sdk.Reactor).
func (s *Session) React(_ context.Context, c sdk.Call, r *pb.React) (sdk.Result, error) {
	if err := s.inChat(c); err != nil {
		return sdk.Result{}, err
	}
	if most := s.n.maxReactions; most > 0 && len(r.Emojis) > int(most) {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the echo network keeps at most %d reactions of yours on a message, not %d", most, len(r.Emojis))
	}
	for _, e := range r.Emojis {
		if !slices.Contains(Reactions, e) {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "the echo network has no reaction %s; it has %s", e, strings.Join(Reactions, " "))
		}
	}
	target := r.TargetId
	if sent, ok := sentOf(target); ok {
		target = sent
	} else if _, ok := echoOf(target); !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no message %q to react to", target)
	}
	if err := checkMeta("react to", r.TargetId, r.TargetMeta); err != nil {
		return sdk.Result{}, err
	}
	ev := s.event(c)
	ev.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: target, Emojis: r.Emojis}}
	s.emit(ev)
	return sdk.Result{}, nil
}

// Retract retracts the echo of a retracted message, or deletes a
// member's message in the group (moderation) (sdk.Retractor).
func (s *Session) Retract(_ context.Context, c sdk.Call, r *pb.Retract) (sdk.Result, error) {
	if err := s.inChat(c); err != nil {
		return sdk.Result{}, err
	}
	echo, ok := echoOf(r.TargetId)
	if !ok && c.ChatID == RoomID && strings.HasSuffix(r.TargetId, echoSuffix) {
		// A member's message in the group: every member of the echo
		// group may delete it for all (a group admin's right on
		// WhatsApp and Telegram), and the network says it is gone.
		ev := s.event(c)
		ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
		ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: r.TargetId}}
		s.emit(ev)
		return sdk.Result{}, nil
	}
	if !ok {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you can only retract your own messages")
	}
	if err := checkMeta("retract", r.TargetId, r.TargetMeta); err != nil {
		return sdk.Result{}, err
	}
	ev := s.event(c)
	ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: echo}}
	s.emit(ev)
	return sdk.Result{}, nil
}

// SetTyping answers composing with composing, then paused (sdk.Typer).
func (s *Session) SetTyping(_ context.Context, c sdk.Call, state pb.TypingState) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	if state != pb.TypingState_TYPING_STATE_COMPOSING {
		return nil
	}
	for _, st := range []pb.TypingState{pb.TypingState_TYPING_STATE_COMPOSING, pb.TypingState_TYPING_STATE_PAUSED} {
		ev := s.event(c)
		ev.EventId = ""
		ev.Payload = &pb.Event_Typing{Typing: &pb.TypingEvent{State: st}}
		s.emit(ev)
	}
	return nil
}

// MarkRead: the echo network takes read markers and has nothing to do
// with them (sdk.ReadMarker).
func (s *Session) MarkRead(_ context.Context, c sdk.Call, m *pb.MarkRead) error {
	if err := s.inChat(c); err != nil {
		return err
	}
	if !madeHere(m.UpToId) {
		return nil
	}
	return checkMeta("mark read up to", m.UpToId, m.UpToMeta)
}

// phoneStory plays what the user did on their phone: sent text, corrected
// it, reacted to it and deleted it.
func (s *Session) phoneStory(c sdk.Call, text string) {
	own := func(eventID bool) *pb.Event {
		ev := s.event(c)
		ev.Sender = &pb.Sender{UserId: s.loginID, IsFromMe: true}
		if !eventID {
			ev.EventId = ""
		}
		return ev
	}
	msg := own(true)
	msg.Payload = &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}
	s.emit(msg)
	edit := own(false)
	edit.Payload = &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: msg.EventId, Text: text + " (edited)"}}
	s.emit(edit)
	react := own(false)
	react.Payload = &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: msg.EventId, Emojis: []string{"👍"}}}
	s.emit(react)
	del := own(false)
	del.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: msg.EventId}}
	s.emit(del)
}

// keep has the contact keep its message id for good (WhatsApp's keep in
// chat) and, with undo, then no longer: the chat's timer, secs, counts
// from the message's time again.
func (s *Session) keep(c sdk.Call, id string, undo bool, secs int) {
	kept := s.event(c)
	kept.EventId = id + "-kept"
	kept.Payload = &pb.Event_Expiry{Expiry: &pb.ExpiryEvent{TargetId: id}}
	s.emit(kept)
	if undo {
		again := s.event(c)
		again.EventId = id + "-unkept"
		again.Payload = &pb.Event_Expiry{Expiry: &pb.ExpiryEvent{TargetId: id, ExpiresAfterSeconds: int64(secs)}}
		s.emit(again)
	}
}
