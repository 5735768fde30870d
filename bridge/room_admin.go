package bridge

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
)

// Running a group from XMPP, as a room's owner or moderator would
// (XEP-0045 §8 to §10): a kick or ban, a role or affiliation change
// (muc#admin), the room's name (muc#owner's configuration form), a
// mediated invitation, and a destroy (room_destroy.go). Each becomes the
// network's command (Kick, Unban, SetRole, SetChatName, Invite,
// DeleteChat); the network decides whether the user may, and its member
// or chat event brings the change to the room, as when it is made on the
// network. The gateway checks only what it can: that the
// network has the command, and that the member named exists.

const (
	nsMUCAdmin = "http://jabber.org/protocol/muc#admin"
	nsMUCOwner = "http://jabber.org/protocol/muc#owner"
	// roomConfigForm is the FORM_TYPE of a room's configuration.
	roomConfigForm = "http://jabber.org/protocol/muc#roomconfig"
)

// roomAdminIQ answers a muc#admin or muc#owner IQ to a room.
func (t *transport) roomAdminIQ(ctx context.Context, st *wire.Stanza, user string, s *session, r *room, p *wire.Element) {
	if t.roomRefused(ctx, st, user, s) {
		return
	}
	if r == nil {
		t.send(ctx, wire.ErrorReply(st, wire.ItemNotFound, "you are in no such group on "+t.displayName()))
		return
	}
	get := st.Type() == "get"
	switch {
	case p.XMLName.Space == nsMUCOwner && !get && p.Child("", "destroy") != nil:
		s.destroyRoom(ctx, st, r, p.Child("", "destroy")) // room_destroy.go
	case p.XMLName.Space == nsMUCOwner && !s.roomFeatures(r).GetGroupName():
		// The form's one setting is the group's name: where the user may
		// not rename the group, there is nothing for them to configure
		// (XEP-0045 §10.2: forbidden to one who is no owner).
		t.send(ctx, wire.ErrorReply(st, wire.Forbidden, t.displayName()+" does not let you change this group's settings (its name) from here"))
	case p.XMLName.Space == nsMUCAdmin && get:
		t.send(ctx, s.memberList(st, r, p))
	case p.XMLName.Space == nsMUCAdmin:
		s.adminItems(ctx, st, r, p)
	case p.XMLName.Space == nsMUCOwner && get:
		t.send(ctx, s.configForm(st, r))
	default:
		s.configure(ctx, st, r, p)
	}
}

// memberList answers a request for the members of one affiliation or
// role (XEP-0045 §9.5, §9.8, §10.5...): the room's members as the
// network listed them, with their contacts' JIDs, and the user, with
// their own JID, where their standing matches (an owner's list of owners
// has the owner: Gajim's affiliation lists, a client's list of a private
// room's members); for outcast, the ban list (§9.2).
func (s *session) memberList(st *wire.Stanza, r *room, p *wire.Element) []byte {
	item := p.Child("", "item")
	if item == nil || (item.Attr("affiliation") == "") == (item.Attr("role") == "") {
		return wire.ErrorReply(st, wire.BadRequest, "ask for one affiliation or one role")
	}
	aff, role := item.Attr("affiliation"), item.Attr("role")
	w := wire.Result(st)
	w.Start("query", nsMUCAdmin)
	r.mu.Lock()
	if aff == muc.AffOutcast {
		s.banListLocked(w, r)
	}
	ids := slices.Collect(maps.Keys(r.members))
	r.ownNickLocked(s)
	for _, id := range sortedByNick(r, append(ids, selfKey)) {
		var o muc.Occupant
		if id == selfKey {
			o = s.selfOccupantLocked(r) // room_nick.go
		} else {
			o = r.occupantLocked(s, id)
		}
		if (aff != "" && o.Affiliation != aff) || (role != "" && o.Role != role) {
			continue
		}
		w.Start("item", "").Attr("affiliation", o.Affiliation).Attr("role", o.Role).Attr("jid", o.JID).Attr("nick", o.Nick).End()
	}
	r.mu.Unlock()
	return w.End().Bytes()
}

// banListLocked writes the people banned from the group as outcast items:
// their address on the gateway and the ban's reason, no nick (they are
// in no room). Call with r.mu held.
func (s *session) banListLocked(w *wire.Writer, r *room) {
	for _, id := range slices.Sorted(maps.Keys(r.banned)) {
		pj, err := s.t.puppetJID(id)
		if err != nil {
			continue // no address to name them by, nor to lift the ban with
		}
		w.Start("item", "").Attr("affiliation", muc.AffOutcast).Attr("jid", pj.String())
		if reason := r.banned[id]; reason != "" {
			w.Leaf("reason", "", reason)
		}
		w.End()
	}
}

// adminItems carries out a muc#admin set: each item a kick (role or
// affiliation none), a ban (affiliation outcast), the lifting of a ban
// (affiliation none for someone not in the group), or a role or
// affiliation change, in order; the answer comes once all are done, or
// with the first refusal.
func (s *session) adminItems(ctx context.Context, st *wire.Stanza, r *room, p *wire.Element) {
	var cmds []*pb.Command
	items := 0
	for i := range p.Children {
		it := &p.Children[i]
		if it.XMLName.Local != "item" {
			continue
		}
		items++
		cs, cond, text := s.adminCommands(r, it)
		if cond != "" {
			s.t.send(ctx, wire.ErrorReply(st, cond, text))
			return
		}
		cmds = append(cmds, cs...)
	}
	switch {
	case items == 0:
		s.t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "no item to change"))
	case len(cmds) == 0:
		s.t.send(ctx, wire.Result(st).Bytes()) // nothing to change: as asked already
	default:
		s.sendInTurn(ctx, st, cmds)
	}
}

// adminCommands are the network's commands for one muc#admin item, or
// why there are none (a condition); neither when the item asks for what
// already is.
func (s *session) adminCommands(r *room, it *wire.Element) ([]*pb.Command, wire.Condition, string) {
	if s.itemIsSelf(r, it) {
		cond, text := s.selfItemRefusal(r, it)
		return nil, cond, text
	}
	id, ok := s.itemMember(r, it)
	if !ok && it.Attr("nick") == "" {
		switch it.Attr("affiliation") {
		case muc.AffNone:
			c, cond, text := s.unbanCommand(r, it)
			if c == nil {
				return nil, cond, text
			}
			return []*pb.Command{c}, "", ""
		case muc.AffMember:
			return s.addMemberCommands(r, it)
		case muc.AffAdmin, muc.AffOwner:
			return s.addAdminCommands(r, it)
		case muc.AffOutcast:
			// An address added to the ban list (XEP-0045 §9.1: Gajim's
			// and Conversations' "ban") of someone not in the group: the
			// network's Kick with its ban, and the network decides. This
			// is how an admin refuses one who asks to join (WhatsApp,
			// Signal), or bans ahead one who is not in it; a
			// network that bans only members refuses with a text the
			// admin reads. It was feature-not-implemented, with nothing
			// sent: a request to join could not be refused from XMPP.
			id, cond, text := s.itemContact(it)
			if cond != "" {
				return nil, cond, text
			}
			return []*pb.Command{s.banCommand(r, it, id)}, "", ""
		}
	}
	if !ok {
		return nil, wire.ItemNotFound, "no member of the group has this nick or address"
	}
	c, cond, text := s.memberCommand(r, it, id)
	if c == nil {
		return nil, cond, text
	}
	return []*pb.Command{c}, "", ""
}

// memberCommand is the network's command for a muc#admin item naming
// the member id, or why there is none.
func (s *session) memberCommand(r *room, it *wire.Element, id string) (*pb.Command, wire.Condition, string) {
	reason := ""
	if rs := it.Child("", "reason"); rs != nil {
		reason = rs.Text
	}
	c := &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID}
	aff, role := it.Attr("affiliation"), it.Attr("role")
	switch {
	case aff == muc.AffOutcast:
		return s.banCommand(r, it, id), "", ""
	case role == muc.RoleNone || aff == muc.AffNone:
		// Out of the room, or no longer a member: in a network's group,
		// both are leaving it.
		c.Action = &pb.Command_Kick{Kick: &pb.Kick{UserId: id, Reason: reason}}
	case aff != "" || role != "":
		sr := &pb.SetRole{UserId: id}
		r.mu.Lock()
		m := r.members[id]
		if m != nil {
			sr.Role, sr.Affiliation = m.Role, m.Affiliation // what the item leaves as it is
		}
		r.mu.Unlock()
		var known bool
		if aff != "" {
			if sr.Affiliation, known = affiliations[aff]; !known {
				return nil, wire.BadRequest, "no such affiliation: " + aff
			}
			if role == "" {
				// The role goes with the affiliation (XEP-0045 §9.7, §10.7:
				// an admin is a moderator, one made a member again a
				// participant). Kept as it was, a revoked admin stayed a
				// moderator, which WhatsApp takes for an admin: the
				// demotion was a promotion, and nothing changed.
				sr.Role = affiliationRole(sr.Affiliation, sr.Role)
			}
		}
		if role != "" {
			if sr.Role, known = roles[role]; !known {
				return nil, wire.BadRequest, "no such role: " + role
			}
		}
		if m != nil && sr.Role == m.Role && sr.Affiliation == m.Affiliation {
			// As asked already (a client's /member for a member, a list
			// saved unchanged): nothing for the network, which may
			// refuse it (WhatsApp demoting one who is no admin).
			return nil, "", ""
		}
		c.Action = &pb.Command_SetRole{SetRole: sr}
	default:
		return nil, wire.BadRequest, "an item needs a role or an affiliation"
	}
	return c, "", ""
}

// banCommand is the network's Kick with its ban of the user id, for a
// muc#admin item giving affiliation outcast, member or not.
func (s *session) banCommand(r *room, it *wire.Element, id string) *pb.Command {
	reason := ""
	if rs := it.Child("", "reason"); rs != nil {
		reason = rs.Text
	}
	return &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Kick{Kick: &pb.Kick{UserId: id, Reason: reason, Ban: true}}}
}

// unbanCommand is the network's Unban for an item giving affiliation none
// to someone who is not in the group (XEP-0045 §9.2: taking them off the
// ban list), named by their address on this gateway: a banned person has
// no nick in the room. Someone the room does not have as banned has
// affiliation none already: no command (Conversations sets it on each
// invitee it does not know, to lift a ban they may have).
func (s *session) unbanCommand(r *room, it *wire.Element) (*pb.Command, wire.Condition, string) {
	id, cond, text := s.itemContact(it)
	if cond != "" {
		return nil, cond, text
	}
	r.mu.Lock()
	_, banned := r.banned[id]
	r.mu.Unlock()
	if !banned {
		return nil, "", ""
	}
	if !s.features().GetGroupUnban() {
		return nil, wire.FeatureNotImpl, s.t.displayName() + " cannot lift bans from here: this person is not in the group, and only a member can be removed"
	}
	return &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Unban{Unban: &pb.Unban{UserId: id}}}, "", ""
}

// itemContact is the contact a muc#admin item names by its address on
// this gateway (someone who is not in the group has no nick), or why
// there is none.
func (s *session) itemContact(it *wire.Element) (string, wire.Condition, string) {
	j, err := jid.Parse(it.Attr("jid"))
	if err != nil || j.Domainpart() != s.t.domain || j.Localpart() == "" {
		return "", wire.ItemNotFound, "no member of the group has this nick or address"
	}
	id, err := puppet.FromJID(j)
	if err != nil {
		return "", wire.ItemNotFound, "no contact on " + s.t.displayName() + " has this address"
	}
	return id, "", ""
}

// addMemberCommands add to the group a contact an item makes a member
// (XEP-0045 §9.3) who is not in it: what Converse.js sets on each
// invitee of a members-only room before its invitation, and what adding
// an address to Gajim's member list does. In a network's group, being a
// member is being in it: the network's Invite, as a mediated invitation
// (roomInvite). Someone on the ban list has the ban lifted first, as
// XEP-0045 has a member affiliation replace an outcast's. It was
// item-not-found: no member of the group has this address.
func (s *session) addMemberCommands(r *room, it *wire.Element) ([]*pb.Command, wire.Condition, string) {
	id, cond, text := s.itemContact(it)
	if cond != "" {
		return nil, cond, text
	}
	if !s.features().GetGroupInvite() {
		return nil, wire.FeatureNotImpl, s.t.displayName() + " does not let the gateway add members to a group"
	}
	if !s.roomFeatures(r).GetGroupInvite() {
		return nil, wire.Forbidden, inviteForbidden
	}
	r.mu.Lock()
	_, banned := r.banned[id]
	r.mu.Unlock()
	var cmds []*pb.Command
	if banned {
		if !s.features().GetGroupUnban() {
			return nil, wire.FeatureNotImpl, s.t.displayName() + " cannot lift bans from here: lift it on the network, then add them"
		}
		cmds = append(cmds, &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Unban{Unban: &pb.Unban{UserId: id}}})
	}
	return append(cmds, &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Invite{Invite: &pb.Invite{UserId: id}}}), "", ""
}

// addAdminCommands make an admin of a contact who is not in the group
// (XEP-0045 §10.6: an address added to the admin list, as Gajim's
// affiliation editor does): in a network's group only a member is one,
// so the contact is added as a member is (addMemberCommands), then
// promoted. Both must be open to the user, or neither is tried: an added
// contact left unpromoted is half the change. Ownership is not given so:
// most networks keep one owner, who transfers it in their apps, and
// refused it only once the contact was added. It was item-not-found: no
// member of the group has this address, as for a typing error.
func (s *session) addAdminCommands(r *room, it *wire.Element) ([]*pb.Command, wire.Condition, string) {
	id, cond, text := s.itemContact(it)
	if cond != "" {
		return nil, cond, text
	}
	if it.Attr("affiliation") == muc.AffOwner {
		return nil, wire.NotAllowed, "only a member of the group can be made its owner, where " + s.t.displayName() + " lets you: add them as a member first"
	}
	if !s.features().GetGroupRoles() {
		return nil, wire.FeatureNotImpl, s.t.displayName() + " does not let the gateway make anyone an admin"
	}
	if !s.roomFeatures(r).GetGroupRoles() {
		return nil, wire.Forbidden, "this group does not let you make anyone an admin"
	}
	cmds, cond, text := s.addMemberCommands(r, it)
	if cond != "" {
		return nil, cond, text
	}
	promote := &pb.SetRole{UserId: id, Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}
	if role, ok := roles[it.Attr("role")]; ok {
		promote.Role = role
	}
	return append(cmds, &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_SetRole{SetRole: promote}}), "", ""
}

var affiliations = map[string]pb.Affiliation{
	muc.AffOwner: pb.Affiliation_AFFILIATION_OWNER, muc.AffAdmin: pb.Affiliation_AFFILIATION_ADMIN,
	muc.AffMember: pb.Affiliation_AFFILIATION_MEMBER,
}

// affiliationRole is the role of a member given the affiliation aff,
// who had the role was: an owner or admin moderates; a member is a
// participant, unless kept a visitor (a member without voice stays so).
func affiliationRole(aff pb.Affiliation, was pb.Role) pb.Role {
	switch aff {
	case pb.Affiliation_AFFILIATION_OWNER, pb.Affiliation_AFFILIATION_ADMIN:
		return pb.Role_ROLE_MODERATOR
	case pb.Affiliation_AFFILIATION_MEMBER:
		if was == pb.Role_ROLE_VISITOR {
			return was
		}
		return pb.Role_ROLE_PARTICIPANT
	}
	return was
}

var roles = map[string]pb.Role{
	muc.RoleModerator: pb.Role_ROLE_MODERATOR, muc.RoleParticipant: pb.Role_ROLE_PARTICIPANT,
	muc.RoleVisitor: pb.Role_ROLE_VISITOR,
}

// itemIsSelf reports whether an item names the user: by their nick in
// the room, or by their own address (the member lists have the user
// under it: memberList), or by the address on this gateway of their own
// member ID.
func (s *session) itemIsSelf(r *room, it *wire.Element) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if nick := it.Attr("nick"); nick != "" {
		id, ok := r.nicks.MemberOf(nick)
		return ok && id == selfKey
	}
	j, err := jid.Parse(it.Attr("jid"))
	if err != nil {
		return false
	}
	if j.Bare().String() == s.user {
		return true
	}
	if j.Domainpart() != s.t.domain {
		return false
	}
	id, err := puppet.FromJID(j.Bare())
	return err == nil && r.isUserIDLocked(s, id) // room.go
}

// selfItemRefusal is why an item naming the user is refused; none when
// it asks for what the user is already (a member list saved as it was
// read, with the user in it: nothing to do). Else conflict, as XEP-0045
// has a service answer one who kicks themselves (§8.2) or takes their
// own ownership away (§10.6). It was item-not-found, "no member of the
// group has this nick or address", and a list saved unchanged failed on
// the user's own item.
func (s *session) selfItemRefusal(r *room, it *wire.Element) (wire.Condition, string) {
	aff, role := it.Attr("affiliation"), it.Attr("role")
	if aff == "" && role == "" {
		return wire.BadRequest, "an item needs a role or an affiliation"
	}
	r.mu.Lock()
	me := s.selfOccupantLocked(r) // room_nick.go
	r.mu.Unlock()
	if (aff == "" || aff == me.Affiliation) && (role == "" || role == me.Role) {
		return "", ""
	}
	return wire.Conflict, "this is you: the gateway does not change your own standing in the group (do that on " + s.t.displayName() + "); to leave the group, send /leave in the room"
}

// itemMember is the member an item names, by nick or by the contact's
// JID. A nick may be a guest's: a sender the network's member list does
// not have (a large group listed in part), whom a moderator kicks or
// bans by the nick their messages show (Converse.js's /kick NICK); it
// was item-not-found, as for a nick nobody has.
func (s *session) itemMember(r *room, it *wire.Element) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if nick := it.Attr("nick"); nick != "" {
		id, ok := r.nicks.MemberOf(nick)
		return id, ok && id != selfKey && (r.members[id] != nil || r.nicks.IsGuest(id))
	}
	j, err := jid.Parse(it.Attr("jid"))
	if err != nil || j.Domainpart() != s.t.domain {
		return "", false
	}
	id, err := puppet.FromJID(j)
	return id, err == nil && r.members[id] != nil
}

// configForm is the room's configuration form (XEP-0045 §10.2): its name,
// the one setting the network takes from here.
func (s *session) configForm(st *wire.Stanza, r *room) []byte {
	w := wire.Result(st)
	w.Start("query", nsMUCOwner).Start("x", wire.NSData).Attr("type", "form")
	w.Leaf("title", "", "Configuration of "+r.displayName())
	w.Start("field", "").Attr("var", "FORM_TYPE").Attr("type", "hidden").Leaf("value", "", roomConfigForm).End()
	w.Start("field", "").Attr("var", "muc#roomconfig_roomname").Attr("type", "text-single").Attr("label", "Name of the group").
		Leaf("value", "", r.displayName()).End()
	return w.Bytes()
}

// configure takes a submitted configuration form: a new name renames the
// group; a cancelled form changes nothing. A <destroy/> is taken
// before (destroyRoom).
func (s *session) configure(ctx context.Context, st *wire.Stanza, r *room, p *wire.Element) {
	x := p.Child(wire.NSData, "x")
	switch {
	case x == nil:
		s.t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "submit the configuration form"))
		return
	case x.Attr("type") == "cancel":
		s.t.send(ctx, wire.Result(st).Bytes())
		return
	}
	name, given, bad := configName(x)
	if bad != "" {
		s.t.send(ctx, wire.ErrorReply(st, wire.BadRequest, bad))
		return
	}
	if !given || name == r.displayName() {
		s.t.send(ctx, wire.Result(st).Bytes())
		return
	}
	if name == "" {
		s.t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "a group needs a name"))
		return
	}
	s.sendInTurn(ctx, st, []*pb.Command{{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_SetName{SetName: &pb.SetChatName{Name: name}}}})
}

// configName reads a submitted configuration form x: the name given
// (muc#roomconfig_roomname), if any, or why the form cannot be taken as
// it stands (bad): a form of another type than submit (XEP-0004; one
// with no type is taken, as some clients send it and the archive's
// query form takes it, mam.go), one of another FORM_TYPE, a name of
// several values or lines (a text-single field holds one line), a field
// given twice (XEP-0004: a var is unique in a form). Taken anyway, the group got the other
// form's name, the first of the values or the second of the names, and
// the client a success for what it did not ask.
func configName(x *wire.Element) (name string, given bool, bad string) {
	if typ := x.Attr("type"); typ != "submit" && typ != "" {
		return "", false, fmt.Sprintf("the room configuration must be submitted as a form of type 'submit', not '%s'", typ)
	}
	seen := map[string]bool{}
	for i := range x.Children {
		f := &x.Children[i]
		if f.XMLName.Local != "field" {
			continue
		}
		field := f.Attr("var")
		if field != "" && seen[field] {
			return "", false, fmt.Sprintf("the field %q is given twice", field)
		}
		seen[field] = true
		values := fieldValues(f) // dataform.go
		switch field {
		case "FORM_TYPE":
			if len(values) != 1 || strings.TrimSpace(values[0]) != roomConfigForm {
				return "", false, "this is no room configuration: its FORM_TYPE is not " + roomConfigForm
			}
		case "muc#roomconfig_roomname":
			switch {
			case len(values) > 1:
				return "", false, fmt.Sprintf("the group's name takes one value, not %d", len(values))
			case len(values) == 1 && strings.ContainsAny(strings.TrimSpace(values[0]), "\r\n"):
				return "", false, "the group's name is one line"
			case len(values) == 1:
				name, given = strings.TrimSpace(values[0]), true
			}
		}
	}
	return name, given, ""
}

// roomInvite is a mediated invitation (XEP-0045 §7.8.2) to the room: each
// invitee, a contact of this network, is added to the group. An XMPP
// address of another domain cannot be added to a network's group. One
// who is a member already is left as is, as a direct invitation does
// (directInvite): the network refused to add them again, and that
// refusal stopped the invitations after it.
func (s *session) roomInvite(ctx context.Context, st *wire.Stanza, r *room, x *wire.Element) {
	var cmds []*pb.Command
	invited := false
	for i := range x.Children {
		inv := &x.Children[i]
		if inv.XMLName.Local != "invite" {
			continue
		}
		j, err := jid.Parse(inv.Attr("to"))
		if err != nil {
			s.t.send(ctx, wire.ErrorReply(st, wire.JIDMalformed, "the invitee's address is malformed"))
			return
		}
		if j.Domainpart() != s.t.domain || j.Localpart() == "" {
			s.t.send(ctx, wire.ErrorReply(st, wire.NotAcceptable, "only contacts on "+s.t.displayName()+" (addresses @"+s.t.domain+") can be added to this group"))
			return
		}
		id, err := puppet.FromJID(j)
		if err != nil {
			s.t.send(ctx, wire.ErrorReply(st, wire.JIDMalformed, "no contact can have this address"))
			return
		}
		invited = true
		r.mu.Lock()
		_, member := r.members[id]
		r.mu.Unlock()
		if !member {
			cmds = append(cmds, &pb.Command{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Invite{Invite: &pb.Invite{UserId: id}}})
		}
	}
	if !invited {
		s.t.send(ctx, wire.ErrorReply(st, wire.BadRequest, "invite whom?"))
		return
	}
	if len(cmds) > 0 && s.groupForbidsInvites(r) {
		// XEP-0045 §7.8.2: an occupant who may not invite is told forbidden.
		s.t.send(ctx, wire.ErrorReply(st, wire.Forbidden, inviteForbidden))
		return
	}
	if len(cmds) == 0 {
		return // all in the group already: nothing to do, nothing wrong
	}
	s.sendInTurn(ctx, st, cmds)
}

// inviteForbidden is the answer to adding someone to a group that lets
// only its admins add members.
const inviteForbidden = "this group does not let you add members"

// groupForbidsInvites reports whether the network adds members but
// group r does not let the user (a WhatsApp group where only admins add,
// a Telegram group without the invite right). A network that adds none
// refuses the Invite itself.
func (s *session) groupForbidsInvites(r *room) bool {
	return s.features().GetGroupInvite() && !s.roomFeatures(r).GetGroupInvite()
}

// invitedRoom is the user's room a direct invitation (XEP-0249) names
// by its JID; nil when it names none (a room elsewhere: the message is
// the contact's, as any).
func (s *session) invitedRoom(roomJID string) *room {
	j, err := jid.Parse(roomJID)
	if err != nil || j.Domainpart() != s.t.domain || j.Localpart() == "" || j.Resourcepart() != "" {
		return nil
	}
	chatID, err := puppet.FromJID(j)
	if err != nil {
		return nil
	}
	return s.rooms.get(chatID)
}

// directInvite is a direct invitation (XEP-0249) sent to a contact,
// invitee, for the user's room r: the way Converse.js (and others, for
// rooms they take for public) invite. As a mediated one, it adds the
// contact to the group, where the network lets the user; one who is a
// member already is left as is. It went to the contact's one-to-one chat
// before, where a message with no body is nothing, and nothing happened.
func (s *session) directInvite(ctx context.Context, st *wire.Stanza, r *room, invitee string) {
	r.mu.Lock()
	_, member := r.members[invitee]
	r.mu.Unlock()
	if member {
		return
	}
	if s.groupForbidsInvites(r) {
		s.t.send(ctx, wire.ErrorReply(st, wire.Forbidden, inviteForbidden))
		return
	}
	s.sendInTurn(ctx, st, []*pb.Command{{LoginId: s.LoginID(), ChatId: r.chatID, Action: &pb.Command_Invite{Invite: &pb.Invite{UserId: invitee}}}})
}

// unbanned takes someone off a room's ban list once the network lifted
// their ban: most networks say nothing of it (no member event).
func (s *session) unbanned(chatID, userID string) {
	r := s.rooms.get(chatID)
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.banned, userID)
	r.mu.Unlock()
}
