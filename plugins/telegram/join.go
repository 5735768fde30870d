package telegram

import (
	"context"
	"strings"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Joining a public group or channel from XMPP (sdk.ChatJoiner, feature
// join_chat) by its public name, the room's localpart: golang@ the
// transport for t.me/golang. Telegram knows the group by its number, so
// the join answers with that chat's ID (-100N): the gateway announces
// its room, and answers the join of the name with gone, naming it.

var _ sdk.ChatJoiner = (*Session)(nil)

// JoinChat joins the public group or channel named c.ChatID, the group
// of a private invite link (join_invite.go), or one a search found, by
// its chat ID (search.go).
func (s *Session) JoinChat(ctx context.Context, c sdk.Call, j *pb.JoinChat) (string, error) {
	if s.bot != nil {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "telegram: a bot joins a group when its admins add it")
	}
	if inv, ok, err := inviteOf(c.ChatID, j.GetPassword()); ok || err != nil {
		if err != nil {
			return "", err
		}
		return s.joinByInvite(ctx, inv)
	}
	if strings.HasPrefix(c.ChatID, "-") {
		return s.joinFound(ctx, c.ChatID) // a chat ID, as a search gives it (search.go)
	}
	name := strings.TrimPrefix(c.ChatID, "@")
	if !publicName(name) {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: you are not in %s; a public group is joined by its name (golang for t.me/golang)", c.ChatID)
	}
	api, _, err := s.client()
	if err != nil {
		return "", err
	}
	res, err := api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: name})
	if err != nil {
		return "", cmdErr("find the group "+name, err)
	}
	s.peers.add(res.Users, res.Chats)
	pc, ok := res.Peer.(*tg.PeerChannel)
	if !ok {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s is a person, not a group: write to them instead", name)
	}
	ch, err := s.peers.inputChannel(pc.ChannelID)
	if err != nil {
		return "", err
	}
	return s.joinChannel(ctx, api, ch, name)
}

// joinChannel joins the channel or supergroup ch, which the user knows
// as what, and answers with its chat ID.
func (s *Session) joinChannel(ctx context.Context, api *tg.Client, ch *tg.InputChannel, what string) (string, error) {
	chat := channelID(ch.ChannelID)
	done := s.joinAsked(ch.ChannelID) // joinpts.go
	defer done()
	res, err := api.ChannelsJoinChannel(ctx, ch)
	var upd tg.UpdatesClass
	switch r := res.(type) {
	case *tg.MessagesChatInviteJoinResultOk:
		upd = r.Updates
		s.seedJoined(ctx, upd) // joinpts.go
	case *tg.MessagesChatInviteJoinResultWebView:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: %s asks newcomers to pass a check in Telegram's app first", what)
	}
	switch {
	case tgerr.Is(err, "USER_ALREADY_PARTICIPANT"):
		return chat, s.announce(ctx, chat)
	case err != nil:
		return "", cmdErr("join "+what, err)
	}
	return chat, s.joined(ctx, chat, upd)
}

// joined hands a join's answer to the update manager running now (the
// one running when the command began may have stopped meanwhile, and
// one stopped never reads what it is given): its service message brings
// the group (serviceEvents). When it has none, the group is announced
// as it is now.
func (s *Session) joined(ctx context.Context, chat string, upd tg.UpdatesClass) error {
	if !joinedBy(upd) {
		return s.announce(ctx, chat)
	}
	if herr := s.toManager(upd); herr != nil { // joinpts.go
		s.n.log().Info("telegram: the join's updates dropped, the updates manager stopped (the group comes with the chat list at the next connection)", "login", s.login.LoginID, "chat", chat, "err", herr)
	}
	return nil
}

// announce sends the gateway a group the user is in already, as it is
// now, for its room.
func (s *Session) announce(ctx context.Context, chat string) error {
	c, err := s.ChatInfo(ctx, chat)
	if err != nil {
		return err
	}
	s.emit(&pb.Event{ChatId: chat, ChatType: c.Type, Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}})
	return nil
}

// publicName reports whether s can be a Telegram public name: 5 to 32
// letters, digits and underscores, starting with a letter (so no chat or
// user ID, which are numbers).
func publicName(s string) bool {
	if len(s) < 5 || len(s) > 32 || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// joinedBy reports whether a join's answer carries its service message.
func joinedBy(u tg.UpdatesClass) bool {
	us, ok := u.(*tg.Updates)
	if !ok {
		return false
	}
	for _, x := range us.Updates {
		var m tg.MessageClass
		switch u := x.(type) {
		case *tg.UpdateNewChannelMessage:
			m = u.Message
		case *tg.UpdateNewMessage: // a basic group's
			m = u.Message
		}
		if _, ok := m.(*tg.MessageService); ok {
			return true
		}
	}
	return false
}
