package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Someone who adds the user to a group without the user's profile key
// (Signal shares it with contacts one wrote to) only invites them:
// the user is among the group's pending members and gets none of its
// messages. signal-cli keeps such a group, no member of it; its update
// reads like a removal from a group the gateway never had. The user is
// told in the inviter's chat (an invitation in the group list the phone
// sends after a link names no inviter: then in an admin's chat), once:
// the invitations told are kept in the login's folder, so a restart or
// the phone's list sent again tells none twice. Besides the notice, an
// InvitedEvent: the gateway shows it as the room's invitation, which
// clients offer to accept or decline. Joining the group's room
// from XMPP accepts it (signal-cli's updateGroup of a group the account
// is invited to), joining it with the password "decline" declines it
// (quitGroup), and so does a decline the user's client sends to the
// room (DeclineInvite); accepting on the phone works too, the room
// coming with the update that lets the user in.

var _ sdk.InviteDecliner = (*Session)(nil)

// invitationsFile keeps the invitations told, by chat ID.
const invitationsFile = "invitations-told.json"

// endedKept is how long an ended invitation is kept for its time (a new
// one gets a later one): past it, now is later anyway.
const endedKept = 24 * time.Hour

// declineWord is the room password that declines an invitation.
const declineWord = "decline"

// invitationState is what the plugin keeps of one group's invitation.
type invitationState struct {
	// At (Unix ms) names the invitation in its event IDs: the update's
	// time, or, for one found in the group list (signal-cli's listGroups
	// gives no revision nor anything of the invitation itself), when the
	// plugin first saw it. Kept a while (endedKept) after the invitation
	// ended, so that a new one gets a later time even within the same
	// millisecond.
	At int64 `json:"at"`
	// Told: the invitation was told. Ended: it was accepted, declined
	// or withdrawn; a new one is another invitation.
	Told  bool `json:"told,omitempty"`
	Ended bool `json:"ended,omitempty"`
}

// invitations are the groups whose invitation of the user was told or
// recently ended, by chat ID, kept on disk.
type invitations struct {
	mu   sync.Mutex
	path string
	st   map[string]invitationState
	log  *slog.Logger
	// telling: those whose notice is on its way to the host, told in
	// st, untold on disk until it is confirmed.
	telling onTheWay[invitationState]
}

func loadInvitations(dir string, log *slog.Logger) *invitations {
	in := &invitations{st: map[string]invitationState{}, log: log}
	if dir == "" {
		return in
	}
	in.path = filepath.Join(dir, invitationsFile)
	if st, ok := sdk.LoadStateFile[invitationsTold](in.path, "the invitations pending are told again", log); ok {
		in.st = st
	}
	return in
}

// invitationsTold is the file's content: the invitations by chat ID, or,
// written by an older plugin, the chat IDs of the invitations told.
type invitationsTold map[string]invitationState

// UnmarshalJSON reads either form.
func (t *invitationsTold) UnmarshalJSON(b []byte) error {
	var m map[string]invitationState
	if err := json.Unmarshal(b, &m); err == nil {
		*t = m
		return nil
	}
	var ids []string
	if err := json.Unmarshal(b, &ids); err != nil {
		return fmt.Errorf("neither the invitations by chat ID nor a list of chat IDs: %w", err)
	}
	*t = invitationsTold{}
	for _, id := range ids {
		(*t)[id] = invitationState{Told: true}
	}
	return nil
}

// mark notes chatID's invitation told, on its way to the host, and
// returns the time naming it: at when the update gave one, else the one
// an untold invitation was given before (its telling did not reach the
// disk), else now, later than any invitation to the group before. The
// time is on disk before it returns; told, it is once confirmed (told).
// False when it was told, or is on its way, already.
func (in *invitations) mark(chatID string, at int64) (int64, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	old, had := in.st[chatID]
	switch {
	case old.Told:
		return 0, false
	case at != 0:
	case had && !old.Ended && old.At != 0:
		at = old.At
	default:
		at = max(time.Now().UnixMilli(), old.At+1)
	}
	untold := invitationState{At: at}
	in.st[chatID] = untold
	if untold != old {
		in.save()
	}
	in.telling.hold(chatID, in.st)
	in.st[chatID] = invitationState{At: at, Told: true}
	return at, true
}

// told closes mark of chatID's invitation named at: confirmed, it is
// noted told on disk; not, it is untold again, for the next start to
// tell under the same time (its envelope handled again). One ended
// meanwhile stays so.
func (in *invitations) told(chatID string, at int64, confirmed bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.telling.release(chatID)
	if st := in.st[chatID]; !confirmed && st.At == at && st.Told {
		in.st[chatID] = invitationState{At: at}
	}
	in.save()
}

// forget ends chatID's invitation (accepted, declined or withdrawn): a
// new one is told again, under a new time.
func (in *invitations) forget(chatID string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	st, had := in.st[chatID]
	if !had || st.Ended {
		return
	}
	in.st[chatID] = invitationState{At: st.At, Ended: true}
	in.save()
}

// save writes the set, less the invitations ended over endedKept ago;
// in.mu is held.
func (in *invitations) save() {
	if in.path == "" {
		return
	}
	stale := time.Now().Add(-endedKept).UnixMilli()
	for id, st := range in.st {
		if st.Ended && st.At < stale {
			delete(in.st, id)
		}
	}
	if err := sdk.SaveStateFile(in.path, in.telling.disk(in.st)); err != nil {
		in.log.Warn("signal: the invitations told could not be kept; one may be told again after a restart", "err", err)
	}
}

// selfPending reports whether the user is invited to the group g, not
// yet in it.
func (s *Session) selfPending(g groupEntry) bool {
	for _, raw := range g.PendingMembers {
		a := readAddress(raw)
		if (a.Number != "" && a.Number == s.account().Number) || (a.UUID != "" && s.account().ACI != "" && a.UUID == s.account().ACI) {
			return true
		}
	}
	return false
}

// invitation tells the user that by invited them to the group g (chat
// chatID), by the update's time at (Unix ms; 0: none, the time the
// plugin first saw it names it). With no inviter
// (the group list the phone sends), it is told in the chat of one of
// the group's admins, or of a member, saying Signal does not say who.
func (s *Session) invitation(ctx context.Context, chatID string, g groupEntry, by *pb.Sender, at int64) {
	log := s.n.host.Logger().With("login", s.loginID, "chat", chatID)
	known := by != nil && by.UserId != "" && !by.IsFromMe && by.UserId != s.selfID()
	if !known {
		by = s.someMember(ctx, g)
		if by == nil {
			log.Info("signal: the user is invited to a group with no one to tell it in")
			return
		}
	}
	at, first := s.invited.mark(chatID, at)
	if !first {
		return
	}
	name := g.Name
	if name == "" {
		name = "a group with no name"
	} else {
		name = strconv.Quote(name)
	}
	log.Info("signal: the user is invited to a group")
	text := "✉ " + senderName(by) + " invited you to the Signal group " + name + "."
	if !known {
		text = "✉ You are invited to the Signal group " + name + ", where " + senderName(by) + " is (Signal does not say who invited you)."
	}
	text += " Until you accept, its messages do not reach you. To accept, join its room " + chatID + "@ this gateway (or accept " + onPhone +
		"); to decline, join that room with the password \"" + declineWord + "\"."
	id := "invited-" + chatID + "-" + strconv.FormatInt(at, 10)
	// The invitation itself, which the user's client offers to accept
	// (the room's join) or decline (DeclineInvite): from its inviter,
	// none when Signal does not say who.
	var inviter *pb.Sender
	if known {
		inviter = by
	}
	// Not confirmed, its envelope is handled again at the next start,
	// which tells it then.
	s.invited.told(chatID, at, s.emitConfirmed(ctx,
		&pb.Event{ChatId: by.UserId, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: by, TimestampUnixMicro: at * 1000,
			EventId: id, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}},
		&pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: inviter, TimestampUnixMicro: at * 1000,
			EventId: id, Payload: &pb.Event_Invited{Invited: &pb.InvitedEvent{ChatName: g.Name}}}))
}

// senderName is how a notice names by: its name, else its user ID.
func senderName(by *pb.Sender) string {
	if by.Name != "" {
		return by.Name
	}
	return by.UserId
}

// someMember is a member of g other than the user, an admin first; nil
// when there is none.
func (s *Session) someMember(ctx context.Context, g groupEntry) *pb.Sender {
	var first *pb.Sender
	for _, raw := range g.Members {
		a := readAddress(raw)
		id := s.userID(ctx, a.Number, a.UUID, "")
		if id == "" || id == s.selfID() || (s.account().ACI != "" && a.UUID == s.account().ACI) {
			continue
		}
		if a.IsAdmin {
			return &pb.Sender{UserId: id}
		}
		if first == nil {
			first = &pb.Sender{UserId: id}
		}
	}
	return first
}

// answerInvitation is JoinChat of a group's own room (chatID): the
// user's answer to an invitation to it, accepting (password: none, or
// anything but declineWord) or declining. A group the user is in
// already is announced again.
func (s *Session) answerInvitation(ctx context.Context, chatID, password string) (string, error) {
	g, chat, err := s.readGroup(ctx, chatID)
	switch {
	case err != nil:
		return "", err
	case chat != nil && g.IsBlocked:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s", blockedGroupText)
	case chat != nil:
		s.announce(ctx, chat)
		return chatID, nil
	case g.ID == "" || !s.selfPending(g):
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are neither in nor invited to the Signal group %s. %s", chatID, joinByLink)
	}
	gid := groupIDOf(chatID)
	if strings.EqualFold(strings.TrimSpace(password), declineWord) {
		if err := s.decline(ctx, chatID); err != nil {
			return "", err
		}
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you declined the invitation to the Signal group %s: you are not in it", strconv.Quote(g.Name))
	}
	// updateGroup with nothing to change accepts the invitation.
	const what = "could not accept the invitation"
	var res sendResult
	if err := s.callRaw(ctx, what, "updateGroup", map[string]any{"groupId": gid}, &res); err != nil {
		return "", s.groupUpdateError(what, err)
	}
	s.invited.forget(chatID)
	if failed := res.failures(); len(failed) > 0 {
		s.n.host.Logger().Warn("signal: some members did not get the update saying the user joined", "login", s.loginID, "chat", chatID, "failed", strings.Join(failed, ", "))
	}
	chat, err = s.fetchGroup(ctx, chatID)
	if err != nil || chat == nil {
		s.n.host.Logger().Warn("signal: the group joined could not be read", "login", s.loginID, "chat", chatID, "err", err)
		chat = &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: g.Name,
			Members: []*pb.Member{{UserId: s.selfID(), IsSelf: true}}}
	}
	s.announce(ctx, chat)
	return chatID, nil
}

// DeclineInvite declines the invitation to the group c.ChatID: the
// user's client's decline sent to the group's room (XEP-0045 §7.8.2).
// Signal passes on no reason. A group the user is in is refused: leaving
// it is the room's /leave.
func (s *Session) DeclineInvite(ctx context.Context, c sdk.Call, _ *pb.DeclineInvite) error {
	g, chat, err := s.readGroup(ctx, c.ChatID)
	switch {
	case err != nil:
		return err
	case chat != nil:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are in the Signal group %s already, not invited: to leave it, leave its room with /leave", strconv.Quote(g.Name))
	case g.ID == "" || !s.selfPending(g):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not invited to the Signal group %s", c.ChatID)
	}
	return s.decline(ctx, c.ChatID)
}

// decline declines the invitation to the group chatID, which the user is
// invited to: quitGroup of such a group declines it.
func (s *Session) decline(ctx context.Context, chatID string) error {
	if err := s.call(ctx, "could not decline the invitation", "quitGroup", map[string]any{"groupId": groupIDOf(chatID)}, nil); err != nil {
		return err
	}
	s.invited.forget(chatID)
	s.n.host.Logger().Info("signal: the user declined an invitation to a group", "login", s.loginID, "chat", chatID)
	return nil
}
