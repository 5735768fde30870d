package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The login's commands after connecting (biboumi's after-connect
// commands: QuakeNet's AUTH to Q, a MODE +x cloak) go at each
// connection after the welcome, before the channels' JOINs, as typed,
// a leading "/" left out and ";;" a ";" within one. Before, there was
// no such field, and a network whose services take no NickServ
// IDENTIFY could not be logged in to.
func TestCommandsAfterConnecting(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	f := srv.fields("ned")
	f["channels"] = "#a"
	f["commands"] = "MODE ned +x ; /PRIVMSG Q@CServe.quakenet.org :AUTH ned pa;;ss"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	srv.got("JOIN")
	srv.mu.Lock()
	lines := slices.Clone(srv.lines)
	srv.mu.Unlock()
	at := func(prefix string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	mode, auth, join := at("MODE ned +x"), at("PRIVMSG Q@CServe.quakenet.org :AUTH ned pa;ss"), at("JOIN")
	if mode < 0 || auth < 0 || !(mode < auth && auth < join) {
		t.Errorf("lines %q: want MODE ned +x, then the AUTH, then the JOIN", lines)
	}
}

// A QUIT among them would end each connection, made again for ever: the
// form refuses it.
func TestCommandsAfterConnectingNoQuit(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]string{"server": "127.0.0.1", "port": "6667", "tls": "off", "nick": "ned", "commands": "MODE ned +x; /quit :bye"}
	step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f})
	if err != nil {
		t.Fatal(err)
	}
	if step.GetComplete() != nil || !strings.Contains(step.GetError(), "QUIT") {
		t.Errorf("login with a QUIT after connecting: %v, want the form again saying why", step)
	}
}

// The login's real name is USER's last parameter (shown in WHOIS);
// before, it was always the nick.
func TestRealName(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	f := srv.fields("ned")
	f["realname"] = " Ned Flanders "
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	if got := srv.got("USER"); got != "USER ned s e :Ned Flanders" {
		t.Errorf("sent %q, want the real name Ned Flanders", got)
	}
}

// The server's answers to the commands after connecting (a command it
// does not know, a mode it has no letter for, a PRIVMSG to a nick no
// one has) are the server's messages to the user, in a private chat
// with it (its host as the login names it), as biboumi shows them from
// the server's JID; what it says later (the 401 of a message sent from
// XMPP, the send's own error) is not. Before, they were neither shown
// nor logged: a mistyped command failed without a word.
func TestCommandsAfterConnectingAnswered(t *testing.T) {
	s := startNgircd(t)
	bob := newClient(t, s, "bob")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := loginFields(s, "ned", "#a")
	f["commands"] = "FOO bar; MODE ned +Z; PRIVMSG nobody :AUTH ned s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	var shown []string
	fromServer := func(ev *pb.Event) bool {
		if ev.ChatId != "127.0.0.1" || ev.GetMessage() == nil || isMOTD(ev) {
			return false
		}
		if ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.GetUserId() != "127.0.0.1" || ev.Sender.GetName() != "irc.test" {
			t.Errorf("the server's message %v: want a direct chat 127.0.0.1 from irc.test", ev)
		}
		shown = append(shown, ev.GetMessage().Text)
		return false
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		return !fromServer(ev) && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	want := []string{"FOO: Unknown command", `Unknown mode "+Z"`, "nobody: No such nick or channel name"}
	if !slices.Equal(shown, want) {
		t.Errorf("the server's messages %q, want %q", shown, want)
	}
	// Later, a refusal is the send's error, not the server's message.
	shown = nil
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "nobody", "", "hi")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("send to nobody: %v, want NOT_FOUND", res.Error)
	}
	if err := bob.conn.Privmsg("ned", "after"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return !fromServer(ev) && ev.GetMessage().GetText() == "after" })
	if len(shown) > 0 {
		t.Errorf("the server's messages %q after connecting, want none", shown)
	}
}

// Where the server echoes (echo-message), a PRIVMSG after connecting is
// not shown back (its echo holds a password); one that it refuses gets
// no echo: the refusal is shown from the server,
// and the next message to that nick, refused too, is the send's error,
// not taken for the echo the first was waiting for.
func TestCommandsAfterConnectingRefusedWithEcho(t *testing.T) {
	srv := startScripted(t, "echo-message", "")
	srv.mu.Lock()
	srv.refuseMsg = map[string]string{"nobody": "401 :No such nick"}
	srv.mu.Unlock()
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("ned")
	f["commands"] = "PRIVMSG AuthBot :letmein s3cret; PRIVMSG nobody :AUTH ned s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		if strings.Contains(ev.GetMessage().GetText(), "s3cret") {
			t.Errorf("shown: %v", ev) // the echo of the first, password and all
		}
		return ev.ChatId == "127.0.0.1" && ev.GetMessage() != nil
	})
	if got := ev.GetMessage().Text; got != "nobody: No such nick" || ev.Sender.GetName() != "srv" {
		t.Errorf("the server's message %q from %q, want the 401 from srv", got, ev.Sender.GetName())
	}
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "nobody", "", "hi")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("send to nobody: %v, want NOT_FOUND", res.Error)
	}
}

// A message to the server's chat is IRC commands, a line each, as a
// message to biboumi's server JID: the server's answers come back as
// its messages (a WHOIS's too), a JOIN there joins the channel (its
// room comes), a leading "/" is left out; a QUIT is refused. The
// result says they were commands (handled_as_command), not a message the
// gateway keeps. Before, such a message was NOT_FOUND (no one has that
// nick).
func TestCommandsToTheServer(t *testing.T) {
	s := startNgircd(t)
	p, evs, login := loginConnected(t, nil, loginFields(s, "ned", ""))
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "FOO bar\n/JOIN #raw")); res.Error != nil {
		t.Fatalf("commands to the server: %v", res.Error)
	} else if !res.HandledAsCommand || res.MessageId != "" {
		// Commands, not a message: the gateway keeps none.
		t.Errorf("commands to the server: %v, want handled as commands, no message", res)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "127.0.0.1" && ev.GetMessage() != nil })
	if got := ev.GetMessage().Text; got != "FOO: Unknown command" || ev.Sender.GetUserId() != "127.0.0.1" {
		t.Errorf("the server's message %q from %v, want its 421", got, ev.Sender)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#raw" && ev.GetChat() != nil })
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "WHOIS ned")); res.Error != nil {
		t.Fatalf("WHOIS to the server: %v", res.Error)
	}
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.ChatId == "127.0.0.1" && strings.HasPrefix(ev.GetMessage().GetText(), "ned: End of WHOIS")
	})
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "QUIT :bye")); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("a QUIT to the server: %v, want BAD_REQUEST", res.Error)
	}
}

// A NickServ password on a network without NickServ identifies
// nothing: the server's 401 to the IDENTIFY is shown as its message,
// so the user hears why (before, it was dropped without a word).
func TestNickServIdentifyWithoutNickServ(t *testing.T) {
	s := startNgircd(t)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := loginFields(s, "ned", "")
	f["nickserv_password"] = "s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "127.0.0.1" && ev.GetMessage() != nil && !isMOTD(ev) })
	if got := ev.GetMessage().Text; got != "NickServ: No such nick or channel name" {
		t.Errorf("the server's message %q, want its 401 to the IDENTIFY", got)
	}
}

// A LIST typed in the server's chat is answered there: the channels the
// server lists (322), the most populated first, with their users and
// topics, in one message at its end (323). A search by name still works
// after it. Before, the replies were left to a search, which none
// waited for: the LIST showed nothing.
func TestListToTheServer(t *testing.T) {
	s := startNgircd(t)
	p, evs, login := loggedIn(t, s, "", "ned", "#alpha, #beta")
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "TOPIC #beta :Beta talk\n/LIST")); res.Error != nil {
		t.Fatalf("LIST to the server: %v", res.Error)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "127.0.0.1" && ev.GetMessage() != nil })
	text := ev.GetMessage().Text
	if !strings.Contains(text, "#alpha (1)") || !strings.Contains(text, "#beta (1): Beta talk") || ev.Sender.GetUserId() != "127.0.0.1" {
		t.Errorf("the server's list %q from %v, want #alpha and #beta with its topic", text, ev.Sender)
	}
	r := p.Commands().Send(plugintest.Act(login.LoginId, "", "", &pb.SearchChats{Query: "alph"}))
	if r.Error != nil || len(r.FoundChats) != 1 || r.FoundChats[0].ChatId != "#alpha" {
		t.Errorf("a search after the LIST: %v %v, want #alpha", r.Error, r.FoundChats)
	}
}

// The answers to WHO and LUSERS typed in the server's chat are shown
// there, as those to WHOIS are: the people matched (352) and the
// list's end (315), the network's counts (251...). Before, they were
// not among the numerics shown: such a command showed nothing.
func TestWhoToTheServer(t *testing.T) {
	s := startNgircd(t)
	p, evs, login := loggedIn(t, s, "", "ned", "")
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "WHO ned\nLUSERS")); res.Error != nil {
		t.Fatalf("WHO to the server: %v", res.Error)
	}
	var said []string
	for _, want := range []string{" ned ", "End of WHO", "users"} {
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "127.0.0.1" && ev.GetMessage() != nil })
		said = append(said, ev.GetMessage().Text)
		if !strings.Contains(ev.GetMessage().Text, want) {
			t.Errorf("the server's answers %q, want one with %q next", said, want)
		}
	}
}

// A user name field in the login form (USER's first parameter, the user
// of nick!user@host), as biboumi's Username: a bouncer picks the
// network by it (soju's "name/network", ZNC's "user/network"). Empty,
// it is the nick's letters, as before; one with a space or an "@" is
// refused by the form. Before, there was no such field.
func TestUserName(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	f := srv.fields("ned")
	f["username"] = " ned/libera "
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	if got := srv.got("USER"); got != "USER ned/libera s e ned" {
		t.Errorf("sent %q, want the user name ned/libera", got)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	for _, bad := range []string{"ned libera", "ned@host", ":ned"} {
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		f := srv.fields("ned")
		f["username"] = bad
		step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f})
		if err != nil {
			t.Fatal(err)
		}
		if step.GetComplete() != nil || !strings.Contains(step.GetError(), "user name") {
			t.Errorf("user name %q: %v, want the form again naming the user name", bad, step)
		}
	}
}

// isMOTD reports whether ev is the server's message of the day, shown
// in its chat at the first connection (motd.go): no answer to a command.
func isMOTD(ev *pb.Event) bool {
	return strings.HasPrefix(ev.GetMessage().GetText(), "Message of the day:")
}
