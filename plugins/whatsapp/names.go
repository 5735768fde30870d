package whatsapp

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Names of people the user did not save. They are no contacts
// (contactChanged), so the gateway has no name of theirs to fall back on:
// in a room their nick is the name they gave themselves (push name, or a
// business's verified name), as WhatsApp's apps show them in a group, and
// it follows that name's changes; their messages carry it as the
// sender's name. A saved contact's nick stays "", the contact's name:
// the one the user gave them, as the apps show it.

// nickOf is the nick of participant p, whom the device store knows as c:
// the group's display name for them, else, not saved, their own name;
// "" for a saved contact or a name not known.
func nickOf(p types.GroupParticipant, c types.ContactInfo) string {
	switch {
	case p.DisplayName != "":
		return p.DisplayName
	case saved(c):
		return ""
	}
	return contactName(c)
}

// participantJIDs is every JID p is named by.
func participantJIDs(p types.GroupParticipant) []types.JID {
	return []types.JID{p.PhoneNumber, p.JID, p.LID}
}

// membersRenamed tells each group of the user's with the person jids
// name that their nick changed, when it did (memberRenamed): before is
// the store's entry as it was before the change (the store has the new
// one already).
func (s *Session) membersRenamed(jids []types.JID, before func(types.ContactInfo) types.ContactInfo, at time.Time) {
	if s.d == nil || s.d.dev == nil || s.isOwn(jids...) {
		return // the user's own nick is theirs to set (SetNick)
	}
	all := s.sameUser(jids...)
	if len(all) == 0 {
		return
	}
	now := s.person(context.Background(), all...)
	was := before(now)
	type found struct {
		group string
		p     types.GroupParticipant
	}
	var in []found
	s.mu.Lock()
	for jid, g := range s.groups {
		if g.IsParent || !slices.ContainsFunc(g.Participants, s.isSelf) {
			continue // a community is no room; a group left is none of the user's
		}
		for _, p := range g.Participants {
			if !notAdded(p) && slices.ContainsFunc(all, func(j types.JID) bool { return names(p, j) }) {
				in = append(in, found{jid.ToNonAD().String(), p})
				break
			}
		}
	}
	s.mu.Unlock()
	slices.SortFunc(in, func(a, b found) int { return strings.Compare(a.group, b.group) })
	for _, f := range in {
		nick := nickOf(f.p, now)
		if nick == nickOf(f.p, was) {
			continue // the group's display name, or the contact's name: shown as before
		}
		s.memberRenamed(f.group, f.p, nick, at)
	}
}

// memberRenamed tells room group that its member p is now named nick.
// The member event carries the whole member, role included, as the
// gateway takes it for the member's new state.
func (s *Session) memberRenamed(group string, p types.GroupParticipant, nick string, at time.Time) {
	m := s.memberOf(p)
	m.Nick = nick
	s.emit(&pb.Event{ChatId: group, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: &pb.Sender{UserId: m.UserId},
		TimestampUnixMicro: at.UnixMicro(),
		Payload:            &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: m}}})
}

// eventTime is the time of the message a name's change was seen on, else
// now.
func eventTime(info *types.MessageInfo) time.Time {
	if info != nil && !info.Timestamp.IsZero() {
		return info.Timestamp
	}
	return time.Now()
}

// nameSender gives the sender of ev, someone else's message of info, the
// name the device store knows them by when the message carries none (a
// history's messages mostly do not): the sender's name is all that names
// someone not saved.
func (s *Session) nameSender(ev *pb.Event, info *types.MessageInfo) {
	if ev == nil || ev.Sender == nil || ev.Sender.IsFromMe || ev.Sender.Name != "" || info.IsFromMe {
		return
	}
	ev.Sender.Name = contactName(s.person(context.Background(), info.Sender, info.SenderAlt))
}

// Names whatsmeow learns with no event that names them (membersRenamed
// follows those that come with one): the address book's first sync (one
// events.Contact per contact, FromFullSync, then AppStateSyncComplete),
// the push names of the history sync (stored as it is downloaded), a
// contact saved, or deleted, on the phone (an events.Contact, which
// says the name now and not the one before). The rooms listed before
// them (the first day: the gateway lists the groups as soon as the
// device is linked) showed their members under a number or push name
// until the next start, where the phone shows the contact's name. The
// nick before is not known here: before guesses the store's entry as it
// was; a member told their nick again as it is changes nothing shown
// (the gateway keeps a nick that does not change).

// namesLearnt tells each room of the user's that the members named by
// users (JIDs' User parts: phone numbers and LIDs) are named anew, when
// their nick now differs from the one the store's entry before (before,
// from the entry now) gave them.
func (s *Session) namesLearnt(users map[string]bool, before func(types.ContactInfo) types.ContactInfo, at time.Time) {
	if s.d == nil || s.d.dev == nil || len(users) == 0 {
		return
	}
	type found struct {
		group string
		p     types.GroupParticipant
	}
	var in []found
	s.mu.Lock()
	for jid, g := range s.groups {
		if g.IsParent || !slices.ContainsFunc(g.Participants, s.isSelf) {
			continue // a community is no room; a group left is none of the user's
		}
		for _, p := range g.Participants {
			if notAdded(p) || p.DisplayName != "" || s.isSelf(p) {
				continue // a group's display name is the group's own
			}
			if slices.ContainsFunc(s.sameUser(participantJIDs(p)...), func(j types.JID) bool { return users[j.User] }) {
				in = append(in, found{jid.ToNonAD().String(), p})
			}
		}
	}
	s.mu.Unlock()
	slices.SortFunc(in, func(a, b found) int {
		return cmp.Or(strings.Compare(a.group, b.group), strings.Compare(a.p.JID.String(), b.p.JID.String()))
	})
	for _, f := range in {
		now := s.person(context.Background(), participantJIDs(f.p)...)
		nick := nickOf(f.p, now)
		if nick == nickOf(f.p, before(now)) {
			continue
		}
		s.memberRenamed(f.group, f.p, nick, at)
	}
}

// unsaved is c before it was saved in the address book.
func unsaved(c types.ContactInfo) types.ContactInfo {
	c.FirstName, c.FullName = "", ""
	return c
}

// savedContactsNamed renames the members the address book's first sync
// named (before it, none was saved).
func (s *Session) savedContactsNamed() {
	all, err := s.d.dev.Contacts.GetAllContacts(context.Background())
	if err != nil {
		s.log.Warn("room members not renamed after the address book's sync", "err", err)
		return
	}
	users := map[string]bool{}
	for j, c := range all {
		if saved(c) {
			users[j.User] = true
		}
	}
	s.namesLearnt(users, unsaved, time.Now())
}

// contactEdited renames the member a contact saved or deleted on the
// phone is: saved now, they were not (a saved contact renamed keeps the
// nick "", which the gateway follows from the contact's own event);
// deleted, they were.
func (s *Session) contactEdited(jid types.JID, at time.Time) {
	if s.d == nil || s.d.dev == nil || s.isOwn(jid) {
		return
	}
	s.namesLearnt(map[string]bool{jid.User: true}, func(c types.ContactInfo) types.ContactInfo {
		if saved(c) {
			return unsaved(c)
		}
		c.FullName = "deleted" // any: saved, so nick ""
		return c
	}, at)
}

// pushNamesLearnt renames the members a history sync's push names name
// (whatsmeow stored them as it downloaded the sync).
func (s *Session) pushNamesLearnt(names []*waHistorySync.Pushname) {
	users := map[string]bool{}
	for _, n := range names {
		if j, err := types.ParseJID(n.GetID()); err == nil && n.GetPushname() != "" && n.GetPushname() != "-" {
			users[j.User] = true
		}
	}
	s.namesLearnt(users, func(c types.ContactInfo) types.ContactInfo {
		c.PushName = ""
		return c
	}, time.Now())
}
