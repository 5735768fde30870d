package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Contacts WhatsApp will not add to a group, at its creation (CreateChat)
// or later (Invite). WhatsApp answers each with an error code; for 403,
// their privacy settings let only an invitation through, and its answer
// carries one (an add_request: a code and its expiry). WhatsApp's app
// then sends them a private "group invite" message
// (waE2E.GroupInviteMessage) with which they join; the plugin does the
// same, and says in the group's room who was invited instead of added.

// inviteCaption is the caption of the invitation sent. WhatsApp's app
// lets the inviter write one; the gateway asks for none, so it says
// plainly what the message is.
const inviteCaption = "Invitation to join my WhatsApp group"

// errPrivacy is the participant error code of someone whose privacy
// settings let only an invitation through.
const errPrivacy = 403

// refusal is a contact WhatsApp did not add to a group, and what came of
// it.
type refusal struct {
	who     string    // their name and user ID, for the user
	code    int       // WhatsApp's error code
	until   time.Time // the invitation's expiry, when one was sent
	sendErr error     // why the invitation WhatsApp offered was not sent
}

// inviteRefused sends the invitation WhatsApp offers to each participant
// of its answer it did not add to group (notAdded) whose privacy
// settings allow one (403 with an add_request), through the normal send
// path, and returns every one not added, in order. name is the group's.
func (s *Session) inviteRefused(ctx context.Context, group types.JID, name string, ps []types.GroupParticipant) []refusal {
	var out []refusal
	for _, p := range ps {
		if !notAdded(p) {
			continue
		}
		to := preferPN(p.JID, p.PhoneNumber).ToNonAD()
		r := refusal{who: s.whoIs(ctx, to), code: p.Error}
		if invitable(p) {
			if err := s.sendInvite(ctx, group, name, to, p.AddRequest); err != nil {
				s.log.Warn("invitation to a group not sent", "group", group, "user", s.ids.userID(to), "err", err)
				r.sendErr = err
			} else {
				r.until = p.AddRequest.Expiration
			}
		}
		s.log.Info("contact not added to the group", "group", group, "user", s.ids.userID(to),
			"code", p.Error, "invitation", p.AddRequest != nil, "invited", !r.until.IsZero())
		out = append(out, r)
	}
	return out
}

// invitable says whether WhatsApp did not add p but offers an
// invitation for them.
func invitable(p types.GroupParticipant) bool {
	return p.Error == errPrivacy && p.AddRequest != nil
}

// sendInvite sends to the invitation of a group's add_request, in their
// direct chat, as any message the user sends (whatsmeow keeps it to
// encrypt again should their phone ask; an error is the send's). The
// user's XMPP client is given a copy in that chat, as one sent from the
// phone: the invitation is theirs, and their phone shows it there too.
func (s *Session) sendInvite(ctx context.Context, group types.JID, name string, to types.JID, req *types.GroupParticipantAddRequest) error {
	// In their chat, with its timer, as the user's other messages there.
	msg := withTimer(inviteMessage(group, name, req), s.timers.get(s.ids.userID(to)))
	resp, err := s.d.cli.SendMessage(ctx, to, msg)
	if err != nil {
		return s.sendErr("send "+s.ids.userID(to)+" an invitation to the group", err)
	}
	s.noteSent(s.ids.userID(to), to, resp)
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: to, Sender: s.ownJID(), IsFromMe: true}, ID: resp.ID, Timestamp: resp.Timestamp}
	if ev := s.conv.message(&events.Message{Info: info, Message: msg}); ev != nil {
		s.emit(ev)
	}
	return nil
}

// inviteMessage is WhatsApp's private invitation to join a group, with
// the code and expiry of WhatsApp's add_request.
func inviteMessage(group types.JID, name string, req *types.GroupParticipantAddRequest) *waE2E.Message {
	return &waE2E.Message{GroupInviteMessage: &waE2E.GroupInviteMessage{
		GroupJID:         proto.String(group.ToNonAD().String()),
		InviteCode:       proto.String(req.Code),
		InviteExpiration: proto.Int64(req.Expiration.Unix()),
		GroupName:        proto.String(name),
		Caption:          proto.String(inviteCaption),
	}}
}

// whoIs is a contact for the user: the name WhatsApp has for them and
// their user ID, or the user ID alone.
func (s *Session) whoIs(ctx context.Context, jid types.JID) string {
	id := s.ids.userID(jid)
	if s.d == nil || s.d.dev == nil {
		return id
	}
	c, err := s.d.dev.Contacts.GetContact(ctx, jid)
	if n := contactName(c); err == nil && n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}

// refusalText says who was not added, and who was invited instead; ""
// for none.
func refusalText(rs []refusal) string {
	lines := make([]string, 0, len(rs))
	for _, r := range rs {
		var l string
		switch {
		case !r.until.IsZero():
			l = fmt.Sprintf("%s was not added: their privacy settings let only an invitation through, so they were sent one in a private message (valid until %s); they join when they accept it.",
				r.who, r.until.UTC().Format(expiryLayout))
		case r.sendErr != nil:
			l = fmt.Sprintf("%s was not added: their privacy settings let only an invitation through, and it could not be sent (%s).", r.who, userText(r.sendErr))
		case r.code == errPrivacy:
			l = fmt.Sprintf("%s was not added: their privacy settings keep WhatsApp from adding them (%d), and WhatsApp offered no invitation.", r.who, r.code)
		default:
			l = fmt.Sprintf("%s was not added: WhatsApp refused (%d).", r.who, r.code)
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// userText is an error's words for the user, without its code.
func userText(err error) string {
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Text
	}
	return err.Error()
}

// tellRoom says text in a group's room, from the room itself (no
// sender): what the user needs to know of a change they made.
func (s *Session) tellRoom(chatID, text string) {
	if text == "" {
		return
	}
	s.emit(&pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
}
