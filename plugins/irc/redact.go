package irc

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Message deletion (IRCv3 draft/message-redaction, a draft Ergo has):
// "REDACT <target> <msgid> [:reason]" deletes the message of that
// server msgid, the user's own or (a channel operator) anyone's. The
// server relays it to those with the capability, the sender too, and
// refuses with "FAIL REDACT <code> <target> <msgid> ...". So:
//
//   - Retract (XEP-0424, XEP-0425's moderation) sends a REDACT of the
//     message's msgid as a moderation command (moderation.go: between
//     two PINGs of its own): the server's REDACT from the user is the
//     success, its FAIL the error the user reads. Without the
//     capability, or for a message without a server msgid (sent without
//     echo-message), it is UNSUPPORTED: an IRC line cannot be taken
//     back. The login's features say so at CONNECTED (connectedState).
//   - A REDACT from someone else (or from the user's other client) is
//     the message's retraction; of a reaction's TAGMSG (heard live,
//     the echo of the user's own, or a catch-up's), that reaction taken
//     back, as is the user's own retraction of one.
//   - History leaves a message deleted out of its chat (only: the
//     deletion is kept by chat and msgid), and a chathistory batch's
//     REDACT lines (a server may send them in place of, or beside, the
//     message) are its retraction, not the message again.
//
// Before, Retract was refused (UNSUPPORTED: no sdk.Retractor) and a
// REDACT was ignored: a message deleted on IRC stayed in the room.

// messageMeta is what a message the user sent keeps with its ID (the
// send's sdk.Result.Meta, handed back as a Retract's target_meta): the
// msgids of its lines after the first (a long text cut, or one of
// several lines), which its retraction deletes too.
type messageMeta struct {
	More []string `json:"more,omitempty"`
}

// metaMax is the most bytes of metadata the gateway keeps.
const metaMax = 1024

// linesMeta is the metadata of a message whose lines after the first
// have msgids ids: as many of them as fit in metaMax; nil for none.
func linesMeta(ids []string) []byte {
	var m messageMeta
	out := []byte(nil)
	for _, id := range ids {
		m.More = append(m.More, id)
		b, err := json.Marshal(m)
		if err != nil || len(b) > metaMax {
			break
		}
		out = b
	}
	return out
}

// moreLines are the msgids of a message's lines after the first, from
// its metadata (linesMeta); none where it has none, or is not ours.
func moreLines(meta []byte) []string {
	var m messageMeta
	if len(meta) == 0 || json.Unmarshal(meta, &m) != nil {
		return nil
	}
	var ids []string
	for _, id := range m.More {
		if validMsgid(id) && !ownIDPattern.MatchString(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// redactCap is the capability of REDACT.
const redactCap = "draft/message-redaction"

var _ sdk.Retractor = (*Session)(nil)

// redactedKept bounds the msgids of messages known deleted.
const redactedKept = 4096

// reactRef is a reaction heard, by its TAGMSG's msgid: whose, to which
// message, which emoji, in which chat; page is the sets of the Backfill
// that brought it (nil: the live sets, s.reactions); gone, a later
// TAGMSG of that Backfill's stands for it.
type reactRef struct {
	k      reactKey
	emoji  string
	sender *pb.Sender
	chat   string
	typ    pb.ChatType
	page   *reactSets
	gone   bool
}

// canRedactLocked reports whether the server deletes messages: REDACT,
// which names a message by its msgid (message-tags).
func (s *Session) canRedactLocked() bool { return s.caps[redactCap] && s.caps["message-tags"] }

// loginFeaturesLocked is what the login can do on this server, for its
// CONNECTED state: nil (the transport's features) where it deletes
// messages, else those without retractions, so that the user's client
// is not offered what the server cannot do.
func (s *Session) loginFeaturesLocked() *pb.Features {
	if s.canRedactLocked() || s.n.feats == nil {
		return nil
	}
	f := proto.CloneOf(s.n.feats)
	f.Retractions = false
	return f
}

// connectedState says the login is connected, with what it can do on
// this server (loginFeaturesLocked); msg is kept for a later change of
// those (redactCapChanged).
func (s *Session) connectedState(msg string) {
	s.mu.Lock()
	s.connectedSaid = msg
	f := s.loginFeaturesLocked()
	s.mu.Unlock()
	s.n.host.Emit(&pb.Event{LoginId: s.loginID, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_LoginState{LoginState: &pb.LoginStateEvent{State: pb.LoginState_LOGIN_STATE_CONNECTED, Message: msg, Features: f}}})
}

// redactCapChanged says the login's features again where the server
// took deletion (or message-tags) on or off after the login said it was
// connected (CAP NEW, CAP DEL: a bouncer's upstream coming and going).
func (s *Session) redactCapChanged(before bool) {
	s.mu.Lock()
	now, msg, up := s.canRedactLocked(), s.connectedSaid, s.up && s.connected == ""
	s.mu.Unlock()
	if now != before && up && msg != "" {
		s.connectedState(msg)
	}
}

// Retract deletes a message on the server (sdk.Retractor): a REDACT of
// its msgid, answered by the server's REDACT (done) or its FAIL.
func (s *Session) Retract(ctx context.Context, c sdk.Call, r *pb.Retract) (sdk.Result, error) {
	conn, err := s.online()
	if err != nil {
		return sdk.Result{}, err
	}
	if c.ChatID == s.acc.serverChatID() {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the server's chat takes commands; it has no messages to delete")
	}
	s.mu.Lock()
	can := s.canRedactLocked()
	s.mu.Unlock()
	switch {
	case r.TargetId == "":
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "a retraction names no message")
	case !can:
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED,
			"%s does not delete messages (it offers no IRCv3 %s): a line sent on IRC cannot be taken back", s.acc.addr(), redactCap)
	case ownIDPattern.MatchString(r.TargetId):
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED,
			"the message has no ID of the server's (it was sent without the server's echo, or the echo came late): the server cannot be told which to delete")
	case !validMsgid(r.TargetId):
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%.40q names no IRC message", r.TargetId)
	}
	target, err := s.target(c.ChatID)
	if err != nil {
		return sdk.Result{}, err
	}
	// The message's other lines too: its first line's answer (its
	// REDACT, its FAIL) is the command's, as the gateway has the
	// message under that ID.
	w := &modWait{what: "delete the message in " + decodeText(target), redact: r.TargetId, redactMore: moreLines(r.TargetMeta)}
	if isChannel(target) {
		w.channel = s.chanID(c.ChatID)
	} else {
		w.nick = s.fold(target)
	}
	lines := [][]string{{"REDACT", target, r.TargetId}}
	for _, id := range w.redactMore {
		lines = append(lines, []string{"REDACT", target, id})
	}
	if err := s.moderate(ctx, conn, w, lines...); err != nil {
		return sdk.Result{}, err
	}
	return sdk.Result{}, nil
}

// redactFailures are the server's FAIL REDACT codes, as the contract's
// errors, with the words the user reads.
var redactFailures = map[string]struct {
	code pb.ErrorCode
	why  string
}{
	"INVALID_TARGET":        {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "messages cannot be deleted there"},
	"REDACT_FORBIDDEN":      {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you may not delete this message"},
	"REDACT_WINDOW_EXPIRED": {pb.ErrorCode_ERROR_CODE_EXPIRED, "it is too late to delete this message"},
	"UNKNOWN_MSGID":         {pb.ErrorCode_ERROR_CODE_NOT_FOUND, "the server does not know the message (gone, or too old)"},
}

// handleRedaction takes REDACT lines, and the refusals of the user's.
func (s *Session) handleRedaction(c *ircevent.Connection) {
	s.on(c, "REDACT", s.onRedact)
	s.on(c, "FAIL", func(m ircmsg.Message) {
		// FAIL REDACT <code> [<target> <msgid> [<window>]] :text
		if len(m.Params) < 3 || m.Params[0] != "REDACT" {
			return
		}
		if len(m.Params) >= 5 && s.ownRedactRefused(m.Params[3]) {
			return
		}
		f, ok := redactFailures[m.Params[1]]
		if !ok {
			f.code, f.why = pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "the server refused ("+m.Params[1]+")"
		}
		if m.Params[1] == "REDACT_WINDOW_EXPIRED" && len(m.Params) >= 6 {
			f.why += " (the server allows " + decodeText(m.Params[4]) + " seconds)"
		}
		s.redactRefused(m, f.code, f.why)
	})
	s.on(c, ircevent.ERR_UNKNOWNCOMMAND, func(m ircmsg.Message) {
		if len(m.Params) >= 2 && strings.EqualFold(m.Params[1], "REDACT") {
			s.redactRefused(m, pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "the server does not know REDACT")
		}
	})
}

// ownRedactRefused takes the server's refusal of React's REDACT of the
// user's reaction, of its TAGMSG id (redactOwnReaction): the
// reaction is then taken back with +draft/unreact, in turn with the
// user's lines, as where the server deletes nothing (a server lets a
// message be deleted for a while only, say). It reports whether id was
// such a REDACT.
func (s *Session) ownRedactRefused(id string) bool {
	s.mu.Lock()
	ref, ok := s.ownRedacts[id]
	delete(s.ownRedacts, id)
	s.mu.Unlock()
	if !ok {
		return false
	}
	tags := map[string]string{replyTags[0]: ref.k.msgid, unreactTag: ref.emoji}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), pasteTime)
		defer cancel()
		s.lines.admit(1, pasteTime)
		defer s.lines.sent(1)
		conn, err := s.online()
		target := ""
		if err == nil {
			target, err = s.target(ref.chat) // its chat's, whatever the FAIL names
		}
		if err == nil {
			err = s.lines.wait(ctx)
		}
		if err == nil {
			err = s.sendTagmsg(conn, target, tags)
		}
		if err != nil {
			s.n.host.Logger().Warn("irc: a reaction taken back stays on IRC: its REDACT refused, its +draft/unreact not sent", "login", s.loginID, "err", err)
		}
	}()
	return true
}

// redactRefused gives the REDACT waiting its refusal m.
func (s *Session) redactRefused(m ircmsg.Message, code pb.ErrorCode, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.modWait
	if w == nil || w.redact == "" || !w.win.active || w.refused {
		return
	}
	if m.Command == "FAIL" && len(m.Params) >= 5 && m.Params[3] != w.redact {
		// Another line's of the message: the first stays deleted.
		s.n.host.Logger().Warn("irc: a line of a message not deleted", "login", s.loginID, "said", strings.Join(m.Params, " "))
		return
	}
	w.refused, w.code = true, code
	w.why = why + " (the server says: " + decodeText(lastParam(m)) + ")"
}

// onRedact takes a REDACT: the server's answer to the user's (the
// command's success, no event of its own), or a deletion by someone
// else, or by the user's other client, in a channel or a private chat.
func (s *Session) onRedact(m ircmsg.Message) {
	if len(m.Params) < 2 || !validMsgid(m.Params[1]) || !strings.Contains(m.Source, "!") {
		return
	}
	target, id := m.Params[0], m.Params[1]
	sender := s.sender(m.Nick())
	if sender.UserId == "" {
		return
	}
	chat, typ, ours := s.chatOf(target, sender)
	s.mu.Lock()
	s.seenLiveLocked(m)
	if ours {
		s.noteRedactedLocked(chat, id)
		if ref, ok := s.ownRedacts[id]; ok && sender.IsFromMe && ref.chat == chat {
			// The answer to React's REDACT of the user's reaction: the
			// set without it was made then.
			delete(s.ownRedacts, id)
			s.mu.Unlock()
			return
		}
	}
	if w := s.modWait; w != nil && sender.IsFromMe && (w.redact == id || slices.Contains(w.redactMore, id)) && s.redactTargetLocked(w, target) {
		w.redacted = w.redacted || w.redact == id
		s.mu.Unlock()
		// The user's retraction of a reaction of theirs (its TAGMSG's
		// msgid): the set without it, told, and the one their next
		// React goes on from.
		ev, _ := s.unreactEvent(m, id, chat)
		s.flushOwn()
		if ev != nil {
			s.n.host.Emit(ev)
		}
		return
	}
	s.mu.Unlock()
	if !ours {
		return // to a channel's operators (@#chan), or not to us
	}
	ev, known := s.unreactEvent(m, id, chat)
	s.flushOwn()
	if ev != nil {
		s.n.host.Emit(ev)
	}
	if known {
		// A reaction's TAGMSG: its set told (or taken back before,
		// with +draft/unreact), no message of the gateway's.
		return
	}
	s.n.host.Emit(s.retractionEvent(m, sender, chat, typ, id))
}

// chatOf is the chat of a line from sender to target (a REDACT, a
// TAGMSG): the channel, the peer's private chat (the user's line to
// them, or theirs to the user); ok is false for a line to a channel's
// operators (@#chan) or not to the user.
func (s *Session) chatOf(target string, sender *pb.Sender) (chat string, typ pb.ChatType, ok bool) {
	switch {
	case isChannel(target):
		return s.chanID(target), pb.ChatType_CHAT_TYPE_GROUP, true
	case sender.IsFromMe && !s.isSelf(target):
		if strings.TrimLeft(target, statusPrefixes) != target {
			return "", 0, false // no nick starts so
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.people.id(target), pb.ChatType_CHAT_TYPE_DIRECT, true
	case sender.IsFromMe || !s.isSelf(target):
		return "", 0, false
	}
	return sender.UserId, pb.ChatType_CHAT_TYPE_DIRECT, true
}

// redactTargetLocked reports whether target, a REDACT's, is where w's
// REDACT went: the server's REDACT of the msgid elsewhere (another
// channel's, a wrong or hostile server's) is not its answer.
func (s *Session) redactTargetLocked(w *modWait, target string) bool {
	if isChannel(target) {
		return w.channel != "" && s.chanID(target) == w.channel
	}
	return w.nick != "" && s.fold(target) == w.nick
}

// retractionEvent is the retraction of message id that m, a REDACT,
// makes.
func (s *Session) retractionEvent(m ircmsg.Message, sender *pb.Sender, chat string, typ pb.ChatType, id string) *pb.Event {
	return &pb.Event{LoginId: s.loginID, EventId: s.eventID(m), TimestampUnixMicro: serverTime(m).UnixMicro(),
		Sender: sender, ChatId: chat, ChatType: typ,
		Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: id}}}
}

// unreactEvent is the reaction event of a REDACT m, in chat, of a
// reaction heard there (its TAGMSG's msgid id): the reactor's set
// without it; nil when id is no reaction heard in chat, or the set has
// it no more. known reports whether id is a reaction's of chat, even
// one taken back already (+draft/unreact, or a later TAGMSG of the
// same emoji stands for it): its REDACT is then no retraction. Before,
// a REDACT of a reaction taken back with +draft/unreact came as the
// retraction of a message the gateway never had. A REDACT naming
// another chat's reaction (a server's mistake, or a hostile one) takes
// nothing back there.
//
// A Backfill's reaction (ref.page) is taken out of its Backfill's set,
// told where the live sets have none of the sender's for the message:
// where they have one, it is newer than the Backfill, and tells what
// stands (a reaction there was added by a later TAGMSG); one a later
// TAGMSG of the Backfill stands for (ref.gone) takes nothing back.
func (s *Session) unreactEvent(m ircmsg.Message, id, chat string) (ev *pb.Event, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.reactIDs[id]
	ids := s.reactIDs
	if !ok || ref.chat != chat {
		ref, ok = s.backReactIDs[id]
		ids = s.backReactIDs
	}
	if !ok || ref.chat != chat {
		if c, gone := s.withdrawnReacts[id]; gone && c == chat {
			delete(s.withdrawnReacts, id)
			return nil, true
		}
		return nil, false
	}
	delete(ids, id)
	sets := &s.reactions
	if ref.page != nil {
		if ref.gone || s.reactions.get(ref.k) != nil {
			return nil, true
		}
		sets = ref.page
	} else {
		defer s.ownSetChangedLocked(ref.k)
	}
	had := sets.get(ref.k)
	set := make([]string, 0, len(had))
	for _, e := range had {
		if e != ref.emoji {
			set = append(set, e)
		}
	}
	if len(set) == len(had) {
		return nil, true
	}
	sets.set(ref.k, set)
	return &pb.Event{LoginId: s.loginID, EventId: s.eventID(m), TimestampUnixMicro: serverTime(m).UnixMicro(),
		Sender: ref.sender, ChatId: ref.chat, ChatType: ref.typ,
		Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: ref.k.msgid, Emojis: set}}}, true
}

// noteReactionIDLocked keeps the reaction a TAGMSG of msgid id added,
// for a REDACT of it. Of the live sets, it stands for the same
// reaction (person, message, emoji, chat) added before by another
// TAGMSG: that one is withdrawn (the reaction was taken back and added
// again, or sent twice), and a REDACT of it takes nothing back. So
// too of one Backfill's sets, whose reactions are read oldest first
// (histreact.go); those are kept apart (backReactIDs), bounded on their
// own.
func (s *Session) noteReactionIDLocked(id string, ref reactRef) {
	if id == "" {
		return
	}
	if ref.page != nil {
		if s.backReactIDs == nil {
			s.backReactIDs = map[string]reactRef{}
		}
		for old, r := range s.backReactIDs {
			if old != id && r.page == ref.page && r.k == ref.k && r.emoji == ref.emoji && r.chat == ref.chat {
				r.gone = true
				s.backReactIDs[old] = r
			}
		}
		s.backReactIDOrder = keepNewest(s.backReactIDs, s.backReactIDOrder, id, ref, reactMax)
		return
	}
	if s.reactIDs == nil {
		s.reactIDs = map[string]reactRef{}
	}
	// It stands (again: a REDACT of it that could not go).
	if _, gone := s.withdrawnReacts[id]; gone {
		delete(s.withdrawnReacts, id)
		s.withdrawnOrder = slices.DeleteFunc(s.withdrawnOrder, func(o string) bool { return o == id })
	}
	s.forgetOwnWithdrawnLocked(id)
	for old, r := range s.reactIDs {
		if old != id && r.k == ref.k && r.emoji == ref.emoji && r.chat == ref.chat {
			delete(s.reactIDs, old)
			s.noteWithdrawnLocked(old, r.chat, r.sender.GetIsFromMe())
		}
	}
	s.reactIDOrder = keepNewest(s.reactIDs, s.reactIDOrder, id, ref, reactMax)
}

// noteWithdrawnLocked notes the reaction TAGMSG of msgid id, in chat,
// as taken back already: a REDACT of it is no retraction. The user's
// (own) are kept on disk too (ownstore.go), written by the caller
// (flushOwn): before, they were in memory only, and after a restart a
// REDACT of one came as the retraction of a message the gateway never
// had.
func (s *Session) noteWithdrawnLocked(id, chat string, own bool) {
	if s.withdrawnReacts == nil {
		s.withdrawnReacts = map[string]string{}
	}
	s.withdrawnOrder = keepNewest(s.withdrawnReacts, s.withdrawnOrder, id, chat, reactMax)
	if own {
		s.keepOwnWithdrawnLocked(id, chat)
	}
}

// noteRedactedLocked notes that message id was deleted in chat:
// history of that chat leaves it out. By chat: a REDACT in one chat
// (a wrong or hostile server's, or another network's msgid scheme)
// hides no message of that msgid elsewhere.
func (s *Session) noteRedactedLocked(chat, id string) {
	if s.redacted == nil {
		s.redacted = map[string]bool{}
	}
	s.redactedOrder = keepNewest(s.redacted, s.redactedOrder, redactedKey(chat, id), true, redactedKept)
}

// redactedLocked reports whether message id was deleted in chat.
func (s *Session) redactedLocked(chat, id string) bool { return s.redacted[redactedKey(chat, id)] }

// redactedKey is the key of a deleted message in s.redacted: no chat
// ID or msgid holds a NUL.
func redactedKey(chat, id string) string { return chat + "\x00" + id }

// keepNewest sets m[id] to v, noting a new id last in order, and
// forgets the oldest past most: the sets of msgids a session keeps
// (live, deleted, reactions) are bounded. It returns order.
func keepNewest[V any](m map[string]V, order []string, id string, v V, most int) []string {
	if _, ok := m[id]; !ok {
		order = append(order, id)
	}
	m[id] = v
	if len(order) > most {
		delete(m, order[0])
		order = order[1:]
	}
	return order
}

// historyRedactions applies a chathistory batch's REDACT lines to its
// events: a message (or reaction) deleted is left out of the batch, and
// one the batch lacks (the gateway had it, live or from an earlier
// batch) gets its retraction, unless its deletion was told already
// (heard live, or in an earlier batch). A
// backfill's page only leaves out: the message deleted is in an older
// page (history leaves it out there, s.redacted), or long gone.
func (s *Session) historyRedactions(redacts []ircmsg.Message, r *histReq, batch *pb.HistoryBatch) {
	for _, m := range redacts {
		if !s.redactOfBatch(m.Params[0], r) {
			// Another chat's deletion in this chat's batch (a wrong or
			// hostile server): it neither leaves out this chat's
			// message of that msgid nor retracts it.
			s.n.host.Logger().Warn("irc: a history batch's REDACT of another chat; ignored", "login", s.loginID, "chat", r.chatID, "redact_target", m.Params[0])
			continue
		}
		id := m.Params[1]
		s.mu.Lock()
		// Known deleted already (heard live, or an earlier batch's):
		// told then.
		told := s.redactedLocked(r.chatID, id)
		s.noteRedactedLocked(r.chatID, id)
		_, rid := m.GetTag("msgid")
		heard := rid != "" && s.live[rid]
		s.mu.Unlock()
		n := len(batch.Events)
		kept := batch.Events[:0]
		for _, ev := range batch.Events {
			if ev.EventId != id {
				kept = append(kept, ev)
			}
		}
		batch.Events = kept
		if !r.backfill {
			// A reaction of the live sets (heard live, or in this or an
			// earlier catch-up): the set without it. Before, a catch-up's
			// REDACT of a reaction was the retraction of a message the
			// gateway never had, and the reaction stayed.
			ev, known := s.unreactEvent(m, id, r.chatID)
			if ev != nil {
				batch.Events = append(batch.Events, ev)
			}
			if known {
				continue
			}
		}
		if len(kept) < n || told || heard || r.backfill || rid == "" {
			continue
		}
		sender := s.sender(m.Nick())
		if sender.UserId == "" {
			continue
		}
		batch.Events = append(batch.Events, s.retractionEvent(m, sender, r.chatID, r.typ, id))
	}
}

// redactOfBatch reports whether target, a history REDACT's, is the chat
// of the batch r asked for: the channel itself, or, in a private chat's,
// the peer (the user deleted their line) or the user (the peer did).
func (s *Session) redactOfBatch(target string, r *histReq) bool {
	if s.fold(target) == r.target {
		return true
	}
	return r.typ == pb.ChatType_CHAT_TYPE_DIRECT && !isChannel(target) && s.isSelf(target)
}
