package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// handle works on one stanza from the XMPP server, in its chat's worker.
func (t *transport) handle(ctx context.Context, st *wire.Stanza) {
	defer t.handledQueued(ctx, st) // held_queue.go
	if t.log.Enabled(ctx, slog.LevelDebug) {
		t.log.Debug("stanza in", "kind", st.Kind(), "type", st.Type(), "from", st.From(), "to", st.To(), "id", st.ID())
	}
	if st.Type() == "error" {
		// Never answer an error: two gateways would loop. A bounced
		// probe still says something: nothing can be known of the user.
		if st.Kind() == "presence" && bareOf(st.To()) == t.domain {
			if s := t.session(bareOf(st.From())); s != nil {
				s.noteAvail(ctx, "", "error", ownPresence{})
			}
		}
		if st.Kind() == "iq" && t.ownOccupantError(ctx, st) {
			return // the client's answer to an IQ its occupant passed on (room_occupant_iq.go)
		}
		t.roomBounce(ctx, st) // a resource gone from a room (room_gone.go)
		return
	}
	if t.keepAtStop(ctx, st) { // stop_kept.go: answered at the next start
		return
	}
	from, ferr := t.parseJID(st.From())
	to, terr := t.parseJID(st.To())
	if ferr != nil || terr != nil {
		if st.Kind() != "presence" {
			t.send(ctx, wire.ErrorReply(st, wire.JIDMalformed, "malformed from or to address"))
		}
		return
	}
	// An address no remote ID can have (\{0}@..., a NUL once unescaped)
	// stops here: handed to a plugin, it came back in an event the store
	// refused, and the event was replayed forever.
	if to.Localpart() != "" {
		if _, err := puppet.FromJID(to); err != nil {
			t.log.Debug("stanza to a malformed contact address refused", "to", st.To(), "err", err)
			switch {
			case st.Kind() != "presence":
				t.send(ctx, wire.ErrorReply(st, wire.JIDMalformed, "no contact can have this address"))
			case st.Type() == "subscribe":
				t.send(ctx, t.puppetPresence(to.Bare().String(), from.Bare().String(), "unsubscribed"))
			}
			return
		}
	}
	// A group's room (room_in.go) answers what is for it; the rest of
	// the room's address space is a contact's.
	if to.Localpart() != "" && t.roomStanza(ctx, st, from, to) {
		return
	}
	switch st.Kind() {
	case "iq":
		t.handleIQ(ctx, st, from, to)
	case "message":
		t.handleMessage(ctx, st, from, to)
	case "presence":
		t.handlePresence(ctx, st, from, to)
	}
}

func (t *transport) handleIQ(ctx context.Context, st *wire.Stanza, from, to jid.JID) {
	if st.Type() != "get" && st.Type() != "set" {
		return
	}
	p := st.Payload()
	if p == nil {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "iq without a payload"))
		return
	}
	toGateway := to.Localpart() == ""
	get := st.Type() == "get"
	// A user no longer in access.allow learns nothing more of the
	// network (contacts, vCards, avatars, lookups) but may still
	// unregister; disco, ping and version stay open to all.
	if !t.access.Allowed(from.Bare().String()) {
		open := p.XMLName.Space == wire.NSDiscoInfo || p.XMLName.Space == wire.NSDiscoItems ||
			p.XMLName.Space == wire.NSPing || p.XMLName.Space == wire.NSVersion ||
			p.XMLName.Space == nsLast && toGateway
		leaving := p.XMLName.Space == wire.NSRegister && toGateway && !get && p.Child("", "remove") != nil
		if !open && !leaving {
			t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "you are not allowed to use this gateway"))
			return
		}
	}
	switch {
	case p.XMLName.Space == wire.NSDiscoInfo && get:
		t.send(ctx, t.discoInfo(st, from.Bare().String(), toGateway, p.Attr("node")))
	case p.XMLName.Space == wire.NSDiscoItems && get && toGateway && p.Attr("node") == nsCommands:
		t.send(ctx, t.commandItems(st, from.Bare().String()))
	case p.XMLName.Space == wire.NSDiscoItems && get && toGateway && p.Attr("node") == "":
		t.send(ctx, t.roomItems(st, from.Bare().String()))
	case p.XMLName.Space == wire.NSDiscoItems && get:
		r := wire.Result(st)
		r.Start("query", wire.NSDiscoItems).Attr("node", p.Attr("node")).End()
		t.send(ctx, r.Bytes())
	case p.XMLName.Space == wire.NSPing && get:
		t.send(ctx, wire.Result(st).Bytes())
	case p.XMLName.Space == wire.NSVersion && get:
		r := wire.Result(st)
		r.Start("query", wire.NSVersion).Leaf("name", "", "passerelle").Leaf("version", "", version()).Leaf("os", "", runtime.GOOS).End()
		t.send(ctx, r.Bytes())
	case p.XMLName.Space == nsCommands && p.XMLName.Local == "command" && toGateway && !get:
		if !t.access.Allowed(from.Bare().String()) {
			t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "you are not allowed to use this gateway"))
			return
		}
		t.handleCommand(ctx, st, from.Bare().String(), p)
	case p.XMLName.Space == wire.NSGateway && toGateway:
		t.gatewayIQ(ctx, st, from.Bare().String(), p)
	case p.XMLName.Space == nsPubSub && p.XMLName.Local == "pubsub" && get && !toGateway:
		uid, err := puppet.FromJID(to)
		if err != nil {
			t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such contact"))
			return
		}
		if items := p.Child("", "items"); items != nil && items.Attr("node") == nsVCard4Node {
			t.vcard4Items(ctx, st, from.Bare().String(), uid) // vcard4.go
			return
		}
		t.avatarItems(ctx, st, from.Bare().String(), uid, p)
	case p.XMLName.Space == nsVCard && get && !toGateway:
		uid, err := puppet.FromJID(to)
		if err != nil {
			t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such contact"))
			return
		}
		t.vcard(ctx, st, from.Bare().String(), uid)
	case p.XMLName.Space == nsVCard && !toGateway:
		// A contact's vCard is the network's profile: not the user's to
		// change (XEP-0054 §3.2).
		t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "a contact's vCard cannot be changed"))
	case p.XMLName.Space == nsLast && p.XMLName.Local == "query" && get && toGateway:
		t.uptime(ctx, st, time.Now()) // last_activity.go
	case p.XMLName.Space == nsLast && get && to.Resourcepart() != "":
		// A contact has no resources: its presence comes from the bare
		// JID. An IQ to a resource there is not is service-unavailable
		// (RFC 6121 §8.5.3.2.1).
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, "a contact has no resources here: ask "+to.Bare().String()))
	case p.XMLName.Space == nsLast && p.XMLName.Local == "query" && get:
		uid, err := puppet.FromJID(to)
		if err != nil {
			t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such contact"))
			return
		}
		t.lastActivity(ctx, st, from.Bare().String(), uid, time.Now()) // last_activity.go
	case p.XMLName.Space == nsMAM && !toGateway:
		t.mamIQ(ctx, st, from, to, p) // mam.go: a room's archive
	case p.XMLName.Space == wire.NSRegister && toGateway:
		if get {
			t.registerForm(ctx, st, from.Bare().String())
		} else {
			t.register(ctx, st, from.Bare().String(), p)
		}
	default:
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, ""))
	}
}

func (t *transport) discoInfo(st *wire.Stanza, user string, toGateway bool, node string) []byte {
	if !toGateway {
		return t.contactDiscoInfo(st, user, node)
	}
	if node != "" {
		if r, ok := t.commandInfo(st, user, node); ok { // adhoc.go
			return r
		}
		return wire.ErrorReply(st, wire.ItemNotFound, "no such node")
	}
	r := wire.Result(st)
	r.Start("query", wire.NSDiscoInfo)
	network, name := t.name, t.name
	if caps := t.host.Caps(); caps != nil {
		network, name = caps.Network, caps.DisplayName
	}
	r.Start("identity", "").Attr("category", "gateway").Attr("type", network).Attr("name", name).End()
	// nsRSM: its disco#items, the rooms list, pages (room_items.go).
	for _, f := range []string{wire.NSDiscoInfo, wire.NSDiscoItems, wire.NSRegister, wire.NSVersion, wire.NSPing, nsCommands, wire.NSGateway, nsRSM, nsLast} {
		r.Start("feature", "").Attr("var", f).End()
	}
	return r.Bytes()
}

func (t *transport) handleMessage(ctx context.Context, st *wire.Stanza, from, to jid.JID) {
	if privilegeElem(st) != nil {
		return // a server's advertisement is route's (privilege.go); no one else's counts
	}
	if from.Resourcepart() == "" && from.Localpart() != "" && t.ownID(st.ID()) {
		// From a user's bare JID, with an id of the gateway's: its own
		// message sent as the user (XEP-0356: the user's words from
		// another device, a read on the phone, a retraction at a
		// deadline), which the server routes on to the contact, here.
		// Sent to the network again, it would repeat or undo what the
		// network told.
		t.log.Debug("a message sent as the user came back; dropped", "from", st.From(), "to", st.To(), "id", st.ID())
		return
	}
	user := from.Bare().String()
	if !t.access.Allowed(user) {
		t.send(ctx, wire.ErrorReply(st, wire.NotAllowed, "you are not allowed to use this gateway"))
		return
	}
	if st.Type() == "groupchat" {
		// A room's are handled before (room_in.go): this one is not to a room.
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "the gateway is no room; its groups' rooms are listed on its disco#items"))
		return
	}
	if to.Localpart() == "" {
		if body, ok := gatewayChatText(st); ok {
			t.handleGatewayChat(ctx, user, body)
		}
		return
	}
	t.handleUserMessage(ctx, st, user, to) // messaging.go
}

// gatewayChatText is the words of a message to the gateway's own JID
// that its chat takes (a command, a login step's answer), and whether it
// has any. Read as a contact's (parseUserMessage): a blank body (a
// client's <body/> beside a chat state) is no words, a reply's quote of
// the question is not the answer, and a retraction's, reaction's or
// encrypted message's fallback text is no command. Taken as they came,
// they got the help text whenever the user began typing, and in a login
// were the answer to the field asked. A subject (withSubject) is no part
// of an answer either.
func gatewayChatText(st *wire.Stanza) (string, bool) {
	m := parseUserMessage(st)
	if !m.hasBody || m.retract != "" || m.reactions != nil || m.encrypted {
		return "", false
	}
	body := m.body
	if m.subject != "" {
		body = strings.TrimPrefix(strings.TrimPrefix(body, m.subject), "\n")
	}
	return body, strings.TrimSpace(body) != ""
}

// sentMsg is what remember records of a message the user sent: its
// chat, txn and XMPP IDs, and, when asksKnown, what the user's client
// asked of the contact (a XEP-0184 receipt, XEP-0333 markers), kept so
// that the contact's receipts after a restart still reach it.
type sentMsg struct {
	chatID, txn, originID, id    string
	asksKnown, receipt, markable bool
}

// remember maps the sent message's remote ID to its XMPP IDs, so later
// corrections, reactions and receipts find it, and records the txn. (A
// room's reflection records the same in its own write: archiveSent.)
func (s *session) remember(ctx context.Context, m sentMsg, r *pb.CommandResult) {
	t := s.t
	// The message went out: its record must not be lost to a shutdown.
	ctx = context.WithoutCancel(ctx)
	if r.MessageId == "" {
		// Nothing to map, but a resend must still be recognised.
		t.recordTxn(ctx, s.LoginID(), m.txn)
		return
	}
	ref, txn := s.sentRef(m, r)
	if err := t.db.PutSent(ctx, ref, txn); err != nil {
		t.storeFails.fail(t.log, slog.LevelError, "message map", "message map write failed", err)
		return
	}
	t.storeFails.worked(t.log, "message map")
	s.stored.signal(refKey(ref.LoginID, ref.ChatID, ref.RemoteID))
	s.sentExpires(ctx, ref, r) // expiry.go
}

// sentRef is the message map entry of m, which the network took as r
// (r.MessageId is not empty), and the txn to record beside it: "" when
// the entry answers for it.
func (s *session) sentRef(m sentMsg, r *pb.CommandResult) (store.MessageRef, string) {
	t := s.t
	ref := store.MessageRef{Transport: t.name, LoginID: s.LoginID(), ChatID: m.chatID, RemoteID: r.MessageId,
		OriginID: m.originID, ID: m.id, FromMe: true, Time: time.UnixMicro(r.TimestampUnixMicro), Meta: t.messageMeta(r.MessageId, r.Meta),
		Partly: partlySent(r), AskedKnown: m.asksKnown, AskedReceipt: m.receipt, AskedMarkers: m.markable}
	if m.txn == m.originID || m.txn == m.id {
		// The map entry answers for the txn (SentBefore): one record
		// fewer per message.
		return ref, ""
	}
	return ref, m.txn
}

func (t *transport) handlePresence(ctx context.Context, st *wire.Stanza, from, to jid.JID) {
	user := from.Bare().String()
	if !t.access.Allowed(user) {
		if st.Type() == "subscribe" {
			// Refused, not left pending forever in the user's roster.
			t.send(ctx, t.puppetPresence(to.Bare().String(), user, "unsubscribed"))
		}
		return
	}
	s := t.session(user)
	registered := s != nil
	toGateway := to.Localpart() == ""
	online := false // another resource of the user is still available
	var best ownPresence
	// Only what reaches the gateway itself tells the user's availability:
	// the broadcast presence her server routes to it (she lets it see her
	// presence) or a probe's answer. A presence to one contact is directed
	// (RFC 6121 §4.6): a client that shows itself to one contact only, or
	// hides from one, is neither online nor offline on the network.
	switch typ := st.Type(); {
	case !registered || !toGateway:
	case typ == "":
		online, best = s.noteAvail(ctx, from.Resourcepart(), typ, parseOwnPresence(st))
	case typ == "unavailable" || typ == "unsubscribed":
		online, best = s.noteAvail(ctx, from.Resourcepart(), typ, ownPresence{})
	}
	switch st.Type() {
	case "subscribe":
		if !toGateway && registered {
			s.subscribeContact(ctx, to)
			return
		}
		if !toGateway {
			// No login, no contact: refused (XEP-0100 §4.6.2), not a
			// roster item that cannot work.
			t.send(ctx, t.puppetPresence(to.Bare().String(), user, "unsubscribed"))
			return
		}
		// The user adds the gateway: approve; the gateway cannot ask
		// anyone.
		t.send(ctx, t.puppetPresence(to.Bare().String(), user, "subscribed"))
		if registered {
			t.send(ctx, s.gatewayPresence())
			if !s.Login().SeesPresence {
				// Asked back, as at the login (XEP-0100 §4.1): a user
				// who removed the gateway from the roster (which
				// ended its view of their presence) and adds it again
				// lets it see their presence again. A server that
				// lets it already approves by itself.
				t.send(ctx, t.presence(user, "subscribe"))
			}
		}
	case "probe":
		// The answer goes to the prober: a resource coming online probes
		// from its full JID (RFC 6121 §4.3.2), and an answer to the bare
		// JID reached every other resource again, once per contact.
		prober := from.String()
		if toGateway {
			if registered {
				t.send(ctx, s.gatewayPresenceTo(prober))
			} else {
				t.send(ctx, t.presence(prober, "unavailable"))
			}
			return
		}
		if registered {
			uid, err := puppet.FromJID(to)
			if err != nil {
				return
			}
			p := s.presence(uid)
			if p == nil {
				p = &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE}
			}
			t.send(ctx, s.renderPresence(prober, to.Bare().String(), uid, p))
		}
	case "", "unavailable":
		// From a bare JID it is the server's (a probe's answer, a
		// subscription request's receipt), not a client's.
		if toGateway && registered && from.Resourcepart() != "" {
			p := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_OFFLINE}
			if online {
				// The network shows one presence: the most available
				// resource's. One resource left, another is still
				// there: the user is not offline on the network, and
				// shows what the other last said.
				p = best.proto()
			}
			if st.Type() == "unavailable" && online {
				t.log.Debug("a resource went offline; the user is still online", "user", user, "resource", from.Resourcepart())
			}
			t.forwardPresence(ctx, s.Login(), p)
			if st.Type() == "" {
				s.noteOwnAvatar(st)
			}
		}
	case "subscribed", "unsubscribed":
		// The user lets the gateway see their presence, or stops.
		if toGateway && registered {
			s.setSeesPresence(ctx, st.Type() == "subscribed")
		}
	}
}

// forwardPresence hands the user's own availability to networks that
// show it.
func (t *transport) forwardPresence(ctx context.Context, l store.Login, p *pb.Presence) {
	caps := t.host.Caps()
	if caps == nil || !caps.GetFeatures().GetSetPresence() {
		return
	}
	t.host.Send(&pb.Command{LoginId: l.LoginID, Action: &pb.Command_SetPresence{SetPresence: &pb.SetPresence{Presence: p}}},
		func(r *pb.CommandResult) {
			if r.Error != nil {
				t.log.Debug("presence not forwarded", "user", l.UserJID, "err", r.Error.Text)
				return
			}
			t.log.Debug("presence told to the network", "user", l.UserJID, "login", l.LoginID, "show", p.GetShow())
		})
}

// subscribeContact handles the user adding a puppet: a known contact is
// approved; an unknown one is resolved on the network (and added there
// when the network allows). An approved contact then asks to see the
// user's presence.
func (s *session) subscribeContact(ctx context.Context, to jid.JID) {
	t, l := s.t, s.Login()
	pj := to.Bare().String()
	uid, err := puppet.FromJID(to)
	if err != nil {
		t.send(ctx, t.puppetPresence(pj, l.UserJID, "unsubscribed"))
		return
	}
	p, err := t.db.GetPuppet(t.name, l.LoginID, uid)
	name := p.Name
	if err != nil {
		client, cerr := t.client(ctx)
		var c *pb.Contact
		if cerr == nil {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			c, cerr = client.ResolveIdentifier(cctx, &pb.ResolveIdentifierRequest{LoginId: l.LoginID, Identifier: uid, Create: true})
			cancel()
		}
		if cerr != nil {
			t.log.Info("subscription to an unknown contact refused", "user", l.UserJID, "contact", uid, "err", cerr)
			t.send(ctx, t.puppetPresence(pj, l.UserJID, "unsubscribed"))
			return
		}
		t.fitContact(c) // netinput.go
		if c.GetUserId() != uid {
			s.addedAs(ctx, pj, c)
			return
		}
		name = contactName(c)
		if err := t.db.PutPuppets(ctx, []store.Puppet{{Transport: t.name, LoginID: l.LoginID, UserID: c.UserId, Name: name}}); err != nil {
			t.log.Error("storing a puppet failed", "err", err)
		}
	}
	t.send(ctx, t.puppetPresence(pj, l.UserJID, "subscribed"))
	if p := s.presence(uid); p != nil {
		t.send(ctx, s.renderPresence(l.UserJID, pj, uid, p))
	}
	// XEP-0100 §4.6.1: the contact asks back, with its name, so that the
	// subscription is mutual ("both"), as a synced contact's. A user's
	// server that already lets the contact see the user approves it by
	// itself.
	var w wire.Writer
	w.Start("presence", "").Attr("from", pj).Attr("to", l.UserJID).Attr("type", "subscribe")
	w.Leaf("nick", nsNick, name)
	t.send(ctx, w.Bytes())
}

// addedAs handles a contact the user added by the JID asked, which the
// network added under another ID (a phone number written another way, a
// username for a numeric ID): that contact joins the roster under its
// own JID, as one the network reported; the JID asked is no contact, so
// its subscription is declined, naming the JID to use, and with the
// roster permission its item goes. Subscribed, it stayed a roster item
// no event ever reached, and the contact's own JID was missing until
// the next sync.
func (s *session) addedAs(ctx context.Context, asked string, c *pb.Contact) {
	t, l := s.t, s.Login()
	cj, err := t.puppetJID(c.GetUserId())
	if err != nil {
		t.log.Warn("the network added a contact that has no JID", "user", l.UserJID, "asked", asked, "user_id", c.GetUserId(), "err", err)
		t.send(ctx, t.puppetPresence(asked, l.UserJID, "unsubscribed"))
		return
	}
	t.log.Info("contact added under another ID", "user", l.UserJID, "asked", asked, "added", cj.String())
	name := contactName(c)
	// A contact of the login already in the roster keeps the user's name
	// and groups: only its presence is shown.
	_, gerr := t.db.GetPuppet(t.name, l.LoginID, c.UserId)
	var inRoster bool
	if gerr == nil {
		_, inRoster = s.rosterForRenames(ctx)[cj.String()]
	}
	if err := t.db.PutPuppets(ctx, []store.Puppet{{Transport: t.name, LoginID: l.LoginID, UserID: c.UserId, Name: name}}); err != nil {
		t.log.Error("storing a puppet failed", "err", err)
		t.send(ctx, t.puppetPresence(asked, l.UserJID, "unsubscribed"))
		return
	}
	var w wire.Writer
	w.Start("presence", "").Attr("from", asked).Attr("to", l.UserJID).Attr("type", "unsubscribed")
	w.Leaf("status", "", t.displayName()+" knows this contact as "+cj.String()+", added to your contacts")
	t.send(ctx, w.Bytes())
	if t.privileges().rosterWrite() {
		t.rosterSet(ctx, l.UserJID, asked, "", "remove")
	}
	if inRoster {
		s.showContact(ctx, c)
		return
	}
	// A roster push, or without the permission the contact's request
	// with its name, and its presence: as a contact the sync brought,
	// also when the login had it already (the user may have removed it).
	s.announceContact(ctx, c, name, false)
}

// gatewayIQ is XEP-0100's jabber:iq:gateway: the prompt, and an
// identifier (a phone number...) turned into the contact's JID.
func (t *transport) gatewayIQ(ctx context.Context, st *wire.Stanza, user string, q *wire.Element) {
	caps := t.host.Caps()
	prompt, desc := "Contact", "Enter the contact's identifier on "+t.displayName()+"."
	if caps != nil && caps.IdentifierPrompt != "" {
		prompt = caps.IdentifierPrompt
	}
	if caps != nil && caps.IdentifierDescription != "" {
		desc = caps.IdentifierDescription
	}
	if st.Type() == "get" {
		r := wire.Result(st)
		r.Start("query", wire.NSGateway).Leaf("desc", "", desc).Leaf("prompt", "", prompt).End()
		t.send(ctx, r.Bytes())
		return
	}
	l, ok := t.loginOf(user)
	if !ok {
		t.notRegistered(ctx, st)
		return
	}
	p := q.Child("", "prompt")
	if p == nil || strings.TrimSpace(p.Text) == "" {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "the prompt is empty"))
		return
	}
	client, err := t.client(ctx)
	var c *pb.Contact
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		c, err = client.ResolveIdentifier(cctx, &pb.ResolveIdentifierRequest{LoginId: l.LoginID, Identifier: strings.TrimSpace(p.Text)})
		cancel()
	}
	if err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	pj, err := puppet.JID(c.UserId, t.domain)
	if errors.Is(err, puppet.ErrTooLong) {
		// The user's to change: XMPP allows no longer address.
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, fmt.Sprintf(
			"this contact's XMPP address would be longer than XMPP allows (%d bytes): check the identifier", puppet.MaxLocalpartBytes)))
		return
	}
	if err != nil {
		// The plugin's ID for the contact is no address: the network's
		// side, not the user's. The detail is the log's.
		t.log.Warn("a resolved identifier gave no contact address", "user", user, "err", err)
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, t.displayName()+" gave no usable contact for this identifier"))
		return
	}
	// Nothing is stored: a lookup adds no contact. Stored as a puppet,
	// the JID's subscription found it known and skipped the network's
	// add, and the next contact sync took it out of the roster.
	r := wire.Result(st)
	// XEP-0100 says <jid/>; older clients read <prompt/>.
	r.Start("query", wire.NSGateway).Leaf("jid", "", pj.String()).Leaf("prompt", "", pj.String()).End()
	t.send(ctx, r.Bytes())
}
