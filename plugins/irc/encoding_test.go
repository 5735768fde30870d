package irc_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A login with its server's encoding (koi8-r here) reads the lines that
// are not UTF-8 in it, and sends the user's text in it: a nick, a channel
// and a message in KOI8-R are Cyrillic, both ways. A line in UTF-8 stays
// UTF-8, and a character KOI8-R has not (€) refuses the message saying
// so, sending nothing. Before, there was no such field: a KOI8-R line
// was read as Windows-1252 (mojibake) and the user's Cyrillic went out
// in UTF-8, which the server's other users read as mojibake.
func TestServerEncoding(t *testing.T) {
	srv := startScripted(t, "", "")
	p, evs, login := encodedLogin(t, srv.fields("kit"), " KOI8-R ")

	// "Миша" and "привет" in KOI8-R.
	const misha, privet = "\xed\xc9\xdb\xc1", "\xd0\xd2\xc9\xd7\xc5\xd4"
	srv.send(":%s!m@h PRIVMSG kit :%s", misha, privet)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	// The server folds as RFC 1459 says: A-Z only.
	if ev.ChatId != "Миша" || ev.Sender.GetName() != "Миша" || ev.GetMessage().Text != "привет" {
		t.Errorf("message %v, want привет from Миша", ev)
	}
	srv.send(":dave!d@h PRIVMSG kit :déjà vu")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "déjà vu" {
		t.Errorf("a UTF-8 line read as %q, want it as it is", ev.GetMessage().Text)
	}

	// "#канал" in KOI8-R.
	const kanal = "#\xcb\xc1\xce\xc1\xcc"
	srv.send(":kit!u@h JOIN %s", kanal)
	srv.send(":srv 353 kit = %s :kit %s", kanal, misha)
	srv.send(":srv 366 kit %s :End of NAMES list", kanal)
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil })
	if ev.ChatId != "#канал" || ev.GetChat().Chat.Name != "#канал" {
		t.Errorf("chat %v, want #канал", ev)
	}

	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText(login.LoginId, "Миша", "txn-1", "как дела?")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PRIVMSG " + misha + " :\xcb\xc1\xcb \xc4\xc5\xcc\xc1?")
	if res := cmds.Send(plugintest.SendText(login.LoginId, "#канал", "txn-2", "всем")); res.Error != nil {
		t.Fatalf("send to the channel: %v", res.Error)
	}
	if got := srv.got("PRIVMSG " + kanal); got != "PRIVMSG "+kanal+" \xd7\xd3\xc5\xcd" {
		t.Errorf("sent %q, want всем in KOI8-R", got)
	}

	res := cmds.Send(plugintest.SendText(login.LoginId, "Миша", "txn-3", "стоит 5 €"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), "€") || !strings.Contains(res.Error.GetText(), "koi8-r") {
		t.Errorf("a message with €: %v, want BAD_REQUEST naming € and koi8-r", res.Error)
	}
	if got := srv.sent(0, "PRIVMSG "+misha+" :\xd3\xd4\xcf"); len(got) != 0 {
		t.Errorf("sent %q, want nothing of the refused message", got)
	}
}

// The form refuses an encoding it does not know, and one that IRC's
// lines cannot be in (UTF-16 has NULs; ISO-2022-JP's escapes make a
// line longer than its UTF-8), saying which; UTF-8 is the default, of
// which ASCII is a part (browsers, whose names are taken, read "ascii"
// as Windows-1252).
func TestServerEncodingForm(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	for _, enc := range []string{"klingon", "utf-16", "iso-2022-jp", "x-user-defined", "us-ascii", "ascii"} {
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		f := map[string]string{"server": "127.0.0.1", "port": "6667", "tls": "off", "nick": "ned", "encoding": enc}
		step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f})
		if err != nil {
			t.Fatal(err)
		}
		if step.GetComplete() != nil || !strings.Contains(step.GetError(), enc) {
			t.Errorf("login with the encoding %q: %v, want the form again naming it", enc, step)
		}
	}
}

// With a server encoding, the form refuses a server password, a
// NickServ password, a real name or a command after connecting that
// has a character the encoding cannot carry, naming the field, the
// character and the encoding: before, they went out with "?" for it,
// and the password failed with no word of why. The SASL password is
// UTF-8 whatever the encoding (SASL PLAIN, in base64): one with € logs
// in (TestServerEncodingSASL).
func TestServerEncodingFormSecrets(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	for field, want := range map[string]string{"server_password": "server password", "nickserv_password": "NickServ password",
		"realname": "real name", "commands": "command after connecting"} {
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		f := map[string]string{"server": "127.0.0.1", "port": "6667", "tls": "off", "nick": "ned", "encoding": "koi8-r", field: "пароль€"}
		if field == "commands" {
			f[field] = "PRIVMSG Q :AUTH ned пароль€"
		}
		step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f})
		if err != nil {
			t.Fatal(err)
		}
		if e := step.GetError(); step.GetComplete() != nil || !strings.Contains(e, want) || !strings.Contains(e, "€") || !strings.Contains(e, "koi8-r") {
			t.Errorf("%s with € in koi8-r: %v, want the form again naming the %s, € and koi8-r", field, step, want)
		}
	}
}

// A SASL password is UTF-8 in any server encoding: SASL PLAIN carries
// it in base64, untouched by the encoding, so one with a character the
// encoding has not logs in.
func TestServerEncodingSASL(t *testing.T) {
	srv := startScripted(t, "sasl", "kit\x00пароль€")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["encoding"], f["sasl_user"], f["sasl_password"] = "koi8-r", "kit", "пароль€"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		s := ev.GetLoginState().GetState()
		return s != pb.LoginState_LOGIN_STATE_CONNECTING && s != pb.LoginState_LOGIN_STATE_UNKNOWN
	})
	if st.GetLoginState().State != pb.LoginState_LOGIN_STATE_CONNECTED {
		t.Errorf("login state %v, want connected with the UTF-8 SASL password", st.GetLoginState())
	}
}

// An away message the server's encoding cannot carry is refused with
// BAD_REQUEST naming the character and the encoding, and the user goes
// away with the word for their state: before, it went out with "?"
// for the character ("AWAY :?? ?????" to others), with no word.
func TestServerEncodingAway(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := encodedLogin(t, srv.fields("kit"), "koi8-r")
	cmds := p.Commands()
	res := cmds.Send(command(login.LoginId, "", &pb.SetPresence{Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_DND, Status: "в отпуске €"}}))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(res.Error.GetText(), "€") || !strings.Contains(res.Error.GetText(), "koi8-r") {
		t.Errorf("away with €: %v, want BAD_REQUEST naming € and koi8-r", res.Error)
	}
	if got := srv.got("AWAY"); got != "AWAY Busy" {
		t.Errorf("sent %q, want AWAY Busy", got)
	}
	// One it carries goes as it is, in KOI8-R ("в отпуске").
	if res := cmds.Send(command(login.LoginId, "", &pb.SetPresence{Presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY, Status: "в отпуске"}})); res.Error != nil {
		t.Fatalf("away: %v", res.Error)
	}
	srv.got("AWAY :\xd7 \xcf\xd4\xd0\xd5\xd3\xcb\xc5")
}

// A message's lines are cut by their length in the server's encoding,
// not in UTF-8: 700 letters and spaces of Cyrillic, 1300 bytes in UTF-8
// and 700 in KOI8-R, go in two lines of at most 512 bytes, not four.
func TestServerEncodingSplitsByEncodedLength(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := encodedLogin(t, srv.fields("kit"), "koi8-r")
	text := strings.Repeat("пример ", 100)
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "dave", "txn-1", text)); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PING") // after the message's lines (confirmSent)
	lines := srv.sent(0, "PRIVMSG dave ")
	dec := charmap.KOI8R.NewDecoder()
	var got strings.Builder
	for _, l := range lines {
		if len(l)+len("\r\n") > 512 {
			t.Errorf("a line of %d bytes", len(l)+2)
		}
		s, err := dec.String(strings.TrimPrefix(strings.TrimPrefix(l, "PRIVMSG dave "), ":"))
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(s)
	}
	if len(lines) != 2 || got.String() != text {
		t.Errorf("%d lines, %q, want the text in two", len(lines), got.String())
	}
}

// A topic is cut to IRC's 512 bytes by its length in the server's
// encoding: 400 Cyrillic letters, 800 bytes in UTF-8 and 400 in KOI8-R,
// are set whole (ngircd). Before, they were cut by their UTF-8 length,
// to 249 letters.
func TestServerEncodingTopicFitsByEncodedLength(t *testing.T) {
	s := startNgircd(t)
	p, evs, login := encodedLogin(t, loginFields(s, "kit", "#kt"), "koi8-r")
	topic := strings.Repeat("я", 400)
	if e := p.Commands().Send(command(login.LoginId, "#kt", &pb.SetTopic{Topic: topic})).Error; e != nil {
		t.Fatalf("topic: %v", e)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetTopic() != nil && ev.ChatId == "#kt" && ev.GetTopic().Topic != ""
	})
	if got := ev.GetTopic().Topic; got != topic {
		t.Errorf("topic of %d letters, want 400", utf8.RuneCountInString(got))
	}
}

// encodedLogin starts the plugin and logs in with these fields and the
// server encoding enc, connected.
func encodedLogin(t *testing.T, f map[string]string, enc string) (*plugintest.Plugin, *plugintest.EventStream, *pb.CompleteStep) {
	t.Helper()
	f["encoding"] = enc
	return loginConnected(t, nil, f)
}

// A login saved before the form checked its fields against the encoding
// (or whose saved state was written by hand) with a password the
// encoding cannot carry is refused at connect, with BAD_CREDENTIALS
// naming the field, the character and the encoding, and nothing is sent:
// before, the password went out with "?" for the character and failed
// with no word of why.
func TestServerEncodingSavedSecretRefusedAtConnect(t *testing.T) {
	srv := startScripted(t, "", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["server_password"] = "пароль€"
	login := p.Login("", f)
	p.Connect(login.LoginId, editState(t, login.SavedState, func(acc map[string]any) { acc["encoding"] = "koi8-r" }))
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		s := ev.GetLoginState().GetState()
		return s != pb.LoginState_LOGIN_STATE_UNKNOWN && s != pb.LoginState_LOGIN_STATE_CONNECTING
	})
	st := ev.GetLoginState()
	if st.GetState() != pb.LoginState_LOGIN_STATE_BAD_CREDENTIALS || !strings.Contains(st.GetMessage(), "server password") ||
		!strings.Contains(st.GetMessage(), "€") || !strings.Contains(st.GetMessage(), "koi8-r") {
		t.Errorf("state %v, want BAD_CREDENTIALS naming the server password, € and koi8-r", st)
	}
	if got := srv.sent(0, "PASS"); len(got) != 0 {
		t.Errorf("sent %q, want no password with ? for €", got)
	}
}
