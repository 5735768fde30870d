package whatsapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A private invitation the user receives (waE2E.GroupInviteMessage) is,
// besides its text in the inviter's chat, an InvitedEvent on the group's
// own chat ID: the gateway shows it as the room's XEP-0045 invitation,
// its <password> the invitation (invitation.password: group, inviter,
// expiry, code), which the client gives back when it joins the group's
// room; that join is JoinGroupWithInvite (joinByInvitation). The
// password carries all the join needs, so an invitation accepted after a
// restart still joins; the invitations received are kept too, in the
// login's folder (pendingInvites, invitesFile), for a join of the room
// without the password or a decline, after a restart too, until a join
// succeeds (joinInvitation), a decline, or their expiry. Group IDs answer disco as rooms
// (join_chat_pattern), so that a client offers the join before the user
// is in. WhatsApp has no decline: a decline
// (DeclineInvite) forgets the invitation here and tells the user so in
// the inviter's chat; the inviter is not told, the invitation lapses at
// its expiry.

var _ sdk.InviteDecliner = (*Session)(nil)

// groupChatIDPattern is a group's chat ID (chatIDOf: its JID, whose
// local part is digits, or, for an older group, its creator's number and
// its creation time), or a channel's (<digits>@newsletter, followed by
// joining its room: channelfollow.go), for Features.join_chat_pattern.
const groupChatIDPattern = `[0-9]+(?:-[0-9]+)?@g\.us|[0-9]+@newsletter`

// invitesFile keeps the private invitations received, in the login's
// folder: a join of the group's room without the password, or a
// decline, still finds its invitation after a restart (WhatsApp does not
// send the message again).
const invitesFile = "invites.json"

// invitesMax bounds the invitations kept: the oldest to expire go
// first (a contact sending invitations without end grows no file).
const invitesMax = 256

// pendingInvites are the private invitations received and not yet
// joined or declined, by the group's chat ID, kept in path ("": in
// memory only) as each one's password (invitation.password), which says
// all of it.
type pendingInvites struct {
	path string
	log  *slog.Logger // a damaged file's line (sdk.LoadStateFile)

	mu     sync.Mutex
	loaded bool
	by     map[string]invitation
}

// newPendingInvites keeps the invitations in the login's folder.
func newPendingInvites(loginDir string, log *slog.Logger) *pendingInvites {
	p := &pendingInvites{log: log}
	if loginDir != "" {
		p.path = filepath.Join(loginDir, invitesFile)
	}
	return p
}

func (p *pendingInvites) loadLocked() {
	if p.loaded {
		return
	}
	p.loaded = true
	p.by = map[string]invitation{}
	saved, _ := sdk.LoadStateFile[map[string]string](p.path, "the invitations received before cannot be accepted from their rooms", p.log)
	for chatID, pass := range saved {
		if inv, ok := parseInvitation(pass); ok && inv.group.String() == chatID {
			p.by[chatID] = inv
		}
	}
}

// saveLocked forgets the invitations expired, and the soonest to expire
// past invitesMax, then writes the file.
func (p *pendingInvites) saveLocked() error {
	nowUnix := now().Unix()
	for id, inv := range p.by {
		if inv.expiration > 0 && inv.expiration < nowUnix {
			delete(p.by, id)
		}
	}
	for len(p.by) > invitesMax {
		var oldest string
		for id, inv := range p.by {
			if oldest == "" || inv.expiration != 0 && (p.by[oldest].expiration == 0 || inv.expiration < p.by[oldest].expiration) {
				oldest = id
			}
		}
		delete(p.by, oldest)
	}
	if p.path == "" {
		return nil
	}
	saved := make(map[string]string, len(p.by))
	for id, inv := range p.by {
		saved[id] = inv.password()
	}
	b, err := json.Marshal(saved)
	if err != nil {
		return err
	}
	return writeState(p.path, b)
}

func (p *pendingInvites) put(chatID string, inv invitation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	p.by[chatID] = inv
	return p.saveLocked()
}

func (p *pendingInvites) get(chatID string) (invitation, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	inv, ok := p.by[chatID]
	return inv, ok
}

// take forgets chatID's invitation and returns it.
func (p *pendingInvites) take(chatID string) (invitation, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loadLocked()
	inv, ok := p.by[chatID]
	if !ok {
		return inv, false, nil
	}
	delete(p.by, chatID)
	return inv, true, p.saveLocked()
}

// invitedEvent is the InvitedEvent of a private invitation e the user
// received (shown already as ev), nil for one of the user's own or one
// that lacks what a join needs.
func (s *Session) invitedEvent(e *events.Message, m *waE2E.GroupInviteMessage, ev *pb.Event) *pb.Event {
	if e.Info.IsFromMe || ev == nil {
		return nil
	}
	inv, ok := invitationOf(m, e.Info.Sender.ToNonAD())
	if !ok {
		return nil
	}
	chatID := inv.group.String()
	if err := s.invites.put(chatID, inv); err != nil {
		// Its password, in the event, still joins.
		s.log.Warn("invitation not kept: a join without its password or a decline after a restart will not find it", "chat", chatID, "err", err)
	}
	return &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: ev.Sender,
		TimestampUnixMicro: ev.TimestampUnixMicro, EventId: "invited-" + e.Info.ID,
		Payload: &pb.Event_Invited{Invited: &pb.InvitedEvent{ChatName: m.GetGroupName(), Reason: m.GetCaption(), Password: inv.password()}}}
}

// joinInvited joins the group chatID (a group's chat ID) by the
// invitation in pass, else by the one received for it; NOT_FOUND when
// there is none, saying how to join.
func (s *Session) joinInvited(ctx context.Context, chatID string, group types.JID, pass string) (string, error) {
	if pass != "" {
		inv, ok := parseInvitation(pass)
		if !ok {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is no invitation WhatsApp sent: join %s with its invitation's password whole, or %s@ this transport with the group's link", pass, chatID, inviteRoom)
		}
		if inv.group != group {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: that password is the invitation to %s, not to %s", inv.group, chatID)
		}
		return s.joinInvitation(ctx, inv)
	}
	if inv, ok := s.invites.get(chatID); ok {
		return s.joinInvitation(ctx, inv)
	}
	return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: you are not in %s and hold no invitation to it; %s", chatID, joinHowText)
}

// joinInvitation joins by inv and, joined, forgets the invitation
// received for its group, so that a later decline does not tell the
// user they declined a group they are in.
func (s *Session) joinInvitation(ctx context.Context, inv invitation) (string, error) {
	joined, err := s.joinByInvitation(ctx, inv)
	if err == nil {
		if _, _, err := s.invites.take(inv.group.String()); err != nil {
			s.log.Warn("joined invitation not forgotten on disk", "chat", inv.group, "err", err)
		}
	}
	return joined, err
}

// DeclineInvite forgets the invitation to c.ChatID: WhatsApp has no
// decline, so the inviter is not told and the invitation lapses at its
// expiry. The user is told so in the inviter's chat.
func (s *Session) DeclineInvite(_ context.Context, c sdk.Call, _ *pb.DeclineInvite) error {
	inv, ok, err := s.invites.take(c.ChatID)
	if err != nil {
		s.log.Warn("declined invitation not forgotten on disk", "chat", c.ChatID, "err", err)
	}
	if !ok {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: no invitation to %s is pending here (WhatsApp has no decline: an invitation not accepted lapses)", c.ChatID)
	}
	s.log.Info("an invitation declined: forgotten here, WhatsApp has no decline", "chat", c.ChatID)
	inviter := s.ids.userID(inv.inviter)
	text := "You declined the invitation to " + c.ChatID + " here. WhatsApp has no decline: " + inviter + " is not told"
	if inv.expiration > 0 {
		text += ", and the invitation stays valid until " + time.Unix(inv.expiration, 0).UTC().Format(expiryLayout)
	}
	text += "."
	now := now()
	s.emit(&pb.Event{ChatId: inviter, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, TimestampUnixMicro: now.UnixMicro(),
		EventId: "declined-" + strings.ReplaceAll(c.ChatID, "@", "-") + "-" + now.Format("20060102150405.000000000"),
		Sender:  &pb.Sender{UserId: s.conv.self, IsFromMe: true},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
	return nil
}
