package irc_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/puppet"
)

// A channel and a nick in Latin-1 (IRC allows any charset in names) are
// a chat and a member with IDs in UTF-8, read as a Latin-1 line is (the
// channel's marked as Latin-1: TestLatin1AndUTF8Channels), and what the
// user sends to them goes to the names the server gave. Before,
// their IDs reached the gateway with U+FFFD for the Latin-1 bytes (all
// such channels one chat, all such nicks one member) and the user's
// messages to them were refused or sent to a nick nobody has.
func TestLatin1Names(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))

	// The server puts the user in #café (a forced join, a bouncer's).
	srv.send(":kit!u@h JOIN #Caf\xe9")
	srv.send(":srv 353 kit = #Caf\xe9 :kit @Ren\xe9 ren\xe8")
	srv.send(":srv 366 kit #Caf\xe9 :End of NAMES list")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	chat := ev.GetChat().Chat
	if ev.ChatId != "#caf\u00e9,latin1" || chat.Name != "#Caf\u00e9" || len(chat.Members) != 3 {
		t.Fatalf("chat %v, want #caf\u00e9,latin1 named #Caf\u00e9 with 3 members", ev)
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
	if ev.ChatId != "#caf\u00e9,latin1" || ev.Sender.GetUserId() != "ren\u00e9" || ev.Sender.GetName() != "Ren\u00e9" || ev.GetMessage().Text != "salut" {
		t.Errorf("message %v", ev)
	}

	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#caf\u00e9,latin1", "txn-1", "bonjour tous")); res.Error != nil {
		t.Fatalf("send to the channel: %v", res.Error)
	}
	srv.got("PRIVMSG #Caf\xe9 :bonjour tous")
	if res := cmds.Send(plugintest.SendText(login.LoginId, "ren\u00e9", "txn-2", "hi there")); res.Error != nil {
		t.Fatalf("send to the member: %v", res.Error)
	}
	srv.got("PRIVMSG Ren\xe9 :hi there")
}

// A channel named in UTF-8 and one of the same letters in Latin-1 are two
// channels on the wire, so two chats: the UTF-8 one keeps the ID it always
// had (its name, folded), the Latin-1 one gets an ID of its own that is a
// valid address. Messages go to and come from the right one, and the
// Latin-1 one can be left and joined again by its ID. Before, both were
// #café: the second join took the first's place, and what the user sent
// to one went to the other.
func TestLatin1AndUTF8Channels(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))

	chatOf := func(wire, other string) *pb.Event {
		t.Helper()
		srv.send(":kit!u@h JOIN %s", wire)
		srv.send(":srv 353 kit = %s :kit %s", wire, other)
		srv.send(":srv 366 kit %s :End of NAMES list", wire)
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	}
	latin := chatOf("#Caf\xe9", "ren")
	utf := chatOf("#Caf\u00e9", "bob")
	if utf.ChatId != "#caf\u00e9" {
		t.Errorf("UTF-8 #Caf\u00e9 has ID %q, want #caf\u00e9 as before", utf.ChatId)
	}
	if latin.ChatId == utf.ChatId {
		t.Fatalf("Latin-1 #Caf\\xe9 and UTF-8 #Caf\u00e9 share the ID %q", latin.ChatId)
	}
	if !strings.HasPrefix(latin.ChatId, "#caf\u00e9") || !utf8.ValidString(latin.ChatId) {
		t.Errorf("Latin-1 #Caf\\xe9 has ID %q, want one starting #caf\u00e9", latin.ChatId)
	}
	if _, err := puppet.JID(latin.ChatId, "irc.example.org"); err != nil {
		t.Errorf("Latin-1 channel's ID %q is no address: %v", latin.ChatId, err)
	}
	if n := latin.GetChat().Chat.Name; n != "#Caf\u00e9" {
		t.Errorf("Latin-1 channel named %q, want #Caf\u00e9", n)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	list, err := p.Client().ChatList(ctx, &pb.LoginRef{LoginId: login.LoginId})
	if err != nil || len(list.GetChats()) != 2 {
		t.Fatalf("chat list %v, %v; want both channels", list, err)
	}

	srv.send(":bob!b@h PRIVMSG #Caf\u00e9 :in utf-8")
	srv.send(":ren!r@h PRIVMSG #Caf\xe9 :in latin-1")
	for _, want := range []struct{ id, text string }{{utf.ChatId, "in utf-8"}, {latin.ChatId, "in latin-1"}} {
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if ev.ChatId != want.id || ev.GetMessage().Text != want.text {
			t.Errorf("message %q in %q, want %q in %q", ev.GetMessage().Text, ev.ChatId, want.text, want.id)
		}
	}

	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, latin.ChatId, "txn-1", "to latin-1")); res.Error != nil {
		t.Fatalf("send to the Latin-1 channel: %v", res.Error)
	}
	srv.got("PRIVMSG #Caf\xe9 :to latin-1")
	if res := cmds.Send(plugintest.SendText(login.LoginId, utf.ChatId, "txn-2", "to utf-8")); res.Error != nil {
		t.Fatalf("send to the UTF-8 channel: %v", res.Error)
	}
	srv.got("PRIVMSG #Caf\u00e9 :to utf-8")

	// Left, then joined again from XMPP by its ID: the JOIN names the
	// channel in Latin-1.
	if res := cmds.Send(plugintest.Act(login.LoginId, latin.ChatId, "", &pb.LeaveChat{})); res.Error != nil {
		t.Fatalf("leave the Latin-1 channel: %v", res.Error)
	}
	srv.got("PART #Caf\xe9")
	if res := cmds.Send(command(login.LoginId, latin.ChatId, &pb.JoinChat{})); res.Error != nil {
		t.Fatalf("join the Latin-1 channel by its ID: %v", res.Error)
	}
	srv.got("JOIN #caf\xe9")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil }); ev.ChatId != latin.ChatId {
		t.Errorf("joined again as %q, want %q", ev.ChatId, latin.ChatId)
	}
}

// A channel whose name holds a control character (mIRC's formatting
// codes are allowed in names by most servers) gets an ID the gateway
// takes as a room's address: the control character's bytes written
// ",xx" (hex), as for the bytes of a Latin-1 name Windows-1252 leaves
// undefined; its name is shown without the codes, and the user's
// messages reach it by that ID. Before, its ID held the control
// character, which no JID can: the gateway dropped the room ("group
// has no room address; not bridged") and all said in it.
func TestControlCharacterChannel(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := scriptedLogin(t, srv, "", "kit", "")

	cmds := p.Commands()
	for _, tc := range []struct{ wire, id, name string }{
		{"#\x02Bold\x02", "#,02bold,02", "#Bold"},
		{"#caf\xe9\x1f", "#caf\u00e9,1f,latin1", "#caf\u00e9"},
	} {
		srv.send(":kit!u@h JOIN %s", tc.wire)
		srv.send(":srv 353 kit = %s :kit dave", tc.wire)
		srv.send(":srv 366 kit %s :End of NAMES list", tc.wire)
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
		if ev.ChatId != tc.id || ev.GetChat().Chat.Name != tc.name {
			t.Errorf("chat %q named %q, want %q named %q", ev.ChatId, ev.GetChat().Chat.Name, tc.id, tc.name)
		}
		if _, err := puppet.JID(ev.ChatId, "irc.example.org"); err != nil {
			t.Errorf("the chat %q has no room address: %v", ev.ChatId, err)
		}
		if res := cmds.Send(plugintest.SendText(login.LoginId, tc.id, "", "hello there")); res.Error != nil {
			t.Fatalf("send to %q: %v", tc.id, res.Error)
		}
		srv.got("PRIVMSG " + tc.wire + " :hello there")
	}
}

// A login saved before a control character in a channel's ID was
// written ",xx" has that channel's key under its old ID ("#\x02bold\x02"
// as it is): it is found under the ID of now, and the channel joined
// with it. Before, the key was looked up as "#,02bold,02" only, and the
// JOIN went without it.
func TestControlCharacterChannelLegacyKey(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", srv.fields("kit"))
	p.Connect(login.LoginId, editState(t, login.SavedState, func(acc map[string]any) {
		acc["channels"] = []string{"#\x02Bold\x02"}
		acc["keys"] = map[string]string{"#\x02bold\x02": "sesame"}
	}))
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	if got := srv.got("JOIN "); got != "JOIN #\x02Bold\x02 sesame" {
		t.Errorf("sent %q, want the JOIN with the key saved under the old ID", got)
	}
}
