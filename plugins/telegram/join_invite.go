package telegram

import (
	"context"
	"net/url"
	"strings"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Joining a private group by its invite link (t.me/+HASH, or the older
// t.me/joinchat/HASH). The hash's case matters, while an XMPP server
// lowercases a room's localpart (nodeprep), so the link comes one of
// two ways:
//
//   - the room joinchat@ the transport, with the link (or the hash) as
//     the room's password: the password keeps its case. joinchat is no
//     one's public name (t.me/joinchat is Telegram's own path).
//   - the room +HASH@ the transport, each capital written as a
//     backslash and the letter (the gateway's escaping: +\ab\cd12@ for
//     t.me/+AbCd12); a hash without capitals is written as it is.
//
// The join looks the link up (messages.checkChatInvite: the group's
// title, or the group itself when the user is in it already), then joins
// by it (messages.importChatInvite). As for a public name, the join
// answers with the group's own chat ID, and the gateway answers the join
// of the link's room with gone, naming the group's room. A link whose
// group wants an admin's approval sends the request: the join is refused
// saying so, and the group's room comes once an admin lets the user in
// (messageActionChatJoinedByRequest, serviceEvents).

// inviteRoom is the room whose password is an invite link.
const inviteRoom = "joinchat"

// invite is a private link a join names.
type invite struct {
	hash string
	// inAddress: the hash came from the room's address, where a
	// capital not escaped is lost.
	inAddress bool
}

// inviteOf is the invite link a join names by its room (chat) and
// password; ok is false when it names none (a public name, a chat ID).
func inviteOf(chat, password string) (inv invite, ok bool, err error) {
	var fromPass string
	if password != "" {
		if fromPass, ok = linkHash(password); !ok {
			if chat == inviteRoom {
				return invite{}, true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %q is no invite link: give a link such as https://t.me/+AbCdEf123 as the room's password", password)
			}
			fromPass = "" // a public group's join with a password: no link
		}
	}
	switch {
	case chat == inviteRoom:
		if password == "" {
			return invite{}, true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: to join a group by its invite link, give the link (https://t.me/+AbCdEf123) as the room's password")
		}
		return invite{hash: fromPass}, true, nil
	case strings.HasPrefix(chat, "+"):
		h := chat[1:]
		if !inviteHash(h) {
			return invite{}, true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: %s is no invite link: a link's room is + and its hash (t.me/+AbCd12 is the room +\\ab\\cd12), or joinchat with the link as the password", chat)
		}
		if fromPass == "" {
			return invite{hash: h, inAddress: true}, true, nil
		}
		if !strings.EqualFold(fromPass, h) {
			return invite{}, true, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: the room %s and the link in the password (+%s) differ", chat, fromPass)
		}
		return invite{hash: fromPass}, true, nil
	}
	return invite{}, false, nil
}

// linkHash is the hash of an invite link in any of its spellings:
// https://t.me/+HASH, t.me/joinchat/HASH (telegram.me, telegram.dog
// too), tg://join?invite=HASH, +HASH, or the hash alone.
func linkHash(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && strings.EqualFold(u.Scheme, "tg") {
		if !strings.EqualFold(u.Host, "join") {
			return "", false
		}
		h := u.Query().Get("invite")
		return h, inviteHash(h)
	}
	lower := strings.ToLower(s)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			s, lower = s[len(scheme):], lower[len(scheme):]
			break
		}
	}
	for _, host := range []string{"t.me/", "telegram.me/", "telegram.dog/", "www.t.me/"} {
		if strings.HasPrefix(lower, host) {
			s = s[len(host):]
			if strings.HasPrefix(strings.ToLower(s), "joinchat/") {
				s = "+" + s[len("joinchat/"):]
			}
			if !strings.HasPrefix(s, "+") {
				return "", false // a public name's link, or another page
			}
			break
		}
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "+"), "/")
	return s, inviteHash(s)
}

// inviteHash reports whether s can be an invite link's hash: Telegram's
// are URL-safe base64.
func inviteHash(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// joinByInvite joins the group of a private invite link.
func (s *Session) joinByInvite(ctx context.Context, inv invite) (string, error) {
	api, _, err := s.client()
	if err != nil {
		return "", err
	}
	what := "join by the link t.me/+" + inv.hash
	ci, err := api.MessagesCheckChatInvite(ctx, inv.hash)
	if err != nil {
		return "", s.inviteErr(what, inv, err)
	}
	title := "the group"
	var target int64 // the link's channel, when Telegram shows it
	switch c := ci.(type) {
	case *tg.ChatInviteAlready:
		// In it already: the link's group, as it is now.
		s.peers.add(nil, []tg.ChatClass{c.Chat})
		chat := chatOfClass(c.Chat)
		return chat, s.announce(ctx, chat)
	case *tg.ChatInvitePeek:
		s.peers.add(nil, []tg.ChatClass{c.Chat})
		if ch, ok := c.Chat.(*tg.Channel); ok {
			target = ch.ID
		}
		if t, ok := c.Chat.(interface{ GetTitle() string }); ok {
			title = "«" + t.GetTitle() + "»"
		}
	case *tg.ChatInvite:
		title = "«" + c.Title + "»"
	}
	done := s.joinAsked(target) // joinpts.go
	defer done()
	res, err := api.MessagesImportChatInvite(ctx, inv.hash)
	var upd tg.UpdatesClass
	switch r := res.(type) {
	case *tg.MessagesChatInviteJoinResultOk:
		upd = r.Updates
		s.seedJoined(ctx, upd) // joinpts.go
	case *tg.MessagesChatInviteJoinResultWebView:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: %s asks newcomers to pass a check in Telegram's app first", title)
	}
	switch {
	case tgerr.Is(err, "INVITE_REQUEST_SENT"):
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: your request to join %s is sent: the group's admins must approve it, and its room comes when they do (INVITE_REQUEST_SENT)", title)
	case tgerr.Is(err, "USER_ALREADY_PARTICIPANT"):
		// Joined meanwhile (from another device): the link says where.
		if ci, cerr := api.MessagesCheckChatInvite(ctx, inv.hash); cerr == nil {
			if c, ok := ci.(*tg.ChatInviteAlready); ok {
				s.peers.add(nil, []tg.ChatClass{c.Chat})
				chat := chatOfClass(c.Chat)
				return chat, s.announce(ctx, chat)
			}
		}
		return "", cmdErr(what, err)
	case err != nil:
		return "", s.inviteErr(what, inv, err)
	}
	if e, ok := upd.(interface {
		GetUsers() []tg.UserClass
		GetChats() []tg.ChatClass
	}); ok {
		s.peers.add(e.GetUsers(), e.GetChats())
	}
	chat := joinedChat(upd)
	if chat == "" {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSPECIFIED, "telegram: joined %s by its link, but Telegram did not say which chat it is: it shows in the chat list at the next connection", title)
	}
	return chat, s.joined(ctx, chat, upd)
}

// inviteErr is a refused link in words; a hash taken from a room's
// address that Telegram does not know may have lost its capitals.
func (s *Session) inviteErr(what string, inv invite, err error) error {
	if inv.inAddress && tgerr.Is(err, "INVITE_HASH_INVALID") && strings.ToLower(inv.hash) == inv.hash {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %s: no group has this invite link (INVITE_HASH_INVALID); an XMPP address loses a link's capitals: join the room %s@ this transport with the link as the room's password, or write each capital as \\ and the letter (+\\ab\\cd12 for t.me/+AbCd12)", what, inviteRoom)
	}
	return cmdErr(what, err)
}

// chatOfClass is the chat ID of a group or channel.
func chatOfClass(c tg.ChatClass) string {
	switch c := c.(type) {
	case *tg.Channel:
		return channelID(c.ID)
	case *tg.ChannelForbidden:
		return channelID(c.ID)
	case *tg.Chat:
		return chatID(c.ID)
	case *tg.ChatForbidden:
		return chatID(c.ID)
	}
	return ""
}

// joinedChat is the chat a join's answer names: that of its service
// message, or its only chat.
func joinedChat(u tg.UpdatesClass) string {
	us, ok := u.(*tg.Updates)
	if !ok {
		return ""
	}
	for _, x := range us.Updates {
		var m tg.MessageClass
		switch u := x.(type) {
		case *tg.UpdateNewChannelMessage:
			m = u.Message
		case *tg.UpdateNewMessage:
			m = u.Message
		}
		if svc, ok := m.(*tg.MessageService); ok {
			return peerChatID(svc.PeerID)
		}
	}
	if len(us.Chats) == 1 {
		return chatOfClass(us.Chats[0])
	}
	return ""
}
