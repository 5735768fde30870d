package irc_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/internal/ngircdtest"
	"passerelle.im/passerelle/plugins/plugintest"
)

// ngircd is a real IRC server (Debian's ngircd, ngircdtest) started for
// a test on a free loopback port.
type ngircd struct {
	*ngircdtest.Server
	port    int
	tlsPort int // 0: no TLS port
}

func (s *ngircd) addr() string { return s.Addr() }

// log is what the server wrote so far.
func (s *ngircd) log() string { return s.Log() }

// start runs the server again, after stop, and waits until it listens.
func (s *ngircd) start() { s.Start() }

// stop kills the server, as a crash would.
func (s *ngircd) stop() { s.Stop() }

func startNgircd(t *testing.T) *ngircd {
	t.Helper()
	return startNgircdWith(t, "", "")
}

// startNgircdTLS is startNgircd with a second port, with TLS, whose
// certificate and key are these PEM files.
func startNgircdTLS(t *testing.T, certFile, keyFile string) *ngircd {
	t.Helper()
	return startNgircdWith(t, certFile, keyFile)
}

func startNgircdWith(t *testing.T, certFile, keyFile string, global ...string) *ngircd {
	t.Helper()
	s := ngircdtest.Start(t, ngircdtest.Config{CertFile: certFile, KeyFile: keyFile, Global: global})
	return &ngircd{Server: s, port: s.Port, tlsPort: s.TLSPort}
}

// startNgircdNickLen is startNgircd whose nicks are at most n long
// (ngircd's default is 9).
func startNgircdNickLen(t *testing.T, n int) *ngircd {
	t.Helper()
	return startNgircdWith(t, "", "", fmt.Sprintf("MaxNickLength = %d", n))
}

// freePort is a loopback port nothing listens on, for now.
func freePort(t *testing.T) int { return ngircdtest.FreePort(t) }

// client is a plain IRC user on the test server (irc-go's client): what
// the plugin's user talks to.
type client struct {
	t    testing.TB
	conn *ircevent.Connection
	got  chan ircmsg.Message // PRIVMSG, CTCP_ACTION, TOPIC, JOIN, PART seen
}

func newClient(t testing.TB, s interface{ addr() string }, nick string) *client {
	t.Helper()
	return newClientFrom(t, s, nick, "")
}

// newClientFrom is newClient connecting from the loopback address ip
// ("127.0.0.2"; "" for any): its host on the server, which a ban by host
// names. Linux takes all of 127.0.0.0/8 as loopback.
func newClientFrom(t testing.TB, s interface{ addr() string }, nick, ip string) *client {
	t.Helper()
	c := &client{t: t, got: make(chan ircmsg.Message, 256)}
	// ngircd takes no user name with brackets (a nick such as dave[m]).
	user := strings.Map(func(r rune) rune {
		if strings.ContainsRune("[]{}\\|^~`", r) {
			return -1
		}
		return r
	}, nick)
	c.conn = &ircevent.Connection{Server: s.addr(), Nick: nick, User: user, RealName: nick,
		EnableCTCP: true, Log: log.New(io.Discard, "", 0), Timeout: 10 * time.Second, KeepAlive: time.Minute}
	if ip != "" {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
		c.conn.DialContext = d.DialContext
	}
	for _, cmd := range []string{"PRIVMSG", "CTCP_ACTION", "TOPIC", "JOIN", "PART", "NOTICE", "NICK", "MODE", "KICK"} {
		c.conn.AddCallback(cmd, func(m ircmsg.Message) {
			select {
			case c.got <- m:
			default:
			}
		})
	}
	if err := c.conn.Connect(); err != nil {
		t.Fatalf("%s cannot connect: %v", nick, err)
	}
	go c.conn.Loop()
	t.Cleanup(c.conn.Quit)
	return c
}

// await returns the next message of command cmd whose last parameter is
// text ("" = any).
func (c *client) await(cmd, text string) ircmsg.Message {
	c.t.Helper()
	timer := time.NewTimer(plugintest.Timeout)
	defer timer.Stop()
	for {
		select {
		case m := <-c.got:
			if m.Command == cmd && (text == "" || (len(m.Params) > 0 && m.Params[len(m.Params)-1] == text)) {
				return m
			}
		case <-timer.C:
			c.t.Fatalf("%s: no %s %q came", c.conn.Nick, cmd, text)
			return ircmsg.Message{}
		}
	}
}

// join joins a channel and waits until the server says so.
func (c *client) join(ch string) {
	c.t.Helper()
	if err := c.conn.Join(ch); err != nil {
		c.t.Fatal(err)
	}
	for {
		m := c.await("JOIN", "")
		if m.Nick() == c.conn.CurrentNick() {
			return
		}
	}
}
