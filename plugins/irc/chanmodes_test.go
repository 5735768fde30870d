package irc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A channel's modes make the room: in a moderated channel (+m) those
// without voice are visitors, the user among them, whose room is then
// read-only; where only operators set the topic (+t), the user's room
// does not offer it (the chat's features without group_topic). The
// modes at joining come from the MODE query (324), the changes live;
// the server's refusals stay the commands' errors. Before, every member
// was a participant and every room let the user speak and set the topic.
func TestChannelModes(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#cm")
	erin := newClient(t, s, "erin")
	erin.join("#cm")
	if err := dave.conn.Send("MODE", "#cm", "+mt"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "+mt")
	p, evs, login := loggedIn(t, s, "", "kit", "#cm")
	roleOf := func(c *pb.Chat, id string) pb.Role {
		for _, m := range c.GetMembers() {
			if m.UserId == id {
				return m.Role
			}
		}
		t.Errorf("%s not in %v", id, c)
		return -1
	}
	chat := func(what string, readOnly, topic bool) *pb.Chat {
		t.Helper()
		ev := evs.NextEvent(func(ev *pb.Event) bool {
			c := ev.GetChat().GetChat()
			return ev.ChatId == "#cm" && c != nil && c.ReadOnly == readOnly && (c.Features == nil) == topic
		})
		c := ev.GetChat().GetChat()
		if f := c.GetFeatures(); f != nil && (f.GroupTopic || !f.GroupKick || !f.JoinChat) {
			t.Errorf("%s: features %v: want the plugin's without group_topic", what, f)
		}
		return c
	}
	c := chat("joined, +mt", true, false)
	if roleOf(c, login.LoginId) != pb.Role_ROLE_VISITOR || roleOf(c, "erin") != pb.Role_ROLE_VISITOR || roleOf(c, "dave") != pb.Role_ROLE_MODERATOR {
		t.Errorf("members of +m: %v; want the user and erin visitors, dave a moderator", c.Members)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: login.LoginId, ChatId: "#cm"})
	if err != nil || !info.ReadOnly || info.Features == nil || info.Features.GroupTopic || !info.Features.GroupKick {
		t.Errorf("ChatInfo of +mt: %v, %v; want read-only, without group_topic", info, err)
	}
	cmds := p.Commands()
	wantError(t, "topic in +t", cmds.Send(command(login.LoginId, "#cm", &pb.SetTopic{Topic: "mine"})).Error,
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "not a channel operator")
	wantError(t, "message in +m", cmds.Send(plugintest.SendText(login.LoginId, "#cm", "", "hello")).Error,
		pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Cannot send to channel")

	roleChange := func(id string, want pb.Role) {
		t.Helper()
		ev := evs.NextEvent(func(ev *pb.Event) bool {
			m := ev.GetMember()
			return ev.ChatId == "#cm" && m.GetKind() == pb.MemberEvent_KIND_ROLE_CHANGED && m.Member.UserId == id
		})
		if m := ev.GetMember().Member; m.Role != want {
			t.Errorf("role of %s: %v; want %v", id, m, want)
		}
	}
	mode := func(args ...string) {
		t.Helper()
		if err := dave.conn.Send("MODE", append([]string{"#cm"}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	// Voiced: the user speaks (the chat first, then the role).
	mode("+v", "kit")
	c = chat("voiced", false, false)
	if roleOf(c, login.LoginId) != pb.Role_ROLE_PARTICIPANT || roleOf(c, "erin") != pb.Role_ROLE_VISITOR {
		t.Errorf("members after +v kit: %v", c.Members)
	}
	roleChange(login.LoginId, pb.Role_ROLE_PARTICIPANT)
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#cm", "", "voiced now")); res.Error != nil {
		t.Errorf("message with voice: %v", res.Error)
	}
	// Not moderated: erin speaks; moderated again: she is a visitor.
	mode("-m")
	roleChange("erin", pb.Role_ROLE_PARTICIPANT)
	mode("+m")
	roleChange("erin", pb.Role_ROLE_VISITOR)
	mode("+v", "erin")
	roleChange("erin", pb.Role_ROLE_PARTICIPANT)
	// The topic open to all, then locked again, then the user an
	// operator.
	mode("-t")
	chat("-t", false, true)
	mode("+t")
	chat("+t", false, false)
	mode("+o", "kit")
	chat("opped", false, true)
	roleChange(login.LoginId, pb.Role_ROLE_MODERATOR)
	if e := cmds.Send(command(login.LoginId, "#cm", &pb.SetTopic{Topic: "an operator's"})).Error; e != nil {
		t.Errorf("topic as operator: %v", e)
	}
	// The voice taken away, and the operator's too: a visitor again.
	mode("-vo", "kit", "kit")
	chat("devoiced and deopped", true, false)
	roleChange(login.LoginId, pb.Role_ROLE_VISITOR)
}

// The modes of the channels joined are asked for at the pace of the
// user's lines: a login in 12 channels, with a throttle of a line in 100
// s after the burst, asks for 5 at once and the rest later, rather than
// 12 lines at once, a flood a server disconnects for (Solanum's
// "Excess Flood"). A line of the plugin's sent after the channels are
// joined (a topic) finds no more than the burst's questions before it.
func TestModesAskedAtThePace(t *testing.T) {
	srv := startScripted(t, "", "")
	var chans []string
	for i := range 12 {
		chans = append(chans, fmt.Sprintf("#c%d", i))
	}
	f := srv.fields("kit")
	f["channels"], f["throttle"] = strings.Join(chans, ","), "0.01"
	p, _, login := loginConnected(t, nil, f)
	srv.got("MODE #c")
	if e := p.Commands().Send(command(login.LoginId, "#c0", &pb.SetTopic{Topic: "marker"})).Error; e != nil {
		t.Fatalf("topic: %v", e)
	}
	srv.got("TOPIC #c0")
	if asked := srv.sent(0, "MODE #c"); len(asked) > 5 {
		t.Errorf("%d MODE queries at once: %q; want at most the burst, 5", len(asked), asked)
	}
}
