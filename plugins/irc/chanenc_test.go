package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// "/encoding koi8-r" typed in a channel's room sets that channel's own
// encoding, as biboumi's per-channel in/out encoding: a command, not a
// message. The channel's lines that are not UTF-8 (messages, topic) are
// then read in it, and the user's messages and topic go out in it, while
// another channel of the login stays UTF-8; a character it cannot carry
// refuses the message; the setting is kept with the login, across a
// restart; "/encoding default" drops it. Before, an encoding was the
// login's alone: "/encoding koi8-r" went to the channel as a message,
// and its KOI8-R was read as Windows-1252.
func TestChannelEncoding(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := scriptedLogin(t, srv, "", "kit", "#ru, #en")
	cmds := p.Commands()
	send := func(chat, text string) *pb.CommandResult {
		t.Helper()
		return cmds.Send(plugintest.SendText(login.LoginId, chat, "", text))
	}
	// "привет" and "всем" in KOI8-R.
	const privet, vsem = "\xd0\xd2\xc9\xd7\xc5\xd4", "\xd7\xd3\xc5\xcd"

	res := send("#ru", "/encoding KOI8-R")
	if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, "koi8-r") {
		t.Fatalf("/encoding koi8-r: %v, want a command's reply naming koi8-r", res)
	}
	if got := srv.sent(0, "PRIVMSG #ru"); len(got) != 0 {
		t.Errorf("sent %q, want the command not sent to the channel", got)
	}
	saved := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetSavedState() != nil }).GetSavedState().SavedState
	if !strings.Contains(string(saved), `"channel_encodings":{"#ru":"koi8-r"}`) {
		t.Errorf("saved state %s, want #ru's encoding in it", saved)
	}
	if r := send("#ru", "/encoding"); !strings.Contains(r.CommandReply, "koi8-r") {
		t.Errorf("bare /encoding: %v, want it to name koi8-r", r)
	}

	check := func() {
		t.Helper()
		srv.send(":dave!d@h PRIVMSG #ru :%s", privet)
		if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.ChatId != "#ru" || ev.GetMessage().Text != "привет" {
			t.Errorf("message %v, want привет in #ru", ev)
		}
		srv.send(":dave!d@h TOPIC #ru :%s", vsem)
		if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetTopic() != nil }); ev.GetTopic().Topic != "всем" {
			t.Errorf("topic %v, want всем", ev)
		}
		// #en is UTF-8, its other bytes Windows-1252 as before.
		srv.send(":dave!d@h PRIVMSG #en :%s", vsem)
		if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.ChatId != "#en" || ev.GetMessage().Text != "×ÓÅÍ" {
			t.Errorf("message %v, want ×ÓÅÍ (Windows-1252) in #en", ev)
		}
		n := len(srv.sent(0, ""))
		if r := send("#ru", "всем"); r.Error != nil {
			t.Fatalf("send to #ru: %v", r.Error)
		}
		if got := gotSince(srv, n, "PRIVMSG #ru"); got != "PRIVMSG #ru "+vsem {
			t.Errorf("sent %q, want всем in KOI8-R", got)
		}
		if r := send("#en", "всем"); r.Error != nil {
			t.Fatalf("send to #en: %v", r.Error)
		}
		if got := gotSince(srv, n, "PRIVMSG #en"); got != "PRIVMSG #en всем" {
			t.Errorf("sent %q, want всем in UTF-8", got)
		}
		r := send("#ru", "5 €")
		if r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(r.Error.GetText(), "koi8-r") {
			t.Errorf("€ to #ru: %v, want BAD_REQUEST naming koi8-r", r.Error)
		}
		if got := srv.sent(n, "PRIVMSG #ru :5"); len(got) != 0 {
			t.Errorf("sent %q, want nothing of the refused message", got)
		}
	}
	check()

	// Kept across a restart.
	p.Restart()
	evs = p.Events()
	p.Connect(login.LoginId, saved)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	cmds = p.Commands()
	check()

	// A raw PRIVMSG to #ru typed in the server's chat is in #ru's
	// encoding too: "€" is refused, not sent as "?".
	n := len(srv.sent(0, ""))
	if r := send("127.0.0.1", "PRIVMSG #ru :5 €"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(r.Error.GetText(), "koi8-r") {
		t.Errorf("raw PRIVMSG #ru with €: %v, want BAD_REQUEST naming koi8-r", r.Error)
	}
	if r := send("127.0.0.1", "PRIVMSG #ru :всем"); r.Error != nil {
		t.Errorf("raw PRIVMSG #ru: %v", r.Error)
	}
	if got := gotSince(srv, n, "PRIVMSG #ru"); got != "PRIVMSG #ru "+vsem {
		t.Errorf("sent %q, want the raw PRIVMSG in KOI8-R", got)
	}

	if r := send("#ru", "/encoding default"); r.Error != nil || !strings.Contains(r.CommandReply, "UTF-8") {
		t.Errorf("/encoding default: %v", r)
	}
	if r := send("#ru", "всем"); r.Error != nil {
		t.Fatalf("send to #ru: %v", r.Error)
	}
	if got := srv.sent(0, "PRIVMSG #ru"); got[len(got)-1] != "PRIVMSG #ru всем" {
		t.Errorf("sent %q last, want всем in UTF-8 again", got[len(got)-1])
	}
	if r := send("#ru", "/encoding klingon"); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("/encoding klingon: %v, want BAD_REQUEST", r.Error)
	}
}

// gotSince waits for a line starting with prefix among the server's
// from the from-th on, and returns it.
func gotSince(srv *scripted, from int, prefix string) string {
	srv.t.Helper()
	var line string
	srv.wait("a line "+prefix, func() bool {
		for _, l := range srv.lines[from:] {
			if strings.HasPrefix(l, prefix) {
				line = l
				return true
			}
		}
		return false
	})
	return line
}

// The same against ngircd, a UTF-8 login: after "/encoding koi8-r" in
// #ru, the user's topic and message reach dave, another client, in
// KOI8-R, and dave's KOI8-R is read as Cyrillic; the topic comes back
// from the server as the user set it.
func TestChannelEncodingOnNgircd(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#ru")
	p, evs, login := loggedIn(t, s, "", "kit", "#ru")
	cmds := p.Commands()
	if r := cmds.Send(plugintest.SendText(login.LoginId, "#ru", "", "/encoding koi8-r")); r.Error != nil || !r.HandledAsCommand {
		t.Fatalf("/encoding koi8-r: %v", r)
	}
	if e := cmds.Send(command(login.LoginId, "#ru", &pb.SetTopic{Topic: "всем привет"})).Error; e != nil {
		t.Fatalf("topic: %v", e)
	}
	dave.await("TOPIC", "\xd7\xd3\xc5\xcd \xd0\xd2\xc9\xd7\xc5\xd4")
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetTopic() != nil && ev.GetTopic().Topic != "" }); ev.GetTopic().Topic != "всем привет" {
		t.Errorf("topic %v, want всем привет", ev)
	}
	if r := cmds.Send(plugintest.SendText(login.LoginId, "#ru", "", "как дела?")); r.Error != nil {
		t.Fatalf("send: %v", r.Error)
	}
	dave.await("PRIVMSG", "\xcb\xc1\xcb \xc4\xc5\xcc\xc1?")
	if err := dave.conn.Privmsg("#ru", "\xd0\xd2\xc9\xd7\xc5\xd4"); err != nil {
		t.Fatal(err)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.ChatId == "#ru" }); ev.GetMessage().Text != "привет" {
		t.Errorf("dave's message %q, want привет", ev.GetMessage().Text)
	}
}

// "/encoding" and "/mode" typed in a private chat are commands too,
// answered to the user, saying where they work: neither goes to the
// nick as a message. Before, both were sent to dave as PRIVMSGs.
func TestRoomCommandsInPrivateChat(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := encodedLogin(t, srv.fields("kit"), "koi8-r")
	cmds := p.Commands()
	for _, tc := range []struct{ text, want string }{
		{"/encoding latin1", "koi8-r"},
		{"/encoding", "koi8-r"},
		{"/mode +o dave", "MODE"},
	} {
		res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "", tc.text))
		if res.Error != nil || !res.HandledAsCommand || !strings.Contains(res.CommandReply, "room") || !strings.Contains(res.CommandReply, tc.want) {
			t.Errorf("%q to dave: %v, want a command's reply naming a room and %s", tc.text, res, tc.want)
		}
	}
	if r := cmds.Send(plugintest.SendText(login.LoginId, "dave", "", "/mode, said in words")); r.Error != nil || r.HandledAsCommand {
		t.Errorf("a message starting with /mode, but no command: %v, want it sent", r)
	}
	if got := gotSince(srv, 0, "PRIVMSG dave"); got != "PRIVMSG dave :/mode, said in words" {
		t.Errorf("sent %q to dave, want the message alone, no command", got)
	}
}

// A KOI8-R login with a Latin-1 channel: the nicks in its KICK lines are
// the login's encoding's, as everywhere else (the member kicked is found
// and named right, and a kick from XMPP names them in KOI8-R), while the
// kick's and a part's reasons are the channel's, as is a message to its
// operators ("@#fr"). Before, the kicked nick
// was read (and written) in the channel's encoding with the reason: Петя
// was not found in #fr, no kick was shown, and the user's kick went to
// "????"; "@#fr" was read in KOI8-R.
func TestChannelEncodingNicksInLoginEncoding(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.isupport = "STATUSMSG=@+"
	srv.mu.Unlock()
	p, evs, login := encodedLogin(t, srv.fields("kit"), "koi8-r")
	cmds := p.Commands()
	// "Петя", "Вася" and "Оля" in KOI8-R; "à bientôt" and "adieu, vérité" in Latin-1.
	const petya, vasya, olya = "\xf0\xc5\xd4\xd1", "\xf7\xc1\xd3\xd1", "\xef\xcc\xd1"
	const bientot, verite = "\xe0 bient\xf4t", "adieu, v\xe9rit\xe9"
	if r := cmds.Send(command(login.LoginId, "#fr", &pb.JoinChat{})); r.Error != nil {
		t.Fatalf("join: %v", r.Error)
	}
	if r := cmds.Send(plugintest.SendText(login.LoginId, "#fr", "", "/encoding latin1")); r.Error != nil || !r.HandledAsCommand {
		t.Fatalf("/encoding latin1: %v", r)
	}
	for _, nick := range []string{petya, vasya, olya} {
		srv.send(":%s!u@h JOIN #fr", nick)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetMember().GetNick() == "Оля" })

	srv.send(":%s!v@h KICK #fr %s :%s", vasya, petya, bientot)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED })
	if m := ev.GetMember(); ev.ChatId != "#fr" || m.Member.GetNick() != "Петя" || m.Reason != "à bientôt" || ev.Sender.GetName() != "Вася" {
		t.Errorf("kick %v, want Петя kicked by Вася, à bientôt", ev)
	}
	srv.send(":%s!o@h PART #fr :%s", olya, verite)
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_LEFT })
	if m := ev.GetMember(); m.Member.GetNick() != "Оля" || m.Reason != "adieu, vérité" {
		t.Errorf("part %v, want Оля leaving, adieu, vérité", ev)
	}

	// A message to the channel's operators (STATUSMSG) is the channel's.
	srv.send(":%s!v@h PRIVMSG @#fr :%s", vasya, verite)
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.ChatId != "#fr" || ev.GetMessage().Text != "(to @#fr) adieu, vérité" {
		t.Errorf("message to @#fr %v, want it in Latin-1", ev)
	}

	// The user kicks Вася: his nick in KOI8-R, the reason in Latin-1
	// (the scripted server does not kick: the line sent is what counts),
	// and so does a KICK typed in the server's chat.
	n := len(srv.sent(0, ""))
	done := make(chan *pb.CommandResult, 1)
	go func() {
		done <- cmds.Send(plugintest.Act(login.LoginId, "#fr", "", &pb.Kick{UserId: "Вася", Reason: "à bientôt"}))
	}()
	if got := gotSince(srv, n, "KICK"); got != "KICK #fr "+vasya+" :"+bientot {
		t.Errorf("sent %q, want Вася in KOI8-R, the reason in Latin-1", got)
	}
	<-done
	n = len(srv.sent(0, ""))
	if r := cmds.Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "KICK #fr Вася :vérité")); r.Error != nil {
		t.Errorf("KICK typed to the server: %v", r.Error)
	}
	if got := gotSince(srv, n, "KICK"); got != "KICK #fr "+vasya+" v\xe9rit\xe9" {
		t.Errorf("sent %q, want Вася in KOI8-R, the reason in Latin-1", got)
	}
}

// Against ngircd, a UTF-8 login with #ru in KOI8-R: a kick's and a
// part's reasons there are read in KOI8-R, the kicker, the kicked and
// the leaver named right; the user kicked from it loses the room with
// the reason read so too.
func TestChannelEncodingKickAndPartOnNgircd(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave") // the channel's operator
	dave.join("#ru")
	p, evs, login := loggedIn(t, s, "", "kit", "#ru")
	if r := p.Commands().Send(plugintest.SendText(login.LoginId, "#ru", "", "/encoding koi8-r")); r.Error != nil || !r.HandledAsCommand {
		t.Fatalf("/encoding koi8-r: %v", r)
	}
	erin, frank := newClient(t, s, "erin"), newClient(t, s, "frank")
	erin.join("#ru")
	frank.join("#ru")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetMember().GetNick() == "frank" })

	// "пока" and "до свидания" in KOI8-R.
	if err := dave.conn.Send("KICK", "#ru", "erin", "\xd0\xcf\xcb\xc1"); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_KICKED })
	if m := ev.GetMember(); ev.ChatId != "#ru" || m.Member.GetNick() != "erin" || m.Reason != "пока" || ev.Sender.GetName() != "dave" {
		t.Errorf("kick %v, want erin kicked by dave: пока", ev)
	}
	if err := frank.conn.Send("PART", "#ru", "\xc4\xcf \xd3\xd7\xc9\xc4\xc1\xce\xc9\xd1"); err != nil {
		t.Fatal(err)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_LEFT })
	if m := ev.GetMember(); m.Member.GetNick() != "frank" || m.Reason != "до свидания" {
		t.Errorf("part %v, want frank leaving: до свидания", ev)
	}
	// The user kicked: the room goes, with the reason.
	if err := dave.conn.Send("KICK", "#ru", "kit", "\xd0\xcf\xcb\xc1"); err != nil {
		t.Fatal(err)
	}
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChatRemoved() != nil })
	if r := ev.GetChatRemoved(); ev.ChatId != "#ru" || r.Reason != pb.ChatRemovedEvent_REASON_KICKED || r.Text != "пока" {
		t.Errorf("the user's kick %v, want #ru removed: пока", ev)
	}
}

// A QUIT names no channel: its reason is read in the login's encoding,
// in every channel the member leaves, while a PART's is read in its
// channel's, as its messages are. biboumi reads both as UTF-8, else
// Latin-1, whatever the encodings set; a quit reason is typed once for
// all channels, in the member's client's charset, which the login's
// encoding names for the server. On a Latin-1 login, a member quitting
// a KOI8-R channel with "café" in Latin-1 leaves with "café", and one
// parting it with "привет" in KOI8-R with "привет".
func TestQuitReasonInLoginEncoding(t *testing.T) {
	srv := startScripted(t, "", "")
	f := srv.fields("kit")
	f["channels"], f["encoding"] = "#ru", "latin1"
	p, evs, login := loginConnected(t, nil, f)
	if r := p.Commands().Send(plugintest.SendText(login.LoginId, "#ru", "", "/encoding koi8-r")); r.Error != nil {
		t.Fatalf("/encoding koi8-r: %v", r.Error)
	}
	left := func(nick string) *pb.MemberEvent {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == "#ru" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_LEFT && ev.GetMember().GetMember().GetUserId() == nick
		}).GetMember()
	}
	for _, nick := range []string{"dave", "eve"} {
		srv.send(":%s!x@h JOIN #ru", nick)
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == "#ru" && ev.GetMember().GetKind() == pb.MemberEvent_KIND_JOINED && ev.GetMember().GetMember().GetUserId() == nick
		})
	}
	srv.send(":dave!x@h QUIT :caf\xe9")
	if m := left("dave"); m.Reason != "café" {
		t.Errorf("dave's quit reason %q, want café (Latin-1, the login's)", m.Reason)
	}
	srv.send(":eve!x@h PART #ru :\xd0\xd2\xc9\xd7\xc5\xd4")
	if m := left("eve"); m.Reason != "привет" {
		t.Errorf("eve's part reason %q, want привет (KOI8-R, the channel's)", m.Reason)
	}
}

// A channel's own encoding follows its chat ID when the server's
// CASEMAPPING changes (a network that moved to other server software):
// #[fr], #{fr} as RFC 1459 folds it, is #[fr] on a server that folds
// ASCII only, and is still read in its encoding there. Before, the
// encoding stayed under the old ID: the channel was read in the
// login's again, and "/encoding" said it had none.
func TestChannelEncodingFollowsCasemapping(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := scriptedLogin(t, srv, `{"reconnect_min":"20ms","reconnect_max":"50ms"}`, "kit", "#[fr]")
	cmds := p.Commands()
	const privet = "\xd0\xd2\xc9\xd7\xc5\xd4" // "привет" in KOI8-R
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#{fr}", "", "/encoding koi8-r")); res.Error != nil || !res.HandledAsCommand {
		t.Fatalf("/encoding koi8-r in #{fr}: %v", res)
	}

	srv.mu.Lock()
	srv.isupport = "CASEMAPPING=ascii "
	srv.mu.Unlock()
	srv.hangUp()
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

	srv.send(":dave!d@h PRIVMSG #[fr] :%s", privet)
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }); ev.ChatId != "#[fr]" || ev.GetMessage().Text != "привет" {
		t.Errorf("message %v, want привет in #[fr]", ev)
	}
	if r := cmds.Send(plugintest.SendText(login.LoginId, "#[fr]", "", "/encoding")); !strings.Contains(r.CommandReply, "koi8-r") {
		t.Errorf("bare /encoding in #[fr]: %v, want it to name koi8-r", r)
	}
}
