package bridge

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// Namespaces of the contact features.
const (
	nsPrivilege  = "urn:xmpp:privilege:2"
	nsPrivilege1 = "urn:xmpp:privilege:1" // XEP-0356 before 0.4: ejabberd < 24.10
	nsRoster     = "jabber:iq:roster"
	nsNick       = "http://jabber.org/protocol/nick"
	nsIdle       = "urn:xmpp:idle:1"
	nsVCard      = "vcard-temp"
	nsVCardPhoto = "vcard-temp:x:update"
	nsPubSub     = "http://jabber.org/protocol/pubsub"
	nsPubSubEv   = "http://jabber.org/protocol/pubsub#event"
	nsAvatarMeta = "urn:xmpp:avatar:metadata"
	nsAvatarData = "urn:xmpp:avatar:data"
)

// syncContacts fetches a login's contacts and brings the puppets and the
// user's roster in line with them. It runs at every connect (each start of
// the gateway or its plugin), so only differences cost anything: an
// unchanged contact is a compare with its stored puppet, and its presence
// is shown only if it is not the one last shown (after a restart of the
// gateway, none was); new and renamed contacts are stored in one
// transaction and vanished ones deleted in one, and only those are pushed
// to the roster.
func (s *session) syncContacts(ctx context.Context) {
	t, l := s.t, s.Login()
	// Then the chats' history, now that the contacts are known.
	defer t.hist.start(s)
	// Before the history: a group's history goes to its room.
	defer s.syncRooms(ctx)
	start := time.Now()
	// Contacts' presence is for users who may be online: ask first.
	s.probe(ctx)
	client, err := t.client(ctx)
	if err != nil {
		t.log.Debug("contact sync skipped: no plugin", "user", l.UserJID, "err", err)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	res, err := client.ContactList(cctx, &pb.LoginRef{LoginId: l.LoginID})
	cancel()
	if stopping(ctx, err) {
		t.log.Debug("contact list left for the next sync: stopping", "user", l.UserJID)
		return
	}
	if err != nil {
		t.log.Warn("contact list failed", "user", l.UserJID, "err", err)
		return
	}
	old, err := t.db.ListPuppets(t.name, l.LoginID)
	if err != nil {
		t.log.Error("reading puppets failed", "err", err)
		return
	}
	known := make(map[string]string, len(old)) // user ID -> stored name
	for _, p := range old {
		known[p.UserID] = p.Name
	}
	old = nil
	seen := make(map[string]bool, len(res.Contacts))
	var puts []store.Puppet
	var fresh []*pb.Contact // new or renamed: announced once stored
	added := 0
	var shown [3]int // by presenceOutcome
	for _, c := range res.Contacts {
		t.fitContact(c) // netinput.go
		if seen[c.UserId] {
			continue
		}
		seen[c.UserId] = true
		name := contactName(c)
		prev, existed := known[c.UserId]
		if existed && prev == name {
			fetching := s.refreshAvatar(ctx, c)
			// After a restart of the plugin the user has seen most
			// presences already; after one of the gateway none.
			if c.Presence != nil && !s.presenceShown(c.UserId, c.Presence) {
				shown[s.showPresence(ctx, c.UserId, c.Presence, fetching)]++
			}
			continue
		}
		if _, err := puppet.JID(c.UserId, t.domain); err != nil {
			t.log.Warn("contact has no JID; skipped", "user_id", c.UserId, "err", err)
			continue
		}
		if !existed {
			added++
		}
		puts = append(puts, store.Puppet{Transport: t.name, LoginID: l.LoginID, UserID: c.UserId, Name: name})
		fresh = append(fresh, c)
	}
	if !s.storePuppets(ctx, puts) {
		// Not announced: the next sync tries again.
		fresh, added = nil, 0
	}
	var entries map[string]rosterEntry // the user's roster, read for the first rename
	read := false
	for _, c := range fresh {
		old, existed := known[c.UserId]
		if !existed {
			shown[s.announceContact(ctx, c, contactName(c), false)]++
			continue
		}
		if !read {
			entries, read = s.rosterForRenames(ctx), true
		}
		shown[s.renameContact(ctx, c, old, contactName(c), entries)]++
	}
	var gone []string
	for id := range known {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		s.deletePuppets(ctx, gone)
		for _, id := range gone {
			s.dropContact(ctx, id)
		}
	}
	if t.privileges().rosterWrite() {
		t.pruneRoster(ctx, l.UserJID, seen)
	}
	t.log.Info("contacts synced", "user", l.UserJID, "login", l.LoginID, "contacts", len(res.Contacts),
		"added", added, "changed", len(fresh)-added, "removed", len(gone),
		"presences_shown", shown[presenceSent], "presences_held", shown[presenceHeld], "took", time.Since(start).Round(time.Microsecond))
}

// storePuppets stores a sync's new and renamed puppets in one
// transaction; false if they were not stored (then none is announced). A
// stop cancelling it is no fault: the next sync stores them.
func (s *session) storePuppets(ctx context.Context, puts []store.Puppet) bool {
	t := s.t
	err := t.db.PutPuppets(ctx, puts)
	switch {
	case err == nil:
		return true
	case stopping(ctx, err):
		t.log.Debug("storing puppets left for the next sync: stopping", "user", s.user, "count", len(puts))
	default:
		t.log.Error("storing puppets failed", "user", s.user, "count", len(puts), "err", err)
	}
	return false
}

// deletePuppets deletes the puppets of a sync's vanished contacts in one
// transaction; a stop cancelling it is no fault, as for storePuppets.
func (s *session) deletePuppets(ctx context.Context, gone []string) {
	t := s.t
	err := t.db.DeletePuppets(ctx, t.name, s.LoginID(), gone)
	switch {
	case err == nil:
	case stopping(ctx, err):
		t.log.Debug("deleting puppets left for the next sync: stopping", "user", s.user, "count", len(gone))
	default:
		t.log.Error("deleting puppets failed", "user", s.user, "count", len(gone), "err", err)
	}
}

func contactName(c *pb.Contact) string {
	for _, n := range []string{c.Name, c.Nickname, c.Username, c.Phone} {
		if n != "" {
			return n
		}
	}
	return c.UserId
}

// upsertContact applies one contact the network reported: stored as a
// puppet, put in the roster (or the user asked to add it) and its
// presence shown. prev is its stored puppet, if existed.
func (s *session) upsertContact(ctx context.Context, c *pb.Contact, prev store.Puppet, existed bool) {
	t, l := s.t, s.Login()
	if _, err := puppet.JID(c.UserId, t.domain); err != nil {
		t.log.Warn("contact has no JID; skipped", "user_id", c.UserId, "err", err)
		return
	}
	name := contactName(c)
	if existed && prev.Name == name {
		fetching := s.refreshAvatar(ctx, c)
		if c.Presence != nil && !s.presenceShown(c.UserId, c.Presence) {
			s.showPresence(ctx, c.UserId, c.Presence, fetching)
		}
		return
	}
	var entries map[string]rosterEntry
	if existed {
		// Read before the store changes: a failed write leaves both.
		entries = s.rosterForRenames(ctx)
	}
	if err := t.db.PutPuppets(ctx, []store.Puppet{{Transport: t.name, LoginID: l.LoginID, UserID: c.UserId, Name: name}}); err != nil {
		if stopping(ctx, err) {
			t.log.Debug("storing a puppet left for the next sync: stopping", "user_id", c.UserId)
		} else {
			t.log.Error("storing a puppet failed", "err", err)
		}
		return
	}
	if existed {
		s.renameContact(ctx, c, prev.Name, name, entries)
		return
	}
	s.announceContact(ctx, c, name, false)
}

// announceContact tells the user about a new or renamed contact, already
// stored: a roster push, or without roster permission a subscription
// request for a new one; then its presence, once: after its avatar's
// fetch, if one starts, with the avatar's hash.
func (s *session) announceContact(ctx context.Context, c *pb.Contact, name string, existed bool) presenceOutcome {
	t, l := s.t, s.Login()
	pj, err := t.puppetJID(c.UserId)
	if err != nil {
		return presenceNone
	}
	if t.privileges().rosterWrite() {
		t.rosterSet(ctx, l.UserJID, pj.String(), name, "both")
	} else if !existed {
		// Without roster permission the contact asks to be added; the
		// user's client shows it with its name.
		var w wire.Writer
		w.Start("presence", "").Attr("from", pj.String()).Attr("to", l.UserJID).Attr("type", "subscribe")
		w.Leaf("nick", nsNick, name)
		t.subs.send(ctx, w.Bytes())
	}
	return s.showContact(ctx, c)
}

// showContact refreshes a contact's avatar and shows its presence, once:
// after the avatar's fetch, if one starts, with the avatar's hash.
func (s *session) showContact(ctx context.Context, c *pb.Contact) presenceOutcome {
	fetching := s.refreshAvatar(ctx, c)
	if c.Presence == nil {
		return presenceNone
	}
	return s.showPresence(ctx, c.UserId, c.Presence, fetching)
}

// renameContact tells the user about a known contact the network renamed
// from old to name, already stored. The roster item is the user's: it
// keeps the user's groups, and the name the user gave it, taking the
// network's only in place of the old one; a contact the user took out of
// the roster stays out (until sync-contacts). Pushed as a new contact's,
// a rename undid the user's own name and groups, and put back a contact
// the user had removed. entries is the user's roster (rosterForRenames):
// without it, the item is set as a new contact's.
func (s *session) renameContact(ctx context.Context, c *pb.Contact, old, name string, entries map[string]rosterEntry) presenceOutcome {
	t, l := s.t, s.Login()
	pj, err := t.puppetJID(c.UserId)
	if err != nil {
		return presenceNone
	}
	if t.privileges().rosterWrite() {
		switch e, ok := entries[pj.String()]; {
		case entries == nil:
			t.rosterSet(ctx, l.UserJID, pj.String(), name, "both")
		case !ok:
			t.log.Debug("renamed contact not put back in the roster: the user took it out", "user", l.UserJID, "contact", pj.String())
		case e.name != "" && e.name != old:
			t.log.Debug("contact not renamed in the roster: the user named it", "user", l.UserJID, "contact", pj.String())
		case e.name != name:
			t.rosterSetGroups(ctx, l.UserJID, pj.String(), name, "both", e.groups)
		}
	}
	// The rooms the contact is in, where its nick is its name
	// (room_contact_rename.go).
	for _, r := range s.rooms.all() {
		for _, b := range s.renamedContactNick(r, c.UserId, name) {
			t.send(ctx, b)
		}
	}
	return s.showContact(ctx, c)
}

// rosterForRenames reads the user's roster items on this transport's
// domain, for renameContact: nil when the gateway may not read it or the
// server did not answer.
func (s *session) rosterForRenames(ctx context.Context) map[string]rosterEntry {
	t := s.t
	if !t.privileges().rosterWrite() {
		return nil
	}
	entries, err := t.rosterEntries(ctx, s.user)
	if err != nil && !errors.Is(err, errNoRosterRead) {
		t.log.Warn("roster not read before a rename", "user", s.user, "err", err)
	}
	return entries
}

// removeContact forgets a puppet and takes it out of the roster.
func (s *session) removeContact(ctx context.Context, userID string) {
	t, l := s.t, s.Login()
	if err := t.db.DeletePuppet(ctx, t.name, l.LoginID, userID); stopping(ctx, err) {
		t.log.Debug("deleting a puppet left for the next sync: stopping", "user_id", userID)
	} else if err != nil {
		t.log.Error("deleting a puppet failed", "err", err)
	}
	s.dropContact(ctx, userID)
}

// dropContact takes a contact, already forgotten by the store, out of the
// user's roster and presence.
func (s *session) dropContact(ctx context.Context, userID string) {
	t, l := s.t, s.Login()
	pj, err := t.puppetJID(userID)
	if err != nil {
		return
	}
	s.forgetPresence(userID)
	t.send(ctx, t.puppetPresence(pj.String(), l.UserJID, "unavailable"))
	if t.privileges().rosterWrite() {
		t.rosterSet(ctx, l.UserJID, pj.String(), "", "remove")
		return
	}
	t.send(ctx, t.puppetPresence(pj.String(), l.UserJID, "unsubscribe"))
	t.send(ctx, t.puppetPresence(pj.String(), l.UserJID, "unsubscribed"))
}

// contactIDs lists the remote IDs of a login's contacts.
func (s *session) contactIDs() []string {
	t, user, loginID := s.t, s.user, s.LoginID()
	ps, err := t.db.ListPuppets(t.name, loginID)
	if err != nil {
		t.log.Error("reading puppets failed", "user", user, "err", err)
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.UserID
	}
	return ids
}

// forgetContacts takes the contacts of a removed login (their IDs, read
// before the store deleted them with the login) offline and out of the
// user's roster, or cancels the subscriptions without roster permission.
func (s *session) forgetContacts(ctx context.Context, ids []string) {
	t, l := s.t, s.Login()
	for _, id := range ids {
		s.dropContact(ctx, id)
	}

	if t.privileges().rosterWrite() {
		// What a crash mid-sync or an older login left, too.
		t.pruneRoster(ctx, l.UserJID, nil)
	}
}

// rosterSet writes one roster item of the user through XEP-0356, in the
// group named after the network.
func (t *transport) rosterSet(ctx context.Context, user, item, name, subscription string) {
	var groups []string
	if subscription != "remove" {
		groups = []string{t.displayName()}
	}
	t.rosterSetGroups(ctx, user, item, name, subscription, groups)
}

// rosterSetGroups is rosterSet with the item's groups.
func (t *transport) rosterSetGroups(ctx context.Context, user, item, name, subscription string, groups []string) {
	id := t.link.NewID()
	var w wire.Writer
	w.Start("iq", "").Attr("from", t.domain).Attr("to", user).Attr("type", "set").Attr("id", id)
	w.Start("query", nsRoster).Start("item", "").Attr("jid", item).Attr("name", name).Attr("subscription", subscription)
	for _, g := range groups {
		w.Leaf("group", "", g)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	st, err := t.link.IQ(cctx, id, w.Bytes())
	if stopping(ctx, err) {
		t.log.Debug("roster push left for the next sync: stopping", "user", user, "item", item)
		return
	}
	if err != nil {
		t.log.Warn("roster push failed", "user", user, "item", item, "err", err)
		return
	}
	if st.Type() == "error" {
		cond, text := st.ErrorCondition()
		t.log.Warn("roster push refused", "user", user, "item", item, "condition", cond, "text", text)
	}
}

// pruneRoster removes roster items on this transport's domain that are
// no contact (any more): what a crash mid-sync or an old login left.
func (t *transport) pruneRoster(ctx context.Context, user string, keep map[string]bool) {
	items, err := t.rosterItems(ctx, user)
	if err != nil {
		return
	}
	for j, uid := range items {
		if uid != "" && keep[uid] {
			continue
		}
		t.rosterSet(ctx, user, j, "", "remove")
	}
}

// errNoRosterRead: the server did not let the gateway read rosters.
var errNoRosterRead = errors.New("the gateway may not read your roster")

// rosterItems reads the user's roster items on this transport's domain
// (XEP-0356): each JID and the user ID it is a puppet of ("" for none).
// errNoRosterRead when the gateway may not read it; another error when
// it may but the server did not answer.
func (t *transport) rosterItems(ctx context.Context, user string) (map[string]string, error) {
	items, err := t.rosterQuery(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(items))
	for j := range items {
		uid, _ := puppet.UserID(strings.SplitN(j, "@", 2)[0])
		out[j] = uid
	}
	return out, nil
}

// rosterEntry is what the user's roster holds of one item.
type rosterEntry struct {
	name   string
	groups []string
}

// rosterEntries is rosterItems with each item's name and groups.
func (t *transport) rosterEntries(ctx context.Context, user string) (map[string]rosterEntry, error) {
	items, err := t.rosterQuery(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make(map[string]rosterEntry, len(items))
	for j, it := range items {
		e := rosterEntry{name: it.Attr("name")}
		for _, g := range it.Children {
			if g.XMLName.Local == "group" {
				e.groups = append(e.groups, g.Text)
			}
		}
		out[j] = e
	}
	return out, nil
}

// rosterQuery reads the user's roster items on this transport's domain
// (XEP-0356), by JID.
func (t *transport) rosterQuery(ctx context.Context, user string) (map[string]*wire.Element, error) {
	q, err := t.rosterGet(ctx, user)
	if err != nil {
		return nil, err
	}
	items := map[string]*wire.Element{}
	if q == nil {
		return items, nil
	}
	for i := range q.Children {
		it := &q.Children[i]
		j := it.Attr("jid")
		_, dom, ok := strings.Cut(j, "@")
		if !ok || dom != t.domain {
			continue
		}
		items[j] = it
	}
	return items, nil
}

// gatewaySeesUser reports whether the user's roster lets the gateway's
// JID see their presence (subscription from or both, XEP-0356): the
// gateway asks for that at a login only (login.go), so it was theirs.
// A subscription to the gateway alone is none: the gateway approves
// anyone's, registered or not (inbound.go).
func (t *transport) gatewaySeesUser(ctx context.Context, user string) (bool, error) {
	q, err := t.rosterGet(ctx, user)
	if err != nil || q == nil {
		return false, err
	}
	for _, it := range q.Children {
		if it.XMLName.Local == "item" && it.Attr("jid") == t.domain {
			switch it.Attr("subscription") {
			case "from", "both":
				return true, nil
			}
		}
	}
	return false, nil
}

// rosterGet reads the user's whole roster (XEP-0356): the query
// element, nil for none.
func (t *transport) rosterGet(ctx context.Context, user string) (*wire.Element, error) {
	if !t.privileges().rosterRead() {
		return nil, errNoRosterRead
	}
	id := t.link.NewID()
	var w wire.Writer
	w.Start("iq", "").Attr("from", t.domain).Attr("to", user).Attr("type", "get").Attr("id", id).Leaf("query", nsRoster, "")
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	st, err := t.link.IQ(cctx, id, w.Bytes())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("reading the roster: %w", err)
	}
	if st.Type() != "result" {
		cond, text := st.ErrorCondition()
		return nil, fmt.Errorf("reading the roster: the server answered %s %q", cond, text)
	}
	return st.Payload(), nil
}

// presenceOutcome says what became of a contact's presence.
type presenceOutcome uint8

const (
	presenceNone presenceOutcome = iota // there was none
	presenceSent
	presenceHeld // the user is offline or being probed (see userAvail)
)

// showPresence is setContactPresence, or only the remembering part while
// the contact's avatar is being fetched: the fetch shows the presence
// once done, so that it goes out once, with the avatar's hash.
func (s *session) showPresence(ctx context.Context, userID string, p *pb.Presence, fetching bool) presenceOutcome {
	if !fetching {
		return s.setContactPresence(ctx, userID, p)
	}
	s.rememberPresence(userID, p)
	return presenceHeld
}

// setContactPresence remembers a contact's presence and shows it, unless
// the user is known to be offline or is being probed (see userAvail).
func (s *session) setContactPresence(ctx context.Context, userID string, p *pb.Presence) presenceOutcome {
	p = s.rememberPresence(userID, p)
	s.memberAvailability(ctx, userID) // its occupants in joined rooms (room_presence.go)
	return s.sendContactPresence(ctx, userID, p)
}

// sendContactPresence sends a contact's presence p, as remembered, to the
// user, unless the user is known to be offline or is being probed; its
// occupants in the rooms are the caller's.
func (s *session) sendContactPresence(ctx context.Context, userID string, p *pb.Presence) presenceOutcome {
	t := s.t
	if !s.wantsPresence() {
		return presenceHeld
	}
	pj, err := t.puppetJID(userID)
	if err != nil {
		return presenceNone
	}
	t.send(ctx, s.renderPresence(s.user, pj.String(), userID, p))
	return presenceSent
}

// barePresences are shared, never modified, presences that are nothing
// but a show value, the usual kind: a login with thousands of online
// contacts then costs a map entry per contact, not a message each.
var barePresences = func() map[pb.PresenceShow]*pb.Presence {
	m := map[pb.PresenceShow]*pb.Presence{}
	for v := range pb.PresenceShow_name {
		m[pb.PresenceShow(v)] = &pb.Presence{Show: pb.PresenceShow(v)}
	}
	return m
}()

// sharedPresence returns the shared equivalent of p when there is one,
// else p (nil stays nil: no presence known).
func sharedPresence(p *pb.Presence) *pb.Presence {
	if p == nil || p.GetStatus() != "" || p.GetLastSeenUnix() != 0 || len(p.ProtoReflect().GetUnknown()) > 0 {
		return p
	}
	if b, ok := barePresences[p.GetShow()]; ok {
		return b
	}
	return p
}

// renderPresence is contact from's presence p, to the user's bare JID
// or, answering a probe, to the resource that probed.
func (s *session) renderPresence(to, from, userID string, p *pb.Presence) []byte {
	var w wire.Writer
	w.Start("presence", "").Attr("from", from).Attr("to", to)
	if p.GetShow() == pb.PresenceShow_PRESENCE_SHOW_OFFLINE {
		w.Attr("type", "unavailable")
	}
	switch p.GetShow() {
	case pb.PresenceShow_PRESENCE_SHOW_AWAY:
		w.Leaf("show", "", "away")
	case pb.PresenceShow_PRESENCE_SHOW_XA:
		w.Leaf("show", "", "xa")
	case pb.PresenceShow_PRESENCE_SHOW_DND:
		w.Leaf("show", "", "dnd")
	case pb.PresenceShow_PRESENCE_SHOW_CHAT:
		w.Leaf("show", "", "chat")
	}
	if p.GetStatus() != "" {
		w.Leaf("status", "", p.Status)
	}
	if p.GetLastSeenUnix() > 0 {
		w.Start("idle", nsIdle).Attr("since", time.Unix(p.LastSeenUnix, 0).UTC().Format(time.RFC3339)).End()
	}
	if hash, ok := s.avatarHash(userID); ok {
		w.Start("x", nsVCardPhoto).Leaf("photo", "", hash).End()
	}
	if p.GetShow() != pb.PresenceShow_PRESENCE_SHOW_OFFLINE {
		s.writeCaps(&w)
	}
	return w.Bytes()
}

// contactEvent applies a contact change the network reported.
func (s *session) contactEvent(ctx context.Context, ev *pb.Event) {
	t := s.t
	l := s.Login()
	switch p := ev.Payload.(type) {
	case *pb.Event_Contact:
		old, err := t.db.GetPuppet(t.name, l.LoginID, p.Contact.Contact.GetUserId())
		s.upsertContact(ctx, p.Contact.Contact, old, err == nil)
	case *pb.Event_ContactRemoved:
		s.removeContact(ctx, p.ContactRemoved.UserId)
	case *pb.Event_Presence:
		id := ev.GetSender().GetUserId()
		if id == "" {
			id = ev.ChatId
		}
		// A network repeats presences (at connect, on reconnects): the
		// user sees each change once.
		if !s.presenceShown(id, p.Presence.Presence) {
			s.setContactPresence(ctx, id, p.Presence.Presence)
		}
	}
}

// vcardContact is user's session and userID's profile for user's vCard
// request (vcard, vcard4Items): the network's (fresh), else what the
// gateway knows of the contact. The session is nil when st was answered
// with an error.
func (t *transport) vcardContact(ctx context.Context, st *wire.Stanza, user, userID string) (_ *session, _ *pb.Contact, fresh bool) {
	s := t.session(user)
	if s == nil {
		t.notRegistered(ctx, st)
		return nil, nil, false
	}
	l := s.Login()
	c, err := t.userInfo(ctx, l.LoginID, userID)
	if err != nil {
		// Without a profile from the network, what we know still helps.
		p, perr := t.db.GetPuppet(t.name, l.LoginID, userID)
		if perr != nil {
			cond, text := reply(err)
			t.send(ctx, wire.ErrorReply(st, cond, text))
			return nil, nil, false
		}
		return s, &pb.Contact{UserId: userID, Name: p.Name}, false
	}
	return s, c, true
}

// vcard answers a vCard-temp request for a puppet from the network's
// profile (name, nickname, phone, avatar, and the remote identifier).
func (t *transport) vcard(ctx context.Context, st *wire.Stanza, user, userID string) {
	s, c, fresh := t.vcardContact(ctx, st, user, userID)
	if s == nil {
		return
	}
	r := wire.Result(st)
	r.Start("vCard", nsVCard)
	r.Leaf("FN", "", contactName(c))
	if c.Nickname != "" {
		r.Leaf("NICKNAME", "", c.Nickname)
	}
	if c.Phone != "" {
		r.Start("TEL", "").Leaf("VOICE", "", "").Leaf("NUMBER", "", c.Phone).End()
	}
	r.Leaf("NOTE", "", fmt.Sprintf("%s ID: %s", t.displayName(), c.UserId))
	if len(c.Avatar) > 0 {
		writeVCardPhoto(r, c.Avatar, c.AvatarMime)
	}
	r.End()
	t.send(ctx, r.Bytes())
	if fresh { // the network's profile: its picture, or none
		s.avatarFetched(ctx, userID, c)
	}
}

// subLimiter sends subscription requests at a bounded rate, so a login
// with thousands of contacts does not flood the user's server.
type subLimiter struct {
	t  *transport
	ch chan []byte
}

func (s *subLimiter) send(ctx context.Context, data []byte) {
	select {
	case s.ch <- data:
	case <-ctx.Done():
	}
}

func (s *subLimiter) run(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond) // at most 20 a second
	defer tick.Stop()
	for {
		select {
		case data := <-s.ch:
			s.t.send(ctx, data)
		case <-ctx.Done():
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// refreshAvatar fetches a contact's avatar when its ID changed, so that
// its presence carries the XEP-0153 photo hash clients fetch the vCard by.
// It reports whether a fetch started: the fetch then shows the contact's
// presence when done, whatever its outcome, and the caller need not.
func (s *session) refreshAvatar(ctx context.Context, c *pb.Contact) bool {
	t, l := s.t, s.Login()
	if c.AvatarId == "" {
		return false
	}
	s.mu.Lock()
	same := s.avatarIDs[c.UserId] == c.AvatarId
	s.avatarIDs[c.UserId] = c.AvatarId
	s.mu.Unlock()
	if same {
		return false
	}
	if c.Presence != nil {
		// For the fetch to show, whenever it ends.
		s.rememberPresence(c.UserId, c.Presence)
	}
	t.goCtx(ctx, func(ctx context.Context) { // background.go
		info, err := t.userInfo(ctx, l.LoginID, c.UserId)
		if err != nil {
			// Not fetched: the next sync tries again (unless a newer
			// ID came meanwhile), else the contact went without its
			// picture until it changed it. Nothing known: the
			// presence goes as it was.
			t.log.Debug("a contact's avatar not fetched", "user", l.UserJID, "user_id", c.UserId, "err", err)
			s.mu.Lock()
			if s.avatarIDs[c.UserId] == c.AvatarId {
				delete(s.avatarIDs, c.UserId)
			}
			s.mu.Unlock()
			if p := s.presence(c.UserId); p != nil {
				s.setContactPresence(ctx, c.UserId, p)
			}
			return
		}
		// No picture under the new ID: the contact removed theirs, which
		// an empty photo (XEP-0153) and empty metadata (XEP-0084) say.
		hash := pictureHash(info.Avatar)
		s.setAvatarHash(c.UserId, hash)
		s.saveAvatar(ctx, c.UserId, c.AvatarId, hash)
		s.announceAvatar(ctx, c.UserId, info)
	})
	return true
}

// avatarFetched takes the avatar a fetch of a profile found (a vCard or
// XEP-0084 request) and, when it is a contact's and not the one the
// user's clients were told of, tells them: the network may not have said
// that the contact changed or removed their picture, and the clients
// would keep showing the old one under its hash. A hash not known before
// was in no presence: nothing to correct (the asking client has the
// picture); a group member's who is no contact goes to its occupants
// alone, not announced as a contact.
func (s *session) avatarFetched(ctx context.Context, userID string, info *pb.Contact) {
	t := s.t
	s.saveMemberAvatar(ctx, userID, info) // a member's who is no contact (room_member_avatar.go)
	hash := pictureHash(info.Avatar)
	s.mu.Lock()
	old, known := s.avatars[userID]
	s.avatars[userID] = hash
	id := s.avatarIDs[userID]
	s.mu.Unlock()
	if !known || old == hash {
		return
	}
	if id != "" {
		s.saveAvatar(ctx, userID, id, hash)
	}
	if _, err := t.db.GetPuppet(t.name, s.LoginID(), userID); err != nil {
		s.memberAvatarChanged(ctx, userID) // room_member_avatar.go
		return
	}
	s.announceAvatar(ctx, userID, info)
}

// saveAvatar stores the contact's avatar ID and picture hash, for the
// next start of the gateway (session.loadAvatars). Not stored, the avatar
// is fetched again then.
func (s *session) saveAvatar(ctx context.Context, userID, avatarID, hash string) {
	t := s.t
	if err := t.db.PutContactAvatar(ctx, t.name, s.LoginID(), userID, store.ContactAvatar{AvatarID: avatarID, Hash: hash}); stopping(ctx, err) {
		t.log.Debug("a contact's avatar left for the next start: stopping", "user", s.user, "user_id", userID)
	} else if err != nil {
		t.log.Warn("a contact's avatar not stored", "user", s.user, "user_id", userID, "err", err)
	}
}

// announceAvatar tells the user's clients the contact's avatar, info's,
// whose hash is recorded: its presence again, with the XEP-0153 photo
// hash, and the XEP-0084 metadata, as the contact's PEP would (empty for
// no picture); and its occupant presences in the rooms, with the hash.
func (s *session) announceAvatar(ctx context.Context, userID string, info *pb.Contact) {
	t := s.t
	hash := pictureHash(info.Avatar)
	if p := s.presence(userID); p != nil {
		s.sendContactPresence(ctx, userID, p)
	}
	// Whether or not a presence is known, in the rooms' order (not
	// memberAvailability's, which the presence alone changing uses).
	s.memberAvatarChanged(ctx, userID) // room_member_avatar.go
	pj, err := puppet.JID(userID, t.domain)
	if err != nil {
		return
	}
	var w wire.Writer
	w.Start("message", "").Attr("from", pj.String()).Attr("to", s.user).Attr("type", "headline").Attr("id", t.newID())
	item := cmp.Or(hash, "current")
	w.Start("event", nsPubSubEv).Start("items", "").Attr("node", nsAvatarMeta).Start("item", "").Attr("id", item)
	if hash == "" {
		w.Leaf("metadata", nsAvatarMeta, "")
	} else {
		avatarMeta(&w, hash, info)
	}
	t.send(ctx, w.Bytes())
}

func avatarMeta(w *wire.Writer, hash string, c *pb.Contact) {
	w.Start("metadata", nsAvatarMeta).Start("info", "").Attr("bytes", fmt.Sprint(len(c.Avatar))).
		Attr("id", hash).Attr("type", imageType(c.AvatarMime)).End().End()
}

// imageType is a picture's MIME type, PNG when the network did not say.
func imageType(mime string) string {
	if mime == "" {
		return "image/png"
	}
	return mime
}

// writeVCardPhoto writes a vCard-temp PHOTO (a contact's or a room's).
func writeVCardPhoto(w *wire.Writer, img []byte, mime string) {
	w.Start("PHOTO", "").Leaf("TYPE", "", imageType(mime)).Leaf("BINVAL", "", base64.StdEncoding.EncodeToString(img)).End()
}

// avatarItems answers XEP-0084 requests for a puppet's avatar (the
// metadata and data nodes of its PEP), from the network's profile.
func (t *transport) avatarItems(ctx context.Context, st *wire.Stanza, user, userID string, ps *wire.Element) {
	items := ps.Child("", "items")
	if items == nil {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, "only retrieving items is supported"))
		return
	}
	node := items.Attr("node")
	if node != nsAvatarMeta && node != nsAvatarData {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such node"))
		return
	}
	s := t.session(user)
	if s == nil {
		t.notRegistered(ctx, st)
		return
	}
	c, err := t.userInfo(ctx, s.LoginID(), userID)
	if err != nil {
		cond, text := reply(err)
		t.send(ctx, wire.ErrorReply(st, cond, text))
		return
	}
	// After the answer, what it found goes to the user's clients if new.
	defer s.avatarFetched(ctx, userID, c)
	if len(c.Avatar) == 0 {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "this contact has no avatar"))
		return
	}
	hash := avatarHash(c.Avatar)
	if !wantsItem(items, hash) {
		// An older avatar, by its hash: gone. The client reads the
		// metadata again and asks for the current one.
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "this contact's avatar changed; read its metadata again"))
		return
	}
	r := wire.Result(st)
	r.Start("pubsub", nsPubSub).Start("items", "").Attr("node", node).Start("item", "").Attr("id", hash)
	if node == nsAvatarMeta {
		avatarMeta(r, hash, c)
	} else {
		r.Leaf("data", nsAvatarData, base64.StdEncoding.EncodeToString(c.Avatar))
	}
	t.send(ctx, r.Bytes())
}

// wantsItem reports whether an XEP-0060 items request is for the item id:
// it names no item (all of them), or names this one.
func wantsItem(items *wire.Element, id string) bool {
	named := false
	for _, it := range items.Children {
		if it.XMLName.Local != "item" {
			continue
		}
		if it.Attr("id") == id {
			return true
		}
		named = true
	}
	return !named
}

// userInfo asks the network for a contact's profile.
func (t *transport) userInfo(ctx context.Context, loginID, userID string) (*pb.Contact, error) {
	client, err := t.client(ctx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	c, err := client.UserInfo(cctx, &pb.UserRef{LoginId: loginID, UserId: userID})
	t.fitContact(c) // netinput.go
	return c, err
}

// avatarHash is the SHA-1 that XEP-0153 and XEP-0084 name an avatar by.
func avatarHash(img []byte) string {
	sum := sha1.Sum(img)
	return hex.EncodeToString(sum[:])
}
