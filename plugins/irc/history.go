package irc

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// History, where the server keeps it (IRCv3 draft/chathistory: ergo,
// soju...). Two ways in, both answered by the server in a chathistory
// batch whose messages carry their msgid and server time, so the
// gateway stores each once whichever way it came, live or in history:
//
//   - Backfill (the gateway's request, at login and when it learns of a
//     chat): the newest messages (LATEST *), or those before the cursor
//     of the chat's last batch (BEFORE), in requests of at most
//     historyLimit, until the gateway's limit or the server's history
//     ends (the batch is then done).
//   - The catch-up, at each join of a channel (at login, on a
//     reconnection, a join from XMPP): what was said after the newest
//     message this plugin saw in it (LATEST from its time), or the
//     newest messages when it saw none (a new process). It is pushed as
//     a batch that is not done, its cursor naming its oldest message, as
//     WhatsApp's pushed history is: a gap longer than historyLimit is
//     what the gateway's next Backfill asks for.
//   - Private chats catch up on a reconnection: CHATHISTORY TARGETS
//     lists the nicks who wrote since the newest message this plugin
//     heard, and each such chat catches up as a channel does. (At the
//     first connection of a process there is no such time; the
//     gateway's Backfill of its known chats covers them.)
//
// A cursor is "timestamp=<server time>" (which every server takes; not
// all take msgid=). Requests overlap their boundary by a millisecond
// (messages of the same millisecond would otherwise be skipped); the
// overlap is dropped by the gateway's deduplication. A server without
// chathistory gets no request: its backfill answers at once with a
// done, empty batch.

// historyLimit is the most messages one CHATHISTORY request asks for;
// the server's own limit (ISUPPORT CHATHISTORY) lowers it.
const historyLimit = 100

// histReq is a CHATHISTORY request waiting for its batch.
type histReq struct {
	chatID string
	typ    pb.ChatType
	target string // folded, as the batch names it
	// backfill: the gateway asked (Backfill), so a batch always answers,
	// and the next request follows while want is not reached; else a
	// catch-up, whose empty answer sends nothing.
	backfill bool
	limit    int // asked for in this request
	want     int // asked for in all by the gateway, including this request; 0: one request's worth
	// before is the time the request's messages are older than (a
	// backfill's cursor; the request itself overlaps it); zero: LATEST.
	before time.Time
	// fill is what a Backfill's pages share (histreact.go); nil for a
	// catch-up.
	fill *backfillFill
}

// historyCaps are the capabilities history needs, asked for beside
// requestCaps: batch brings the history in one piece; event-playback
// has the server replay joins, parts and the like as themselves (which
// are skipped), not as messages of its own ("dave joined the channel",
// from ergo's HistServ).
var historyCaps = []string{"batch", "draft/chathistory", "draft/event-playback"}

// hasHistoryLocked reports whether the server keeps history for the
// connection (it acknowledged chathistory and batch).
func (s *Session) hasHistoryLocked() bool {
	return s.caps["draft/chathistory"] && s.caps["batch"] && s.conn != nil
}

// historyLimitOf is the server's CHATHISTORY limit from its ISUPPORT (0
// or none: no limit of its own), within historyLimit.
func historyLimitOf(isupport map[string]string) int {
	for _, k := range []string{"CHATHISTORY", "draft/CHATHISTORY"} {
		if n, err := strconv.Atoi(isupport[k]); err == nil && n > 0 {
			return min(n, historyLimit)
		}
	}
	return historyLimit
}

// histTime is a server time as CHATHISTORY takes it.
func histTime(t time.Time) string {
	return "timestamp=" + t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// parseCursor reads a cursor of ours: the time it names.
func parseCursor(cur string) (time.Time, error) {
	v, ok := strings.CutPrefix(cur, "timestamp=")
	t, err := time.Parse(time.RFC3339Nano, v)
	if !ok || err != nil {
		return time.Time{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "irc: history cursor %q is not this plugin's", cur)
	}
	return t, nil
}

// noteNewest keeps the server time of the newest message seen in a
// chat, and in all, for the next catch-up (kept across reconnections,
// not across restarts of the plugin).
func (s *Session) noteNewest(chatID string, m ircmsg.Message) {
	ok, _ := m.GetTag("time")
	if !ok {
		return
	}
	t := serverTime(m)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.newest[chatID]) {
		s.newest[chatID] = t
	}
	if t.After(s.heard) {
		s.heard = t
	}
}

// catchUpPrivate asks, on a reconnection, which nicks wrote since the
// newest message heard (CHATHISTORY TARGETS); onTargets catches their
// chats up.
func (s *Session) catchUpPrivate(c *ircevent.Connection) {
	s.mu.Lock()
	has, since, limit := s.hasHistoryLocked(), s.heard, s.histMax
	s.mu.Unlock()
	if !has || since.IsZero() {
		return
	}
	// Up to a while ahead of this clock: the server's may differ.
	err := c.Send("CHATHISTORY", "TARGETS", histTime(since.Add(-time.Millisecond)), histTime(time.Now().Add(time.Hour)), strconv.Itoa(limit))
	if err != nil {
		s.n.host.Logger().Warn("irc: private history not asked for", "login", s.loginID, "err", err)
	}
}

// onTargets takes the answer to CHATHISTORY TARGETS: each nick in it
// (channels catch up at their join) gets a catch-up of its chat.
func (s *Session) onTargets(c *ircevent.Connection, b *ircevent.Batch) {
	for _, item := range b.Items {
		m := item.Message
		if m.Command != "CHATHISTORY" || len(m.Params) < 2 || m.Params[0] != "TARGETS" || isChannel(m.Params[1]) {
			continue
		}
		nick := m.Params[1]
		s.mu.Lock()
		id := s.people.id(nick)
		since := s.newest[id]
		if since.IsZero() {
			since = s.heard
		}
		s.mu.Unlock()
		r := &histReq{chatID: id, typ: pb.ChatType_CHAT_TYPE_DIRECT, target: s.fold(nick)}
		if err := s.askHistory(c, r, nick, histTime(since.Add(-time.Millisecond))); err != nil {
			s.n.host.Logger().Warn("irc: private history not asked for", "login", s.loginID, "chat", id, "err", err)
		}
	}
}

// Backfill asks the server for a chat's history before req.Cursor (the
// newest, when there is none); the answer goes to the gateway as a
// history batch once the server sends it.
func (s *Session) Backfill(_ context.Context, req sdk.BackfillRequest) error {
	conn, err := s.online()
	if err != nil {
		return err
	}
	typ := pb.ChatType_CHAT_TYPE_DIRECT
	if isChannel(req.ChatID) {
		typ = pb.ChatType_CHAT_TYPE_GROUP
	}
	var before time.Time
	if req.Cursor != "" {
		if before, err = parseCursor(req.Cursor); err != nil {
			return err
		}
	}
	s.mu.Lock()
	has := s.hasHistoryLocked()
	s.mu.Unlock()
	if !has || req.ChatID == s.acc.serverChatID() {
		// Nothing to ask: the server keeps no history (or none of its
		// own answers, server.go).
		s.sendHistory(&pb.HistoryBatch{LoginId: s.loginID, ChatId: req.ChatID, ChatType: typ, Cursor: req.Cursor, Done: true})
		return nil
	}
	target, err := s.target(req.ChatID)
	if err != nil {
		return err
	}
	return s.askHistory(conn, &histReq{chatID: req.ChatID, typ: typ, target: s.fold(target), backfill: true, want: req.Limit, before: before, fill: &backfillFill{}}, target, "*")
}

// askHistory sends the CHATHISTORY request r: a backfill's BEFORE
// r.before (overlapping it by a millisecond), else LATEST after ref (or
// the newest, when ref is "*").
func (s *Session) askHistory(conn *ircevent.Connection, r *histReq, target, ref string) error {
	s.mu.Lock()
	r.limit = s.histMax
	if r.want > 0 {
		r.limit = min(r.limit, r.want)
	}
	sub := "LATEST"
	if !r.before.IsZero() {
		// The overlap takes one: two at least, or a page could hold
		// nothing but the message it starts from.
		sub, ref, r.limit = "BEFORE", histTime(r.before.Add(time.Millisecond)), max(r.limit, 2)
	}
	s.histWait = append(s.histWait, r)
	s.mu.Unlock()
	if err := conn.Send("CHATHISTORY", sub, target, ref, strconv.Itoa(r.limit)); err != nil {
		s.mu.Lock()
		s.dropHistReqLocked(r)
		s.mu.Unlock()
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "history of %s not asked for: %v", target, err)
	}
	return nil
}

func (s *Session) dropHistReqLocked(r *histReq) {
	for i, w := range s.histWait {
		if w == r {
			s.histWait = append(s.histWait[:i], s.histWait[i+1:]...)
			return
		}
	}
}

// catchUp asks for what was said in channel id (named name) since the
// newest message seen in it, at its join.
func (s *Session) catchUp(c *ircevent.Connection, id, name string) {
	s.mu.Lock()
	has, since := s.hasHistoryLocked(), s.newest[id]
	s.mu.Unlock()
	if !has {
		return
	}
	ref := "*"
	if !since.IsZero() {
		ref = histTime(since.Add(-time.Millisecond)) // the newest's millisecond again
	}
	r := &histReq{chatID: id, typ: pb.ChatType_CHAT_TYPE_GROUP, target: s.fold(name)}
	if err := s.askHistory(c, r, name, ref); err != nil {
		s.n.host.Logger().Warn("irc: channel history not asked for", "login", s.loginID, "chat", id, "err", err)
	}
}

// onBatch takes a chathistory batch: the answer to the oldest request
// waiting for its target. Other batches are left to ircevent, which
// hands their lines over one by one.
func (s *Session) onBatch(c *ircevent.Connection, b *ircevent.Batch) bool {
	if b.Command == "BATCH" && len(b.Params) >= 2 && (b.Params[1] == "draft/chathistory-targets" || b.Params[1] == "chathistory-targets") {
		s.onTargets(c, b)
		return true
	}
	if b.Command != "BATCH" || len(b.Params) < 3 || b.Params[1] != "chathistory" {
		return false
	}
	target := s.fold(b.Params[2])
	s.mu.Lock()
	var r *histReq
	for _, w := range s.histWait {
		if w.target == target {
			r = w
			break
		}
	}
	if r != nil {
		s.dropHistReqLocked(r)
	}
	s.mu.Unlock()
	if r == nil {
		// Unasked (a server replaying history on its own): taken as a
		// catch-up of the chat it names.
		r = &histReq{chatID: s.chanID(b.Params[2]), typ: pb.ChatType_CHAT_TYPE_GROUP, target: target}
		if !isChannel(b.Params[2]) {
			s.mu.Lock()
			r.chatID = s.people.id(b.Params[2])
			s.mu.Unlock()
			r.typ = pb.ChatType_CHAT_TYPE_DIRECT
		}
	}
	batch := &pb.HistoryBatch{LoginId: s.loginID, ChatId: r.chatID, ChatType: r.typ}
	var oldest, newest time.Time
	// lines: the page's lines, each of which the server's limit counts
	// (with event-playback, joins, parts and the like too), and those
	// older than r.before; oldest is the oldest line's time, where the
	// next page starts. older: the messages (and reactions) older than
	// r.before, what the gateway wants a number of.
	lines, linesOlder, older := 0, 0, 0
	var held []ircmsg.Message // a backfill's reactions (histreact.go)
	var redacts []ircmsg.Message
	for _, item := range b.Items {
		m := item.Message
		if item.Command == "BATCH" {
			continue // a nested batch
		}
		if m.Command == "REDACT" {
			// Counted in no limit (draft/message-redaction): applied
			// once the page is read (redact.go).
			if len(m.Params) >= 2 && validMsgid(m.Params[1]) && strings.Contains(m.Source, "!") {
				redacts = append(redacts, m)
			}
			continue
		}
		t := serverTime(m)
		lines++
		if r.before.IsZero() || t.Before(r.before) {
			linesOlder++
		}
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		reaction := m.Command == "TAGMSG" && isReaction(m)
		if (m.Command != "PRIVMSG" && m.Command != "NOTICE" && !reaction) || (len(m.Params) < 2 && !reaction) {
			continue // an event other than a message or a reaction
		}
		if r.before.IsZero() || t.Before(r.before) {
			older++
		}
		if t.After(newest) {
			newest = t
		}
		var ev *pb.Event
		switch {
		case reaction && r.backfill:
			held = append(held, m) // read with the Backfill's last page
		case reaction:
			ev = s.historyReaction(m, r, nil) // reactions.go
		default:
			ev = s.historyEvent(m, r.chatID)
		}
		if ev == nil {
			continue
		}
		ev.ChatId, ev.ChatType = r.chatID, r.typ
		batch.Events = append(batch.Events, ev)
	}
	s.historyRedactions(redacts, r, batch)
	s.flushOwn() // the user's lines the batch had (ownstore.go)
	if r.backfill {
		s.mu.Lock()
		s.holdReactionsLocked(r, held)
		s.mu.Unlock()
	}
	if !newest.IsZero() && !r.backfill {
		s.mu.Lock()
		if newest.After(s.newest[r.chatID]) {
			s.newest[r.chatID] = newest
		}
		if newest.After(s.heard) {
			s.heard = newest
		}
		s.mu.Unlock()
	}
	asked := false // the Backfill's next page
	switch {
	case r.backfill && linesOlder == 0:
		batch.Done = true // no older line
	case r.backfill:
		batch.Cursor = histTime(oldest)
		batch.Done = lines < r.limit
		if !batch.Done && r.want > older {
			// More wanted: the next page, before this one's oldest.
			next := &histReq{chatID: r.chatID, typ: r.typ, target: r.target, backfill: true, want: r.want - older, before: oldest, fill: r.fill}
			if err := s.askHistory(c, next, b.Params[2], "*"); err != nil {
				s.n.host.Logger().Warn("irc: history not asked for", "login", s.loginID, "chat", r.chatID, "err", err)
			} else {
				asked = true
			}
		}
	case len(batch.Events) == 0:
		return true // a catch-up with nothing new
	default:
		batch.Cursor = histTime(oldest)
	}
	if r.backfill && !asked {
		s.readHeldReactions(r, batch) // the Backfill's last page
	}
	s.sendHistory(batch)
	return true
}

// onHistoryFail takes the server's refusal of a CHATHISTORY request
// (FAIL CHATHISTORY <code> <subcommand> <target> :text): the request
// naming that target, or failing that the oldest, gets no batch. A
// backfill's fetch then ends at the gateway's idle timeout, to be asked
// again at the next login.
func (s *Session) onHistoryFail(m ircmsg.Message) {
	if len(m.Params) < 2 || m.Params[0] != "CHATHISTORY" {
		return
	}
	if len(m.Params) > 3 && m.Params[2] == "TARGETS" {
		// No request of a chat waits for it.
		s.n.host.Logger().Warn("irc: the server refused to say who wrote", "login", s.loginID, "said", strings.Join(m.Params, " "))
		return
	}
	s.mu.Lock()
	var r *histReq
	for _, p := range m.Params[1 : len(m.Params)-1] {
		for _, w := range s.histWait {
			if w.target == s.fold(p) {
				r = w
				break
			}
		}
		if r != nil {
			break
		}
	}
	if r == nil && len(s.histWait) > 0 {
		r = s.histWait[0]
	}
	if r != nil {
		s.dropHistReqLocked(r)
	}
	s.mu.Unlock()
	chat := ""
	if r != nil {
		chat = r.chatID
	}
	s.n.host.Logger().Warn("irc: the server refused a history request", "login", s.loginID, "chat", chat, "said", strings.Join(m.Params, " "))
	s.sendHeldReactions(r) // the Backfill's pages read before (histreact.go)
}

// liveKept bounds the msgids of live messages kept to leave out of
// history: more than one fetch of a chat brings back.
const liveKept = 4096

// seenLiveLocked notes the msgid of m, a message that came live: the
// gateway has it, and history leaves it out. (The gateway drops a
// history event that repeats an earlier history event, but stores one
// that repeats a live message again.)
func (s *Session) seenLiveLocked(m ircmsg.Message) {
	ok, id := m.GetTag("msgid")
	if !ok || id == "" || s.live[id] {
		return
	}
	s.liveOrder = keepNewest(s.live, s.liveOrder, id, true, liveKept)
}

// historyEvent is the message event of a line from history, nil for a
// line that is no message to show: a CTCP query, the user's own CTCP
// answers, a notice of the server's, the user's NickServ identification.
// A CTCP reply from someone, or a /me sent as a notice, is shown as it
// is live (onNotice). chat is the batch's: a message deleted there
// (redacted) is left out.
func (s *Session) historyEvent(m ircmsg.Message, chat string) *pb.Event {
	action := false
	if cmd, arg, ok := parseCTCP(m.Params[1]); ok {
		switch {
		case cmd == "ACTION" && (m.Command == "PRIVMSG" || !s.isSelf(m.Nick())):
			m.Params = []string{m.Params[0], arg}
			action = true
		case m.Command == "NOTICE" && cmd != "" && strings.Contains(m.Source, "!") && !s.isSelf(m.Nick()):
			m.Params = []string{m.Params[0], ctcpReply(cmd, arg)}
		default:
			return nil
		}
	}
	if m.Command == "NOTICE" && !strings.Contains(m.Source, "!") {
		return nil
	}
	if s.secretLine(m.Params[0], m.Params[1]) {
		// The user's, whatever their nick was then (the IDENTIFY of a
		// connection whose nick was taken went under another): no one
		// else's line to a service reaches the user.
		return nil
	}
	ok, id := m.GetTag("msgid")
	if !ok || id == "" {
		return nil // without the server's ID it could not be told from its live copy
	}
	s.mu.Lock()
	// The user's lines sent where the server echoes none are told by
	// their words, target and time (ownstore.go).
	live := s.live[id] || s.redactedLocked(chat, id) || slices.Contains(s.acc.OwnEchoes, id) || s.ownMsgidLocked(id) ||
		s.takeUnechoedLineLocked(s.lineDigest(m.Params[0], action, m.Params[1]), m.Nick(), serverTime(m), id)
	s.mu.Unlock()
	if live {
		return nil // the gateway has it
	}
	return s.messageEvent(m, action)
}

// services are the nicks of networks' services that take passwords in
// private messages (folded): Atheme's and Anope's, QuakeNet's Q,
// Undernet's X, GameSurge's AuthServ.
var services = []string{"nickserv", "chanserv", "q", "x", "authserv", "userserv"}

// secretLine reports whether a line to target carries a password, to
// be left out of history: a command with one to a service (addressed
// by its nick, or its nick@server as "Q@CServe.quakenet.org"), or one
// of the login's commands after connecting (any PRIVMSG there may).
func (s *Session) secretLine(target, text string) bool {
	nick, _, _ := strings.Cut(target, "@")
	if slices.Contains(services, s.fold(nick)) && withPassword(text) {
		return true
	}
	for _, m := range s.commands {
		// The text first: folding may allocate, for each line of a batch.
		if (strings.EqualFold(m.Command, "PRIVMSG") || strings.EqualFold(m.Command, "NOTICE")) &&
			len(m.Params) == 2 && m.Params[1] == text && s.fold(m.Params[0]) == s.fold(target) {
			return true
		}
	}
	return false
}

// withPassword reports whether a line to a service carries a password:
// IDENTIFY (ID), the REGAIN and GHOST of regain.go, Anope's RECOVER
// and RELEASE, REGISTER, GROUP, a SET PASSWORD, and the AUTH and LOGIN
// of QuakeNet's Q, Undernet's X and GameSurge's AuthServ.
func withPassword(line string) bool {
	f := strings.Fields(strings.ToUpper(line))
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "IDENTIFY", "ID", "REGAIN", "GHOST", "RECOVER", "RELEASE", "REGISTER", "GROUP", "AUTH", "LOGIN", "SETPASS":
		return true
	case "SET":
		return slices.Contains(f[1:min(len(f), 3)], "PASSWORD")
	}
	return false
}

// sendHistory hands a batch to the gateway, after the ones before it
// (SendHistory waits while the gateway is behind; the connection's
// reader must not).
func (s *Session) sendHistory(b *pb.HistoryBatch) {
	s.mu.Lock()
	prev := s.histSent
	done := make(chan struct{})
	s.histSent = done
	s.mu.Unlock()
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		if err := s.n.host.SendHistory(context.Background(), b); err != nil {
			s.n.host.Logger().Warn("irc: history not sent", "login", s.loginID, "chat", b.ChatId, "err", err)
		}
	}()
}
