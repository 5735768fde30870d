package whatsapp

import (
	"context"
	"slices"
	"strings"
	"time"

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
// name that their nick changed, when it did: before is the store's entry
// as it was before the change (the store has the new one already). The
// member event carries the whole member, role included, as the gateway
// takes it for the member's new state.
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
		m := s.memberOf(f.p)
		m.Nick = nick
		s.emit(&pb.Event{ChatId: f.group, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: &pb.Sender{UserId: m.UserId},
			TimestampUnixMicro: at.UnixMicro(),
			Payload:            &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: m}}})
	}
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
