package irc_test

import (
	"slices"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A channel being joined (the server's JOIN came, its NAMES did not end
// yet) is described by ChatList without members, and by ChatInfo once
// the NAMES ended: with all of them, the user among them by their nick.
// Before, both described it with the members so far, none or some and
// not the user: the gateway, reading the chat then (its room sync at
// the same moment as a join from XMPP), made a room where the user had
// a nick of the gateway's own (the login's name, "alice on 127.0.0.1"),
// and the join could complete with it while the messages the user sent
// came back from their IRC nick (TestEndToEnd's flake).
func TestChatWhileNamesUnderWay(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.silentJoin = map[string]bool{"#c": true} // the test answers for the server
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	cmds := p.Commands()
	join := cmds.Go(plugintest.Act(login.LoginId, "#c", "", &pb.JoinChat{}))
	srv.got("JOIN #c")
	srv.send(":kit!u@h JOIN #c")
	srv.send(":srv 353 kit = #c :@op bob")
	srv.sync()

	ctx, cancel := p.CallContext()
	defer cancel()
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: login.LoginId})
	if err != nil || len(list.GetChats()) != 1 || list.Chats[0].ChatId != "#c" {
		t.Fatalf("chat list while #c's NAMES are under way: %v, %v; want #c", list, err)
	}
	if ms := list.Chats[0].Members; len(ms) != 0 {
		t.Errorf("#c listed with members %v before its NAMES ended: a partial list, without the user", nicks(ms))
	}

	type answer struct {
		chat *pb.Chat
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		c, err := p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: login.LoginId, ChatId: "#c"})
		got <- answer{c, err}
	}()
	// Whether the ChatInfo reaches the plugin before the NAMES end or
	// after, it answers with all of them; that it waits when it came
	// first is TestChatInfoAnswersOnceNamesEnd's (internal, awaited:
	// here the test cannot tell when the plugin has the call).
	srv.send(":srv 353 kit = #c :kit ren")
	srv.send(":srv 366 kit #c :End of NAMES list")
	a := <-got
	if a.err != nil {
		t.Fatalf("ChatInfo of #c: %v", a.err)
	}
	want := []string{"bob", "kit (self)", "op", "ren"}
	if ms := nicks(a.chat.Members); !slices.Equal(ms, want) {
		t.Errorf("ChatInfo of #c asked before its NAMES ended: members %v, want %v", ms, want)
	}
	if res := cmds.Wait(join); res.Error != nil {
		t.Fatalf("join of #c: %v", res.Error)
	}
}

// nicks are members' nicks, sorted, the user's marked.
func nicks(ms []*pb.Member) []string {
	var out []string
	for _, m := range ms {
		n := m.Nick
		if m.IsSelf {
			n += " (self)"
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
