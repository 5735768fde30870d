package irc_test

import (
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A channel and a nick in Latin-1 (IRC allows any charset in names) are
// a chat and a member with IDs in UTF-8, read as a Latin-1 line is, and
// what the user sends to them goes to the names the server gave. Before,
// their IDs reached the gateway with U+FFFD for the Latin-1 bytes (all
// such channels one chat, all such nicks one member) and the user's
// messages to them were refused or sent to a nick nobody has.
func TestLatin1Names(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", srv.fields("kit"))
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

	// The server puts the user in #café (a forced join, a bouncer's).
	srv.send(":kit!u@h JOIN #Caf\xe9")
	srv.send(":srv 353 kit = #Caf\xe9 :kit @Ren\xe9 ren\xe8")
	srv.send(":srv 366 kit #Caf\xe9 :End of NAMES list")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	chat := ev.GetChat().Chat
	if ev.ChatId != "#caf\u00e9" || chat.Name != "#Caf\u00e9" || len(chat.Members) != 3 {
		t.Fatalf("chat %v, want #caf\u00e9 named #Caf\u00e9 with 3 members", ev)
	}
	nicks := map[string]string{}
	for _, m := range chat.Members {
		nicks[m.UserId] = m.Nick
	}
	if nicks["ren\u00e9"] != "Ren\u00e9" || nicks["ren\u00e8"] != "ren\u00e8" {
		t.Errorf("members %v, want Ren\u00e9 (ren\u00e9) and ren\u00e8 (ren\u00e8)", chat.Members)
	}

	srv.send(":Ren\xe9!r@h PRIVMSG #Caf\xe9 :salut")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "#caf\u00e9" || ev.Sender.GetUserId() != "ren\u00e9" || ev.Sender.GetName() != "Ren\u00e9" || ev.GetMessage().Text != "salut" {
		t.Errorf("message %v", ev)
	}

	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#caf\u00e9", "txn-1", "bonjour tous")); res.Error != nil {
		t.Fatalf("send to the channel: %v", res.Error)
	}
	srv.got("PRIVMSG #Caf\xe9 :bonjour tous")
	if res := cmds.Send(plugintest.SendText(login.LoginId, "ren\u00e9", "txn-2", "hi there")); res.Error != nil {
		t.Fatalf("send to the member: %v", res.Error)
	}
	srv.got("PRIVMSG Ren\xe9 :hi there")
}
