package irc_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// ngircd folds only A-Z (CASEMAPPING=ascii): Dave[m] and dave{m} are two
// people there, #[x] and #{x} two channels. Their chat IDs are two, and
// a private chat's ID still names its nick after a restart, when the
// plugin knows the nick only by the ID: dave{m}, the ID RFC 1459's
// folding gave Dave[m], went to the other person.
func TestCasemappingASCII(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "Dave[m]")
	other := newClient(t, s, "dave{m}")
	dave.join("#[x]")
	other.join("#{x}")
	p, evs, login := loggedIn(t, s, "", "kim", "")
	cmds := p.Commands()
	for _, ch := range []string{"#[x]", "#{x}"} {
		if res := cmds.Send(command(login.LoginId, ch, &pb.JoinChat{})); res.Error != nil || res.ChatId != "" {
			t.Fatalf("join %s: %v, want its own chat", ch, res)
		}
		if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil }); ev.ChatId != ch {
			t.Errorf("chat event %v, want %s", ev, ch)
		}
	}

	if err := dave.conn.Privmsg("kim", "hello"); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "hello" })
	if ev.ChatId != "dave[m]" {
		t.Fatalf("Dave[m]'s chat ID %q, want dave[m]", ev.ChatId)
	}

	// A restart: the plugin knows no one, the gateway the chat's ID.
	p.Restart()
	evs = p.Events()
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	if res := p.Commands().Send(plugintest.Act(login.LoginId, ev.ChatId, "", &pb.SendMessage{Text: "back"})); res.Error != nil {
		t.Fatalf("send to %s: %v", ev.ChatId, res.Error)
	}
	dave.await("PRIVMSG", "back")
}
