package bridge

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"weak"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// What the user's clients send to a room (see room.go): joins and leaves
// by presence (XEP-0045 §7.2, §7.14), groupchat messages, private
// messages to an occupant, and disco#info. The network group is left only
// by an explicit command ("/leave" in the room), never by a client going
// away: each resource joins and leaves on its own.

// roomStanza handles a stanza to a room or an occupant of one, in the
// chat's inbound worker; false when it is not for a room (a contact's
// address), for the one-to-one path.
func (t *transport) roomStanza(ctx context.Context, st *wire.Stanza, from, to jid.JID) bool {
	chatID, err := puppet.FromJID(to)
	if err != nil {
		return false
	}
	user := from.Bare().String()
	s := t.session(user)
	var r *room
	if s != nil {
		r = s.rooms.get(chatID)
	}
	switch st.Kind() {
	case "presence":
		join, jerr := muc.ParseJoin(st)
		if st.Type() == "unavailable" && s != nil {
			// A leave of a room still joining (room_join.go): answered
			// here unless the resource is joined too (it joined again
			// once the room was known), whose leave is answered below.
			_, status := showOf(st)
			joined := false
			if r != nil {
				r.mu.Lock()
				joined = r.joined[from.Resourcepart()]
				r.mu.Unlock()
			}
			if s.cancelJoin(ctx, chatID, from, status, !joined) && !joined {
				return true
			}
		}
		if r == nil && !join.MUC {
			return false
		}
		if st.Type() == "probe" && r != nil && to.Resourcepart() != "" {
			s.probeOccupant(ctx, st, r, from, to.Resourcepart()) // room_probe.go
			return true
		}
		if st.Type() != "" && st.Type() != "unavailable" {
			return r != nil // subscriptions to a room mean nothing
		}
		if st.Type() == "unavailable" {
			if r != nil && from.Resourcepart() != "" {
				_, status := showOf(st)
				s.leaveResource(ctx, r, from.Resourcepart(), status)
			}
			return r != nil
		}
		if !join.MUC {
			s.occupantPresence(ctx, st, r, from, to) // room_nick.go
			return true
		}
		t.joinRoom(ctx, st, s, r, chatID, from, to, join, jerr)
		return true
	case "message":
		if d := declineOf(st); d != nil && to.Resourcepart() == "" && (r != nil || s == nil || !s.knowsUser(chatID)) {
			t.declineInvite(ctx, st, s, user, chatID, d) // room_decline.go
			return true
		}
		if x := st.Child(nsConference, "x"); x != nil && r == nil && s != nil && to.Resourcepart() == "" && st.Type() != "groupchat" {
			// A direct invitation (XEP-0249) of a contact to one of the
			// user's rooms (room_admin.go).
			if ir := s.invitedRoom(x.Attr("jid")); ir != nil && t.access.Allowed(user) {
				s.directInvite(ctx, st, ir, chatID)
				return true
			}
		}
		if r == nil && st.Type() != "groupchat" {
			// A private message to an occupant of a room not known
			// (yet): never the one-to-one path's (room_occupant_addr.go).
			if to.Resourcepart() == "" || s == nil || s.knowsUser(chatID) {
				if s != nil && to.Resourcepart() == "" {
					s.wroteToAddress(ctx, st, chatID) // room_pm.go
				}
				return false
			}
			if s.movedAway(ctx, st, chatID) {
				return true // not to the old group's ID as a contact's
			}
			if s.refuseLeftMessage(ctx, st, chatID, to) { // room_left.go
				return true // nor to the ID of a group left
			}
			known := false
			if r, known = s.occupantRoom(ctx, chatID, true); r == nil {
				if known {
					return false // no group of the user's: as any address
				}
				if m := parseUserMessage(st); m.hasBody || m.oobURL != "" || m.retract != "" || m.reactions != nil {
					t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, "the gateway does not know "+to.Bare().String()+" yet: try again shortly"))
				}
				return true
			}
		}
		if t.roomRefused(ctx, st, user, s) { // room_access.go
			return true
		}
		if r == nil {
			if s.movedAway(ctx, st, chatID) {
				return true
			}
			if r = s.findRoom(ctx, chatID); r == nil {
				if !s.refuseLeftMessage(ctx, st, chatID, to) { // room_left.go
					t.noGroup(ctx, st, to)
				}
				return true
			}
		}
		if x := st.Child(muc.NSUser, "x"); x != nil && x.Child("", "invite") != nil && to.Resourcepart() == "" {
			s.roomInvite(ctx, st, r, x) // room_admin.go
			return true
		}
		if to.Resourcepart() == "" && st.Type() != "groupchat" && voiceRequest(st) {
			s.refuseVoiceRequest(ctx, st, r) // room_voice.go
			return true
		}
		if st.Type() == "groupchat" {
			if to.Resourcepart() != "" {
				t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "send groupchat messages to the room's bare JID"))
				return true
			}
			s.roomMessage(ctx, st, r, from)
			return true
		}
		if to.Resourcepart() == "" {
			t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "this is a group: join "+r.jid+" and send groupchat messages"))
			return true
		}
		s.privateMessage(ctx, st, r, to.Resourcepart())
		return true
	case "iq":
		p := st.Payload()
		if p != nil && (p.XMLName.Space == nsMUCAdmin || p.XMLName.Space == nsMUCOwner) && to.Resourcepart() == "" &&
			(st.Type() == "get" || st.Type() == "set") {
			if r == nil && s != nil {
				r = s.findRoom(ctx, chatID)
			}
			t.roomAdminIQ(ctx, st, user, s, r, p) // room_admin.go
			return true
		}
		if mr, ok := moderateRequestOf(p); ok && to.Resourcepart() == "" && st.Type() == "set" {
			if r == nil && s != nil {
				r = s.findRoom(ctx, chatID)
			}
			if r == nil {
				t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "you are in no such group on "+t.displayName()))
				return true
			}
			s.moderate(ctx, st, r, mr) // room_moderate.go
			return true
		}
		if p != nil && p.XMLName.Space == nsVCard && to.Resourcepart() == "" && st.Type() == "set" {
			if r == nil && s != nil {
				r = s.findRoom(ctx, chatID)
			}
			if r == nil {
				return false
			}
			s.setRoomPicture(ctx, st, r, p) // room_avatar.go
			return true
		}
		if to.Resourcepart() != "" {
			return t.occupantIQ(ctx, st, s, r, chatID, from, to) // room_occupant_iq.go
		}
		if st.Type() != "get" || p == nil {
			return false
		}
		if p.XMLName.Space == nsLast && s != nil {
			if r == nil && !s.knowsUser(chatID) {
				r, _ = s.occupantRoom(ctx, chatID, false) // room_occupant_addr.go
			}
			if r != nil {
				s.roomLast(ctx, st, r) // room_last.go: not a contact's
				return true
			}
		}
		if r == nil && s != nil && to.Resourcepart() == "" && p.XMLName.Space == wire.NSDiscoInfo &&
			(p.Attr("node") == "" || p.Attr("node") == muc.NodeReservedNick) && !s.knowsUser(chatID) {
			// A room not known yet (right after a start): a client that
			// reads a contact's answer does not join it (Gajim's
			// autojoin: "not a group chat"). Room_occupant_addr.go.
			// Not the network: a look at a group is no join of it.
			if r, _ = s.occupantRoom(ctx, chatID, false); r == nil {
				if s.leftDiscoInfo(ctx, st, chatID, p) { // room_left.go
					return true
				}
				return s.aliasDiscoInfo(ctx, st, chatID, p) // room_join_disco.go: a room joined by name
			}
		}
		if r == nil {
			return false
		}
		switch p.XMLName.Space {
		case wire.NSDiscoInfo:
			if p.Attr("node") == muc.NodeReservedNick && s != nil {
				r.mu.Lock()
				nick := r.ownNickLocked(s)
				r.mu.Unlock()
				w := wire.Result(st)
				muc.WriteReservedNick(w, nick)
				t.send(ctx, w.Bytes())
				return true
			}
			switch p.Attr("node") {
			case "":
			case muc.NodeTraffic:
				// XEP-0045's Allowable Traffic: what passes is what the
				// network takes, message by message, which no fixed list
				// of namespaces says; a room that does not support the
				// node MUST answer so. (It was item-not-found.)
				t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, "the room does not list the namespaces it lets through: what passes is what "+t.displayName()+" takes"))
				return true
			default:
				// A node that does not exist (XEP-0030's error conditions).
				t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such node"))
				return true
			}
			f := t.host.Caps().GetFeatures()
			if s != nil {
				f = s.roomFeatures(r) // this group's: a topic only admins set (room_features.go)
			}
			r.mu.Lock()
			// As roomMessage refuses: a channel's reader posts nothing,
			// reactions neither.
			mayPost := !r.readOnly && (r.typ != pb.ChatType_CHAT_TYPE_CHANNEL || r.selfRole == pb.Role_ROLE_MODERATOR)
			ri := muc.RoomInfo{Name: r.name, Subject: r.subject, Occupants: len(r.members) + 1, Archived: true, AvatarHash: r.avatarHash,
				Moderation: f.GetRetractions(),
				// A channel's readers, and a read-only chat's, set no topic.
				SubjectChangeable: f.GetGroupTopic() && r.typ != pb.ChatType_CHAT_TYPE_CHANNEL && !r.readOnly,
				Moderated:         r.typ == pb.ChatType_CHAT_TYPE_CHANNEL || r.readOnly,
				// As roomInvite allows (room_admin.go): this group's.
				AllowInvites: f.GetGroupInvite(),
				Reactions:    f.GetReactions() && mayPost}
			ri.MaxReactions = reactionLimit(f) // reaction_limit.go
			if ri.Name == "" {
				ri.Name = r.chatID
			}
			r.mu.Unlock()
			w := wire.Result(st)
			muc.WriteDiscoInfo(w, ri)
			t.send(ctx, w.Bytes())
			return true
		case nsVCard:
			t.roomVCard(ctx, st, s, r) // room_avatar.go
			return true
		case wire.NSDiscoItems:
			if p.Attr("node") != "" {
				// As disco#info: the room has no nodes (XEP-0030). It was
				// an empty list, which says the node exists.
				t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "no such node"))
				return true
			}
			t.send(ctx, s.occupantItems(st, r, from)) // room_crowd.go
			return true
		}
	}
	return false
}

// refuseNonOccupant answers st, a disco query to one of r's occupants
// from a resource not joined to r: bad-request, as XEP-0045 §6.6 has it.
func (t *transport) refuseNonOccupant(ctx context.Context, st *wire.Stanza, r *room) {
	t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "join "+r.jid+" before you query its occupants"))
}

// noGroup refuses a stanza to a room the user has none of. While the
// plugin does not run (findRoom waited for it) that is not known: a
// client takes item-not-found for a room gone.
func (t *transport) noGroup(ctx context.Context, st *wire.Stanza, to jid.JID) {
	now, cancel := context.WithCancel(ctx)
	cancel()
	if t.host.WaitReady(now) != nil {
		t.send(ctx, wire.ErrorReply(st, wire.ServiceUnavailable, "the transport plugin is not running; try again shortly"))
		return
	}
	t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "you are in no group "+to.Bare().String()+" on "+t.displayName()))
}

// joinRoom is a join (XEP-0045 §7.2): the occupants, the user's own
// presence (110, and 210 when the nick is not the one asked for), the
// subject, then the history asked for. A second join of a joined
// resource (a client rejoining after a reconnect) gets all of it again.
func (t *transport) joinRoom(ctx context.Context, st *wire.Stanza, s *session, r *room, chatID string, from, to jid.JID, join muc.Join, jerr error) {
	user := from.Bare().String()
	refuse := func(cond wire.Condition, text string) { t.send(ctx, wire.ErrorReply(st, cond, text)) }
	if t.roomRefused(ctx, st, user, s) {
		return
	}
	switch {
	case to.Resourcepart() == "":
		refuse(wire.JIDMalformed, "join with a nick: "+to.Bare().String()+"/NICK")
		return
	case from.Resourcepart() == "":
		return // the server's, not a client's
	case jerr != nil:
		refuse(wire.BadRequest, jerr.Error())
		return
	}
	if r == nil {
		if s.movedAway(ctx, st, chatID) {
			return
		}
		if r = s.findRoom(ctx, chatID); r == nil {
			if s.joinByID(ctx, st, chatID, from, to, join) { // room_join.go
				return
			}
			if s.refuseLeftJoin(ctx, st, chatID, to) { // room_left.go
				return
			}
			t.noGroup(ctx, st, to)
			return
		}
	}
	res, asked := from.Resourcepart(), to.Resourcepart()
	full := from.String()
	r.mu.Lock()
	if s.rooms.get(chatID) != r {
		// The room ended (destroyed, left) since it was looked up:
		// joined, the resource would hear of it no more. endRoom takes
		// it out of the set before it takes r.mu.
		r.mu.Unlock()
		t.joinRoom(ctx, st, s, nil, chatID, from, to, join, jerr)
		return
	}
	if t.roomsClosed.Load() {
		// The gateway is stopping, its occupants told so (room_stop.go):
		// under r.mu, so a join is either before the room's shutdown
		// presence, which then follows it, or refused.
		r.mu.Unlock()
		refuse(wire.ServiceUnavailable, t.displayName()+" gateway is shutting down; join again once it is back")
		return
	}
	defer r.mu.Unlock()
	// Written in the room's order of writes (room_order.go), after the
	// copies of every message archived before it: a copy made for the
	// resource's last join does not follow this join's history, nor
	// come again after it. Under the lock still, as before: what the
	// room renders next (a member's presence) follows the join.
	turn, out := t.joinStanzasLocked(ctx, st, s, r, res, full, asked, join)
	s.writeInTurn(ctx, turn, out) // room_order.go
	t.log.Debug("room joined", "user", user, "resource", res, "room", r.jid)
}

// joinStanzasLocked joins resource res (full) to r and makes the join's
// stanzas; r.mu is held, and the room's turn to write them taken.
func (t *transport) joinStanzasLocked(ctx context.Context, st *wire.Stanza, s *session, r *room, res, full, asked string, join muc.Join) (sendTurn, [][]byte) {
	var out [][]byte
	r.askedNickLocked(asked) // room_nick.go
	self := r.ownNickLocked(s)
	first := len(r.joined) == 0 || (len(r.joined) == 1 && r.joined[res])
	r.joined[res] = true
	r.freshSentLocked(res) // it gets every occupant: room_occupant_sent.go
	if show, status := showOf(st); r.setShowLocked(res, show, status) {
		// The user's other resources see the occupant's new availability.
		out = append(out, s.selfStatusLocked(r, res)...)
	}
	sel, added := t.joinOccupantsLocked(r, first) // room_crowd.go
	// All of them: the record of res starts afresh.
	for _, id := range sel {
		if p := r.presenceToLocked(s.user, res, id, r.occupantLocked(s, id), nil); p != nil {
			out = append(out, p)
		}
	}
	for _, id := range added {
		o := r.occupantLocked(s, id)
		for _, other := range r.resourcesLocked() { // in a stable order, as toJoinedLocked
			if other == res {
				continue
			}
			if p := r.presenceToLocked(s.user, other, id, o, nil); p != nil {
				out = append(out, p)
			}
		}
	}
	me := s.selfOccupantLocked(r) // room_nick.go
	out = append(out, muc.SelfPresence(r.jid, full, me, asked != self, st.ID()))
	if r.avatarHash != "" {
		out = append(out, roomAvatarPresence(r.jid, full, r.avatarHash)) // room_avatar.go
	}
	// History before the subject would be as right (§7.2.15 has the
	// subject last); the subject last tells clients the join is complete.
	out = append(out, t.roomHistory(ctx, s, r, full, join.History)...)
	out = append(out, muc.Subject(r.jid, full, r.nickOfLocked(r.subjectBy), r.memberOccupantIDLocked(s, r.subjectBy), r.subject, r.subjectAt, t.newID()))
	return r.sendTurnLocked(), out
}

// sortedByNick orders member IDs by their nicks, for a stable occupant
// list: each nick looked up once, then sorted (n log n: a room of 10,000
// members joins as fast as the server takes its presences).
func sortedByNick(r *room, ids []string) []string {
	type entry struct{ nick, id string }
	es := make([]entry, len(ids))
	for i, id := range ids {
		n, _ := r.nicks.Nick(id)
		es[i] = entry{n, id}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Or(strings.Compare(a.nick, b.nick), strings.Compare(a.id, b.id)) })
	for i, e := range es {
		ids[i] = e.id
	}
	return ids
}

// roomHistory is the join's history from the room's archive, oldest
// first, as h asks (XEP-0045 §7.2.13): each message delayed and with its
// stanza-id.
func (t *transport) roomHistory(ctx context.Context, s *session, r *room, to string, h muc.History) [][]byte {
	limit := h.Limit()
	if limit == 0 {
		return nil
	}
	now := time.Now()
	page, err := t.db.QueryArchive(ctx, t.roomKey(s.user, r.chatID), store.ArchiveQuery{Start: h.Oldest(now), Latest: true, Max: limit})
	if err != nil {
		t.log.Error("room history not read", "room", r.jid, "err", err)
		return nil
	}
	items := make([]muc.Item, 0, len(page.Messages))
	for _, m := range page.Messages {
		// Selected by arrival, as the query was; shown at the network's time.
		items = append(items, muc.Item{Time: m.Arrived, Stanza: roomCopy(m.Payload, s.user, to, r.jid, m.StanzaID, t.archivedOccupantID(&s.aliases, r.jid, &m), m.Time)})
	}
	out := make([][]byte, 0, len(items))
	for _, it := range items[h.Select(items, now):] {
		out = append(out, it.Stanza)
	}
	return out
}

// leaveResource takes one resource out of the room (its unavailable
// presence): it alone gets the self-presence of leaving; the user's other
// resources stay, and so does the network group. status is the
// presence's <status/> text, given back in that self-presence.
func (s *session) leaveResource(ctx context.Context, r *room, res, status string) {
	r.mu.Lock()
	was := r.joined[res]
	delete(r.joined, res)
	r.dropSentLocked(res)         // room_occupant_sent.go
	me := s.selfOccupantLocked(r) // leaving keeps the affiliation (an owner's, an admin's)
	var others [][]byte
	if r.dropShowLocked(res) {
		others = s.selfStatusLocked(r, "") // the occupant shows another resource's availability now
	}
	if !was {
		r.mu.Unlock()
		return
	}
	// Written in the room's order (room_order.go): after the copies made
	// for it while it was joined, not before.
	turn := r.sendTurnLocked()
	r.mu.Unlock()
	// Its <status/> echoed (§7.14): what it said as it left.
	gone := muc.Presence{Room: r.jid, To: s.user + "/" + res, Occupant: me, Unavailable: true,
		Statuses: []int{muc.StatusSelf}, Status: status}.Bytes()
	s.writeInTurn(ctx, turn, append([][]byte{gone}, others...)) // room_order.go
}

// roomMessage is a groupchat message from the user: "/leave" leaves the
// group; anything else goes to the network as the one-to-one path sends
// (corrections, reactions, retractions, replies, files, chat states,
// markers), and once the network took it, it is reflected to every
// joined resource with the client's own ids and the room's stanza-id.
func (s *session) roomMessage(ctx context.Context, st *wire.Stanza, r *room, from jid.JID) {
	t := s.t
	r.mu.Lock()
	joined := r.joined[from.Resourcepart()]
	// A channel's admins post (the network makes them moderators, as
	// the self-presence shows); read_only says the user may not, whatever
	// their role.
	readOnly := r.readOnly || r.typ == pb.ChatType_CHAT_TYPE_CHANNEL && r.selfRole != pb.Role_ROLE_MODERATOR
	r.mu.Unlock()
	if !joined {
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "join "+r.jid+" before you send to it"))
		return
	}
	m := parseUserMessage(st)
	// Only a new message is a command: a correction to "/leave" is words.
	if reason, ok := leaveCommand(m); ok {
		s.leaveGroup(ctx, st, r, reason)
		return
	}
	if m.command() && strings.TrimSpace(m.body) == "/link" {
		s.roomLink(ctx, st, r) // room_link.go
		return
	}
	action := m.action()
	// A query ("/pins") only asks: a channel's reader may. A reaction
	// alone is no post either: networks take one from members who may
	// not post (a WhatsApp community's announcements); the chat's
	// features, which the plugin's SDK checks, say where not.
	reactionOnly := m.reactions != nil && !m.hasBody && m.oobURL == "" && m.retract == "" && m.replace == ""
	if readOnly && action && !reactionOnly && !(m.command() && isChatQuery(m.body)) {
		t.send(ctx, wire.ErrorReply(st, wire.Forbidden, "only the group's admins post in "+r.jid))
		return
	}
	// A subject alone changes the topic; with a body, a file or a
	// thread it is the message's first line or the file's caption
	// (XEP-0045 §8.1, parseUserMessage).
	if roomTopicChange(st, m) {
		s.setSubject(ctx, st, r, st.Child("", "subject").Text)
		return
	}
	s.roomSend(ctx, st, r, m, action)
	if !action && m.displayed != "" {
		s.reflectMarker(ctx, st, r) // room_marker_reflect.go: the user's other devices read it too
	}
}

// roomSend hands the user's message to the room's group on the network,
// and reflects it once the network took it (a message held across a
// restart of the gateway too: held.go).
func (s *session) roomSend(ctx context.Context, st *wire.Stanza, r *room, m userMessage, action bool) {
	m.sent = func(res *pb.CommandResult, sm *sentMsg) { s.reflect(ctx, st, r, res, sm, nil) }
	if m.oobURL == "" {
		// In the order sent, whatever the order of the results
		// (room_order.go).
		tk := s.reflectTicket(ctx, r)
		m.sent = func(res *pb.CommandResult, sm *sentMsg) {
			r.order.wait(tk, reflectWait)
			s.reflect(ctx, st, r, res, sm, func() { r.order.done(tk) })
		}
		m.settled = func() { r.order.done(tk) }
	}
	rj, _ := jid.Parse(r.jid)
	s.userMessage(ctx, st, m, action, rj)
}

// reflectTicket takes the place of the user's message in the room's
// order of reflections once the messages of the room an earlier process
// left have gone to the plugin (held_gate.go), as the message itself
// will: a message sent just after a restart is then reflected, and
// archived, after those sent before it, as the network has them.
func (s *session) reflectTicket(ctx context.Context, r *room) uint64 {
	s.t.waitReplayed(ctx, s.LoginID(), r.chatID)
	return r.order.take()
}

// reflect sends the user's own message back to every joined resource
// (XEP-0045 §7.4): the client's stanza with its id and origin-id, from the
// user's nick, with the room's stanza-id; archived under the network's
// ID, so that the network's echo of it is not shown again (but not under
// the ID of the message a correction corrects: namesTarget). sm, for a
// new message, is what to remember of it (archiveSent).
// archived, if set, runs once it is archived: the next reflection's
// archiving need not wait for this one's write.
func (s *session) reflect(ctx context.Context, st *wire.Stanza, r *room, res *pb.CommandResult, sm *sentMsg, archived func()) {
	remoteID := res.MessageId
	if sm == nil && s.namesTarget(ctx, st, r, res) { // room_sent.go
		remoteID = "" // the network gave the correction no ID of its own
	}
	r.mu.Lock()
	copies, turn := s.archiveReflectionLocked(ctx, st, r, res, sm, remoteID)
	r.mu.Unlock()
	if archived != nil {
		archived()
	}
	// Written after the room's earlier stanza-ids (room_order.go), the
	// lock let go: a join or the network's next message in the room
	// need not wait for the link. Written as the network's messages are
	// (unconfirmed.go): a connection that ends before the server read
	// them writes them again on the next, in their place; a link that
	// is down keeps them for the next without holding this goroutine.
	defer turn.done()
	if len(copies) > 0 {
		turn.wait()
		s.t.unconfirmed.sendOrKeep(ctx, delivery{idx: -1}, copies)
	}
}

// archiveReflectionLocked archives the user's own message and makes its
// copies for the joined resources, with the room's turn to write them;
// r.mu is held.
func (s *session) archiveReflectionLocked(ctx context.Context, st *wire.Stanza, r *room, res *pb.CommandResult, sm *sentMsg, remoteID string) ([][]byte, sendTurn) {
	t := s.t
	if s.roomDeleted(r) {
		// The network took the message as it deleted the group: nobody
		// is joined, and the archive went with the group. Mapped only.
		if sm != nil {
			s.remember(ctx, *sm, res)
		}
		return nil, sendTurn{}
	}
	nick := r.ownNickLocked(s)
	var w wire.Writer
	w.Start("message", "").Attr("from", muc.OccupantJID(r.jid, nick)).Attr("to", s.user).Attr("type", "groupchat").Attr("id", st.ID())
	for i := range st.Children {
		c := &st.Children[i]
		if c.XMLName.Space == wire.NSSID && c.XMLName.Local == "stanza-id" || c.XMLName.Space == wire.NSDelay || isOccupantID(c) {
			continue // only the room's own (XEP-0421: a client's occupant-id is replaced)
		}
		writeClientElement(&w, c)
	}
	if _, ok := st.Body(); !ok && st.Child("", "subject") != nil {
		// A file (or a thread) with a subject and no body: as sent,
		// clients would read the copy as a topic change (§8.1). The
		// body is the file's address, which clients show as the file.
		body := parseUserMessage(st).oobURL
		if body == "" {
			body = st.Child("", "subject").Text
		}
		w.Leaf("body", "", body)
	}
	payload := w.Bytes()
	at := time.Now()
	if res.TimestampUnixMicro > 0 {
		at = time.UnixMicro(res.TimestampUnixMicro)
	}
	// Archived cut when too large for the archive (room_archive_fit.go):
	// a hole in the room's history is worse; the copies go whole.
	am := store.ArchivedMessage{Time: at, Arrived: time.Now(), Nick: nick, SenderJID: s.user, RemoteID: remoteID, Payload: fitArchived(payload)}
	r.authors.put(remoteID, nick)
	var sid string
	var dup bool
	if sm != nil {
		sid, dup = s.archiveSent(ctx, r, am, *sm, res)
	} else {
		sid, dup = t.archive(ctx, s.user, r, am)
	}
	// A duplicate is the network's echo of this message, shown already
	// (it came before the reflection was stored): the reflection still
	// goes out, under the echo's stanza-id, so that the sending client
	// gets its id and origin-id back (XEP-0045 §7.4) and clients take
	// the two as one message (XEP-0359).
	oid := s.selfOccupantID(r)
	var copies [][]byte
	for _, to := range r.resourcesLocked() {
		copies = append(copies, roomCopy(payload, s.user, s.user+"/"+to, r.jid, sid, oid, time.Time{}))
	}
	if !dup { // else the echo's rendering did the rest
		if rt := st.Child(nsRetract, "retract"); rt != nil {
			if ref, err := t.lookupXMPP(ctx, s.LoginID(), r.chatID, rt.Attr("id")); err == nil {
				// Another member's message the network let the user
				// delete (a group admin's right): a moderation notice,
				// which clients apply where they drop the retraction
				// from a non-author, unless the network's deletion
				// event showed it first.
				c := chatOut{t: t, ev: &pb.Event{LoginId: s.LoginID(), ChatId: r.chatID}, user: s.user, group: true}
				if notices, ok := s.othersRemovalLocked(ctx, r, c, ref, s.user, nick, oid); ok {
					copies = append(copies, notices...)
				} else {
					t.tombstone(ctx, s.user, r, ref.RemoteID, at)
				}
			}
		}
	}
	if len(copies) == 0 {
		return nil, sendTurn{}
	}
	return copies, r.sendTurnLocked()
}

// archive appends one message to the room's archive; it returns its
// stanza-id ("" when it could not be stored: the message still goes out)
// and whether the room had it already.
func (t *transport) archive(ctx context.Context, user string, r *room, m store.ArchivedMessage) (string, bool) {
	res, err := t.db.AppendArchive(context.WithoutCancel(ctx), t.roomKey(user, r.chatID), []store.ArchivedMessage{m})
	if err != nil {
		t.log.Error("room message not archived", "room", r.jid, "err", err)
		return "", false
	}
	return res[0].StanzaID, res[0].Duplicate
}

// leaveCommand reads "/leave" or "/leave REASON" (one line) typed in a
// room: the reason goes to the network with the leave (IRC's PART).
func leaveCommand(m userMessage) (reason string, ok bool) {
	if !m.command() {
		return "", false
	}
	body := strings.TrimSpace(m.body)
	rest, ok := strings.CutPrefix(body, "/leave")
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' || strings.ContainsAny(rest, "\r\n") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// leaveGroup is "/leave" in a room.
func (s *session) leaveGroup(ctx context.Context, st *wire.Stanza, r *room, reason string) {
	s.leaveSaying(ctx, r, reason, func(cond wire.Condition, text string) {
		if text != "" {
			s.t.send(ctx, wire.ErrorReply(st, cond, text))
		}
	})
}

// leaveSaying leaves the network group, the user's explicit command,
// with the user's words given to the network as the reason of the leave
// (LeaveChat.reason; "" for none): every joined resource sees the user
// leave, and the room is gone. done hears the outcome: an empty text
// once left.
func (s *session) leaveSaying(ctx context.Context, r *room, reason string, done func(cond wire.Condition, text string)) {
	t := s.t
	if !s.features().GetLeaveChat() {
		done(wire.FeatureNotImpl, t.displayName()+" does not let the gateway leave groups")
		return
	}
	t.host.Send(&pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Leave{Leave: &pb.LeaveChat{Reason: reason}}}, func(res *pb.CommandResult) {
		if res.Error != nil {
			done(conditionOf(res.Error.Code), res.Error.Text)
			return
		}
		// Out of the group, out of its members: 321, affiliation none
		// (XEP-0045 §9.4), which clients show; no code is an unknown
		// error to Conversations.
		s.noteLeft(ctx, r.chatID, wire.RegistrationRequired, "you left this group") // room_left.go
		out, turn := s.dropRoom(ctx, r, muc.AffiliationChanged, "you left the group")
		s.writeInTurn(ctx, turn, out)
		t.log.Info("user left a group", "user", s.user, "room", r.jid)
		done("", "")
	})
}

// dropRoom forgets a room the user is no longer in (and unannounces it,
// bookmarks.go); it returns the self-presences of the removal for the
// joined resources, and their turn in the room's order (endRoom).
func (s *session) dropRoom(ctx context.Context, r *room, why muc.Removal, reason string) ([][]byte, sendTurn) {
	return s.endRoom(ctx, r, func(to string, me muc.Occupant) []byte { return muc.Removed(r.jid, to, me, why, reason, true) })
}

// endRoom forgets r and its bookmark, and tells each joined resource its
// occupant is out with the presence gone builds. The presences take a
// turn in the room's order of writes (room_order.go), which the caller
// writes them in (writeInTurn) or ends: written at once, they went
// ahead of the copies of a message archived before (a reflection whose
// result came just then), which a client then got in a room it had
// left, or lost.
func (s *session) endRoom(ctx context.Context, r *room, gone func(to string, me muc.Occupant) []byte) ([][]byte, sendTurn) {
	s.rooms.remove(r.chatID)
	s.forgetPrivateChatsIn(ctx, r.chatID) // room_pm.go
	s.forgetMemberAvatars(ctx, r.chatID)  // room_member_avatar.go
	s.t.unannounceRoom(ctx, s.user, r.jid)
	r.mu.Lock()
	defer r.mu.Unlock()
	me := s.selfOccupantLocked(r) // muc.Removed makes a ban's outcast
	out := r.toJoinedLocked(s.user, func(to string) []byte { return gone(to, me) })
	clear(r.joined)
	clear(r.sent)
	if len(out) == 0 {
		return nil, sendTurn{}
	}
	return out, r.sendTurnLocked()
}

// destroyedRoom ends the user's room r of a group that is gone: deleted,
// or moved by the network to the chat next ("" for none). Each joined
// resource is told the room is destroyed (XEP-0045 §10.9), with next's
// room as its alternate venue, which clients offer to join; next's own
// room comes with its ChatEvent. A move is stored (movedAway).
func (s *session) destroyedRoom(ctx context.Context, r *room, next, reason string) ([][]byte, sendTurn) {
	venue := ""
	if next != "" {
		venue = s.groupMoved(ctx, r.chatID, next)
	} else {
		// Before the room ends and its archive goes (renderRoom): a
		// reflection archived before this is deleted with the rest.
		s.deleted.Store(r.chatID, weak.Make(r))
	}
	if venue != "" && reason == "" {
		reason = "this group goes on in another room"
	}
	return s.endRoom(ctx, r, func(to string, me muc.Occupant) []byte { return muc.Destroyed(r.jid, to, me, venue, reason) })
}

// groupMoved records that the network moved the group chatID to the
// chat next (movedAway), and returns next's room JID; "" when next has
// none (nothing recorded) or is chatID itself (a join would be sent
// back to the room it asked for, for good).
func (s *session) groupMoved(ctx context.Context, chatID, next string) string {
	if next == chatID {
		s.t.log.Warn("group moved to itself: not recorded", "chat", chatID)
		return ""
	}
	nj, err := s.t.puppetJID(next)
	if err != nil {
		s.t.log.Warn("group moved to a chat without a room address", "chat", chatID, "next", next, "err", err)
		return ""
	}
	venue := nj.String()
	s.moved.Store(chatID, venue)
	if err := s.t.db.PutMovedGroup(context.WithoutCancel(ctx), s.t.name, s.LoginID(), chatID, next); err != nil {
		// Known until the gateway stops, all the same.
		s.t.log.Error("moved group not stored", "chat", chatID, "next", next, "err", err)
	}
	return venue
}

// unknownGroupRemoved takes the end of a group whose room the session
// does not know: the event stored before a restart and delivered again
// before the room list was read, or a room dropped already. The move is
// recorded all the same (a stale bookmark's join then leads on), as is
// the user's leaving (a join is refused saying so), the bookmark goes,
// and a deleted group's archive with it.
func (s *session) unknownGroupRemoved(ctx context.Context, chatID string, p *pb.ChatRemovedEvent) {
	t := s.t
	if next := p.GetReplacedBy(); next != "" {
		s.groupMoved(ctx, chatID, next)
	}
	s.noteRemoved(ctx, chatID, p) // room_left.go: a join then says why
	rj, err := t.puppetJID(chatID)
	if err != nil {
		return
	}
	t.unannounceRoom(ctx, s.user, rj.String())
	if p.GetReason() == pb.ChatRemovedEvent_REASON_DELETED {
		if err := t.db.DeleteArchive(context.WithoutCancel(ctx), t.roomKey(s.user, chatID)); err != nil {
			t.log.Error("archive of a deleted group not deleted", "room", rj.String(), "err", err)
		}
	}
	t.log.Info("a group the session did not know ended", "user", s.user, "room", rj.String(), "reason", p.GetReason())
}

// roomDeleted reports whether r ended with its group's deletion
// (destroyedRoom): its archive is gone, and stays so.
func (s *session) roomDeleted(r *room) bool {
	v, ok := s.deleted.Load(r.chatID)
	return ok && v.(weak.Pointer[room]).Value() == r
}

// movedAway answers st, a join of or a message to the room of chatID,
// with gone and the new room's address (RFC 6120 §8.3.3.5) when the
// network moved that group (destroyedRoom): a stale bookmark's join then
// leads to the new room rather than to the old group, which takes
// nothing any more. The moves are stored with the login, so this holds
// after a restart too, until the login is removed.
func (s *session) movedAway(ctx context.Context, st *wire.Stanza, chatID string) bool {
	venue := s.movedTo(chatID)
	if venue == "" {
		return false
	}
	s.t.send(ctx, wire.GoneReply(st, wire.XMPPURI(venue, "join"), "this group goes on in "+venue))
	return true
}

// movedTo is the room JID the group chatID moved to, "" when it did not
// move: remembered since the start, else stored.
func (s *session) movedTo(chatID string) string {
	if v, ok := s.moved.Load(chatID); ok {
		return v.(string)
	}
	next, err := s.t.db.MovedGroup(s.t.name, s.LoginID(), chatID)
	if errors.Is(err, store.ErrInvalid) {
		return "" // no chat ID the store takes: none that moved
	}
	if err != nil {
		s.t.log.Error("moved group not read", "chat", chatID, "err", err)
		return ""
	}
	if next == "" {
		return ""
	}
	nj, err := s.t.puppetJID(next)
	if err != nil {
		return ""
	}
	s.moved.Store(chatID, nj.String())
	return nj.String()
}

// privateMessage is a message to an occupant (XEP-0045 §7.5): it goes to
// the one-to-one chat with that member, contact or not, whose answers
// then come from the member's occupant JID (room_pm.go).
func (s *session) privateMessage(ctx context.Context, st *wire.Stanza, r *room, nick string) {
	t := s.t
	m := parseUserMessage(st)
	action := m.action()
	from, _ := t.parseJID(st.From())
	r.mu.Lock()
	id, ok := r.nicks.MemberOf(nick)
	joined := r.joined[from.Resourcepart()]
	own := joined && nick == r.ownNickLocked(s)
	r.mu.Unlock()
	if !joined {
		// §7.5: only an occupant sends private messages (a client that
		// missed a restart of the gateway learns it is out, and joins).
		if action {
			t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "join "+r.jid+" before you send private messages in it"))
		}
		return
	}
	if own || id == selfKey && ok {
		t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, fmt.Sprintf("%q is your own nick in %s: a private message goes to another occupant", nick, r.jid)))
		return
	}
	if !ok {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, fmt.Sprintf("nobody is %q in %s", nick, r.jid)))
		return
	}
	// To the member's direct chat, contact or not: its chat ID is the
	// member's user ID, as a contact's is (transport.proto, Contact), and
	// the networks reach any member of a group; one that cannot answers
	// with its own error.
	pj, err := t.puppetJID(id)
	if err != nil {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, err.Error()))
		return
	}
	if action {
		s.notePrivateChat(ctx, id, r) // its answers come here (room_pm.go)
		// A big group's member the join did not present (the client
		// found it in disco#items) is, now that the user talks to it:
		// its nick changes then reach the client, which moves the
		// private chat along (room_crowd.go).
		r.mu.Lock()
		out := r.revealLocked(s, id)
		var turn sendTurn
		if len(out) > 0 {
			turn = r.sendTurnLocked()
		}
		r.mu.Unlock()
		s.writeInTurn(ctx, turn, out)
	}
	s.userMessage(ctx, st, m, action, pj)
}

// roomCopy is an archived room message as sent to one resource: to that
// resource, with the room's stanza-id, its sender's occupant-id (occID,
// "" for none: the room's own message; any other one taken out) and,
// for history, a delay stamped with its time. Archived payloads are
// addressed to the user's bare JID, with none of these (see archive).
func roomCopy(payload []byte, user, to, roomJID, stanzaID, occID string, delay time.Time) []byte {
	payload = stripOccupantIDs(payload) // room_occupant_id.go
	old := []byte(` to="` + wire.EscapeAttr(user) + `"`)
	out := make([]byte, 0, len(payload)+len(to)+200)
	i := bytes.Index(payload, old)
	if i < 0 {
		out = append(out, payload...)
	} else {
		out = append(out, payload[:i]...)
		out = append(out, ` to="`+wire.EscapeAttr(to)+`"`...)
		out = append(out, payload[i+len(old):]...)
	}
	var w wire.Writer
	if stanzaID != "" {
		w.Start("stanza-id", wire.NSSID).Attr("by", roomJID).Attr("id", stanzaID).End()
	}
	muc.WriteOccupantID(&w, occID)
	if !delay.IsZero() && !bytes.Contains(payload, []byte(`"`+wire.NSDelay+`"`)) {
		w.Start("delay", wire.NSDelay).Attr("from", roomJID).Attr("stamp", delay.UTC().Format(time.RFC3339Nano)).End()
	}
	extra := w.Bytes()
	if len(extra) == 0 {
		return out
	}
	if end := []byte("</message>"); bytes.HasSuffix(out, end) {
		return append(out[:len(out)-len(end)], append(extra, end...)...)
	}
	if bytes.HasSuffix(out, []byte("/>")) { // a message with no children
		return append(append(append(out[:len(out)-2], '>'), extra...), "</message>"...)
	}
	return out
}

// writeClientElement writes an element a client sent, whole, with the
// stream's own namespace left out (the body of a message from the
// component stream is in jabber:component:accept; written with that
// xmlns, a client would not read it as the body).
func writeClientElement(w *wire.Writer, e *wire.Element) {
	ns := e.XMLName.Space
	if ns == "jabber:client" || ns == "jabber:component:accept" {
		ns = ""
	}
	w.Start(e.XMLName.Local, ns)
	for _, a := range e.Attrs {
		if a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
			continue
		}
		if a.Name.Space == "http://www.w3.org/XML/1998/namespace" {
			w.Attr("xml:"+a.Name.Local, a.Value)
			continue
		}
		if a.Name.Space == "" {
			w.Attr(a.Name.Local, a.Value)
		}
	}
	if e.Text != "" {
		w.Text(e.Text)
	}
	for i := range e.Children {
		writeClientElement(w, &e.Children[i])
	}
	w.End()
}

// roomTopicChange reports whether a groupchat message from the user is a
// subject change (XEP-0045 §8.1): a <subject/> and nothing a message
// carries, no body nor thread, and no file either (OOB, SIMS or XEP-0447:
// a file with a subject is a file with a caption, which a topic change
// would drop).
func roomTopicChange(st *wire.Stanza, m userMessage) bool {
	return st.Child("", "subject") != nil && !m.hasBody && m.oobURL == "" && st.Child("", "thread") == nil
}

// setSubject asks the network to change the group's topic (XEP-0045
// §8.1); the network's topic event brings the new subject to the room.
func (s *session) setSubject(ctx context.Context, st *wire.Stanza, r *room, subject string) {
	t := s.t
	if !s.features().GetGroupTopic() {
		t.send(ctx, wire.ErrorReply(st, wire.Forbidden, t.displayName()+" does not let the gateway change a group's topic"))
		return
	}
	if !s.roomFeatures(r).GetGroupTopic() {
		t.send(ctx, wire.ErrorReply(st, wire.Forbidden, "this group does not let you change its subject"))
		return
	}
	t.host.Send(&pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_SetTopic{SetTopic: &pb.SetTopic{Topic: subject}}}, func(res *pb.CommandResult) {
		if res.Error == nil {
			return
		}
		cond := conditionOf(res.Error.Code)
		if res.Error.Code == pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
			cond = wire.Forbidden // XEP-0045 §8.1: an occupant who may not
		}
		t.send(ctx, wire.ErrorReply(st, cond, res.Error.Text))
	})
}
