package irc_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Typing both ways with IRCv3's +typing client tag, where the server
// has message-tags: the user's chat states are TAGMSGs to the nick or
// to the channel as the server spells it (active at most once in 3 s,
// done only after typing that no message ended); a TAGMSG from someone
// is a typing event in their chat or the channel; the server's echo of
// the user's own TAGMSG is none, nor is a +typing on a PRIVMSG.
func TestTyping(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	f := srv.fields("kit")
	f["channels"] = "#Room"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

	cmds := p.Commands()
	typing := func(chat string, st pb.TypingState) {
		t.Helper()
		if res := cmds.Send(command(login.LoginId, chat, &pb.SetTyping{State: st})); res.Error != nil {
			t.Fatalf("SetTyping %v to %s: %v", st, chat, res.Error)
		}
	}
	send := func(chat, text string) {
		t.Helper()
		if res := cmds.Send(plugintest.SendText(login.LoginId, chat, "txn-"+text, text)); res.Error != nil {
			t.Fatalf("send %q: %v", text, res.Error)
		}
	}
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING)
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING) // within 3 s: not again
	typing("dave", pb.TypingState_TYPING_STATE_PAUSED)
	typing("dave", pb.TypingState_TYPING_STATE_ACTIVE)
	typing("dave", pb.TypingState_TYPING_STATE_GONE)      // done already
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING) // typing again after done
	send("dave", "hi")
	typing("dave", pb.TypingState_TYPING_STATE_ACTIVE)    // the message ended typing
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING) // the next one
	typing("#room", pb.TypingState_TYPING_STATE_COMPOSING)
	// Its result waits for its echo, so the server has echoed the
	// TAGMSGs before it too.
	send("#room", "sync")

	srv.mu.Lock()
	var out []string
	for _, l := range srv.lines {
		if strings.Contains(l, "TAGMSG") || strings.HasPrefix(l, "PRIVMSG") {
			out = append(out, l)
		}
	}
	srv.mu.Unlock()
	want := []string{
		"@+typing=active TAGMSG dave",
		"@+typing=paused TAGMSG dave",
		"@+typing=done TAGMSG dave",
		"@+typing=active TAGMSG dave",
		"PRIVMSG dave hi",
		"@+typing=active TAGMSG dave",
		"@+typing=active TAGMSG #Room",
		"PRIVMSG #Room sync",
	}
	if !slices.Equal(out, want) {
		t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}

	// Typing of others: events; the echoes of the user's own were none.
	srv.send("@+typing=active :dave!u@h TAGMSG kit")
	srv.send("@+typing=active :op!o@h TAGMSG @#Room") // to the operators: no chat of the user's
	srv.send("@+typing=paused;time=2024-01-02T03:04:05Z :zoe!z@h TAGMSG #Room")
	srv.send("@+typing=active;msgid=m-1 :dave!u@h PRIVMSG kit :typed")
	srv.send("@+typing=done :dave!u@h TAGMSG kit")
	next := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetTyping() != nil || ev.GetMessage() != nil })
	}
	if ev := next(); ev.GetTyping().GetState() != pb.TypingState_TYPING_STATE_COMPOSING || ev.ChatId != "dave" ||
		ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.GetUserId() != "dave" || ev.Sender.GetIsFromMe() {
		t.Errorf("first typing or message event %v; want dave composing in his chat", ev)
	}
	if ev := next(); ev.GetTyping().GetState() != pb.TypingState_TYPING_STATE_PAUSED || ev.ChatId != "#room" ||
		ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || ev.Sender.GetUserId() != "zoe" || ev.TimestampUnixMicro != 1704164645000000 {
		t.Errorf("event %v; want zoe paused in #room at the server's time", ev)
	}
	if ev := next(); ev.GetMessage().GetText() != "typed" || ev.ChatId != "dave" {
		t.Errorf("event %v; want dave's message, alone", ev)
	}
	if ev := next(); ev.GetTyping() == nil || ev.GetTyping().State != pb.TypingState_TYPING_STATE_ACTIVE || ev.ChatId != "dave" {
		t.Errorf("event %v; want dave done (active)", ev)
	}
}

// Without message-tags (ngircd has none) typing is best effort: SetTyping
// succeeds and sends nothing (the server would not relay a TAGMSG).
func TestTypingWithoutMessageTags(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	px := startRecorder(t, s.addr())
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(px.port()), "tls": "off", "nick": "kit"})
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })

	cmds := p.Commands()
	for _, st := range []pb.TypingState{pb.TypingState_TYPING_STATE_COMPOSING, pb.TypingState_TYPING_STATE_PAUSED, pb.TypingState_TYPING_STATE_ACTIVE} {
		if res := cmds.Send(command(login.LoginId, "dave", &pb.SetTyping{State: st})); res.Error != nil {
			t.Errorf("SetTyping %v without message-tags: %v; want nothing done, no error", st, res.Error)
		}
	}
	if res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "txn-1", "hello")); res.Error != nil {
		t.Fatal(res.Error)
	}
	dave.await("PRIVMSG", "hello")
	for _, l := range px.sent() {
		if strings.Contains(l, "TAGMSG") {
			t.Errorf("sent %q to a server without message-tags", l)
		}
	}
}

// recorder stands between the plugin and a server, and records the
// lines the plugin sends.
type recorder struct {
	ln    net.Listener
	mu    sync.Mutex
	lines []string
	conns []net.Conn
}

func startRecorder(t *testing.T, server string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, c := range r.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, up)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
			go func() {
				defer up.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					r.mu.Lock()
					r.lines = append(r.lines, sc.Text())
					r.mu.Unlock()
					if _, err := fmt.Fprintf(up, "%s\r\n", sc.Text()); err != nil {
						return
					}
				}
			}()
		}
	}()
	return r
}

func (r *recorder) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

func (r *recorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}
