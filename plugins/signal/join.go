package signal

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// Joining a group from XMPP by its group link (sdk.ChatJoiner, feature
// join_chat): Signal groups have no public names, only links
// (https://signal.group/#...), whose fragment is case-sensitive while an
// XMPP server lowercases a room's address. So the link is the password of
// the room joinchat@ the transport, which keeps its case; no other room is
// joined by name. signal-cli joins by it (joinGroup), and the join answers
// with the group's own chat ID: the gateway announces that group's room
// and answers the join of joinchat@ with gone, naming it. A group whose
// admins approve newcomers gets a request: the join is refused saying so,
// and the room comes with the update that lets the user in
// (groupChanged). A group's own room (its chat ID) is joined only to
// answer an invitation to it (invited.go).

// joinRoom is the room whose password is a group link, and the only chat
// ID joined by name (the join_chat_prefixes, so that the gateway answers
// a client's disco#info on any other unknown address as a person's).
const joinRoom = "joinchat"

// joinByLink says how a Signal group is joined from XMPP.
const joinByLink = "Signal groups have no public names; join one by its group link: the room " + joinRoom + "@ this transport, with the link (https://signal.group/#...) as the room's password"

// joinResult is signal-cli's answer to joinGroup: the group's ID, how
// the update telling its members went, and whether the join is only a
// request an admin must approve.
type joinResult struct {
	sendResult
	GroupID       string `json:"groupId"`
	OnlyRequested bool   `json:"onlyRequested"`
}

// JoinChat joins the group whose link is the password of the room
// joinchat, and returns the group's chat ID.
func (s *Session) JoinChat(ctx context.Context, c sdk.Call, j *pb.JoinChat) (string, error) {
	if groupIDOf(c.ChatID) != "" {
		return s.answerInvitation(ctx, c.ChatID, j.GetPassword()) // invited.go
	}
	if c.ChatID != joinRoom {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no Signal group is joined as %s: %s", c.ChatID, joinByLink)
	}
	if strings.TrimSpace(j.GetPassword()) == "" {
		// not-authorized: clients then ask for the room's password.
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "to join a Signal group, give its group link (https://signal.group/#...) as the room's password")
	}
	link, ok := groupLink(j.GetPassword())
	if !ok {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "that password is no Signal group link: give the group's link, such as https://signal.group/#CjQKI..., as the room's password")
	}
	const what = "could not join the group by its link"
	// In the group already: signal-cli may not take the join again, and
	// the group's own link says which it is.
	if chat := s.groupOfLink(ctx, link); chat != nil {
		s.announce(ctx, chat)
		return chat.ChatId, nil
	}
	var res joinResult
	if err := s.callRaw(ctx, what, "joinGroup", map[string]any{"uri": link}, &res); err != nil {
		return "", s.joinError(what, err)
	}
	chatID := groupChatID(res.GroupID)
	switch {
	case res.OnlyRequested:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "your request to join this Signal group is sent: its admins must approve it, and its room comes when they do")
	case chatID == "":
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: signal-cli did not say which group it is (%q)", what, res.GroupID)
	}
	log := s.n.host.Logger().With("login", s.loginID, "chat", chatID)
	if failed := res.failures(); len(failed) > 0 {
		log.Warn("signal: some members did not get the update saying the user joined", "failed", strings.Join(failed, ", "))
	}
	chat, err := s.fetchGroup(ctx, chatID)
	if err != nil || chat == nil {
		// Joined: say what is sure of the group; its name and members
		// come with its next update or message.
		log.Warn("signal: the joined group could not be read", "err", err)
		chat = &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_GROUP,
			Members: []*pb.Member{{UserId: s.selfID(), IsSelf: true}}}
	}
	s.announce(ctx, chat)
	return chatID, nil
}

// groupOfLink is the group the account is in whose invite link is link,
// nil when there is none (or the groups cannot be read: the join then
// tells).
func (s *Session) groupOfLink(ctx context.Context, link string) *pb.Chat {
	gs, err := s.listGroups(ctx, "")
	if err != nil {
		return nil
	}
	for _, g := range gs {
		if g.IsMember && g.GroupInviteLink != "" && sameLink(g.GroupInviteLink, link) {
			chat := s.chatOf(ctx, g)
			s.remember(g, chat)
			return chat
		}
	}
	return nil
}

// joinError is a refused join in words, by signal-cli's messages
// (JoinGroupCommand): a link it cannot read, one the admins reset or
// turned off, a ban, a request already sent.
func (s *Session) joinError(what string, err error) error {
	var rerr *rpc.Error
	if !errors.As(err, &rerr) {
		return s.mapError(what, err)
	}
	msg := rerr.Message
	switch {
	case strings.HasPrefix(msg, "Pending admin approval"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "your request to join this Signal group is sent already: its admins must approve it, and its room comes when they do")
	case strings.Contains(msg, "Group link inactive") && strings.Contains(msg, "BANNED"):
		// The contract's BANNED (forbidden, XEP-0045 §7.2.8): clients
		// show it as a ban, which not-allowed is not.
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BANNED, "%s: the group's admins removed you and keep you out (%s)", what, msg)
	case strings.Contains(msg, "Group link inactive"), strings.HasPrefix(msg, "Group link is not valid"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "%s: the link was reset or turned off by the group's admins: ask them for a new one (%s)", what, msg)
	case strings.Contains(msg, "incompatible version"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "%s: this signal-cli cannot read the link, made by a newer Signal (%s)", what, msg)
	case strings.HasPrefix(msg, "Group link is invalid"), strings.HasPrefix(msg, "Link is not a signal group"),
		rerr.Code == rpc.CodeIOError && strings.Contains(msg, "NotFound"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: no Signal group has this link: check it is whole (%s)", what, msg)
	}
	return s.mapError(what, err)
}

// groupLink is a group link in the form signal-cli reads
// (https://signal.group/#FRAGMENT) from any of its spellings: https or
// sgnl (the app's), or without a scheme; false when s is none.
func groupLink(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http" && scheme != "sgnl") || !strings.EqualFold(u.Host, "signal.group") ||
		(u.Path != "" && u.Path != "/") || !linkFragment(u.Fragment) {
		return "", false
	}
	return "https://signal.group/#" + u.Fragment, true
}

// linkFragment reports whether s can be a group link's fragment: base64,
// URL-safe (as Signal writes them) or not, padded or not.
func linkFragment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') && !strings.ContainsRune("-_+/=", rune(c)) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// sameLink reports whether two group links name the same group and
// password: their fragments, decoded (base64 URL-safe or not, padded or
// not), are the same.
func sameLink(a, b string) bool {
	fa, fb := fragmentBytes(a), fragmentBytes(b)
	return fa != nil && string(fa) == string(fb)
}

func fragmentBytes(link string) []byte {
	_, frag, ok := strings.Cut(link, "#")
	if !ok {
		return nil
	}
	frag = strings.TrimRight(frag, "=")
	frag = strings.NewReplacer("+", "-", "/", "_").Replace(frag)
	b, err := base64.RawURLEncoding.DecodeString(frag)
	if err != nil || len(b) == 0 {
		return nil
	}
	return b
}
