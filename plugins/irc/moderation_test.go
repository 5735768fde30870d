package irc_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// watch gives the IRC messages of these commands (numerics too) that c
// receives from now on, beside those client.await reads.
func watch(c *client, cmds ...string) chan ircmsg.Message {
	got := make(chan ircmsg.Message, 64)
	for _, cmd := range cmds {
		c.conn.AddCallback(cmd, func(m ircmsg.Message) {
			select {
			case got <- m:
			default:
			}
		})
	}
	return got
}

// next is the next message on got, or fails the test.
func next(t *testing.T, got chan ircmsg.Message, what string) ircmsg.Message {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(plugintest.Timeout):
		t.Fatalf("no %s came", what)
		return ircmsg.Message{}
	}
}

// moderated is a login that created #mod (ngircd makes a channel's
// creator its operator) and then saw dave and erin join it, and is in
// dave's #theirs without being its operator.
func moderated(t *testing.T) (*ngircd, *client, *client, func(action any) *pb.Error, func(match func(*pb.Event) bool) *pb.Event) {
	t.Helper()
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#theirs")
	p, evs, login := loggedIn(t, s, "", "ops", "#mod,#theirs")
	if f := p.Caps.GetFeatures(); !f.GetGroupKick() || !f.GetGroupRoles() || !f.GetGroupInvite() {
		t.Errorf("features %v: want group_kick, group_roles and group_invite", f)
	}
	erin := newClient(t, s, "erin")
	for _, c := range []*client{dave, erin} {
		c.join("#mod")
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == "#mod" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED && ev.GetMember().Member.UserId == c.conn.CurrentNick()
		})
	}
	cmds := p.Commands()
	act := func(action any) *pb.Error {
		t.Helper()
		chat := "#mod"
		if a, ok := action.(inChat); ok {
			chat, action = a.chat, a.action
		}
		if a, ok := action.(answered); ok {
			*a.res = cmds.Send(command(login.LoginId, chat, a.action))
			return (*a.res).Error
		}
		return cmds.Send(command(login.LoginId, chat, action)).Error
	}
	return s, dave, erin, act, evs.NextEvent
}

// inChat is an action in another chat than #mod.
type inChat struct {
	chat   string
	action any
}

// answered is an action in #mod whose whole result the test reads.
type answered struct {
	action any
	res    **pb.CommandResult
}

// wantError checks a command's error: its code, and words of its text.
func wantError(t *testing.T, what string, e *pb.Error, code pb.ErrorCode, words string) {
	t.Helper()
	if e.GetCode() != code || !strings.Contains(e.GetText(), words) {
		t.Errorf("%s: %v, want %v saying %q", what, e, code, words)
	}
}

// A kick from XMPP is the server's KICK: the member leaves the room (the
// echo's member event, once), with the reason. A ban is MODE +b then
// KICK, and keeps them from joining again (its mask: TestBanByHost). The server's refusals
// are typed errors: someone not in the channel or not on the server
// not-found, a kick where the user is no operator not-allowed.
func TestKickFromXMPP(t *testing.T) {
	_, dave, erin, act, nextEvent := moderated(t)
	if e := act(&pb.Kick{UserId: "dave", Reason: "enough\nnow"}); e != nil {
		t.Fatalf("kick: %v", e)
	}
	if m := dave.await("KICK", "enough now"); m.Nick() != "ops" || m.Params[1] != "dave" {
		t.Errorf("dave saw %v", m)
	}
	ev := nextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED })
	if m := ev.GetMember(); ev.ChatId != "#mod" || m.Member.UserId != "dave" || m.Reason != "enough now" || !ev.Sender.GetIsFromMe() {
		t.Errorf("kick event %v", ev)
	}
	// The kick is shown once: no second event before erin's line.
	if err := erin.conn.Privmsg("#mod", "bye dave"); err != nil {
		t.Fatal(err)
	}
	nextEvent(func(ev *pb.Event) bool {
		if ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED {
			t.Errorf("the kick came twice: %v", ev)
		}
		return ev.GetMessage().GetText() == "bye dave"
	})

	// A ban: erin cannot come back.
	got := watch(erin, "MODE", "KICK", "474")
	if e := act(&pb.Kick{UserId: "erin", Reason: "spam", Ban: true}); e != nil {
		t.Fatalf("ban: %v", e)
	}
	// erin is on the user's host (127.0.0.1): banned by her user.
	if m := next(t, got, "erin's ban"); m.Command != "MODE" || strings.Join(m.Params, " ") != "#mod +b *!~erin@127.0.0.1" {
		t.Errorf("erin saw %v, want the ban first", m)
	}
	if m := next(t, got, "erin's kick"); m.Command != "KICK" || m.Params[1] != "erin" {
		t.Errorf("erin saw %v, want the kick", m)
	}
	ev = nextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_BANNED })
	if m := ev.GetMember(); m.Member.UserId != "erin" || m.Reason != "spam" {
		t.Errorf("ban event %v", ev)
	}
	if err := erin.conn.Join("#mod"); err != nil {
		t.Fatal(err)
	}
	if m := next(t, got, "erin's rejoin refused"); m.Command != "474" {
		t.Errorf("erin's rejoin: %v, want 474 (banned)", m)
	}

	// Refusals.
	wantError(t, "kick of someone not in the channel", act(&pb.Kick{UserId: "dave"}), pb.ErrorCode_ERROR_CODE_NOT_FOUND, "not in the channel")
	wantError(t, "kick of nobody", act(&pb.Kick{UserId: "ghost"}), pb.ErrorCode_ERROR_CODE_NOT_FOUND, "nobody has that nick")
	wantError(t, "kick where the user is no operator", act(inChat{"#theirs", &pb.Kick{UserId: "dave", Reason: "mutiny"}}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not a channel operator")
	wantError(t, "ban where the user is no operator", act(inChat{"#theirs", &pb.Kick{UserId: "dave", Ban: true}}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not a channel operator")
	// The ban's KICK was refused too, after its MODE: the next command
	// in #theirs, which the server takes, is not refused.
	if e := act(inChat{"#theirs", &pb.Invite{UserId: "erin"}}); e != nil {
		t.Errorf("invite after the refused ban: %v", e)
	}
	wantError(t, "kick in a channel the user is not in", act(inChat{"#elsewhere", &pb.Kick{UserId: "dave"}}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in #elsewhere")
	// Still dave's channel, with dave in it.
	if err := dave.conn.Privmsg("#theirs", "still here"); err != nil {
		t.Fatal(err)
	}
	nextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#theirs" && ev.GetMessage().GetText() == "still here" })
}

// A ban from XMPP is by host, *!*@host, the usual mask: the plugin
// knows the member's host from their JOIN, or, for someone in the
// channel before the user (ngircd has no userhost-in-names), asks the
// server (USERHOST). Banned, they cannot come back under another nick.
// Someone on the user's own host is banned by their user, *!user@host,
// which leaves the user and others on that host free to join. Before,
// every ban was nick!*@*, escaped by a new nick.
func TestBanByHost(t *testing.T) {
	s := startNgircd(t)
	wes := newClient(t, s, "wes") // on the user's host, 127.0.0.1
	wes.join("#old")
	hal := newClientFrom(t, s, "hal", "127.0.0.4")
	hal.join("#old") // before the user: no JOIN of his for the plugin
	p, evs, login := loggedIn(t, s, "", "ops", "#bans,#old")
	cmds := p.Commands()
	ban := func(chat, uid string) {
		t.Helper()
		if e := cmds.Send(command(login.LoginId, chat, &pb.Kick{UserId: uid, Ban: true})).Error; e != nil {
			t.Fatalf("ban of %s from %s: %v", uid, chat, e)
		}
	}
	// wantMask checks the ban wes sees, and that the banned member,
	// under a new nick, cannot join again.
	modes := watch(wes, "MODE")
	wantMask := func(c *client, chat, mask string) {
		t.Helper()
		for {
			m := next(t, modes, "the ban's MODE")
			if len(m.Params) > 1 && m.Params[1] == "+b" {
				if got := strings.Join(m.Params, " "); got != chat+" +b "+mask {
					t.Errorf("wes saw %q; want %q", got, chat+" +b "+mask)
				}
				break
			}
		}
		refused := watch(c, "474", "JOIN")
		nick := c.conn.CurrentNick() + "2"
		c.conn.SetNick(nick)
		c.await("NICK", "")
		if err := c.conn.Join(chat); err != nil {
			t.Fatal(err)
		}
		for {
			m := next(t, refused, "the banned member's join")
			if m.Command == "474" {
				break
			}
			if m.Nick() == nick { // not another's JOIN, seen late
				t.Errorf("%s (was banned) joined %s again: %v; want 474", nick, chat, m)
				break
			}
		}
	}

	// Someone who joined after the user: their JOIN said their host.
	erin := newClientFrom(t, s, "erin", "127.0.0.2")
	fay := newClient(t, s, "fay")
	for _, c := range []*client{wes, erin, fay} {
		c.join("#bans")
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == "#bans" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED && ev.GetMember().Member.UserId == c.conn.CurrentNick()
		})
	}
	ban("#bans", "erin")
	wantMask(erin, "#bans", "*!*@127.0.0.2")

	// Someone on the user's host: by their user.
	ban("#bans", "fay")
	wantMask(fay, "#bans", "*!~fay@127.0.0.1")
	// wes, on that host too, is not banned.
	if err := wes.conn.Part("#bans"); err != nil {
		t.Fatal(err)
	}
	wes.await("PART", "")
	wes.join("#bans")

	// Someone in the channel before the user: the server is asked.
	if err := wes.conn.Send("MODE", "#old", "+o", "ops"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.ChatId == "#old" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && ev.GetMember().Member.GetIsSelf()
	})
	ban("#old", "hal")
	wantMask(hal, "#old", "*!*@127.0.0.4")
}

// Roles from XMPP are channel modes: moderator +o, participant +v (from
// a moderator -o), visitor -v; the server's MODE is the member's role
// change. Owner is refused (IRC has no general way), and a change where
// the user is no operator is not-allowed.
func TestSetRoleFromXMPP(t *testing.T) {
	_, dave, _, act, nextEvent := moderated(t)
	role := func(uid string) *pb.Member {
		t.Helper()
		ev := nextEvent(func(ev *pb.Event) bool {
			return ev.GetMember().GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && ev.GetMember().Member.UserId == uid
		})
		if ev.ChatId != "#mod" || !ev.Sender.GetIsFromMe() {
			t.Errorf("role event %v", ev)
		}
		return ev.GetMember().Member
	}
	modes := watch(dave, "MODE")
	mode := func() string {
		t.Helper()
		m := next(t, modes, "a MODE")
		return strings.Join(m.Params, " ")
	}
	member, admin := pb.Affiliation_AFFILIATION_MEMBER, pb.Affiliation_AFFILIATION_ADMIN

	// As a MUC client asks: the role, the affiliation as it is.
	if e := act(&pb.SetRole{UserId: "erin", Role: pb.Role_ROLE_MODERATOR, Affiliation: member}); e != nil {
		t.Fatalf("erin moderator: %v", e)
	}
	if got := mode(); got != "#mod +o erin" {
		t.Errorf("MODE %q, want +o erin", got)
	}
	if m := role("erin"); m.Role != pb.Role_ROLE_MODERATOR || m.Affiliation != admin {
		t.Errorf("erin opped: %v", m)
	}
	if e := act(&pb.SetRole{UserId: "dave", Role: pb.Role_ROLE_PARTICIPANT, Affiliation: member}); e != nil {
		t.Fatalf("dave voiced: %v", e)
	}
	if got := mode(); got != "#mod +v dave" {
		t.Errorf("MODE %q, want +v dave", got)
	}
	role("dave")
	// Asked again: nothing to change, nothing sent.
	if e := act(&pb.SetRole{UserId: "erin", Role: pb.Role_ROLE_MODERATOR, Affiliation: admin}); e != nil {
		t.Errorf("erin moderator again: %v", e)
	}
	if e := act(&pb.SetRole{UserId: "erin", Role: pb.Role_ROLE_PARTICIPANT, Affiliation: admin}); e != nil {
		t.Fatalf("erin participant: %v", e)
	}
	if got := mode(); got != "#mod -o erin" {
		t.Errorf("MODE %q, want -o erin", got)
	}
	if m := role("erin"); m.Role != pb.Role_ROLE_PARTICIPANT || m.Affiliation != member {
		t.Errorf("erin deopped: %v", m)
	}
	if e := act(&pb.SetRole{UserId: "dave", Role: pb.Role_ROLE_VISITOR, Affiliation: member}); e != nil {
		t.Fatalf("dave visitor: %v", e)
	}
	if got := mode(); got != "#mod -v dave" {
		t.Errorf("MODE %q, want -v dave", got)
	}
	role("dave")
	if e := act(&pb.SetRole{UserId: "dave", Role: pb.Role_ROLE_MODERATOR, Affiliation: admin}); e != nil {
		t.Fatalf("dave admin: %v", e)
	}
	if got := mode(); got != "#mod +o dave" {
		t.Errorf("MODE %q, want +o dave", got)
	}
	if m := role("dave"); m.Affiliation != admin {
		t.Errorf("dave opped: %v", m)
	}

	wantError(t, "owner", act(&pb.SetRole{UserId: "erin", Role: pb.Role_ROLE_MODERATOR, Affiliation: pb.Affiliation_AFFILIATION_OWNER}),
		pb.ErrorCode_ERROR_CODE_UNSUPPORTED, "ownership")
	wantError(t, "someone not in the channel", act(&pb.SetRole{UserId: "ghost", Role: pb.Role_ROLE_MODERATOR}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, "not in #mod")
	wantError(t, "op where the user is no operator", act(inChat{"#theirs", &pb.SetRole{UserId: "dave", Role: pb.Role_ROLE_VISITOR, Affiliation: admin}}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not a channel operator")
}

// An invitation from XMPP is INVITE: it reaches the other user. Someone
// in the channel already is a conflict, nobody of that nick not-found.
func TestInviteFromXMPP(t *testing.T) {
	s, _, _, act, _ := moderated(t)
	fay := newClient(t, s, "fay")
	got := watch(fay, "INVITE")
	if e := act(&pb.Invite{UserId: "fay"}); e != nil {
		t.Fatalf("invite: %v", e)
	}
	if m := next(t, got, "fay's invitation"); m.Nick() != "ops" || strings.Join(m.Params, " ") != "fay #mod" {
		t.Errorf("fay saw %v", m)
	}
	wantError(t, "invite of a member", act(&pb.Invite{UserId: "erin"}), pb.ErrorCode_ERROR_CODE_CONFLICT, "in #mod already")
	wantError(t, "invite of nobody", act(&pb.Invite{UserId: "ghost"}), pb.ErrorCode_ERROR_CODE_NOT_FOUND, "nobody has that nick")
}

// A topic set from XMPP waits for the server: where the user may, its
// TOPIC echo is the topic event; a channel whose topic only operators set
// (+t) refuses others, and the user is told so (was: no answer at all).
func TestTopicFromXMPP(t *testing.T) {
	_, dave, _, act, nextEvent := moderated(t)
	if e := act(&pb.SetTopic{Topic: "moderated things"}); e != nil {
		t.Fatalf("topic where operator: %v", e)
	}
	if ev := nextEvent(func(ev *pb.Event) bool { return ev.GetTopic() != nil }); ev.ChatId != "#mod" || ev.GetTopic().Topic != "moderated things" {
		t.Errorf("topic event %v", ev)
	}
	if err := dave.conn.Send("MODE", "#theirs", "+t"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "+t")
	wantError(t, "topic where not operator, +t", act(inChat{"#theirs", &pb.SetTopic{Topic: "mine now"}}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not a channel operator")
}

// Where the server has userhost-in-names (ergo), NAMES says the hosts of
// those in a channel before the user: a ban is by host without asking
// the server (no USERHOST). Skipped where there is no ergo.
func TestBanByHostOnErgo(t *testing.T) {
	s := startErgo(t)
	wes := newClient(t, s, "wes")
	wes.join("#old")
	hal := newClientFrom(t, s, "hal", "127.0.0.4")
	hal.join("#old")
	px := startRecorder(t, s.addr())
	p, evs, login := loginConnected(t, nil, map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(px.port()), "tls": "off", "nick": "ops", "channels": "#old"})
	modes := watch(wes, "MODE")
	if err := wes.conn.Send("MODE", "#old", "+o", "ops"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.ChatId == "#old" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && ev.GetMember().Member.GetIsSelf()
	})
	if e := p.Commands().Send(command(login.LoginId, "#old", &pb.Kick{UserId: "hal", Ban: true})).Error; e != nil {
		t.Fatalf("ban: %v", e)
	}
	for {
		m := next(t, modes, "the ban's MODE")
		if len(m.Params) > 1 && m.Params[1] == "+b" {
			if got := strings.Join(m.Params, " "); got != "#old +b *!*@127.0.0.4" {
				t.Errorf("wes saw %q; want %q", got, "#old +b *!*@127.0.0.4")
			}
			break
		}
	}
	sent := px.sent()
	if !slices.ContainsFunc(sent, func(l string) bool {
		return strings.HasPrefix(l, "CAP REQ") && strings.Contains(l, "userhost-in-names")
	}) {
		t.Errorf("userhost-in-names not asked for: %q", sent)
	}
	for _, l := range sent {
		if strings.HasPrefix(l, "USERHOST") {
			t.Errorf("sent %q: NAMES said the host", l)
		}
	}
}

// A kick's reason or a topic too long for one IRC line (512 bytes) is
// cut to fit, between characters; the server cuts it further to its own
// limits (KICKLEN, TOPICLEN). Before, irc-go refused the line, and the
// kick or the topic failed as UNAVAILABLE.
func TestLongReasonAndTopicFromXMPP(t *testing.T) {
	_, dave, _, act, nextEvent := moderated(t)
	long := strings.Repeat("é", 300) // 600 bytes
	if e := act(&pb.SetTopic{Topic: long}); e != nil {
		t.Fatalf("a 600-byte topic: %v", e)
	}
	ev := nextEvent(func(ev *pb.Event) bool { return ev.GetTopic() != nil })
	// ngircd marks the end of what it cut, past TOPICLEN (inside a
	// character): the plugin shows UTF-8 all the same, no "Ã©".
	if got := strings.TrimSuffix(ev.GetTopic().Topic, "[CUT]"); got == "" || !strings.HasPrefix(long, got) {
		t.Errorf("topic %q, want the start of the one set", got)
	}
	if e := act(&pb.Kick{UserId: "dave", Reason: long}); e != nil {
		t.Fatalf("a kick with a 600-byte reason: %v", e)
	}
	m := dave.await("KICK", "")
	// The server cut it to its KICKLEN, maybe inside a character.
	reason := m.Params[2]
	for !utf8.ValidString(reason) {
		reason = reason[:len(reason)-1]
	}
	if m.Params[1] != "dave" || reason == "" || !strings.HasPrefix(long, reason) {
		t.Errorf("dave saw %q, want the kick with the start of the reason", m.Params)
	}
}

// Someone inviting the user to a channel they are not in is the
// channel's invitation (InvitedEvent, which the gateway sends as the
// room's XEP-0045 mediated invitation, as biboumi does), beside the /me
// in the inviter's chat (TestInvitationShown: none to a channel the
// user is in, which ngircd does not relay). Declining sends nothing
// (IRC has no answer to an INVITE); a decline of a channel the user is
// in is NOT_ALLOWED. Against ngircd.
// Before, the invitation was the /me alone, which no client offers to
// accept, and a decline was UNSUPPORTED.
func TestInvitationIsRoomInvitation(t *testing.T) {
	_, dave, _, act, nextEvent := moderated(t)
	dave.join("#club")
	if err := dave.conn.Send("INVITE", "ops", "#club"); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(func(ev *pb.Event) bool { return ev.GetInvited() != nil })
	if ev.ChatId != "#club" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.GetSender().GetUserId() != "dave" ||
		ev.GetInvited().ChatName != "#club" || ev.EventId == "" {
		t.Errorf("invitation %v, want #club's, from dave", ev)
	}
	sent := watch(dave, "PRIVMSG", "NOTICE")
	if e := act(inChat{"#club", &pb.DeclineInvite{Reason: "not now"}}); e != nil {
		t.Errorf("decline: %v", e)
	}
	wantError(t, "a decline of a channel the user is in", act(inChat{"#theirs", &pb.DeclineInvite{}}), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "leave the room")
	if e := act(inChat{"dave", &pb.SendMessage{Text: "after"}}); e != nil {
		t.Fatalf("send: %v", e)
	}
	if m := next(t, sent, "the message after the decline"); m.Params[len(m.Params)-1] != "after" {
		t.Errorf("dave got %v after the decline, want nothing before the message", m)
	}
}
