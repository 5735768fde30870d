package bridge

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/internal/stagetrace"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// delivery is a network event on its way to the XMPP user.
type delivery struct {
	key uint64 // outbox key, when known; 0 for an ephemeral event, never stored
	// commit is the store transaction the event is in, still under way
	// when the event is delivered; idx is its place in it (-1: none).
	commit *pendingCommit
	idx    int
	// written is set once the server confirmed the stanza (see
	// unconfirmed); a commit that starts after it keeps no outbox entry
	// for the event.
	written *atomic.Bool
	xid     string // the XMPP id chosen for it when it was stored
	// ev is nil for a room's reflection of the user's own message, which
	// is written through unconfirmed too (room_in.go reflect).
	ev *pb.Event
	// turn, when set, receives the room's turn to write the copies
	// renderRoom archived (room_order.go); nil in tests that send
	// what they render themselves.
	turn *sendTurn
}

// resendLoop writes again, first, what a lost connection left
// unconfirmed (see unconfirmed), once the next is up.
func (t *transport) resendLoop(ctx context.Context) {
	for {
		select {
		case <-t.unconfirmed.lost:
			t.unconfirmed.flush(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// deliverNow turns a network event into stanzas and writes them; a stored
// one leaves the outbox once the server confirmed it (see unconfirmed).
func (t *transport) deliverNow(ctx context.Context, d delivery) {
	var turn sendTurn
	d.turn = &turn
	defer func() { turn.done() }() // the turn render takes, not the zero one now
	stanzas := t.render(ctx, d)
	turn.wait()
	if len(stanzas) == 0 {
		if ctx.Err() != nil {
			return // cut short by the stop: it stays in the outbox for the next start
		}
		if d.written != nil {
			d.written.Store(true) // handled: nothing left to deliver
		}
		t.metrics.Delivered(false, false, 0)
		t.markDone(ctx, d)
		return
	}
	if d.key != 0 || d.commit != nil {
		// Stored: it stays in the outbox until the server confirms it.
		if t.unconfirmed.send(ctx, d, stanzas) == nil {
			stagetrace.Mark(stagetrace.GatewayOut, d.ev.GetMessage().GetText())
		}
		return
	}
	// Ephemeral (typing, receipts): worth nothing late, not kept. It
	// leaves the outbox depth once written, or given up at the stop.
	defer func() { t.metrics.Delivered(false, ctx.Err() == nil, 0) }()
	for _, data := range stanzas {
		for ctx.Err() == nil {
			if err := t.link.WaitUp(ctx); err != nil {
				return
			}
			if err := t.link.Send(ctx, data, nil); err == nil {
				break
			}
		}
	}
}

// delivered is a stored delivery the server confirmed: it leaves the
// outbox. It runs on the link's writer.
func (t *transport) delivered(ctx context.Context, d delivery) {
	if d.ev == nil {
		return // a room's reflection of the user's own message (room_in.go)
	}
	stamp := d.ev.TimestampUnixMicro
	if d.ev.IsBackfill {
		stamp = 0 // history is late by design: no lag to record
	}
	t.metrics.Delivered(d.ev.GetMessage() != nil, true, stamp)
	if d.written != nil {
		d.written.Store(true)
	}
	t.hist.confirmed(d)
	t.markDone(ctx, d)
}

// render turns a stored network event into the stanzas for its user; none
// when it needs none (it was handled here, or has no XMPP form).
func (t *transport) render(ctx context.Context, d delivery) [][]byte {
	ev := d.ev
	if step, ok := ev.Payload.(*pb.Event_LoginStep); ok {
		// A new QR code for a login in progress (they rotate).
		if p := t.procByID(step.LoginStep.ProcessId); p != nil {
			p.setStep(ctx, step.LoginStep, nil)
		}
		return nil
	}
	s := t.sessionOf(ev.LoginId)
	if s == nil {
		t.log.Debug("event for a login no user has; dropped", "login", ev.LoginId)
		return nil
	}
	user := s.user
	t.hist.appeared(ev) // a new contact or chat: its history
	switch p := ev.Payload.(type) {
	case *pb.Event_SavedState:
		s.keepState(ctx, p.SavedState.SavedState) // session.go
		return nil
	case *pb.Event_LoginState:
		t.log.Info("login state", "user", user, "login", ev.LoginId, "state", p.LoginState.State, "message", p.LoginState.Message)
		s.setState(ctx, p.LoginState)
		return nil
	case *pb.Event_Contact, *pb.Event_ContactRemoved, *pb.Event_Presence:
		s.contactEvent(ctx, ev)
		return nil
	case *pb.Event_Identity:
		s.identityEvent(ctx, d, p.Identity) // identity.go
		return nil
	case *pb.Event_Progress:
		s.progressEvent(ctx, p.Progress) // progress.go
		return nil
	case *pb.Event_Expiry:
		return nil // a new deadline, recorded at its commit (expiry.go)
	case *pb.Event_Invited:
		return s.invitedEvent(d, p.Invited) // room_invited.go
	case *pb.Event_Notice:
		return s.noticeEvent(d, p.Notice) // notice.go
	}
	if _, ok := ev.Payload.(*pb.Event_Message); ok && expiredOnArrival(ev, time.Now()) {
		// Its deadline passed before it came, or while it waited
		// (history held for its lane, the outbox across a restart): its
		// retraction may have gone already (expiry.go).
		t.log.Debug("a disappearing message ran out before its delivery; not shown", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
		return nil
	}
	endsComposing := t.typingSeen(ev) // typing_expiry.go
	if s.groupEvent(ev) {
		return t.renderRoom(ctx, d, s) // room_out.go
	}
	if archiveOnly(ev) { // a room's scroll-back, of a chat no longer a room
		t.log.Debug("room history of a chat that is no room; dropped", "chat", ev.ChatId)
		return nil
	}
	if t.echoOfTxn(s, ev) {
		// The plugin names the user's command this event echoes (the
		// contract's Event.txn_id): the user's clients did it and have
		// it (carbons), whether or not its result is stored yet.
		t.log.Debug("the echo of the user's own command dropped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId, "txn", ev.TxnId)
		t.goBg(func() { t.mapEcho(t.runCtx(), s, d) }) // refwait.go
		return nil
	}
	if ev.GetMessage() != nil && ev.GetSender().GetIsFromMe() && ev.EventId != "" && t.sentByUser(ev.LoginId, ev.ChatId, ev.EventId) {
		// The network's echo of the user's own send, which came before
		// the send's result was stored (chatDelivery waits for it): the
		// user's client shows the message already.
		t.log.Debug("the echo of the user's own message dropped", "login", ev.LoginId, "chat", ev.ChatId, "event_id", ev.EventId)
		return nil
	}
	pj, err := t.puppetJID(ev.ChatId)
	if err != nil {
		t.log.Error("remote chat ID has no JID; event dropped", "chat", ev.ChatId, "err", err)
		return nil
	}
	// A message's files first, outside any room's turn: a member's
	// presence before its private answer (privateAddr) takes the room's
	// turn, and an upload under it held the room's messages (sendWait).
	var files []published
	if m := ev.GetMessage(); m != nil {
		files = t.publishFiles(ctx, ev, m.Attachments)
	}
	// A member written to through a room answers there (room_pm.go).
	// A member of a big group not presented yet is, first: its address,
	// presence and turn taken together now, after the uploads, so a
	// rename meanwhile is the nick both go under.
	from, occID, pm, reveal := s.privateAddr(ev, pj.String(), d.turn)
	c := chatOut{t: t, ev: ev, xid: d.xid, user: user, puppet: from, pm: pm, pmOccupantID: occID, endsComposing: endsComposing, files: files}
	switch p := ev.Payload.(type) {
	case *pb.Event_Message:
		return append(reveal, c.message(ctx, p.Message)...)
	case *pb.Event_Edit:
		return append(reveal, c.edit(p.Edit)...)
	case *pb.Event_Reaction:
		return append(reveal, c.reaction(p.Reaction)...)
	case *pb.Event_Retraction:
		return append(reveal, c.retraction(p.Retraction)...)
	case *pb.Event_Receipt:
		return append(reveal, c.receipt(p.Receipt)...)
	case *pb.Event_Typing:
		return append(reveal, c.typing(p.Typing)...)
	}
	t.log.Debug("event kind not bridged yet", "kind", kindOf(ev))
	return reveal
}

// eventXID is the XMPP id a network event is delivered with: derived from
// the event's remote ID where it has one, so that a delivery again (after
// a crash, before the event was stored) carries the same id and clients
// drop the duplicate.
func (t *transport) eventXID(ev *pb.Event) string {
	if ev.EventId == "" {
		return t.newID()
	}
	return xmppIDFor(ev.LoginId, ev.ChatId, ev.EventId)
}

// xmppIDFor derives the XMPP id of a network event from what names it:
// the login, the chat and the event's remote ID. 120 bits of SHA-256,
// base64url, behind a prefix no random id of the gateway has.
func xmppIDFor(loginID, chatID, remoteID string) string {
	h := sha256.New()
	for _, s := range []string{loginID, chatID, remoteID} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return "pe-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:15])
}

func kindOf(ev *pb.Event) string {
	if ev.Payload == nil {
		return "none"
	}
	return string(ev.ProtoReflect().WhichOneof(ev.ProtoReflect().Descriptor().Oneofs().ByName("payload")).Name())
}

// chatOut renders the events of one direct chat, or of a room
// (group, room_out.go): then puppet is the sender's occupant JID and the
// stanzas are groupchat messages to the user's bare JID.
type chatOut struct {
	t                 *transport
	ev                *pb.Event
	xid, user, puppet string
	group             bool
	// pm: puppet is a member's occupant JID, the user having written to
	// it privately through its room (room_pm.go), whose occupant-id
	// there is pmOccupantID.
	pm           bool
	pmOccupantID string
	// endsComposing: the event is a direct message from a contact
	// shown composing (typingSeen); its first stanza says <active/>.
	endsComposing bool
	// author, when set, says whose the stanzas are, the user's (true)
	// or the contact's, in place of the event's sender (fromUser).
	author *bool
	// files, when set, are the message's attachments published already
	// (publishFiles), one each; else message publishes them.
	files []published
}

// published is an attachment shared over HTTP, or why it is not.
type published struct {
	f   media.SharedFile
	err error
}

// publishFiles shares the attachments of ev's message, one at a time in
// the transport's bound of uploads. The upload may take minutes: the
// chat's later events wait behind it, other chats go on.
func (t *transport) publishFiles(ctx context.Context, ev *pb.Event, atts []*pb.Attachment) []published {
	out := make([]published, len(atts))
	for i, a := range atts {
		slowly(ctx, t.uploads, func() { out[i].f, out[i].err = t.publishFile(ctx, ev.LoginId, ev.ChatId, a) })
	}
	return out
}

// fromUser reports whether a direct chat's stanzas go as the user's
// (XEP-0356, when granted): the event's sender is the user, unless
// author says otherwise.
func (c chatOut) fromUser() bool {
	if c.author != nil {
		return *c.author
	}
	return c.ev.GetSender().GetIsFromMe()
}

// start opens a chat message from the puppet (or, for the user's own
// words from another device, from the user: see wrapOwn).
func (c chatOut) start(id string) *wire.Writer {
	var w wire.Writer
	if c.group {
		w.Start("message", "").Attr("from", c.puppet).Attr("to", c.user).Attr("type", "groupchat").Attr("id", id)
	} else if c.fromUser() && c.t.privileges().message == "outgoing" {
		w.Start("message", "jabber:client").Attr("from", c.user).Attr("to", c.puppet).Attr("type", "chat").Attr("id", id)
	} else {
		w.Start("message", "").Attr("from", c.puppet).Attr("to", c.user).Attr("type", "chat").Attr("id", id)
		if c.pm {
			w.Start("x", muc.NSUser).End() // XEP-0045 §7.5: a private message
			muc.WriteOccupantID(&w, c.pmOccupantID)
		}
	}
	return &w
}

// ownAsContact reports whether the event is the user's own, from another
// device, in a direct chat, without XEP-0356: it goes out from the
// contact, since the gateway cannot speak as the user.
func (c chatOut) ownAsContact() bool {
	return !c.group && c.ev.GetSender().GetIsFromMe() && c.t.privileges().message != "outgoing"
}

// ownFallback starts the body of the user's own message that goes out
// from the contact: it says plainly whose words these are.
const ownFallback = "You wrote from another device: "

// shownAsContact reports whether the user's own message ref was shown
// from the contact (ownFallback, an id of the gateway's), so that the
// contact may correct or retract it; one the user's client sent only
// the user may.
func (c chatOut) shownAsContact(ref store.MessageRef) bool {
	return c.t.ownID(xmppID(ref))
}

// finish closes a message; the user's own words are wrapped for XEP-0356
// so their server stores and carbon-copies them as sent by the user.
func (c chatOut) finish(w *wire.Writer) []byte {
	inner := w.Bytes()
	if c.group || !c.fromUser() {
		return inner
	}
	p := c.t.privileges()
	if p.message != "outgoing" {
		return inner
	}
	var outer wire.Writer
	outer.Start("message", "").Attr("from", c.t.domain).Attr("to", c.t.link.ServerDomain()).Attr("id", c.t.newID())
	// In the namespace the server granted it in: ejabberd before 24.10
	// reads urn:xmpp:privilege:1 only.
	outer.Start("privilege", p.ns).Start("forwarded", nsForward).Raw(inner)
	return outer.Bytes()
}

// ref finds the XMPP IDs of a message the network names. An event naming
// a message the user is still sending was held until the send's result
// (see chatDelivery), so this only looks.
func (c chatOut) ref(remoteID string) (store.MessageRef, bool) {
	if r, ok := c.t.newRef(c.ev.LoginId, c.ev.ChatId, remoteID); ok {
		return r, true // in a batch still committing
	}
	ref, err := c.t.db.LookupRemote(c.t.name, c.ev.LoginId, c.ev.ChatId, remoteID)
	if err != nil {
		c.t.log.Debug("event names an unknown message; dropped", "remote_id", remoteID)
		return ref, false
	}
	return ref, true
}

func xmppID(r store.MessageRef) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.OriginID != "":
		return r.OriginID
	}
	return r.StanzaID
}

// ids adds the XEP-0359 origin-id. No stanza-id: in a one-to-one chat
// clients trust only the one their own server adds (by their bare JID),
// and parsing ours cost Prosody about 15 % more per message.
func (c chatOut) ids(w *wire.Writer, id string) {
	w.Start("origin-id", wire.NSSID).Attr("id", id).End()
}

// lateAfter is how far behind its network time a live message may be
// shown before it carries that time, as history does: under it, network
// lag and clocks apart; past it, a member's phone that was offline, a
// plugin's replay after a restart, a queue behind a slow upload.
const lateAfter = 30 * time.Second

// delay stamps history, and a message shown lateAfter or more after its
// time, with the network's time (XEP-0203), for clients to show.
func (c chatOut) delay(w *wire.Writer) {
	if c.ev.TimestampUnixMicro <= 0 {
		return
	}
	at := time.UnixMicro(c.ev.TimestampUnixMicro)
	if c.ev.IsBackfill || time.Since(at) >= lateAfter {
		w.Start("delay", wire.NSDelay).Attr("from", c.t.domain).
			Attr("stamp", at.UTC().Format("2006-01-02T15:04:05.000000Z")).End()
	}
}

func (c chatOut) message(ctx context.Context, m *pb.MessageEvent) [][]byte {
	rich := c.richText(m.Text, m.Spans) // styling and mentions: richtext.go
	body := rich.Body
	if c.ownAsContact() {
		body = ownFallback + body
	}
	var out [][]byte
	// The files after the text get ids derived from the message's, so
	// that a delivery again carries the same ones.
	n := 0
	next := func() string {
		n++
		return c.xid + "-" + strconv.Itoa(n)
	}
	id := c.xid
	if body != "" || len(m.Attachments) == 0 {
		w := c.start(id)
		c.senderNick(w)
		if m.ReplyToId != "" {
			body = c.replyOf(w, m, body)
		}
		w.Leaf("body", "", body)
		c.annotate(w, rich, body)
		c.ids(w, id)
		c.delay(w)
		w.Leaf("markable", nsMarkers, "")
		c.active(w, len(out) == 0)
		out = append(out, c.finish(w))
		c.t.recent.put(chatKey(c.ev.LoginId, c.ev.ChatId), id, recentMsg{text: rich.Body})
		id = next()
	}
	files := c.files
	if len(files) != len(m.Attachments) {
		files = c.t.publishFiles(ctx, c.ev, m.Attachments)
	}
	for i, a := range m.Attachments {
		f, err := files[i].f, files[i].err
		w := c.start(id)
		c.senderNick(w)
		if err != nil {
			c.t.log.Warn("attachment not bridged", "name", a.Name, "err", err)
			w.Leaf("body", "", fileFailure(a.Name, err))
		} else {
			media.FileMessage(w, f)
			if a.GetSpoiler() {
				// Shown hidden on the network: hidden here too.
				w.Leaf("spoiler", nsSpoiler, "")
			}
		}
		c.ids(w, id)
		c.delay(w)
		// A client marks what it showed only of a markable message: a
		// chat that ends with a photo was never read on the network.
		w.Leaf("markable", nsMarkers, "")
		c.active(w, len(out) == 0)
		out = append(out, c.finish(w))
		id = next()
	}
	return out
}

// active adds XEP-0085's <active/> to the first stanza of a contact's
// message that ends their composing: a network ends it by the message
// alone, and a client keeps a chat state until another comes (Gajim
// showed the contact typing after their message).
func (c chatOut) active(w *wire.Writer, first bool) {
	if first && c.endsComposing && !c.group && !c.ev.IsBackfill {
		w.Leaf("active", wire.NSChatStates, "")
	}
}

// senderNick adds, to a direct message from a contact, the name the
// network gives its sender (XEP-0172): someone the user never saved has
// no roster item, and the client has only the address to show.
func (c chatOut) senderNick(w *wire.Writer) {
	if s := c.ev.GetSender(); !c.group && !s.GetIsFromMe() && s.GetName() != "" {
		w.Leaf("nick", nsNick, wire.XMLSafe(s.Name))
	}
}

// maxQuoteBytes bounds the quote of a reply's fallback body: the start
// of the text replied to is enough to know it by.
const maxQuoteBytes = 4 << 10

// replyOf adds to message m, a reply, the XEP-0461 reference to the
// message it answers and, when the quoted text is known, the fallback
// quote the XEP describes; it returns the body to send. A message the
// gateway does not know (from before the login, or lost) has no
// reference: the quote the network gave with the reply, when it gave
// one, is all that tells the user what the contact answers
// (reply_quote.go). A known message whose text the gateway no longer
// holds (its recent texts are memory only: gone after a restart) is
// quoted from the network too, beside the reference, for clients that
// show only the fallback.
func (c chatOut) replyOf(w *wire.Writer, m *pb.MessageEvent, body string) string {
	ref, ok := c.ref(m.ReplyToId)
	if !ok {
		return c.quoteFallback(w, c.networkQuote(m), body)
	}
	c.replyTo(w, ref)
	quoted := c.t.recent.get(chatKey(c.ev.LoginId, c.ev.ChatId), xmppID(ref)).text
	if quoted == "" {
		quoted = c.networkQuote(m)
	}
	return c.quoteFallback(w, quoted, body)
}

// reply is replyOf for a message known by its remote ID alone: nothing
// is added when the gateway does not know it.
func (c chatOut) reply(w *wire.Writer, remoteID, body string) string {
	ref, ok := c.ref(remoteID)
	if !ok {
		return body
	}
	return c.replyRef(w, ref, body)
}

// replyRef adds the reference to ref, a known message, and the quote of
// the text the gateway last showed of it.
func (c chatOut) replyRef(w *wire.Writer, ref store.MessageRef, body string) string {
	c.replyTo(w, ref)
	return c.quoteFallback(w, c.t.recent.get(chatKey(c.ev.LoginId, c.ev.ChatId), xmppID(ref)).text, body)
}

// quoteFallback puts quoted before body as "> " lines and marks them as
// the reply's XEP-0428 fallback; it returns the body to send.
func (c chatOut) quoteFallback(w *wire.Writer, quoted, body string) string {
	if quoted == "" {
		return body
	}
	if len(quoted) > maxQuoteBytes {
		// The body is as long as the server takes already: a whole
		// quote of a long text besides made the reply too large for it.
		quoted = cutText(quoted, maxQuoteBytes, false)
	}
	quote := "> " + strings.ReplaceAll(quoted, "\n", "\n> ") + "\n"
	w.Start("fallback", nsFallback).Attr("for", nsReply).
		Start("body", "").Attr("start", "0").Attr("end", strconv.Itoa(len([]rune(quote)))).End().End()
	return quote + body
}

// replyTo adds the XEP-0461 reference to the message ref.
func (c chatOut) replyTo(w *wire.Writer, ref store.MessageRef) {
	to, id := c.puppet, ""
	if ref.FromMe {
		to = c.user
	}
	if c.group {
		to, id = c.roomReplyTarget(ref) // room_reply.go
	} else {
		id = c.targetID(ref)
	}
	w.Start("reply", nsReply).Attr("to", to).Attr("id", id).End()
}

func (c chatOut) edit(e *pb.EditEvent) [][]byte {
	ref, ok := c.ref(e.TargetId)
	if !ok {
		return nil
	}
	if ref.FromMe != c.ev.GetSender().GetIsFromMe() {
		// Only its sender corrects a message. A network whose servers
		// cannot read the words (WhatsApp, Signal) passes on whatever a
		// modified client names: the contact's "correction" of the
		// user's own message, or the user's of another's.
		c.t.log.Warn("a correction of someone else's message; dropped", "login", c.ev.LoginId, "chat", c.ev.ChatId, "target", e.TargetId, "from_me", c.ev.GetSender().GetIsFromMe())
		return nil
	}
	rich := c.richText(e.Text, e.Spans)
	if fileFirst(ref, c.ownAsContact()) {
		// A correction would put the text in the file's place: the
		// photo gone from the chat (caption_edit.go).
		return c.caption(ref, rich)
	}
	w := c.start(c.xid)
	body, replace := rich.Body, true
	if c.ownAsContact() {
		// The contact may correct the copy it showed, not the user's
		// own message: that correction goes as a new message.
		if replace = c.shownAsContact(ref); replace {
			body = ownFallback + body
		} else {
			body = "You corrected a message from another device: " + body
		}
	}
	w.Leaf("body", "", body)
	c.annotate(w, rich, body)
	if replace {
		w.Start("replace", nsCorrect).Attr("id", xmppID(ref)).End()
		// A later reply to it quotes what it says now.
		c.t.recent.retext(chatKey(c.ev.LoginId, c.ev.ChatId), rich.Body, xmppID(ref))
		// Conversations names the message by this id from now on
		// (lookupXMPP finds it so), in a room too, beside its
		// stanza-id (room_correction_ref.go).
		c.t.keepCorrection(context.Background(), c.ev.LoginId, c.ev.ChatId, ref, c.xid)
	}
	c.ids(w, c.xid)
	return [][]byte{c.finish(w)}
}

func (c chatOut) reaction(r *pb.ReactionEvent) [][]byte {
	ref, ok := c.ref(r.TargetId)
	if !ok {
		return nil
	}
	if c.ownAsContact() {
		// From the contact it would read as the contact's reaction.
		c.t.log.Debug("the user's reaction from another device is not shown without XEP-0356", "login", c.ev.LoginId)
		return nil
	}
	w := c.start(c.xid)
	w.Start("reactions", nsReactions).Attr("id", c.targetID(ref))
	for _, e := range r.Emojis {
		w.Leaf("reaction", "", e)
	}
	w.End()
	w.Leaf("store", nsHints, "")
	c.ids(w, c.xid)
	return [][]byte{c.finish(w)}
}

func (c chatOut) retraction(r *pb.RetractionEvent) [][]byte {
	ref, ok := c.ref(r.TargetId)
	if !ok {
		return nil
	}
	if !c.group {
		// From the message's author, whoever the network says deleted
		// it: clients take a retraction only from the sender of the
		// message (XEP-0424), and Telegram names nobody, a deletion
		// for both of the user's own message came from the contact.
		// The user's phone deleting the contact's message for both
		// goes from the contact so.
		// Without the privilege the user's own message from another
		// device was shown from the contact (shownAsContact), who may
		// retract it so; with it, every message of the user's went
		// as theirs (its id is the gateway's all the same).
		privileged := c.t.privileges().message == "outgoing"
		byUser := ref.FromMe && (privileged || !c.shownAsContact(ref))
		if byUser && !privileged {
			// Only the user's server may speak for the user: from
			// the contact it would be refused by clients, or shown
			// as noise.
			return nil
		}
		c.author = &byUser
	}
	fallback := "This person retracted a previous message, but your client does not support that."
	if r.Expired {
		fallback = "A disappearing message ran out of time, but your client does not support retractions."
	}
	w := c.start(c.xid)
	w.Start("retract", nsRetract).Attr("id", c.targetID(ref)).End()
	c.retractOld(w, cmp.Or(ref.OriginID, c.targetID(ref)))
	w.Start("fallback", nsFallback).Attr("for", nsRetract).End()
	w.Leaf("body", "", fallback)
	w.Leaf("store", nsHints, "")
	c.ids(w, c.xid)
	out := [][]byte{c.finish(w)}
	// The message's files went as stanzas of their own (message): each
	// is retracted too, or a retracted (or run out) photo stays shown.
	for i := range fileParts(ref, c.ownAsContact()) {
		id := c.xid + "-" + strconv.Itoa(i+1)
		w := c.start(id)
		w.Start("retract", nsRetract).Attr("id", c.partTargetID(ref, i+1)).End()
		c.retractOld(w, c.partTargetID(ref, i+1))
		w.Start("fallback", nsFallback).Attr("for", nsRetract).End()
		w.Leaf("store", nsHints, "")
		c.ids(w, id)
		out = append(out, c.finish(w))
	}
	if st := c.captionRetraction(ref); st != nil {
		out = append(out, st)
	}
	return out
}

// retractOld adds, in a direct chat, XEP-0424's older form of a
// retraction beside the current one: version 0's <retract/> in XEP-0422's
// <apply-to/>, naming the message's origin-id (id: the gateway's
// messages carry their id as origin-id), as room moderation does.
// Clients of XEP-0424 0.2's time send that form (parseUserMessage), and
// those that read only it kept showing a message the contact deleted,
// the fallback under it; current ones (Cheogram reads both) take either.
// A room names messages by stanza-id, which that form does not.
func (c chatOut) retractOld(w *wire.Writer, id string) {
	if c.group {
		return
	}
	w.Start("apply-to", nsFasten).Attr("id", id).Start("retract", nsRetract0).End().End()
}

// partTargetID is the id of the stanza a network message's file part
// went as (message): in a room, the stanza-id of its archived copy
// (renderRoom archives part n as RemoteID#n).
func (c chatOut) partTargetID(ref store.MessageRef, n int) string {
	part := strconv.Itoa(n)
	if c.group {
		id, err := c.t.db.ArchivedStanzaID(context.Background(), c.t.roomKey(c.user, c.ev.ChatId), ref.RemoteID+"#"+part)
		if err == nil {
			return id
		}
	}
	return xmppID(ref) + "-" + part
}

// fileParts is how many stanzas after its first the network's message
// ref was delivered as (message): its files, after its text, the first
// file in the text's place when it had none. asContact: the user's own
// message, shown from the contact, always had a text (ownFallback).
func fileParts(ref store.MessageRef, asContact bool) int {
	if fileFirst(ref, asContact) {
		return ref.Files - 1
	}
	return ref.Files
}

// fileFirst reports whether the first stanza of the network's message
// ref is a file, in the place of the text it had none of (fileParts).
func fileFirst(ref store.MessageRef, asContact bool) bool {
	return ref.Files > 0 && !ref.Text && !(asContact && ref.FromMe)
}

func (c chatOut) receipt(r *pb.ReceiptEvent) [][]byte {
	if c.ev.GetSender().GetIsFromMe() {
		return c.ownRead(r)
	}
	read := r.Kind == pb.ReceiptEvent_KIND_READ
	var refs []store.MessageRef
	var received []store.MessageRef // read, by a client that asked for receipts only
	for _, id := range r.MessageIds {
		ref, ok := c.ref(id)
		if !ok {
			continue
		}
		// Only what the user's client asked for (XEP-0184 request,
		// XEP-0333 markable); the rest would be noise on the wire.
		ck := chatKey(c.ev.LoginId, c.ev.ChatId)
		asked := c.asked(ck, ref)
		if read && !asked.markable && asked.receipt {
			// A message read was received: a client without markers
			// (Profanity, Psi) learns that much, also on a network
			// that tells only reads (Telegram); once, where the
			// network said it was delivered before.
			if c.t.recent.receive(ck, xmppID(ref)) {
				received = append(received, ref)
			}
			continue
		}
		if (read && !asked.markable) || (!read && !asked.receipt) {
			continue
		}
		if !read {
			c.t.recent.receive(ck, xmppID(ref))
		}
		// XEP-0333: marking the newest displayed covers those before.
		// The newest by its time, whatever the network's order: the
		// last one named, if older or not markable, left the newest
		// unread.
		if read && len(refs) == 1 {
			if !ref.Time.Before(refs[0].Time) {
				refs[0] = ref
			}
			continue
		}
		refs = append(refs, ref)
	}
	var out [][]byte
	for _, ref := range received {
		id := c.t.newID()
		w := c.start(id)
		w.Start("received", wire.NSReceipts).Attr("id", xmppID(ref)).End()
		w.Leaf("store", nsHints, "")
		c.ids(w, id)
		out = append(out, c.finish(w))
	}
	for _, ref := range refs {
		id := c.t.newID()
		w := c.start(id)
		if read {
			w.Start("displayed", nsMarkers).Attr("id", xmppID(ref)).End()
		} else {
			w.Start("received", wire.NSReceipts).Attr("id", xmppID(ref)).End()
		}
		w.Leaf("store", nsHints, "")
		c.ids(w, id)
		out = append(out, c.finish(w))
	}
	return out
}

// asked returns what the user's client asked of the contact with ref,
// the user's message: as remembered since the start, else as its map
// entry keeps it (then remembered, so that a read's receipt still goes
// once). An entry stored before the gateway kept it says nothing: then
// both are taken as asked if the user's client asked for either with a
// message of the chat since the start (it supports them; one that does
// not ignores them), else neither.
func (c chatOut) asked(ck string, ref store.MessageRef) recentMsg {
	id := xmppID(ref)
	if r, ok := c.t.recent.lookup(ck, id); ok {
		return r
	}
	if !ref.FromMe {
		return recentMsg{}
	}
	r := recentMsg{receipt: ref.AskedReceipt, markable: ref.AskedMarkers}
	if !ref.AskedKnown {
		r.receipt = c.t.recent.asks(ck)
		r.markable = r.receipt
	}
	if ref.AskedKnown || r.receipt { // an unknown is asked again later
		c.t.recent.put(ck, id, r)
	}
	return r
}

// ownRead renders a receipt of the user's own, from another device (the
// chat read on the phone): with XEP-0356, a displayed marker of the
// contact's newest message it names, sent as the user, which their
// server copies to their clients (carbons), so these mark the chat read
// too. It is never the contact's: shown so, the user's own phone getting
// or reading their message read as the contact's receipt. A delivery
// (the user's own device got the message) says nothing to show.
func (c chatOut) ownRead(r *pb.ReceiptEvent) [][]byte {
	if r.Kind != pb.ReceiptEvent_KIND_READ || c.group || c.t.privileges().message != "outgoing" {
		return nil
	}
	var newest store.MessageRef
	found := false
	for _, id := range r.MessageIds {
		ref, ok := c.ref(id)
		if ok && !ref.FromMe && (!found || ref.Time.After(newest.Time)) {
			newest, found = ref, true
		}
	}
	if !found {
		return nil
	}
	id := c.t.newID()
	w := c.start(id)
	w.Start("displayed", nsMarkers).Attr("id", xmppID(newest)).End()
	w.Leaf("store", nsHints, "")
	c.ids(w, id)
	return [][]byte{c.finish(w)}
}

// typing renders a contact's chat state (XEP-0085). The user's own, from
// their phone, is not shown: from the contact (without XEP-0356) it read
// as the contact typing, and as the user it only tells their other
// clients what they are doing themselves.
func (c chatOut) typing(s *pb.TypingEvent) [][]byte {
	if c.ev.GetSender().GetIsFromMe() {
		return nil
	}
	name := map[pb.TypingState]string{pb.TypingState_TYPING_STATE_ACTIVE: "active", pb.TypingState_TYPING_STATE_COMPOSING: "composing",
		pb.TypingState_TYPING_STATE_PAUSED: "paused", pb.TypingState_TYPING_STATE_INACTIVE: "inactive", pb.TypingState_TYPING_STATE_GONE: "gone"}[s.State]
	id := c.t.newID()
	w := c.start(id)
	w.Leaf(name, wire.NSChatStates, "")
	w.Leaf("no-store", nsHints, "")
	c.ids(w, id)
	return [][]byte{c.finish(w)}
}
