package bridge

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
	"passerelle.im/passerelle/store"
)

// Creating a group on the network from XMPP (contract v2's CreateChat,
// feature create_chat): the ad-hoc command "create-group" asks for a name
// and contacts, the network makes the group, and its room is announced as
// any new group's is (an invitation or a bookmark, room.go). The answer
// names the room once the gateway knows it, so that a join right after
// finds it.

// maxFormContacts is the most contacts the form lists to pick from; past
// it, members are typed as addresses.
const maxFormContacts = 500

// cmdCreateGroup is the ad-hoc command that creates a group.
func (t *transport) cmdCreateGroup(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	const node = "create-group"
	s := t.roomCommandSession(ctx, st, node, user, sid)
	if s == nil {
		return
	}
	if sess == nil {
		if no := s.noGroupCreation(); no != "" {
			t.done(ctx, st, node, sid, "error", no)
			return
		}
		t.send(ctx, t.createGroupForm(st, node, user, s).Bytes())
		return
	}
	t.adhoc.drop(sid)
	var members, unknown []string
	for _, v := range formMulti(cmd, "members") {
		if id, ok := t.contactOf(v); ok {
			members = append(members, id)
		} else {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		t.done(ctx, st, node, sid, "error", "Not contacts on "+t.displayName()+": "+strings.Join(unknown, ", ")+".")
		return
	}
	s.createGroup(ctx, "create-group-"+sid, formValues(cmd)["name"], members, func(text string, ok bool) {
		typ := "info"
		if !ok {
			typ = "error"
		}
		t.done(ctx, st, node, sid, typ, text)
	})
}

// createGroup asks the network for a group named name with the contacts
// members (user IDs), under txn: a resend after a plugin restart creates
// nothing twice. done hears the outcome in words, once: ok is false for
// a refusal.
func (s *session) createGroup(ctx context.Context, txn, name string, members []string, done func(text string, ok bool)) {
	t := s.t
	if no := s.noGroupCreation(); no != "" {
		done(no, false)
		return
	}
	name = strings.TrimSpace(name)
	if name == "" {
		done("A group needs a name.", false)
		return
	}
	slices.Sort(members)
	members = slices.Compact(members)
	ctx = context.WithoutCancel(ctx)
	t.log.Info("creating a group", "user", s.user, "members", len(members))
	t.host.Send(&pb.Command{LoginId: s.LoginID(), TxnId: txn, Action: &pb.Command_Create{Create: &pb.CreateChat{Name: name, MemberIds: members}}},
		func(res *pb.CommandResult) {
			if res.Error != nil {
				done("Creating the group failed: "+res.Error.Text, false)
				return
			}
			// The result comes apart from the events: the room may not
			// be known yet. Wait a little for its ChatEvent.
			t.goBg(func() {
				r := s.awaitRoom(ctx, res.ChatId, joinWait)
				if r == nil {
					done("The group "+name+" was created on "+t.displayName()+"; its room comes when the network describes it.", true)
					return
				}
				done("The group "+r.displayName()+" was created: its room is "+r.jid+".", true)
			})
		})
}

// chatCreateGroup is the chat command "create-group NAME: CONTACT,
// CONTACT...", for clients without ad-hoc commands; a contact is named
// by its address, its name or its ID on the network.
func (t *transport) chatCreateGroup(ctx context.Context, user, arg string, say func(string)) {
	s := t.session(user)
	if s == nil {
		say("You are not logged in to " + t.displayName() + ".")
		return
	}
	name, list := arg, ""
	if i := strings.LastIndex(arg, ":"); i >= 0 {
		name, list = arg[:i], arg[i+1:]
	}
	var names []string
	for _, w := range strings.Split(list, ",") {
		if w = strings.TrimSpace(w); w != "" {
			names = append(names, w)
		}
	}
	members, problems := t.contactsNamed(s, names)
	if len(problems) > 0 {
		say(strings.Join(problems, "\n"))
		return
	}
	s.createGroup(ctx, "create-group-"+t.newID(), name, members, func(text string, _ bool) { say(text) })
}

// contactsNamed finds the contacts names name: each by its address on
// the gateway, its user ID, or its name (any case) when one contact has
// it; problems says what names no one, or several.
func (t *transport) contactsNamed(s *session, names []string) (ids, problems []string) {
	var ps []store.Puppet
	if len(names) > 0 {
		var err error
		if ps, err = t.db.ListPuppets(t.name, s.LoginID()); err != nil {
			return nil, []string{"Your contacts could not be read: " + errText(err)}
		}
	}
	for _, n := range names {
		if id, ok := t.contactOf(n); ok {
			ids = append(ids, id)
			continue
		}
		var found []string
		for _, p := range ps {
			if p.UserID == n {
				found = []string{p.UserID}
				break
			}
			if strings.EqualFold(p.Name, n) {
				found = append(found, p.UserID)
			}
		}
		switch len(found) {
		case 1:
			ids = append(ids, found[0])
		case 0:
			problems = append(problems, "No contact is named "+n+".")
		default:
			problems = append(problems, "Several contacts are named "+n+" ("+strings.Join(found, ", ")+"): name them by address or ID.")
		}
	}
	return ids, problems
}

// noGroupCreation says why the network creates no groups for this
// login, "" when it does.
func (s *session) noGroupCreation() string {
	if s.features().GetCreateChat() {
		return ""
	}
	return s.t.displayName() + " does not let the gateway create groups."
}

// createGroupForm is the command's form: a name, and the members among
// the user's contacts.
func (t *transport) createGroupForm(st *wire.Stanza, node, user string, s *session) *wire.Writer {
	sid := t.newID()
	t.adhoc.put(sid, &adhocSession{user: user, node: node, stage: "create"})
	r := cmdReply(st, node, sid, "executing")
	r.Start("actions", "").Attr("execute", "complete").Leaf("complete", "", "").End()
	r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", "Create a group").
		Leaf("instructions", "", "The gateway creates the group on "+t.displayName()+" with you and the contacts you choose.")
	r.Start("field", "").Attr("var", "name").Attr("type", "text-single").Attr("label", "Name").Leaf("required", "", "").End()
	ps, err := t.db.ListPuppets(t.name, s.LoginID())
	if err != nil {
		t.log.Warn("contacts not listed for a new group", "user", user, "err", err)
	}
	if len(ps) > maxFormContacts {
		r.Start("field", "").Attr("var", "members").Attr("type", "jid-multi").Attr("label", "Members (their addresses on this gateway)").End()
	} else {
		r.Start("field", "").Attr("var", "members").Attr("type", "list-multi").Attr("label", "Members")
		slices.SortFunc(ps, func(a, b store.Puppet) int {
			return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.UserID, b.UserID))
		})
		for _, p := range ps {
			if j, err := t.puppetJID(p.UserID); err == nil {
				r.Start("option", "").Attr("label", cmp.Or(p.Name, p.UserID)).Leaf("value", "", j.String()).End()
			}
		}
		r.End()
	}
	return r
}

// contactOf is the user ID a form's member value names: a contact's
// address on the gateway.
func (t *transport) contactOf(v string) (string, bool) {
	j, err := jid.Parse(strings.TrimSpace(v))
	if err != nil || j.Domainpart() != t.domain || j.Localpart() == "" {
		return "", false
	}
	id, err := puppet.FromJID(j.Bare())
	return id, err == nil
}

// awaitRoom returns the room of chatID once the gateway knows it, or nil
// after wait.
func (s *session) awaitRoom(ctx context.Context, chatID string, wait time.Duration) *room {
	made, stop := s.roomsMade.await(chatID)
	defer stop()
	if r := s.rooms.get(chatID); r != nil {
		return r
	}
	select {
	case <-made:
	case <-time.After(wait):
	case <-ctx.Done():
	}
	return s.rooms.get(chatID)
}

// formMulti is every value of a form field (list-multi, jid-multi).
func formMulti(q *wire.Element, name string) []string {
	x := q.Child(wire.NSData, "x")
	if x == nil {
		return nil
	}
	var out []string
	for _, f := range x.Children {
		if f.XMLName.Local != "field" || f.Attr("var") != name {
			continue
		}
		for _, v := range f.Children {
			if v.XMLName.Local == "value" && strings.TrimSpace(v.Text) != "" {
				out = append(out, strings.TrimSpace(v.Text))
			}
		}
	}
	return out
}
