package irc_test

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

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
	p, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")

	cmds := p.Commands()
	typing := typer(t, cmds, login.LoginId)
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
	// active holds 6 s unless said again (the spec's rule).
	if ev := next(); ev.GetTyping().GetState() != pb.TypingState_TYPING_STATE_COMPOSING || ev.GetTyping().TimeoutMs != 6000 || ev.ChatId != "dave" ||
		ev.ChatType != pb.ChatType_CHAT_TYPE_DIRECT || ev.Sender.GetUserId() != "dave" || ev.Sender.GetIsFromMe() {
		t.Errorf("first typing or message event %v; want dave composing in his chat, holding 6000 ms", ev)
	}
	if ev := next(); ev.GetTyping().GetState() != pb.TypingState_TYPING_STATE_PAUSED || ev.GetTyping().TimeoutMs != 0 || ev.ChatId != "#room" ||
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

// XMPP clients say composing once; IRC receivers drop an active after
// 6 s without another. While the user's state stays composing the plugin
// says active again every typing_repeat (3 s; 150 ms here), until a
// paused, a message to the chat, leaving the channel or the connection
// dropping, and typing_timeout (30 s; 1 s here) after the last composing
// at most, when it says paused. (ngircd knows no message tags: it
// answers a tagged line with 421, unknown command, and relays nothing;
// so this is the scripted server's record of the plugin's lines, and
// TestTypingRepeatsOnErgo the same through ergo.)
func TestTypingRepeats(t *testing.T) {
	const every, timeout = 150 * time.Millisecond, time.Second
	srv := startScripted(t, "message-tags server-time", "")
	cfg := fmt.Sprintf(`{"typing_repeat":%q,"typing_timeout":%q,"reconnect_min":"20ms","reconnect_max":"50ms"}`, every, timeout)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(cfg))
	evs := p.Events()
	f := srv.fields("kit")
	f["channels"] = "#Room,#Other"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	connected := func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED }
	evs.NextEvent(connected)

	cmds := p.Commands()
	do := func(chat string, action any) {
		t.Helper()
		if res := cmds.Send(command(login.LoginId, chat, action)); res.Error != nil {
			t.Fatalf("%T to %s: %v", action, chat, res.Error)
		}
	}
	typing := func(chat string, st pb.TypingState) { t.Helper(); do(chat, &pb.SetTyping{State: st}) }
	// mark is how many lines the server got so far; since(mark, target)
	// the +typing values sent to target after them.
	mark := func() int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.lines)
	}
	sinceLocked := func(from int, target string) []string {
		var vals []string
		for _, l := range srv.lines[from:] {
			if v, ok := strings.CutPrefix(l, "@+typing="); ok && strings.HasSuffix(v, " TAGMSG "+target) {
				vals = append(vals, strings.TrimSuffix(v, " TAGMSG "+target))
			}
		}
		return vals
	}
	since := func(from int, target string) []string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return sinceLocked(from, target)
	}
	// awaitActives waits for n actives to target after from.
	awaitActives := func(from, n int, target string) {
		t.Helper()
		srv.wait(fmt.Sprintf("%d actives to %s", n, target), func() bool {
			return slices.Equal(sinceLocked(from, target), slices.Repeat([]string{"active"}, n))
		})
	}
	// quiet checks that nothing more went to target after from, for
	// four repeats' time.
	quiet := func(from int, target, after string) {
		t.Helper()
		time.Sleep(4 * every)
		if got := since(from, target); len(got) > 0 {
			t.Errorf("after %s, sent %q to %s; want nothing", after, got, target)
		}
	}

	// Composing, said once: active again and again.
	m := mark()
	start := time.Now()
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING)
	awaitActives(m, 3, "dave")
	if took := time.Since(start); took < 2*every {
		t.Errorf("3 actives in %v; want one every %v", took, every)
	}
	// Paused: no more.
	m = mark()
	typing("dave", pb.TypingState_TYPING_STATE_PAUSED)
	srv.wait("paused to dave", func() bool { return slices.Contains(sinceLocked(m, "dave"), "paused") })
	m = mark()
	quiet(m, "dave", "paused")

	// Composing again: the repeats follow dave to his new nick (his
	// chat is the same). Then a message: no more after it, and no done
	// (the message ended typing).
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING)
	awaitActives(m, 2, "dave")
	srv.send(":dave!u@h NICK Dave2")
	awaitActives(m, 2, "Dave2")
	if got := since(m, "dave"); len(got) > 3 {
		t.Errorf("sent %q to dave's old nick; want the repeats to go to his new one", got)
	}
	if res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "txn-hi", "hi")); res.Error != nil {
		t.Fatal(res.Error)
	}
	srv.got("PRIVMSG Dave2")
	m = mark()
	typing("dave", pb.TypingState_TYPING_STATE_ACTIVE) // what XMPP clients say with a message
	quiet(m, "Dave2", "a message")
	srv.send(":Dave2!u@h NICK dave")

	// Leaving the channel ends its repeats.
	typing("#other", pb.TypingState_TYPING_STATE_COMPOSING)
	awaitActives(m, 2, "#Other")
	do("#other", &pb.LeaveChat{})
	srv.got("PART #Other")
	quiet(mark(), "#Other", "leaving the channel")

	// So does the connection dropping: nothing on the next one.
	typing("dave", pb.TypingState_TYPING_STATE_COMPOSING)
	awaitActives(m, 1, "dave")
	srv.hangUp()
	evs.NextEvent(connected)
	quiet(mark(), "dave", "a reconnection")

	// Composing with nothing after it: repeats for typing_timeout, then
	// paused, and no more.
	m = mark()
	start = time.Now()
	typing("#room", pb.TypingState_TYPING_STATE_COMPOSING)
	srv.wait("paused to #Room", func() bool { return slices.Contains(sinceLocked(m, "#Room"), "paused") })
	took := time.Since(start)
	got := since(m, "#Room")
	if took < timeout || took > timeout+10*time.Second {
		t.Errorf("paused after %v; want after %v (and a repeat's time)", took, timeout)
	}
	if n := len(got) - 1; n < 4 || got[n] != "paused" || slices.Contains(got[:n], "paused") {
		t.Errorf("sent to #Room %q; want actives (about %d), then paused", got, timeout/every)
	}
	quiet(mark(), "#Room", "the timeout's paused")
}

// Without message-tags (ngircd has none) typing is best effort: SetTyping
// succeeds and sends nothing (the server would not relay a TAGMSG).
func TestTypingWithoutMessageTags(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	px := startRecorder(t, s.addr())
	p, _, login := loginConnected(t, nil, map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(px.port()), "tls": "off", "nick": "kit"})

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

// The repeats through a real server that relays TAGMSG (ergo; ngircd
// knows no message tags), as another user's IRC client sees them: more
// than one active while the user types on (here every 400 ms, 3 s
// normally), spaced by the repeat; none after paused, none after a
// message. Skipped where there is no ergo (ergo_test.go).
func TestTypingRepeatsOnErgo(t *testing.T) {
	const every = 400 * time.Millisecond
	s := startErgo(t)
	dave := newTagClient(t, s, "dave")
	dave.join("#room")
	p, _, login := loginConnected(t, []byte(fmt.Sprintf(`{"typing_repeat":%q}`, every)), map[string]string{"server": "127.0.0.1", "port": strconv.Itoa(s.port), "tls": "off", "nick": "kit", "channels": "#room"})
	cmds := p.Commands()
	typing := typer(t, cmds, login.LoginId)

	for _, chat := range []string{"#room", "dave"} {
		// Composing, said once: dave's client sees active again and
		// again, a repeat apart.
		dave.reset()
		typing(chat, pb.TypingState_TYPING_STATE_COMPOSING)
		got := dave.awaitTyping(t, "active", 3)
		for i := 1; i < len(got); i++ {
			if gap := got[i].at.Sub(got[i-1].at); gap < every*3/4 || gap > 3*every {
				t.Errorf("%s: actives %v apart; want about %v", chat, gap, every)
			}
		}
		if want := map[string]string{"#room": "#room", "dave": "dave"}[chat]; !strings.EqualFold(got[0].target, want) {
			t.Errorf("active to %q; want to %s", got[0].target, want)
		}
		// Paused: paused, then nothing.
		dave.reset()
		typing(chat, pb.TypingState_TYPING_STATE_PAUSED)
		dave.awaitTyping(t, "paused", 1)
		time.Sleep(3 * every)
		if n := dave.count(); n != 1 {
			t.Errorf("%s: %d typing notifications after paused; want only the paused", chat, n-1)
		}
		// Composing, then a message: nothing after it.
		dave.reset()
		typing(chat, pb.TypingState_TYPING_STATE_COMPOSING)
		dave.awaitTyping(t, "active", 2)
		if res := cmds.Send(plugintest.SendText(login.LoginId, chat, "txn-"+chat, "hello "+chat)); res.Error != nil {
			t.Fatal(res.Error)
		}
		dave.awaitMessage(t, "hello "+chat)
		dave.reset()
		typing(chat, pb.TypingState_TYPING_STATE_ACTIVE)
		time.Sleep(3 * every)
		if n := dave.count(); n != 0 {
			t.Errorf("%s: %d typing notifications after the message; want none", chat, n)
		}
	}
}

// tagClient is another user's IRC client with message-tags, which sees
// TAGMSGs: the +typing it got, when, in order.
type tagClient struct {
	*client
	mu      sync.Mutex
	changed chan struct{}
	typed   []typedAt
	said    []string
}

type typedAt struct {
	value, target string
	at            time.Time
}

func newTagClient(t *testing.T, s interface{ addr() string }, nick string) *tagClient {
	t.Helper()
	c := &tagClient{client: &client{t: t, got: make(chan ircmsg.Message, 256)}, changed: make(chan struct{})}
	c.conn = &ircevent.Connection{Server: s.addr(), Nick: nick, User: nick, RealName: nick, RequestCaps: []string{"message-tags"},
		Log: log.New(io.Discard, "", 0), Timeout: 10 * time.Second, KeepAlive: time.Minute}
	c.conn.AddCallback("JOIN", func(m ircmsg.Message) { c.got <- m })
	c.conn.AddCallback("TAGMSG", func(m ircmsg.Message) {
		if ok, v := m.GetTag("+typing"); ok && len(m.Params) > 0 {
			c.note(func() { c.typed = append(c.typed, typedAt{value: v, target: m.Params[0], at: time.Now()}) })
		}
	})
	c.conn.AddCallback("PRIVMSG", func(m ircmsg.Message) { c.note(func() { c.said = append(c.said, lastArg(m)) }) })
	if err := c.conn.Connect(); err != nil {
		t.Fatalf("%s cannot connect: %v", nick, err)
	}
	go c.conn.Loop()
	t.Cleanup(c.conn.Quit)
	return c
}

func lastArg(m ircmsg.Message) string { return m.Params[len(m.Params)-1] }

func (c *tagClient) note(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
	close(c.changed)
	c.changed = make(chan struct{})
}

// reset forgets the notifications seen so far.
func (c *tagClient) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.typed = nil
}

func (c *tagClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.typed)
}

// awaitUntil waits until cond (called under the lock) holds.
func (c *tagClient) awaitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(plugintest.Timeout)
	for {
		c.mu.Lock()
		ok, ch := cond(), c.changed
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("%s never came; typing seen: %v", what, c.typed)
		}
	}
}

// awaitTyping waits for n notifications of value (since reset) and
// returns them; another value among them fails the test.
func (c *tagClient) awaitTyping(t *testing.T, value string, n int) []typedAt {
	t.Helper()
	var got []typedAt
	c.awaitUntil(t, fmt.Sprintf("%d +typing=%s", n, value), func() bool {
		got = slices.Clone(c.typed)
		return len(got) >= n
	})
	for _, g := range got {
		if g.value != value {
			t.Errorf("typing seen %v; want %d %s", got, n, value)
			break
		}
	}
	return got
}

func (c *tagClient) awaitMessage(t *testing.T, text string) {
	t.Helper()
	c.awaitUntil(t, "the message "+text, func() bool { return slices.Contains(c.said, text) })
}

// typer sends the login's SetTyping commands to a chat, failing the test
// on an error.
func typer(t *testing.T, cmds *plugintest.CommandStream, loginID string) func(chat string, st pb.TypingState) {
	return func(chat string, st pb.TypingState) {
		t.Helper()
		if res := cmds.Send(command(loginID, chat, &pb.SetTyping{State: st})); res.Error != nil {
			t.Fatalf("SetTyping %v to %s: %v", st, chat, res.Error)
		}
	}
}

// TestTypingByCasemapping: on a server that folds only A-Z
// (CASEMAPPING=ascii), someone's typing in #[x] is in that channel's
// chat, #[x], not in #{x}, another channel there (typing.go folded by
// rfc1459 always).
func TestTypingByCasemapping(t *testing.T) {
	srv := startScripted(t, "message-tags server-time", "")
	srv.isupport = "CASEMAPPING=ascii "
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#[x]")
	srv.send("@+typing=active :zoe!z@h TAGMSG #[x]")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetTyping() != nil })
	if ev.ChatId != "#[x]" || ev.Sender.GetUserId() != "zoe" {
		t.Errorf("typing event %v; want zoe's in #[x]", ev)
	}
}
