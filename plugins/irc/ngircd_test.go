package irc_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// ngircd is a real IRC server (Debian's ngircd) started for a test on a
// free loopback port, without flood penalties so test clients go at full
// speed.
type ngircd struct {
	t         *testing.T
	bin, conf string
	port      int
	tlsPort   int // 0: no TLS port
	cmd       *exec.Cmd
	out       *lockedWriter
}

func (s *ngircd) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

const ngircdConf = `[Global]
Name = irc.test
Info = passerelle test server
AdminInfo1 = passerelle tests
AdminInfo2 = loopback
AdminEMail = nobody@localhost
Listen = 127.0.0.1
Ports = %d
MotdPhrase = passerelle test server
PidFile = %s
[Limits]
MaxPenaltyTime = 0
MaxConnectionsIP = 0
MaxNickLength = 30
PingTimeout = 120
PongTimeout = 60
[Options]
DNS = no
Ident = no
PAM = no
`

// ngircdTLS is the config's TLS section: a port with TLS, the server's
// certificate and key (PEM files), and DH parameters: without a DHFile
// ngircd generates 2048-bit ones at each start, which took more than
// the start's wait under load (testdata/ffdhe2048.pem is RFC 7919's
// public group, as `openssl genpkey -genparam -algorithm DH -pkeyopt
// group:ffdhe2048` writes it).
const ngircdTLS = `[SSL]
CertFile = %s
KeyFile = %s
DHFile = %s
Ports = %d
`

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
	bin, err := exec.LookPath("ngircd")
	if err != nil {
		for _, p := range []string{"/usr/sbin/ngircd", "/usr/local/sbin/ngircd"} {
			if _, e := os.Stat(p); e == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Fatal("ngircd is not installed: run scripts/install-deps.sh")
	}
	port, tlsPort := freePort(t), 0
	dir := t.TempDir()
	conf := filepath.Join(dir, "ngircd.conf")
	text := fmt.Appendf(nil, ngircdConf, port, filepath.Join(dir, "ngircd.pid"))
	// More of [Global] (a server password): after its other lines. A
	// MaxNickLength replaces the one of [Limits].
	for _, line := range global {
		if strings.HasPrefix(line, "MaxNickLength") {
			text = bytes.Replace(text, []byte("MaxNickLength = 30\n"), []byte(line+"\n"), 1)
			continue
		}
		text = bytes.Replace(text, []byte("[Limits]\n"), []byte(line+"\n[Limits]\n"), 1)
	}
	if certFile != "" {
		tlsPort = freePort(t)
		dh, err := filepath.Abs(filepath.Join("testdata", "ffdhe2048.pem"))
		if err != nil {
			t.Fatal(err)
		}
		text = fmt.Appendf(text, ngircdTLS, certFile, keyFile, dh, tlsPort)
	}
	if err := os.WriteFile(conf, text, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &ngircd{t: t, bin: bin, conf: conf, port: port, tlsPort: tlsPort, out: &lockedWriter{w: &bytes.Buffer{}}}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// startNgircdNickLen is startNgircd whose nicks are at most n long
// (ngircd's default is 9).
func startNgircdNickLen(t *testing.T, n int) *ngircd {
	t.Helper()
	return startNgircdWith(t, "", "", fmt.Sprintf("MaxNickLength = %d", n))
}

// freePort is a loopback port nothing listens on, for now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// log is what the server wrote so far.
func (s *ngircd) log() string {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	return fmt.Sprint(s.out.w)
}

// start runs the server and waits until it listens.
func (s *ngircd) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-n", "-f", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start ngircd: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("ngircd does not listen on %s: %v\n%s", s.addr(), err, s.out.w)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the server, as a crash would.
func (s *ngircd) stop() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

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
	timer := time.NewTimer(15 * time.Second)
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
