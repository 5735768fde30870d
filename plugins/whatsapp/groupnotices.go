package whatsapp

import (
	"cmp"
	"context"
	"strconv"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group's changes that are no member, name, topic or timer change, said
// in its room as the apps say them in the chat, a line from whoever made
// them (the room itself for WhatsApp's own, such as a suspension): who
// may send messages, edit the group's info or add members, whether
// admins approve newcomers, a new invite link, the group suspended or
// restored, and, to its admins, who asked to join it. They changed the
// room's features silently, or nothing.

// The lines said.
const (
	announceOnText     = "Allowed only admins to send messages to this group"
	announceOffText    = "Allowed all members to send messages to this group"
	lockedOnText       = "Allowed only admins to edit this group's info"
	lockedOffText      = "Allowed all members to edit this group's info"
	addAdminText       = "Allowed only admins to add others to this group"
	addAllText         = "Allowed all members to add others to this group"
	approvalOnText     = "Turned on admin approval to join this group"
	approvalOffText    = "Turned off admin approval to join this group"
	approvalText       = "Changed whether admins approve new members of this group"
	inviteResetText    = "Reset this group's invite link: the old one no longer works; the new one is "
	suspendedText      = "WhatsApp suspended this group: no one can send messages to it"
	unsuspendedText    = "WhatsApp restored this group: messages can be sent to it again"
	joinRequestText    = " asked to join this group: an admin approves by inviting them to this room, or rejects by banning their address (or on the phone)"
	withdrawnText      = " withdrew their request to join this group"
	groupNoticeIDStart = "group-"
)

// groupNotices are the lines e's changes say, from by (the user's own
// as theirs). Called before the cached group takes e's changes: a
// setting said again as it was (a notification listing every setting, or
// the same one again after a reconnection) says nothing. Each line's ID
// is made of the change and its time, so the same notification again
// after a restart is dropped by the host.
func (s *Session) groupNotices(e *events.GroupInfo, by *pb.Sender) []*pb.Event {
	if e.Sender != nil && s.isOwn(*e.Sender, ptrJID(e.SenderPN)) {
		by = &pb.Sender{UserId: s.login.LoginID, IsFromMe: true}
	}
	s.mu.Lock()
	var was *types.GroupInfo
	if g := s.groups[e.JID]; g != nil {
		was = cloneGroup(g)
	}
	s.mu.Unlock()
	var out []*pb.Event
	say := func(what, text string, snd *pb.Sender) {
		out = append(out, &pb.Event{ChatId: e.JID.ToNonAD().String(), ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: snd,
			TimestampUnixMicro: e.Timestamp.UnixMicro(), EventId: groupNoticeIDStart + what + "-" + strconv.FormatInt(e.Timestamp.Unix(), 10),
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
	}
	onOff := func(what string, on bool, onText, offText string) {
		if on {
			say(what+"-on", onText, by)
		} else {
			say(what+"-off", offText, by)
		}
	}
	if a := e.Announce; a != nil && (was == nil || was.IsAnnounce != a.IsAnnounce) {
		onOff("announce", a.IsAnnounce, announceOnText, announceOffText)
	}
	if l := e.Locked; l != nil && (was == nil || was.IsLocked != l.IsLocked) {
		onOff("locked", l.IsLocked, lockedOnText, lockedOffText)
	}
	if mode, ok := addModeChange(e); ok && (was == nil || was.MemberAddMode != mode) {
		onOff("admins-add", mode == types.GroupMemberAddModeAdmin, addAdminText, addAllText)
	}
	if e.MembershipApprovalMode != nil {
		what, text := s.approvalNotice(e)
		say(what, text, by)
	}
	if e.NewInviteLink != nil && *e.NewInviteLink != "" {
		say("invite", inviteResetText+*e.NewInviteLink, by)
	}
	for _, who := range s.joinRequests(e) {
		say("join-request-"+who.User, s.askerName(who)+joinRequestText, &pb.Sender{})
	}
	for _, end := range s.requestsEnded(e) {
		switch {
		case end.withdrawn:
			say("join-withdrawn-"+end.who.User, s.askerName(end.who)+withdrawnText, &pb.Sender{})
		case by.GetIsFromMe() && s.rejectedHere(e.JID, end.who, end.lid):
			// Rejected from the room, which said so (joinrequests.go).
		default:
			say("join-rejected-"+end.who.User, requestRejectedText+s.askerName(end.who), by)
		}
	}
	// WhatsApp's own doing: from the room itself, whoever the
	// notification names.
	if e.Suspended {
		say("suspended", suspendedText, &pb.Sender{})
	}
	if e.Unsuspended {
		say("unsuspended", unsuspendedText, &pb.Sender{})
	}
	return out
}

// approvalNotice is the line (its ID's part, its text) saying whether
// admins now approve newcomers: whatsmeow's event says only that it
// changed (it drops the notification's <group_join state=…/>), so the
// group is read again, within groupReadWait; not answered, the line
// says only that it changed.
func (s *Session) approvalNotice(e *events.GroupInfo) (what, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), groupReadWait())
	defer cancel()
	g, err := s.group(ctx, e.JID)
	switch {
	case err != nil:
		s.log.Info("group not read after a change of its approval mode: said as a change", "group", e.JID, "err", err)
		return "approval", approvalText
	case g.IsJoinApprovalRequired:
		return "approval-on", approvalOnText
	}
	return "approval-off", approvalOffText
}

// joinRequests are those who asked to join e's group, as its admins are
// told: <created_membership_requests> holding a <requested_user jid=…
// phone_number=…/> each (the form WhatsApp Web reads, as other clients
// of the protocol read it), which whatsmeow leaves among its unknown
// changes. By phone number when the notification gives it beside a LID,
// the pair learnt: WhatsApp lists the requests by LID when an admin
// answers one from the room (joinrequests.go).
func (s *Session) joinRequests(e *events.GroupInfo) []types.JID {
	var out []types.JID
	for _, n := range e.UnknownChanges {
		if n == nil || n.Tag != "created_membership_requests" {
			continue
		}
		for _, u := range n.GetChildrenByTag("requested_user") {
			ag := u.AttrGetter()
			jid, pn := ag.OptionalJIDOrEmpty("jid"), ag.OptionalJIDOrEmpty("phone_number")
			if !jid.IsEmpty() && !pn.IsEmpty() {
				s.ids.learn(jid.ToNonAD(), pn.ToNonAD())
			}
			s.forgetRejected(e.JID, jid, pn) // joinrequests.go
			who := preferPN(jid, pn)
			if !who.IsEmpty() {
				out = append(out, who.ToNonAD())
			}
		}
	}
	return out
}

// requestEnded is a request to join that ended without joining: who
// asked (by phone number when known, lid their LID), and whether they
// withdrew it themselves (else an admin rejected it).
type requestEnded struct {
	who, lid  types.JID
	withdrawn bool
}

// requestsEnded are the requests to join e's group that ended, as its
// admins are told: <revoked_membership_requests> holding a
// <participant jid=… phone_number=…/> each, from the requester who
// withdrew it or the admin who rejected it (the form Baileys reads, and
// the element WhatsApp's Android app lists among a group's participant
// changes; whatsmeow leaves it among its unknown changes).
func (s *Session) requestsEnded(e *events.GroupInfo) []requestEnded {
	var out []requestEnded
	for _, n := range e.UnknownChanges {
		if n == nil || n.Tag != "revoked_membership_requests" {
			continue
		}
		for _, u := range n.GetChildren() {
			ag := u.AttrGetter()
			jid, pn := ag.OptionalJIDOrEmpty("jid"), ag.OptionalJIDOrEmpty("phone_number")
			if !jid.IsEmpty() && !pn.IsEmpty() {
				s.ids.learn(jid.ToNonAD(), pn.ToNonAD())
			}
			who := preferPN(jid, pn)
			if who.IsEmpty() {
				continue
			}
			withdrawn := e.Sender != nil && (s.samePerson(*e.Sender, who) || s.samePerson(*e.Sender, jid) ||
				e.SenderPN != nil && s.samePerson(*e.SenderPN, who))
			out = append(out, requestEnded{who: who.ToNonAD(), lid: jid.ToNonAD(), withdrawn: withdrawn})
		}
	}
	return out
}

// requesterName names someone who is no member (yet): their name as the
// user knows it and their number, or the number alone; "Someone" for a
// LID whose number and name are not known.
func (s *Session) requesterName(who types.JID) string {
	name := contactName(s.person(context.Background(), who))
	if who.Server != types.DefaultUserServer {
		return cmp.Or(name, "Someone")
	}
	if name == "" {
		return "+" + who.User
	}
	return name + " (+" + who.User + ")"
}
