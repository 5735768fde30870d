package telegram

import (
	"context"
	"strings"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Creating a group from XMPP (sdk.ChatCreator, feature create_chat): a
// basic group (messages.createChat) with the name and the contacts
// asked for, its chat ID -N. Telegram's answer carries the group's
// service message (messageActionChatCreate), which the update manager
// turns into the group's ChatEvent with its members as for any new group
// (serviceEvents). Members whose privacy settings keep the user from
// adding them come back as missing invitees: the group is made without
// them, and the ChatEvent lists who is in. A bot cannot create groups.

var _ sdk.ChatCreator = (*Session)(nil)

// CreateChat creates a basic group named cc.Name with the users
// cc.MemberIds and returns its chat ID.
func (s *Session) CreateChat(ctx context.Context, _ sdk.Call, cc *pb.CreateChat) (string, error) {
	if s.bot != nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot create groups; create the group in Telegram and add the bot to it")
	}
	title := strings.TrimSpace(cc.Name)
	if title == "" {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a new group needs a name")
	}
	api, mgr, err := s.client()
	if err != nil {
		return "", err
	}
	users, err := s.newMembers(cc.MemberIds)
	if err != nil {
		return "", err
	}
	res, err := api.MessagesCreateChat(ctx, &tg.MessagesCreateChatRequest{Users: users, Title: title})
	if err != nil {
		return "", createErr(err)
	}
	if e, ok := res.Updates.(interface {
		GetUsers() []tg.UserClass
		GetChats() []tg.ChatClass
	}); ok {
		s.peers.add(e.GetUsers(), e.GetChats())
	}
	chat := joinedChat(res.Updates) // the service message's chat (join_invite.go)
	if chat == "" {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSPECIFIED, "telegram: the group %q was created, but Telegram did not say which chat it is: it shows in the chat list at the next connection", title)
	}
	log := s.n.host.Logger()
	for _, m := range res.MissingInvitees {
		why := "their privacy settings let only their contacts add them to groups"
		if m.PremiumWouldAllowInvite || m.PremiumRequiredForPm {
			why = "their privacy settings let only their contacts and Telegram Premium users add them to groups"
		}
		log.Info("telegram: not added to the new group", "chat", chat, "user", userID(m.UserID), "name", s.userName(m.UserID), "why", why)
	}
	// The group exists now: a failure to describe it must not fail the
	// command (a retry would create a second group). Its room then comes
	// with the chat list or its next update.
	if err := s.joined(ctx, mgr, chat, res.Updates); err != nil {
		log.Warn("telegram: the new group was not described", "chat", chat, "err", err)
	}
	return chat, nil
}

// newMembers are the users a new group is made with, as requests name
// them: each once, the user themselves left out (Telegram makes them the
// group's creator).
func (s *Session) newMembers(ids []string) ([]tg.InputUserClass, error) {
	var out []tg.InputUserClass
	seen := map[int64]bool{s.self: true}
	for _, id := range ids {
		kind, uid, err := parsePeer(id)
		if err != nil || kind != peerUser {
			return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %q is no Telegram user", id)
		}
		if seen[uid] {
			continue
		}
		seen[uid] = true
		in, err := s.peers.inputUser(uid)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// createRefusals are Telegram's refusals of a new group, in words for
// the user; the rest are cmdErr's.
var createRefusals = map[string]struct {
	code pb.ErrorCode
	text string
}{
	"CHAT_TITLE_EMPTY": {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram finds the name empty: give the group a name"},
	"USERS_TOO_FEW":    {pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "Telegram wants at least one other member in a new group"},
	"USER_RESTRICTED":  {pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram limits this account (reported for spam): it may not create groups for now; @SpamBot in Telegram says until when"},
}

// createErr is a refused messages.createChat as the gateway shows it.
func createErr(err error) error {
	const what = "create the group"
	if e, ok := tgerr.As(err); ok {
		if x, ok := createRefusals[e.Type]; ok {
			return sdk.Errorf(x.code, "telegram: %s: %s (%s)", what, x.text, e.Type)
		}
	}
	return cmdErr(what, err)
}
