package whatsapp

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Joining a group by its invitation link, or by a private invitation
// (joinByInvitation), from XMPP (sdk.ChatJoiner,
// feature join_chat). WhatsApp has no public group names: a group is
// joined by its link, https://chat.whatsapp.com/CODE, whose code is
// case-sensitive while an XMPP server lowercases a room's localpart. So
// the link is the password of one room, joinchat@ the transport (as on
// Telegram). The join looks the link up (GetGroupInfoFromLink: the
// group's name, whether the user is in it already, whether its admins
// approve newcomers), then joins by it (JoinGroupWithLink). It answers
// with the group's own chat ID: the gateway answers the join of
// joinchat@ with gone, naming the group's room, which it announces as a
// new group.

// inviteRoom is the room whose password is an invitation link.
const inviteRoom = "joinchat"

// inviteHost is the host of WhatsApp's invitation links.
const inviteHost = "chat.whatsapp.com"

// joinHowText tells how to join a group the user is not in, for the
// refusals of a join of any other room.
const joinHowText = "WhatsApp joins a group by its invitation link: join the room " + inviteRoom +
	"@ this transport with the link (https://" + inviteHost + "/…) as the room's password"

var _ sdk.ChatJoiner = (*Session)(nil)

// JoinChat joins the group of the invitation link in j's password, when
// c.ChatID is inviteRoom, or a group by its private invitation when
// c.ChatID is the group's (invited.go); it follows a channel by its
// link in the password of inviteRoom, or its own room
// (channelfollow.go); any other room is NOT_FOUND, saying how to join.
func (s *Session) JoinChat(ctx context.Context, c sdk.Call, j *pb.JoinChat) (string, error) {
	if g, err := types.ParseJID(c.ChatID); err == nil && g.Server == types.GroupServer {
		// The group's own room, from its invitation (invited.go).
		return s.joinInvited(ctx, c.ChatID, g.ToNonAD(), strings.TrimSpace(j.GetPassword()))
	}
	if ch, err := types.ParseJID(c.ChatID); err == nil && isChannel(ch) {
		return s.followChannel(ctx, ch.ToNonAD()) // channelfollow.go
	}
	if !strings.EqualFold(c.ChatID, inviteRoom) {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: you are not in %s; %s", c.ChatID, joinHowText)
	}
	pass := strings.TrimSpace(j.GetPassword())
	if pass == "" {
		// not-authorized: an XMPP client then asks for the password.
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "whatsapp: to join a group by its invitation link, give the link (https://%s/…) as the room's password", inviteHost)
	}
	if code, ok := channelLinkCode(pass); ok {
		return s.followChannelLink(ctx, code) // channelfollow.go
	}
	if inv, ok := parseInvitation(pass); ok {
		return s.joinInvitation(ctx, inv)
	}
	if len(pass) >= len(invitationPrefix) && strings.EqualFold(pass[:len(invitationPrefix)], invitationPrefix) {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is no invitation WhatsApp sent: copy the password from the invitation's message whole", pass)
	}
	code, ok := inviteCode(pass)
	if !ok {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is no invitation link: give a link such as https://%s/AbCdEf123 (or its code) as the room's password", pass, inviteHost)
	}
	return s.joinByLink(ctx, code)
}

// inviteCode is the code of an invitation link in any of its spellings:
// https://chat.whatsapp.com/CODE (http too, without scheme, with the
// older invite/ path, a trailing slash or a query WhatsApp's share sheet
// adds), or the code alone.
func inviteCode(s string) (string, bool) {
	lower := strings.ToLower(s)
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, scheme) {
			s, lower = s[len(scheme):], lower[len(scheme):]
			break
		}
	}
	for _, host := range []string{inviteHost + "/", "www." + inviteHost + "/"} {
		if strings.HasPrefix(lower, host) {
			s, lower = s[len(host):], lower[len(host):]
			if strings.HasPrefix(lower, "invite/") {
				s = s[len("invite/"):]
			}
			if i := strings.IndexAny(s, "?#"); i >= 0 {
				s = s[:i]
			}
			s = strings.TrimSuffix(s, "/")
			break
		}
	}
	return s, validCode(s)
}

// validCode reports whether s can be an invitation code: WhatsApp's are
// some twenty letters and digits. A longer or other string is no link
// (another page's address, a word), refused before WhatsApp is asked.
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9'
}

// joinByLink joins the group of an invitation code and announces it.
func (s *Session) joinByLink(ctx context.Context, code string) (string, error) {
	what := "join by the link " + inviteHost + "/" + code
	info, err := s.d.cli.GetGroupInfoFromLink(ctx, code)
	if err != nil {
		return "", linkErr(what, "", err)
	}
	title := "the group"
	if info.Name != "" {
		title = "«" + info.Name + "»"
	}
	if s.inGroup(info) {
		// In it already: nothing to join, its room as it is now (the
		// group itself, or else as the link shows it).
		g, gerr := s.d.cli.GetGroupInfo(ctx, info.JID)
		if gerr != nil {
			g = info
		}
		return s.joinedRoom(ctx, info.JID, g)
	}
	jid, err := s.d.cli.JoinGroupWithLink(ctx, code)
	var iq *whatsmeow.IQError
	switch {
	case errors.As(err, &iq) && iq.Code == 409:
		// conflict: in it meanwhile (joined from the phone), or a request
		// to join waits already; the group says which.
		if g, gerr := s.d.cli.GetGroupInfo(ctx, info.JID); gerr == nil {
			return s.joinedRoom(ctx, info.JID, g)
		}
		if info.IsJoinApprovalRequired {
			return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: your request to join %s waits already: the group's admins must approve it, and its room comes when they do", title)
		}
		return "", linkErr(what, title, err)
	case err != nil:
		return "", linkErr(what, title, err)
	}
	if jid.IsEmpty() {
		jid = info.JID
	}
	if info.IsJoinApprovalRequired {
		// WhatsApp answered with the request it sent the admins
		// (membership_approval_request), not with the group.
		s.log.Info("asked to join a group by its link", "group", jid)
		return "", requestSent(title)
	}
	g, err := s.d.cli.GetGroupInfo(ctx, jid)
	switch {
	case errors.Is(err, whatsmeow.ErrNotInGroup):
		// The group came to approve newcomers between the look-up and
		// the join: the join was a request.
		return "", requestSent(title)
	case err != nil:
		// Joined all the same: the link's view of the group, with the
		// user in it.
		s.log.Warn("the group joined by its link could not be read; announced as the link shows it", "group", jid, "err", err)
		s.groupUnread(jid, title, "the members the link showed", err) // notices.go
		cp := *info
		cp.JID = jid
		cp.Participants = append(slices.Clone(info.Participants), types.GroupParticipant{JID: s.ownJID(), PhoneNumber: s.ownJID()})
		g = &cp
	}
	return s.joinedRoom(ctx, jid, g)
}

// joinedRoom announces the group g joined by a link and answers with its
// chat ID; for a community's link (g its parent group, which is no
// room), the community's announcement group, which WhatsApp makes the
// user a member of with the community (GetSubGroups names it), its room
// named after the community. Before, the parent itself was announced: a
// room with no messages, named as the community, refused when joined.
// The community's other groups are joined on the phone, each a room
// once the user is in it.
func (s *Session) joinedRoom(ctx context.Context, jid types.JID, g *types.GroupInfo) (string, error) {
	if !g.IsParent {
		return s.announceJoined(jid, g)
	}
	s.cacheGroup(jid, g) // the community's name, for its groups' rooms
	title := "the community"
	if g.Name != "" {
		title = "the community «" + g.Name + "»"
	}
	subs, err := s.d.cli.GetSubGroups(ctx, jid)
	if err != nil {
		return "", s.sendErr("you are in "+title+", but its groups could not be read (its announcements' room comes at the next start)", err)
	}
	for _, sg := range subs {
		if !sg.IsDefaultSubGroup {
			continue
		}
		a, err := s.d.cli.GetGroupInfo(ctx, sg.JID)
		if err != nil {
			return "", s.sendErr("you are in "+title+", but its announcement group could not be read (its room comes at the next start)", err)
		}
		return s.announceJoined(sg.JID, a)
	}
	return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: you are in %s, which has no announcement group to show as a room: join its groups on the phone", title)
}

// requestSent is the refusal of a join that sent the group's admins a
// request: the room comes once they let the user in (WhatsApp then adds
// them, as to any group).
func requestSent(title string) error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: your request to join %s is sent: the group's admins must approve it, and its room comes when they do", title)
}

// announceJoined sends the gateway the group g the user is in, for its
// room, and answers the join with its chat ID. WhatsApp's own
// notification of the join (JoinedGroup, joinedGroup) may announce it
// too; the same chat twice is no change.
func (s *Session) announceJoined(jid types.JID, g *types.GroupInfo) (string, error) {
	s.cacheGroup(jid, g)
	chat := s.chatOf(g)
	s.emit(&pb.Event{ChatId: chat.ChatId, ChatType: pb.ChatType_CHAT_TYPE_GROUP,
		TimestampUnixMicro: time.Now().UnixMicro(), Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}})
	return chat.ChatId, nil
}

// inGroup says whether the user is among g's participants.
func (s *Session) inGroup(g *types.GroupInfo) bool {
	for _, p := range g.Participants {
		if s.isSelf(p) {
			return true
		}
	}
	return false
}

// linkErr is the contract's error of a link WhatsApp refused, in words:
// title names the group when the look-up did.
func linkErr(what, title string, err error) error {
	var iq *whatsmeow.IQError
	errors.As(err, &iq)
	switch {
	case errors.Is(err, whatsmeow.ErrInviteLinkRevoked):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: %s: the link was revoked or reset (410 gone): ask the group for a new one", what)
	case errors.Is(err, whatsmeow.ErrInviteLinkInvalid), iq != nil && iq.Code == 404:
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %s: no group has this link: check it, capitals included", what)
	case iq != nil && (iq.Code == 401 || iq.Code == 403):
		if title == "" {
			title = "the group"
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "whatsapp: %s: WhatsApp does not let this account into %s (%d %s)", what, title, iq.Code, iq.Text)
	}
	return sendErr(what, err)
}

// A private invitation (waE2E.GroupInviteMessage) is what WhatsApp has a
// group's admin send someone it would not add for their privacy
// settings: no link, but a code valid for them alone, with its group,
// its expiry and its sender, all of which WhatsApp asks to join by it
// (JoinGroupWithInvite). Its rendering (inbound.groupInvite) gives them
// as the password of joinchat@:
// invite:<group>:<inviter JID>:<expiry, Unix seconds>:<code>, the code
// last since nothing says which characters it may hold.

// invitationPrefix starts the password of a private invitation.
const invitationPrefix = "invite:"

// expiryLayout is how an invitation's expiry is written for the user.
const expiryLayout = "2 Jan 2006 15:04 MST"

// invitation is a private invitation to join a group.
type invitation struct {
	group, inviter types.JID
	expiration     int64 // Unix seconds; 0: none given
	code           string
}

// invitationOf is the invitation of a GroupInviteMessage sent by
// inviter; false when it lacks its group or code.
func invitationOf(m *waE2E.GroupInviteMessage, inviter types.JID) (invitation, bool) {
	group, err := types.ParseJID(m.GetGroupJID())
	if err != nil || group.Server != types.GroupServer || group.User == "" || m.GetInviteCode() == "" || inviter.User == "" {
		return invitation{}, false
	}
	inv := invitation{group: group.ToNonAD(), inviter: inviter.ToNonAD(), expiration: max(m.GetInviteExpiration(), 0), code: m.GetInviteCode()}
	return inv, validInvitation(inv)
}

// password is the invitation as the password of joinchat@.
func (i invitation) password() string {
	return invitationPrefix + i.group.User + ":" + i.inviter.String() + ":" + strconv.FormatInt(i.expiration, 10) + ":" + i.code
}

// parseInvitation reads an invitation's password; false for any other.
func parseInvitation(s string) (invitation, bool) {
	if len(s) < len(invitationPrefix) || !strings.EqualFold(s[:len(invitationPrefix)], invitationPrefix) {
		return invitation{}, false
	}
	f := strings.SplitN(s[len(invitationPrefix):], ":", 4)
	if len(f) != 4 {
		return invitation{}, false
	}
	inviter, err := types.ParseJID(f[1])
	if err != nil {
		return invitation{}, false
	}
	exp, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || exp < 0 {
		return invitation{}, false
	}
	inv := invitation{group: types.NewJID(f[0], types.GroupServer), inviter: inviter, expiration: exp, code: f[3]}
	return inv, validInvitation(inv)
}

// validInvitation says whether inv can be WhatsApp's: a group ID of
// digits (and the dash of older ones), a user's JID as inviter, a code
// of printable characters without spaces.
func validInvitation(inv invitation) bool {
	if inv.group.User == "" || strings.Trim(inv.group.User, "0123456789-") != "" || inv.inviter.User == "" || inv.inviter.Device != 0 ||
		(inv.inviter.Server != types.DefaultUserServer && inv.inviter.Server != types.HiddenUserServer) ||
		inv.code == "" || len(inv.code) > 256 {
		return false
	}
	for _, r := range inv.code {
		if r <= ' ' || r == 0x7f || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// joinByInvitation joins the group of a private invitation and
// announces it, as a join by link does.
func (s *Session) joinByInvitation(ctx context.Context, inv invitation) (string, error) {
	what := "join by the invitation of " + s.ids.userID(inv.inviter)
	if inv.expiration > 0 && !now().Before(time.Unix(inv.expiration, 0)) {
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: %s: it expired on %s: ask them for a new one",
			what, time.Unix(inv.expiration, 0).UTC().Format(expiryLayout))
	}
	err := s.d.cli.JoinGroupWithInvite(ctx, inv.group, inv.inviter, inv.code, inv.expiration)
	var iq *whatsmeow.IQError
	switch {
	case errors.As(err, &iq) && iq.Code == 409:
		// In it already (joined from the phone, or added since).
		if g, gerr := s.d.cli.GetGroupInfo(ctx, inv.group); gerr == nil {
			return s.announceJoined(inv.group, g)
		}
		return "", s.sendErr(what, err)
	case errors.As(err, &iq) && iq.Code == 410:
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_EXPIRED, "whatsapp: %s: WhatsApp says it is no longer valid (410 gone): ask them for a new one", what)
	case errors.As(err, &iq) && (iq.Code == 404 || iq.Code == 406):
		return "", sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: %s: WhatsApp knows no such invitation (%d %s): check the password, capitals included", what, iq.Code, iq.Text)
	case err != nil:
		return "", linkErr(what, "", err)
	}
	g, err := s.d.cli.GetGroupInfo(ctx, inv.group)
	if err != nil {
		// Joined all the same: its room, as far as the user knows it.
		s.log.Warn("the group joined by an invitation could not be read; announced without its members", "group", inv.group, "err", err)
		s.groupUnread(inv.group, "the group "+s.ids.userID(inv.inviter)+" invited you to", "you alone as its member", err) // notices.go
		g = &types.GroupInfo{JID: inv.group, Participants: []types.GroupParticipant{{JID: s.ownJID(), PhoneNumber: s.ownJID()}}}
	}
	return s.announceJoined(inv.group, g)
}
