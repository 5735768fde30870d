package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// Namespaces of one-to-one messaging.
const (
	nsCorrect   = "urn:xmpp:message-correct:0"
	nsRetract   = "urn:xmpp:message-retract:1"
	nsReactions = "urn:xmpp:reactions:0"
	nsReply     = "urn:xmpp:reply:0"
	nsFallback  = "urn:xmpp:fallback:0"
	nsMarkers   = "urn:xmpp:chat-markers:0"
	nsHints     = "urn:xmpp:hints"
	nsOOB       = "jabber:x:oob"
	nsForward   = "urn:xmpp:forward:0"
)

// nsFallbackOld is XEP-0428's namespace before 0.2, which Movim and
// Converse of its time still send with their replies' quotes.
const nsFallbackOld = "urn:xmpp:feature-fallback:0"

// targetWait bounds how long a correction, reaction or retraction waits
// for the network's ID of a message sent just before it (in a room
// longer: targetWaitIn).
const targetWait = 5 * time.Second

// sending tracks messages handed to the plugin whose remote ID is not
// known yet, so that a correction sent right behind one finds it.
type sending struct {
	mu sync.Mutex
	m  map[string]*sendsUnder
}

// sendsUnder is the sends under way under one key: how many, and a
// channel closed (and replaced) whenever one of them ends.
type sendsUnder struct {
	n     int
	ended chan struct{}
}

func sendKey(loginID, chatID, xmppID string) string {
	return loginID + "\x00" + chatID + "\x00" + xmppID
}

// start marks a send under way under keys; the returned func ends it.
// Callers include sendKey(login, chat, "*"), under which every send of
// the chat counts, for lookups by remote ID.
func (s *sending) start(keys ...string) func() {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*sendsUnder{}
	}
	for _, k := range keys {
		u := s.m[k]
		if u == nil {
			u = &sendsUnder{ended: make(chan struct{})}
			s.m[k] = u
		}
		u.n++
	}
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, k := range keys {
				u := s.m[k]
				u.n--
				close(u.ended)
				if u.n == 0 {
					delete(s.m, k)
				} else {
					u.ended = make(chan struct{})
				}
			}
		})
	}
}

// busy reports whether a send is under way under key.
func (s *sending) busy(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key] != nil
}

// ended returns a channel closed when a send under key ends, or nil when
// none is under way.
func (s *sending) ended(key string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.m[key]; u != nil {
		return u.ended
	}
	return nil
}

// wait returns once a send under key ends (any of them), or at once when
// none is under way, or after max.
func (s *sending) wait(ctx context.Context, key string, max time.Duration) {
	ch := s.ended(key)
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-time.After(max):
	case <-ctx.Done():
	}
}

// recentMsg is what the gateway remembers of a recent message.
type recentMsg struct {
	text string // for the quote of a reply's XEP-0461 fallback
	// What the user's client asked for: XEP-0184 receipts, XEP-0333
	// markers. Clients that did not ask get neither.
	receipt, markable bool
	// received: a XEP-0184 receipt of it went to the client (recents.receive).
	received bool
	// caption is, for a network message delivered as its file alone,
	// the id of the message its caption, added by an edit, went as
	// (caption_edit.go): later edits correct that one, its retraction
	// retracts it too. captionRemote is the remote ID of the edit it
	// came from, which names its copy in a room's archive.
	caption, captionRemote string
	// chat is chatKey(login, chat), set by put.
	chat string
}

func chatKey(loginID, chatID string) string { return loginID + "\x00" + chatID }

// recents remembers recent messages by XMPP ID. After a restart a reply
// to an older message carries no quote from here; what the user's
// client asked of the contact is kept in the message map too
// (chatOut.asked).
type recents struct {
	mu    sync.Mutex
	m     map[string]recentMsg
	order []string
	// asking counts, per chat, the remembered messages that asked for a
	// receipt or a marker: a receipt waits for a send under way only
	// there, and a message mapped before the asks were kept takes them
	// as asked only there (chatOut.asked).
	asking map[string]int
}

func (x *recents) count(r recentMsg, d int) {
	if r.chat == "" || (!r.receipt && !r.markable) {
		return
	}
	if x.asking == nil {
		x.asking = map[string]int{}
	}
	if x.asking[r.chat] += d; x.asking[r.chat] <= 0 {
		delete(x.asking, r.chat)
	}
}

// asks reports whether a remembered message of the chat asked for a
// receipt or a marker.
func (x *recents) asks(chat string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.asking[chat] > 0
}

// put remembers the message id of chat (chatKey). IDs are the clients'
// own, unique per client at best: two users' messages may share one.
func (x *recents) put(chat, id string, r recentMsg) {
	if id == "" {
		return
	}
	r.chat = chat
	id = chat + "\x00" + id
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[string]recentMsg{}
	}
	if old, ok := x.m[id]; ok {
		x.count(old, -1)
	} else {
		x.order = append(x.order, id)
	}
	x.m[id] = r
	x.count(r, 1)
	if len(x.order) > 10000 {
		x.count(x.m[x.order[0]], -1)
		delete(x.m, x.order[0])
		x.order = x.order[1:]
	}
}

// retext sets the remembered text of the message known by ids (its
// id and origin-id), if remembered: it was corrected.
func (x *recents) retext(chat, text string, ids ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if r, ok := x.m[chat+"\x00"+id]; ok && id != "" {
			r.text = text
			x.m[chat+"\x00"+id] = r
		}
	}
}

// receive notes that a receipt of the remembered message id of chat
// goes to the client, and reports whether none had before (false for a
// message not remembered).
func (x *recents) receive(chat, id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	k := chat + "\x00" + id
	r, ok := x.m[k]
	if !ok || r.received {
		return false
	}
	r.received = true
	x.m[k] = r
	return true
}

// lookup returns the remembered message id of chat, and whether it is
// remembered.
func (x *recents) lookup(chat, id string) (recentMsg, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.m[chat+"\x00"+id]
	return r, ok
}

func (x *recents) get(chat, id string) recentMsg {
	r, _ := x.lookup(chat, id)
	return r
}

// userMessage is what a message from the user asks for.
type userMessage struct {
	body             string
	hasBody          bool
	originID, id     string
	replace, retract string
	reactions        *wire.Element
	replyTo          string
	// quoted is the body as the client sent it, with the quote of a
	// reply's XEP-0428 fallback that body lacks ("" when it has none):
	// for a network that does not take the reply.
	quoted string
	// noTarget names a correction's, retraction's or reactions' element
	// that lacks the id of the message it is about.
	noTarget string
	// encrypted: end-to-end encrypted (encryptedElem); its body is a
	// fallback for clients that cannot decrypt, no words of the user's.
	encrypted bool
	// spoiler: the body is a spoiler (XEP-0382, richtext.go).
	spoiler bool
	// subject is the message's subject (RFC 6121 §5.2.4), on one line,
	// when body begins with it (withSubject); "" for none.
	subject      string
	chatState    pb.TypingState
	hasChatState bool
	displayed    string
	oobURL       string
	receipt      bool // XEP-0184 request
	markable     bool // XEP-0333
	// blank: the body was white space only (taken as none); quoteOnly:
	// once a reply's quote (its fallback) was taken out; signal: a chat
	// state, marker or receipt parseUserMessage has no case for; unknown
	// names the first element not bridged (messaging_empty.go).
	blank, quoteOnly, signal bool
	unknown                  string
	// sent, when set, is called with the result of the command the
	// message became, once the network took it (a room reflects it).
	// For a new message, sm is what to remember of it, and sent records
	// it in place of remember (a room, with the reflection: archiveSent);
	// otherwise sm is nil.
	sent func(res *pb.CommandResult, sm *sentMsg)
	// settled, when set, is called once the message is done with, sent
	// (after sent) or not, maybe more than once (room_order.go).
	settled func()
}

// command reports whether m may be a chat command ("/pin", "/timer 1d"):
// a new text alone that starts with a slash, as slashCommand reads it
// (leading white space of any kind ignored). A correction or a file is
// sent as it is.
func (m userMessage) command() bool {
	return m.hasBody && m.replace == "" && m.oobURL == "" && strings.HasPrefix(strings.TrimSpace(m.body), "/")
}

// action reports whether m asks the network for more than a chat state
// or a read marker: words, a file, a retraction, reactions or a
// correction (one without a body too, which is answered: bodyless).
func (m userMessage) action() bool {
	return m.hasBody || m.oobURL != "" || m.retract != "" || m.reactions != nil || m.replace != ""
}

// bodyless reports whether m is a correction with no <body/> at all: it
// names no new words, so it can only be refused (it was dropped unanswered,
// the user's client showing the message corrected).
func (m userMessage) bodyless() bool {
	return m.replace != "" && !m.hasBody && m.retract == "" && m.reactions == nil
}

func parseUserMessage(st *wire.Stanza) userMessage {
	m := userMessage{id: st.ID()}
	m.body, m.hasBody = st.Body()
	var shared string // a SIMS or XEP-0447 file's address (file_source.go)
	for i := range st.Children {
		c := &st.Children[i]
		if shared == "" {
			shared = sharedFileURL(c)
		}
		switch {
		case c.XMLName.Space == wire.NSSID && c.XMLName.Local == "origin-id":
			m.originID = c.Attr("id")
		case c.XMLName.Space == nsCorrect && c.XMLName.Local == "replace":
			m.replace = c.Attr("id")
			m.needsTarget(c)
		case c.XMLName.Space == nsRetract && c.XMLName.Local == "retract":
			m.retract = c.Attr("id")
			m.needsTarget(c)
		case c.XMLName.Space == nsFasten && c.XMLName.Local == "apply-to" && c.Child(nsRetract0, "retract") != nil:
			// XEP-0424 before 0.4, still sent by clients of its time
			// (Cheogram, older Conversations): the retraction inside
			// XEP-0422's <apply-to/>. Else its fallback body ("This
			// person attempted to retract a previous message...")
			// reached the contact as the user's words.
			m.retract = c.Attr("id")
			m.needsTarget(c)
		case c.XMLName.Space == nsReactions && c.XMLName.Local == "reactions":
			m.reactions = c
			m.needsTarget(c)
		case c.XMLName.Space == nsReply && c.XMLName.Local == "reply":
			m.replyTo = c.Attr("id")
		case c.XMLName.Space == nsMarkers && c.XMLName.Local == "displayed":
			m.displayed = c.Attr("id")
		case c.XMLName.Space == nsMarkers && c.XMLName.Local == "markable":
			m.markable = true
		case c.XMLName.Space == wire.NSReceipts && c.XMLName.Local == "request":
			m.receipt = true
		case c.XMLName.Space == nsOOB && c.XMLName.Local == "x":
			if u := c.Child("", "url"); u != nil {
				m.oobURL = strings.TrimSpace(u.Text)
			}
		case encryptedElem(c):
			m.encrypted = true
		case isSpoiler(c):
			m.spoiler = true
		case c.XMLName.Space == wire.NSChatStates:
			m.hasChatState = true
			m.chatState = map[string]pb.TypingState{"active": pb.TypingState_TYPING_STATE_ACTIVE,
				"composing": pb.TypingState_TYPING_STATE_COMPOSING, "paused": pb.TypingState_TYPING_STATE_PAUSED,
				"inactive": pb.TypingState_TYPING_STATE_INACTIVE, "gone": pb.TypingState_TYPING_STATE_GONE}[c.XMLName.Local]
		default:
			m.notBridged(c) // messaging_empty.go
		}
	}
	if m.oobURL == "" {
		m.oobURL = shared // the OOB's address when both name the file
	}
	if m.replyTo != "" && m.hasBody {
		if b := stripFallback(st, m.body, nsReply); b != m.body {
			m.body, m.quoted = b, m.body
		}
	}
	if m.hasBody && strings.TrimSpace(m.body) == "" && m.replace == "" && m.retract == "" && m.reactions == nil && m.oobURL == "" {
		// A client's <body/> beside a chat state, a marker or a receipt
		// request, or a reply's quote alone: no words, to a contact or
		// a room. It reached the network as an empty message, and the
		// chat state beside it was dropped.
		m.quoteOnly = strings.TrimSpace(m.quoted) != ""
		m.body, m.quoted, m.hasBody, m.blank = "", "", false, true
	}
	if st.Type() != "groupchat" || !roomTopicChange(st, m) {
		// A room's subject alone is a new topic (room_in.go); with a
		// body, a file or a thread it is a message's (XEP-0045 §8.1),
		// as to a contact: a file's caption.
		m.withSubject(st)
	}
	return m
}

// withSubject puts st's subject (a headline's title, Gajim's single
// message) on the first line of m's words, alone when it has none or
// only a file's address (the file's caption): the networks have no
// subject, and it was dropped. A retraction's, reaction's or encrypted
// message's is no words of the user's, nor a chat command's.
func (m *userMessage) withSubject(st *wire.Stanza) {
	subj, ok := st.Subject()
	subj = strings.Join(strings.Fields(subj), " ") // a first line
	if !ok || subj == "" || m.retract != "" || m.reactions != nil || m.encrypted || m.command() {
		// A chat command's (poll_create.go) is dropped too: before
		// it, the command's line went to the contact as words.
		return
	}
	m.subject = subj
	switch {
	case !m.hasBody, m.oobURL != "" && strings.TrimSpace(m.body) == m.oobURL:
		// A file's body that is only its address (attach drops it):
		// the subject is its caption, not a line before the address.
		m.body, m.hasBody = subj, true
	default:
		m.body = subj + "\n" + m.body
	}
	if m.quoted != "" {
		m.quoted = subj + "\n" + m.quoted
	}
}

// encryptedElem reports whether e marks a message as end-to-end
// encrypted: OMEMO (both namespaces), OpenPGP for XMPP, the legacy
// XEP-0027 and XEP-0380's label, which names any method (OTR too).
func encryptedElem(e *wire.Element) bool {
	switch n := e.XMLName; {
	case n.Local == "encrypted" && (n.Space == "eu.siacs.conversations.axolotl" || n.Space == "urn:xmpp:omemo:2"),
		n.Local == "openpgp" && n.Space == "urn:xmpp:openpgp:0",
		n.Local == "x" && n.Space == "jabber:x:encrypted",
		n.Local == "encryption" && n.Space == "urn:xmpp:eme:0":
		return true
	}
	return false
}

// reactionEmojis lists the emojis of a XEP-0444 <reactions/>, each once
// and in order: a client's duplicate would reach the network as two
// reactions, or be refused there.
func reactionEmojis(e *wire.Element) []string {
	var emojis []string
	for _, r := range e.Children {
		if r.XMLName.Local != "reaction" {
			continue
		}
		if t := strings.TrimSpace(r.Text); t != "" && !slices.Contains(emojis, t) {
			emojis = append(emojis, t)
		}
	}
	return emojis
}

// needsTarget notes e, an element naming a message by its id, when it
// has none.
func (m *userMessage) needsTarget(e *wire.Element) {
	if e.Attr("id") == "" && m.noTarget == "" {
		m.noTarget = e.XMLName.Local
	}
}

// stripFallback removes the part of body that a XEP-0428 fallback marks
// as being for ns (a reply's quote), counted in code points.
func stripFallback(st *wire.Stanza, body, ns string) string {
	for _, c := range st.Children {
		if c.XMLName.Space != nsFallback && c.XMLName.Space != nsFallbackOld || c.Attr("for") != ns {
			continue
		}
		for _, b := range c.Children {
			if b.XMLName.Local != "body" {
				continue
			}
			start, err := strconv.Atoi(b.Attr("start"))
			if err != nil {
				continue
			}
			end, err := strconv.Atoi(b.Attr("end"))
			if err != nil {
				continue
			}
			r := []rune(body)
			if start < 0 || end > len(r) || start > end {
				continue
			}
			return string(r[:start]) + string(r[end:])
		}
	}
	return body
}

// handleUserMessage bridges a message from the user to a puppet, through
// the user's session.
func (t *transport) handleUserMessage(ctx context.Context, st *wire.Stanza, user string, to jid.JID) {
	m := parseUserMessage(st)
	action := m.action()
	s := t.session(user)
	if s == nil {
		if action {
			t.notRegistered(ctx, st)
		}
		return
	}
	s.userMessage(ctx, st, m, action, to)
}

// userMessage hands what a message of the user's asks for (m; action:
// more than a chat state or a marker) to the plugin, for the login.
func (s *session) userMessage(ctx context.Context, st *wire.Stanza, m userMessage, action bool, to jid.JID) {
	t, login := s.t, s.Login()
	handedOff := false // to a command's result handler, which settles
	if m.settled != nil {
		defer func() {
			if !handedOff {
				m.settled()
			}
		}()
	}
	chatID, err := puppet.FromJID(to)
	if err != nil {
		if action {
			t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such contact: "+err.Error()))
		}
		return
	}
	if m.noTarget != "" {
		// Else a correction went out as a new message, and a
		// retraction was dropped unanswered.
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "<"+m.noTarget+"/> without the id of the message it is about"))
		return
	}
	if m.encrypted {
		// The gateway cannot read it: the network got the fallback
		// body ("I sent you an OMEMO encrypted message...") as the
		// user's words, or the ciphertext. A message without words (a
		// key exchange) is nothing to answer.
		if action {
			t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "the gateway cannot read end-to-end encrypted messages (OMEMO, OpenPGP, OTR): send it unencrypted to reach "+t.displayName()))
		}
		return
	}
	if m.bodyless() {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "a correction needs a body: <replace/> came without the new words; to remove the message, retract it (delete it for everyone)"))
		return
	}
	if cond, text := m.refusal(st.Type(), t.displayName()); cond != "" {
		// Dropped, the client showed it sent (messaging_empty.go).
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	if t.host.Caps() == nil {
		// The plugin has not started yet: what it can do is unknown.
		// The message, and what waits behind it, was recorded as read
		// (held_queue.go).
		wctx, cancel := context.WithTimeout(ctx, targetWait)
		t.host.WaitReady(wctx)
		cancel()
		if t.host.Caps() == nil {
			if t.keepReadAtStop(ctx, st) {
				return
			}
			if action {
				t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, "the transport plugin is not running; try again shortly"))
			}
			return
		}
	}
	if _, err := s.awaitRelogin(ctx); err != nil {
		// The login is away for a relogin (relogin_wait.go), or a
		// login just completed is in its first Connect (login.go's
		// completeLogin): waited for first, as its features follow it.
		if t.keepReadAtStop(ctx, st) {
			return
		}
		if action {
			t.send(ctx, wire.ErrorReply(st, wire.ResourceConstraint, err.Error()))
		}
		return
	}
	if !s.featuresKnown() {
		// A fresh login: its own features come with its first
		// CONNECTED (login_features_wait.go).
		if err := s.awaitFeatures(ctx); err != nil {
			if t.keepReadAtStop(ctx, st) {
				return
			}
			if action {
				t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, err.Error()))
			}
			return
		}
	}
	caps := s.features()
	// Chat states and read markers are ephemeral: a network without them
	// simply does not hear of them, and nobody gets an error.
	if m.hasChatState && caps.GetTyping() && !m.hasBody {
		t.host.Send(&pb.Command{LoginId: login.LoginID, ChatId: chatID, Action: &pb.Command_SetTyping{SetTyping: &pb.SetTyping{State: m.chatState}}}, t.logFailure("chat state"))
	}
	if m.displayed != "" {
		t.goBg(func() {
			ref, err := t.lookupXMPP(ctx, login.LoginID, chatID, m.displayed)
			if err != nil {
				return
			}
			if caps.GetReadReceipts() {
				t.host.Send(&pb.Command{LoginId: login.LoginID, ChatId: chatID, Action: &pb.Command_MarkRead{MarkRead: &pb.MarkRead{UpToId: ref.RemoteID, UpToMeta: ref.Meta}}}, t.logFailure("read marker"))
			}
			t.readUpTo(ctx, ref) // the timers a read starts (expiry.go)
		})
	}
	if !action {
		return
	}
	if t.maxBody > 0 && len(m.body) > t.maxBody {
		t.send(ctx, wire.ErrorReply(st, wire.PolicyViolation, fmt.Sprintf("the message is %d bytes long; this gateway takes at most %d", len(m.body), t.maxBody)))
		return
	}
	if len(m.id) > maxMessageIDBytes || len(m.originID) > maxMessageIDBytes {
		// It could be neither recorded nor found again.
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, fmt.Sprintf("the message's id or origin-id is longer than %d bytes", maxMessageIDBytes)))
		return
	}
	// What the chat's user sent before a crash of the gateway goes first.
	t.waitReplayed(ctx, login.LoginID, chatID) // held_gate.go
	// A resend is recognised by its origin-id (XEP-0359: unique, stable
	// across resends) at any time; by a plain id only from the same full
	// JID and within a short window, since RFC 6120 lets a client reuse
	// ids across sessions.
	txn, earlier := m.originID, []string{m.originID}
	if txn == "" && m.id != "" {
		txn, earlier = t.plainTxns(st.From(), m.id, time.Now())
	}
	for _, k := range earlier {
		if k == "" {
			continue
		}
		// A resend of what is still on its way (its result not yet
		// stored: the user may have seen its echo already), or of what
		// was sent before.
		if s.txns.busy(sendKey(login.LoginID, "", k)) {
			t.log.Debug("message being sent; resend ignored", "txn", k)
			return
		}
		if sent, err := t.db.SentBefore(t.name, login.LoginID, chatID, k); err == nil && sent {
			if t.sentInPart(login.LoginID, chatID, k) {
				// The client shows it failed and offers to send it
				// again: taken as sent, the part that failed would be
				// lost without a word.
				t.send(ctx, wire.ErrorReply(st, wire.Conflict, resentInPart))
				return
			}
			t.log.Debug("message already sent; resend ignored", "txn", k)
			return
		}
	}
	// From here the txn is on its way until its command's result is
	// stored (the result handler ends it), or until this returns without
	// a command.
	txnDone := func() {}
	if txn != "" {
		txnDone = s.txns.start(sendKey(login.LoginID, "", txn))
	}
	if m.settled != nil {
		// Every result handler ends with txnDone.
		end := txnDone
		txnDone = func() { end(); m.settled() }
	}
	defer func() {
		if !handedOff {
			txnDone()
		}
	}()
	// Chat commands: not sent as messages; a resend, or the replay of
	// one read before a crash, is recognised as a message's is.
	if m.command() {
		if arg, ok := slashCommand(m.body, "/timer"); ok {
			if arg == "" {
				s.showChatTimer(ctx, st, chatID) // chat_queries.go
			} else {
				s.setChatTimer(ctx, st, chatID, txn, arg) // chat_timer.go
			}
			return
		}
		if arg, ok := slashCommand(m.body, "/pins"); ok && arg == "" {
			s.showPins(ctx, st, chatID) // chat_queries.go
			return
		}
		if arg, ok := slashCommand(m.body, "/poll-close"); ok && arg == "" {
			s.closePoll(ctx, st, chatID, txn, m.replyTo) // poll_close.go
			return
		}
		if arg, ok := slashCommand(m.body, "/vote"); ok {
			s.vote(ctx, st, chatID, txn, m.replyTo, arg) // poll_vote.go
			return
		}
		for _, c := range []string{"/pin", "/unpin"} {
			if arg, ok := slashCommand(m.body, c); ok && arg == "" {
				s.pin(ctx, st, chatID, txn, m.replyTo, c == "/unpin") // pin.go
				return
			}
		}
	}
	fail := func(cond wire.Condition, text string) { t.send(ctx, wire.ErrorReply(st, cond, text)) }
	unsupported := func(what string) {
		fail(wire.FeatureNotImpl, t.displayName()+" does not support "+what)
	}
	if problem := t.unhiddenSpoiler(caps, m); problem != "" {
		fail(wire.FeatureNotImpl, problem) // spoiler_plain.go
		return
	}
	cmd := &pb.Command{LoginId: login.LoginID, TxnId: txn, ChatId: chatID}
	// target finds the message a command names: its remote ID, and the
	// plugin's metadata of it (handed back as target_meta).
	target := func(id string) (store.MessageRef, bool) {
		ref, err := t.lookupXMPP(ctx, login.LoginID, chatID, id)
		if err != nil {
			fail(wire.ItemNotFound, "the gateway does not know the message "+id)
			return ref, false
		}
		return ref, true
	}
	// A correction of the user's message, once the network took it: a
	// reply to it from now on quotes what it says now.
	var edited store.MessageRef
	var editedText string
	switch {
	case m.retract != "":
		if !caps.GetRetractions() {
			unsupported("retracting messages")
			return
		}
		ref, ok := target(m.retract)
		if !ok {
			return
		}
		cmd.Action = &pb.Command_Retract{Retract: &pb.Retract{TargetId: ref.RemoteID, TargetMeta: ref.Meta}}
	case m.reactions != nil:
		if !caps.GetReactions() {
			unsupported("reactions")
			return
		}
		ref, ok := target(m.reactions.Attr("id"))
		if !ok {
			return
		}
		emojis := reactionEmojis(m.reactions)
		// More than the network keeps: the newest (reaction_limit.go).
		emojis = newestReactions(emojis, reactionLimit(caps))
		cmd.Action = &pb.Command_React{React: &pb.React{TargetId: ref.RemoteID, TargetMeta: ref.Meta, Emojis: emojis}}
	case m.replace != "":
		if !caps.GetEdits() {
			unsupported("corrections")
			return
		}
		// An earlier correction's id too (lookupXMPP, correction_chain.go).
		ref, err := t.lookupXMPP(ctx, login.LoginID, chatID, m.replace)
		if err != nil {
			fail(wire.ItemNotFound, "the gateway does not know the message "+m.replace)
			return
		}
		if strings.TrimSpace(m.body) == "" {
			// Words replaced by none (or by a reply's quote alone): the
			// networks refuse an empty edit or show an empty message.
			// XEP-0424 removes a message.
			fail(wire.BadRequest, "a correction needs words; to remove the message, retract it (delete it for everyone)")
			return
		}
		if !ref.FromMe {
			// Only its sender corrects a message (XEP-0308): a network
			// whose servers cannot read the words (WhatsApp, Signal)
			// took a correction of the contact's message, which the
			// contact's app then ignored, the user told nothing.
			fail(wire.Forbidden, "only your own messages can be corrected; "+m.replace+" is not yours")
			return
		}
		text, spans := userText(caps, m.body, m.subject, m.spoiler)
		if tooLong := t.textTooLong(text, ""); tooLong != "" {
			fail(wire.PolicyViolation, tooLong)
			return
		}
		if m.quoted != "" {
			if _, ok := t.networkReply(ctx, caps, login.LoginID, chatID, m.replyTo); !ok {
				// A correction of a reply that went with its quote (as
				// a new one would: the network took no reply) keeps it.
				text, spans = t.withQuote(caps, m, text, spans)
			}
		}
		cmd.Action = &pb.Command_Edit{Edit: &pb.EditMessage{TargetId: ref.RemoteID, TargetMeta: ref.Meta, Text: text, Spans: spans}}
		edited, editedText = ref, m.body
		// A correction of this one right behind it waits for it to be
		// recorded (keepCorrection, in the result handler).
		var keys []string
		for _, k := range []string{m.originID, m.id} {
			if k != "" {
				keys = append(keys, sendKey(login.LoginID, chatID, k))
			}
		}
		if len(keys) > 0 {
			corrected, end := s.sending.start(keys...), txnDone
			txnDone = func() { end(); corrected() }
		}
	default:
		text, spans := userText(caps, m.body, m.subject, m.spoiler)
		send := &pb.SendMessage{Text: text, Spans: spans}
		if m.command() {
			// poll_create.go: a poll goes as the user's message.
			switch poll, isPoll, problem := pollCommand(m.body); {
			case !isPoll:
			case !caps.GetPollCreate():
				unsupported("starting polls")
				return
			case poll == nil:
				fail(wire.BadRequest, problem+"; "+pollUsage)
				return
			default:
				send = &pb.SendMessage{Poll: poll}
			}
		}
		if ref, ok := t.networkReply(ctx, caps, login.LoginID, chatID, m.replyTo); ok {
			send.ReplyToId, send.ReplyToMeta = ref.RemoteID, ref.Meta
		}
		if send.Poll == nil {
			if tooLong := t.textTooLong(send.Text, m.oobURL); tooLong != "" {
				fail(wire.PolicyViolation, tooLong)
				return
			}
		}
		if send.ReplyToId == "" && send.Poll == nil && m.quoted != "" {
			send.Text, send.Spans = t.withQuote(caps, m, send.Text, send.Spans)
		}
		cmd.Action = &pb.Command_Send{Send: send}
		if m.oobURL == "" {
			handedOff = true
			s.sendMessage(ctx, st, chatID, txn, m, cmd, attached{}, txnDone)
			return
		}
		if !caps.GetAttachments() {
			unsupported("files")
			return
		}
		// The download may take minutes: the chat's later stanzas wait
		// behind it, other chats go on. The stanza is recorded until the
		// plugin answered (held.go): a restart after a crash handles it
		// as just read, downloading the file again.
		handedOff = true
		var rec *heldRecord
		end := txnDone
		if read := t.takeRead(st); read != nil || txn != "" {
			rec = s.newHeldRecord(st, chatID, txn, m)
			rec.sending(ctx, nil, read)
			txnDone = func() { rec.done(ctx); end() }
		}
		slowly(ctx, t.downloads, func() {
			file, ok := t.attach(ctx, st, login.LoginID, chatID, m.oobURL, m.spoiler, send)
			switch {
			case !ok && ctx.Err() != nil && rec != nil:
				// The gateway stops mid-download: the stanza stays
				// recorded, and the next start downloads it again.
				rec.written()
				end()
				return
			case !ok:
				txnDone()
				return
			}
			s.sendMessage(ctx, st, chatID, txn, m, cmd, file, txnDone)
		})
		return
	}
	handedOff = true
	// A correction, reaction or retraction is recorded as a message is
	// (sendMessage), until the plugin answered it.
	var rec *heldRecord
	if read := t.takeRead(st); read != nil || txn != "" {
		rec = s.newHeldRecord(st, chatID, txn, m)
		rec.sending(ctx, cmd, read)
	}
	// Refused as the login went for a relogin (relogin_wait.go), it goes
	// again once the login is back, once, as a message does.
	mark, resend := s.relogins.mark(), true
	var answer func(r *pb.CommandResult)
	answer = func(r *pb.CommandResult) {
		if s.reloginRefused(r, mark) && resend {
			resend = false
			t.log.Info("a correction, reaction or retraction refused as the login went waits for the relogin", "login", login.LoginID, "txn", txn)
			t.goBg(func() {
				if mark, _ = s.awaitRelogin(ctx); ctx.Err() != nil {
					return // stopping: the record stays, the next start sends it
				}
				t.host.Send(cmd, answer)
			})
			return
		}
		if rec != nil {
			defer rec.done(ctx)
		}
		defer txnDone()
		if s.reloginRefused(r, mark) {
			t.send(ctx, wire.ErrorReply(st, wire.ResourceConstraint, s.reconnecting().Error()))
			return
		}
		if r.Error != nil {
			t.send(ctx, wire.ErrorReply(st, conditionOf(r.Error.Code), r.Error.Text))
			return
		}
		t.recordTxn(ctx, login.LoginID, txn)
		if edited.RemoteID != "" {
			t.recent.retext(chatKey(login.LoginID, chatID), editedText, edited.ID, edited.OriginID)
			t.keepCorrection(ctx, login.LoginID, chatID, edited, m.originID, m.id)
		}
		if m.sent != nil {
			m.sent(r, nil)
		}
	}
	t.host.Send(cmd, answer)
}

// resentInPart answers a resend of a message the network took only in
// part: sending it again would repeat what went.
const resentInPart = "This message went to the network only in part earlier (the error then said what did not go); sending it again would repeat what went. Send what is missing as a new message."

// sentInPart tells whether the user's message sent under txn (which
// SentBefore found) went only in part: its map entry, found by the id it
// is recorded under, or by the txn recorded beside it.
func (t *transport) sentInPart(loginID, chatID, txn string) bool {
	ref, err := t.db.LookupXMPP(t.name, loginID, chatID, txn)
	if err != nil {
		remote, terr := t.db.GetTxn(t.name, loginID, txn)
		if terr != nil {
			return false
		}
		if ref, err = t.db.LookupRemote(t.name, loginID, chatID, remote); err != nil {
			return false
		}
	}
	return ref.FromMe && ref.Partly
}

// partlySent tells a send's answer that went only in part: an error
// beside the message of what went (the contract's CommandResult).
func partlySent(r *pb.CommandResult) bool {
	return r.Error != nil && r.MessageId != ""
}

// recordTxn records a txn whose command created no message, so that a
// resend is recognised. The command went out: a shutdown meanwhile must
// not cancel the record (a cancelled write made the resend after a
// restart reach the network again).
func (t *transport) recordTxn(ctx context.Context, loginID, txn string) {
	if txn == "" {
		return
	}
	if err := t.db.PutTxn(context.WithoutCancel(ctx), t.name, loginID, txn, txnNoMessage); err != nil {
		t.log.Error("txn write failed", "err", err)
	}
}

// sendMessage hands a message to the plugin and records what it became.
// file, if not zero, is the message's attachment (attach): a downloaded
// file is removed once the plugin is done with it (sent or not); one
// streamed to a plugin process that died before the send was answered is
// streamed again to the next one, once (uploadLost). txnDone ends the
// txn's send.
func (s *session) sendMessage(ctx context.Context, st *wire.Stanza, chatID, txn string, m userMessage, cmd *pb.Command, file attached, txnDone func()) {
	t := s.t
	done := s.startSend(s.LoginID(), chatID, m.originID, m.id, recentMsg{text: m.body, receipt: m.receipt, markable: m.markable})
	// A message without a file, to a contact or a room, is recorded
	// until the plugin answered it (held.go), before it goes to the
	// plugin; a file's is not. The record is lazy, as the message map
	// is: it outlives a crash of the gateway, and a power cut within the
	// second before the next fsync may take it. hold, which runs before
	// the command waits for a plugin that is not ready, records one sent
	// without a txn, durably. The record of its stanza as read
	// (held_queue.go) is replaced by this one, in its place.
	var held *heldRecord
	var hold func()
	if file == (attached{}) {
		if read := t.takeRead(st); read != nil || txn != "" {
			held = s.newHeldRecord(st, chatID, txn, m)
			held.sending(ctx, cmd, read)
		}
		hold = func() {
			if held == nil {
				held = s.newHeldRecord(st, chatID, txn, m)
			}
			held.hold(ctx, cmd)
		}
	}
	// end runs once, after the final answer is handled; a refusal not
	// told keeps the record (below).
	keepHeld := false
	end := func() {
		done()
		txnDone()
		if held != nil && !keepHeld {
			held.done(ctx)
		}
	}
	again := file.gen != 0 // the file may be streamed again, once
	// A message the plugin refused as the login went for a relogin
	// (relogin_wait.go) goes again once it is back, once; a file's is
	// fetched again from its URL first (its copy is gone with the
	// refusal), as for a plugin restart. Refused again, it is refused as
	// for a wait.
	mark, resend := s.relogins.mark(), true
	var answer func(r *pb.CommandResult)
	answer = func(r *pb.CommandResult) {
		if s.reloginRefused(r, mark) {
			if resend {
				resend = false
				t.log.Info("a message refused as the login went waits for the relogin", "login", s.LoginID(), "txn", txn, "file", m.oobURL != "")
				s.dropSentFile(file)
				t.goBg(func() {
					if mark, _ = s.awaitRelogin(ctx); ctx.Err() != nil {
						done() // as for a stop mid-download: the record stays
						return
					}
					if file == (attached{}) {
						t.host.SendHolding(cmd, hold, answer)
						return
					}
					slowly(ctx, t.downloads, func() {
						f, ok := t.attach(ctx, st, s.LoginID(), chatID, m.oobURL, m.spoiler, cmd.GetSend())
						switch {
						case !ok && ctx.Err() != nil:
							done() // the stanza's record brings the file at the next start
							return
						case !ok:
							end() // attach told the user
							return
						}
						file, again = f, f.gen != 0
						t.host.SendHolding(cmd, hold, answer)
					})
				})
				return
			}
			r = &pb.CommandResult{CorrelationId: r.CorrelationId, Error: &pb.Error{Code: pb.ErrorCode_ERROR_CODE_RATE_LIMITED, Text: s.reconnecting().Error()}}
		}
		s.dropSentFile(file)
		if again && t.uploadLost(r, cmd, file) {
			// The user's file is not lost with the process: it is
			// fetched from its URL again, in a download slot, and sent
			// under the same txn (a plugin that sent it before it died
			// answers with that message). The error, if it fails
			// again, is the user's; the txn stays on its way until then.
			again = false
			t.log.Info("the plugin restarted before sending a file it had received; sending it again",
				"login", s.LoginID(), "txn", txn, "err", r.Error.Text)
			t.goBg(func() {
				slowly(ctx, t.downloads, func() {
					f, ok := t.attach(ctx, st, s.LoginID(), chatID, m.oobURL, m.spoiler, cmd.GetSend())
					switch {
					case !ok && ctx.Err() != nil:
						// The gateway stops mid-download: as for a command
						// in flight then, nothing ends, and the stanza's
						// record brings the file at the next start.
						done()
						return
					case !ok:
						end()
						return
					}
					file = f
					t.host.SendHolding(cmd, hold, answer)
				})
			})
			return
		}
		defer end()
		if r.Error != nil && !partlySent(r) {
			// Told at a stop too (the answer came in its wait for the
			// commands in flight); with the link gone then, the record
			// stays and the next start asks the plugin again, which
			// tells.
			told := t.tell(ctx, wire.ErrorReply(st, conditionOf(r.Error.Code), r.Error.Text))
			keepHeld = !told && ctx.Err() != nil
			return
		}
		if handledAsCommand(r) {
			s.commandDone(ctx, st, txn, r) // command_reply.go: not reflected, not mapped
			return
		}
		t.metrics.MessageToNetwork()
		sm := sentMsg{chatID: chatID, txn: txn, originID: m.originID, id: m.id, asksKnown: true, receipt: m.receipt, markable: m.markable}
		if m.sent != nil {
			// It remembers the message: a room's reflection records
			// the map entry with the archive entry, in one write.
			m.sent(r, &sm)
		} else {
			s.remember(ctx, sm, r)
		}
		if r.Error != nil {
			// After what went is mapped (and reflected): the user
			// reads what did not go, and can retract what did.
			t.send(ctx, wire.ErrorReply(st, conditionOf(r.Error.Code), r.Error.Text))
		}
	}
	t.host.SendHolding(cmd, hold, answer)
}

// dropSentFile removes the gateway's copy of a file the plugin answered
// for: it copied or moved it by now.
func (s *session) dropSentFile(file attached) {
	if file.path == "" {
		return
	}
	if err := os.Remove(file.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.t.log.Warn("removing a sent file failed", "err", err)
	}
}

// networkReply returns the message a reply to replyTo (an XMPP id) answers
// on the network, and whether the network takes the reply as its own: it
// has replies, and the gateway knows the message.
func (t *transport) networkReply(ctx context.Context, caps *pb.Features, loginID, chatID, replyTo string) (store.MessageRef, bool) {
	if replyTo == "" || !caps.GetReplies() {
		return store.MessageRef{}, false
	}
	ref, err := t.lookupXMPP(ctx, loginID, chatID, replyTo)
	return ref, err == nil
}

// withQuote is the text of m, a reply that is not the network's (it has
// none, or not to a message the gateway knows), with the quote the client
// wrote for readers without replies (within the body limit and the
// network's), or text and spans as they were: else the answer would
// answer nothing.
func (t *transport) withQuote(caps *pb.Features, m userMessage, text string, spans []*pb.Span) (string, []*pb.Span) {
	if t.maxBody > 0 && len(m.quoted) > t.maxBody {
		return text, spans
	}
	if qt, qs := userText(caps, m.quoted, m.subject, m.spoiler); t.textTooLong(qt, "") == "" {
		return qt, qs
	}
	return text, spans
}

// startSend notes a message on its way to the plugin: its text for the
// contact's receipts and markers (recent), and the send in flight under
// its ids, which receipts and corrections wait for. done ends the latter.
func (s *session) startSend(loginID, chatID, originID, id string, rm recentMsg) (done func()) {
	ck := chatKey(loginID, chatID)
	s.t.recent.put(ck, originID, rm)
	s.t.recent.put(ck, id, rm)
	keys := []string{sendKey(loginID, chatID, "*")}
	for _, k := range []string{originID, id} {
		if k != "" {
			keys = append(keys, sendKey(loginID, chatID, k))
		}
	}
	return s.sending.start(keys...)
}

// maxMessageIDBytes is the longest id or origin-id of a message the
// gateway takes: the store's limit on a key part.
const maxMessageIDBytes = store.MaxKeyPart

// defaultIDWindow is how long a plain message id (no origin-id) marks a
// resend from the same full JID.
const defaultIDWindow = 5 * time.Minute

// plainTxns returns the txn a message from the full JID from with only
// the plain id is sent under, and those a resend of it was sent under
// (now's window and the one before: a resend within the window is always
// recognised, one after two windows never). The txn is hashed: a full JID
// and an id may together exceed the store's key limit.
func (t *transport) plainTxns(from, id string, now time.Time) (string, []string) {
	w := t.idWindow
	if w <= 0 {
		w = defaultIDWindow
	}
	h := sha256.Sum256([]byte(from + "\x00" + id))
	slot := now.UnixNano() / int64(w)
	key := func(slot int64) string { return "id:" + strconv.FormatInt(slot, 36) + ":" + hex.EncodeToString(h[:16]) }
	cur := key(slot)
	return cur, []string{cur, key(slot - 1)}
}

// lookupXMPP finds the message an XMPP ID names, waiting briefly for one
// still on its way to the network.
func (t *transport) lookupXMPP(ctx context.Context, loginID, chatID, xmppID string) (store.MessageRef, error) {
	if xmppID == "" {
		return store.MessageRef{}, store.ErrNotFound
	}
	if s := t.sessionOf(loginID); s != nil {
		s.sending.wait(ctx, sendKey(loginID, chatID, xmppID), s.targetWaitIn(chatID))
	}
	// A message still committing first: its commit makes it visible in
	// the store before it leaves these maps, so looking in this order
	// misses nothing.
	if r, ok := t.newXMPPRef(loginID, chatID, xmppID); ok {
		return r, nil
	}
	ref, err := t.db.LookupXMPP(t.name, loginID, chatID, xmppID)
	if errors.Is(err, store.ErrNotFound) {
		// In a room, clients name messages by the room's stanza-id.
		if r, ok := t.roomRef(ctx, loginID, chatID, xmppID); ok {
			return r, nil
		}
		// Or by a correction's (room_correction_ref.go).
		if r, ok := t.roomCorrectionRef(ctx, loginID, chatID, xmppID); ok {
			return r, nil
		}
		// A correction's id, the user's or the contact's: Conversations
		// names a corrected message so from then on, in its reactions,
		// replies and displayed markers (correction_chain.go).
		if r, err := t.correctedOriginal(loginID, chatID, xmppID); err == nil {
			return r, nil
		}
		// A file of a network message with text came as a message of
		// its own: a reaction, reply or marker on it is on the message.
		if base, ok := fileMessageBase(xmppID); ok {
			return t.lookupXMPP(ctx, loginID, chatID, base)
		}
	}
	return ref, err
}

// xmppIDLen is the length of a network event's XMPP id (xmppIDFor).
var xmppIDLen = len(xmppIDFor("", "", ""))

// fileMessageBase returns the XMPP id of the network message whose
// file (or one of whose files) went out under id: a message with text
// and files reaches the user as the text under the message's id, then
// each file under that id with "-1", "-2"... (chatOut.message), and
// only the message's id is in the message map.
func fileMessageBase(id string) (string, bool) {
	if len(id) < xmppIDLen+2 || id[xmppIDLen] != '-' || !strings.HasPrefix(id, "pe-") {
		return "", false
	}
	n := id[xmppIDLen+1:]
	if n[0] == '0' {
		return "", false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return "", false
		}
	}
	return id[:xmppIDLen], true
}

// txnNoMessage is recorded for a txn whose command created no message
// (a correction, a reaction), so a resend is still recognised.
const txnNoMessage = "-"
