package irc_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Lifting a ban from XMPP is MODE -b, after which the member can join
// again: with the mask the plugin banned them with (the ban list is not
// asked for), else with the masks of the channel's ban list that match
// their nick!user@host as last seen (a ban an operator set on IRC), or
// nick!*@* for someone never seen. Someone no ban names is no error and
// sends nothing; where the user is no operator, the server's refusal is
// not-allowed.
func TestUnbanFromXMPP(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#theirs") // dave's: the user is no operator there
	px := startRecorder(t, s.addr())
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	if !p.Caps.GetFeatures().GetGroupUnban() {
		t.Errorf("features %v: want group_unban", p.Caps.GetFeatures())
	}
	evs := p.Events()
	login := p.Login("", map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(px.port()), "tls": "off", "nick": "ops", "channels": "#unban,#theirs"})
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	cmds := p.Commands()
	act := func(chat string, action any) *pb.Error {
		t.Helper()
		return cmds.Send(command(login.LoginId, chat, action)).Error
	}

	wes := newClient(t, s, "wes")
	erin := newClientFrom(t, s, "erin", "127.0.0.2")
	hal := newClientFrom(t, s, "hal", "127.0.0.4")
	for _, c := range []*client{wes, erin, hal} {
		c.join("#unban")
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == "#unban" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED && ev.GetMember().Member.UserId == c.conn.CurrentNick()
		})
	}
	modes := watch(wes, "MODE")
	// lifted waits for the MODE -b wes sees, and checks its mask.
	lifted := func(mask string) {
		t.Helper()
		for {
			m := next(t, modes, "the MODE -b of "+mask)
			if len(m.Params) > 1 && m.Params[1] == "-b" {
				if got := strings.Join(m.Params, " "); got != "#unban -b "+mask {
					t.Errorf("wes saw %q; want %q", got, "#unban -b "+mask)
				}
				return
			}
		}
	}
	// refused checks that c cannot join #unban.
	refused := func(c *client) {
		t.Helper()
		got := watch(c, "474", "JOIN")
		if err := c.conn.Join("#unban"); err != nil {
			t.Fatal(err)
		}
		for {
			m := next(t, got, "the banned member's join")
			if m.Command == "474" {
				return
			}
			if m.Nick() == c.conn.CurrentNick() { // not another's JOIN, seen late
				t.Fatalf("%s joined while banned: %v", m.Nick(), m)
			}
		}
	}
	listAsked := func() bool { return slices.Contains(px.sent(), "MODE #unban +b") }

	// A ban set from XMPP, lifted with its own mask.
	if e := act("#unban", &pb.Kick{UserId: "erin", Ban: true}); e != nil {
		t.Fatalf("ban: %v", e)
	}
	// Banned, not only kicked: the room lists her among its outcasts.
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.ChatId == "#unban" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_BANNED && ev.GetMember().Member.UserId == "erin"
	})
	refused(erin)
	if e := act("#unban", &pb.Unban{UserId: "erin"}); e != nil {
		t.Fatalf("unban of erin: %v", e)
	}
	lifted("*!*@127.0.0.2")
	erin.join("#unban")
	if listAsked() {
		t.Errorf("the ban list was asked for a ban the plugin set: %q", px.sent())
	}

	// A ban an operator set on IRC: found in the ban list by hal's host.
	if e := act("#unban", &pb.SetRole{UserId: "wes", Role: pb.Role_ROLE_MODERATOR, Affiliation: pb.Affiliation_AFFILIATION_ADMIN}); e != nil {
		t.Fatalf("op wes: %v", e)
	}
	wes.await("MODE", "wes")
	for _, l := range [][]string{{"MODE", "#unban", "+b", "*!*@127.0.0.4"}, {"KICK", "#unban", "hal"}, {"MODE", "#unban", "+b", "gus!*@*"}} {
		if err := wes.conn.Send(l[0], l[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.ChatId == "#unban" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED && ev.GetMember().Member.UserId == "hal"
	})
	refused(hal)
	if e := act("#unban", &pb.Unban{UserId: "hal"}); e != nil {
		t.Fatalf("unban of hal: %v", e)
	}
	lifted("*!*@127.0.0.4")
	hal.join("#unban")
	if !listAsked() {
		t.Errorf("hal's ban lifted without asking the ban list: %q", px.sent())
	}

	// Someone the connection never saw: by nick.
	if e := act("#unban", &pb.Unban{UserId: "gus"}); e != nil {
		t.Fatalf("unban of gus: %v", e)
	}
	lifted("gus!*@*")
	newClient(t, s, "gus").join("#unban")

	// Someone no ban names: nothing sent.
	before := strings.Join(px.sent(), "\n")
	if e := act("#unban", &pb.Unban{UserId: "fay"}); e != nil {
		t.Errorf("unban of someone not banned: %v", e)
	}
	if after := strings.Join(px.sent(), "\n"); strings.Count(after, "-b") != strings.Count(before, "-b") {
		t.Errorf("a MODE -b for someone not banned: %q", px.sent())
	}

	// Where the user is no operator.
	if err := dave.conn.Send("MODE", "#theirs", "+b", "zed!*@*"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "zed!*@*")
	wantError(t, "unban where the user is no operator", act("#theirs", &pb.Unban{UserId: "zed"}),
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you are not a channel operator")
	wantError(t, "unban in a channel the user is not in", act("#elsewhere", &pb.Unban{UserId: "zed"}),
		pb.ErrorCode_ERROR_CODE_NOT_FOUND, "you are not in #elsewhere")
}
