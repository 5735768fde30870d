package telegram

import (
	"context"
	"strings"
	"time"

	"github.com/gotd/td/tg"

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
// cc.MemberIds and returns its chat ID. Under a txn ID it makes the
// group once, the plugin's crashes and the lost answers notwithstanding
// (create_txn.go).
func (s *Session) CreateChat(ctx context.Context, call sdk.Call, cc *pb.CreateChat) (string, error) {
	if s.bot != nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot cannot create groups; create the group in Telegram and add the bot to it")
	}
	title := strings.TrimSpace(cc.Name)
	if title == "" {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: a new group needs a name")
	}
	api, _, err := s.client()
	if err != nil {
		return "", err
	}
	users, err := s.newMembers(cc.MemberIds)
	if err != nil {
		return "", err
	}
	if call.TxnID != "" {
		if chat, err := s.beginCreate(ctx, api, call.TxnID, title); chat != "" || err != nil {
			return chat, err
		}
	}
	res, err := api.MessagesCreateChat(ctx, &tg.MessagesCreateChatRequest{Users: users, Title: title})
	if err != nil {
		return "", cmdErr("create the group", err)
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
	if call.TxnID != "" {
		rec, ok := s.creates.get(call.TxnID)
		if !ok { // forgotten meanwhile, past createsMax
			rec = createRecord{Txn: call.TxnID, Title: title, At: time.Now().Unix()}
		}
		rec.Chat = chat
		if err := s.creates.put(rec); err != nil {
			// The group is made: the command stands. A resend after
			// a crash finds it among the chats instead.
			log.Warn("telegram: the new group not recorded", "chat", chat, "txn", call.TxnID, "err", err)
		}
	}
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
	if err := s.joined(ctx, chat, res.Updates); err != nil {
		log.Warn("telegram: the new group was not described", "chat", chat, "err", err)
	}
	return chat, nil
}

// beginCreate is the group an earlier run of txn made (a resend: the
// plugin died, or its answer was lost), or "" after recording durably
// that txn is about to make the group title. A failure to record refuses
// the command: nothing is made, and a retry is safe.
func (s *Session) beginCreate(ctx context.Context, api *tg.Client, txn, title string) (string, error) {
	rec, ok := s.creates.get(txn)
	switch {
	case ok && rec.Chat != "":
		return rec.Chat, nil
	case ok: // asked before, its outcome unknown: made, or not
		chat, err := s.createdEarlier(ctx, api, rec)
		if chat == "" || err != nil {
			return "", err
		}
		rec.Chat = chat
		if err := s.creates.put(rec); err != nil {
			s.n.host.Logger().Warn("telegram: the group made before not recorded", "chat", chat, "txn", txn, "err", err)
		}
		s.n.host.Logger().Info("telegram: the group was made before the plugin stopped; not made again", "chat", chat, "txn", txn)
		return chat, nil
	}
	if err := s.creates.put(createRecord{Txn: txn, Title: title, At: time.Now().Unix()}); err != nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSPECIFIED, "telegram: the group was not created: %v", err)
	}
	return "", nil
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
