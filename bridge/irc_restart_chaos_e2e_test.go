package bridge_test

import (
	"context"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/internal/ngircdtest"
)

// ircFar is IRC as a real ngircd plays it, with bob, a plain IRC client
// in the test's process, in the channel: he writes to the user's nick
// and into the channel, and keeps what reached him. IRC keeps nothing
// for a user who is not connected: what bob sends while the user's
// connection is gone (the plugin or the gateway killed, not yet back
// in the channel) never reaches her, which drops reports.
type ircFar struct {
	t        *testing.T
	s        *stack
	bob      *ircevent.Connection
	nick, ch string // the user's nick, the channel

	mu      sync.Mutex
	got     [2][]string     // "out " texts bob got: [0] privately, [1] in the channel
	pid     int             // the plugin whose connection last joined the channel
	joined  bool            // the user is in the channel, as bob last saw
	dropped map[string]bool // texts sent while the user was not connected
}

func (f *ircFar) receive(t *testing.T, group bool, body string) {
	t.Helper()
	f.mu.Lock()
	if !f.joined || f.pid == 0 || !procExists(f.pid) {
		// Sent to a user whose connection is gone: IRC keeps nothing
		// for her (a private message gets bob a 401).
		f.dropped[body] = true
	}
	f.mu.Unlock()
	to := f.nick
	if group {
		to = f.ch
	}
	if err := f.bob.Privmsg(to, body); err != nil {
		t.Fatalf("bob: %v", err)
	}
}

func (f *ircFar) sent(group bool) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got[groupIdx(group)]...)
}

// drops reports whether IRC dropped body, sent to a user not
// connected (restartChaos, fakeLost).
func (f *ircFar) drops(body string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped[body]
}

// isUser reports whether nick is the user's: hers, or one the plugin
// took while hers was still held by a connection the server had not
// seen gone (nick_0...).
func (f *ircFar) isUser(nick string) bool {
	return strings.HasPrefix(strings.ToLower(nick), strings.ToLower(f.nick))
}

// connectBob connects bob to the server at addr and joins the channel.
func (f *ircFar) connectBob(addr string) {
	f.t.Helper()
	c := &ircevent.Connection{Server: addr, Nick: "bob", User: "bob", RealName: "Bob",
		Log: log.New(io.Discard, "", 0), Timeout: 10 * time.Second, KeepAlive: time.Minute}
	joined := make(chan struct{}, 1)
	c.AddCallback("PRIVMSG", func(m ircmsg.Message) {
		if len(m.Params) < 2 || !strings.HasPrefix(m.Params[1], "out ") || !f.isUser(m.Nick()) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		i := 0
		if strings.EqualFold(m.Params[0], f.ch) {
			i = 1
		}
		f.got[i] = append(f.got[i], m.Params[1])
	})
	c.AddCallback("JOIN", func(m ircmsg.Message) {
		switch {
		case m.Nick() == c.CurrentNick():
			joined <- struct{}{}
		case f.isUser(m.Nick()):
			pid := f.s.pluginPID()
			f.mu.Lock()
			f.joined, f.pid = true, pid
			f.mu.Unlock()
		}
	})
	for _, cmd := range []string{"QUIT", "PART", "KICK"} {
		c.AddCallback(cmd, func(m ircmsg.Message) {
			nick := m.Nick()
			if cmd == "KICK" && len(m.Params) > 1 {
				nick = m.Params[1]
			}
			if f.isUser(nick) {
				f.mu.Lock()
				f.joined = false
				f.mu.Unlock()
			}
		})
	}
	if err := c.Connect(); err != nil {
		f.t.Fatalf("bob cannot connect: %v", err)
	}
	go c.Loop()
	f.t.Cleanup(c.Quit)
	f.bob = c
	if err := c.Join(f.ch); err != nil {
		f.t.Fatal(err)
	}
	select {
	case <-joined:
	case <-time.After(15 * time.Second):
		f.t.Fatalf("bob never joined %s", f.ch)
	}
}

// TestIRCRestartChaos: IRC (a real ngircd, bob a client on it) through
// the real IRC plugin process, the gateway as a process and Prosody;
// messages both ways, privately and in a channel, while the plugin is
// killed and then the gateway. Each arrives once, in order. IRC keeps
// nothing for a user who is not connected, and hands a line over with
// no acknowledgement: what bob sent while her connection was gone, or
// that the killed plugin had not yet journaled, may be lost (the
// network's, not the gateway's: what the plugin journaled must come).
func TestIRCRestartChaos(t *testing.T) {
	bin := buildCmd(t, "passerelle.im/passerelle/cmd/passerelle-irc", "passerelle-irc")
	addr := ngircdtest.Start(t, ngircdtest.Config{}).Addr()
	s := newStack(t, stackOptions{process: true, plugin: bin,
		extra: "\n[transport.config]\nreconnect_min = \"100ms\"\nreconnect_max = \"500ms\"\n"})
	f := &ircFar{t: t, s: s, nick: "alice", ch: "#chaos", dropped: map[string]bool{}}
	f.connectBob(addr)

	alice := s.user("alice")
	s.waitGateway(alice)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, st, err := alice.Command(ctx, domain, "login", "", "", nil)
	if err != nil || st.Type != "result" {
		t.Fatalf("login: %v %s", err, st.XML)
	}
	_, port, _ := net.SplitHostPort(addr)
	r, st, err = alice.Command(ctx, domain, "login", r.Command.SessionID, "next", map[string]string{
		"server": "127.0.0.1", "port": port, "tls": "off", "nick": f.nick, "channels": f.ch})
	if err != nil || r.Command.Status != "completed" {
		t.Fatalf("login not completed: %v %s", err, st.XML)
	}
	// Until the plugin's connection is in the channel, bob's messages
	// go nowhere.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		f.mu.Lock()
		in := f.joined
		f.mu.Unlock()
		if in {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the user's connection never joined the channel")
		}
	}

	c := newRestartChaos(t, s, f, alice, jidOf(t, "bob"), jidOf(t, f.ch))
	c.atMostOnce = true  // IRC hands lines over with no acknowledgement
	c.resendTwice = true // no idempotency key on IRC (docs/plugins.md)
	runRestartChaos(c)
}
