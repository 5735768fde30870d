package irc_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// services is a pseudo-server linked to a test's ngircd, as IRC
// services (Anope, Atheme) are: it introduces NickServ, and answers an
// IDENTIFY with the right password by setting the user mode +R on the
// nick (ngircd's mark of a registered nick, which only services may
// set).
type services struct {
	t        *testing.T
	conn     net.Conn
	password string // what NickServ takes

	mu    sync.Mutex
	lines []string // what ngircd sent over the link
}

const servicesConf = `[Server]
Name = services.test
MyPassword = link-pw
PeerPassword = link-pw
ServiceMask = *Serv`

// startNgircdWithServices is startNgircd with services linked to it.
func startNgircdWithServices(t *testing.T, password string) (*ngircd, *services) {
	t.Helper()
	s := startNgircdWith(t, "", "", servicesConf)
	c, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sv := &services{t: t, conn: c, password: password}
	sv.send("PASS link-pw 0210 IRC|")
	sv.send("SERVER services.test 1 :Test services")
	sv.send(":services.test NICK NickServ 1 NickServ services.test 1 + :Nick Service")
	go sv.read()
	// The link is up once ngircd knows NickServ.
	deadline := time.Now().Add(plugintest.Timeout)
	for {
		probe := newClient(t, s, fmt.Sprintf("probe%d", time.Now().UnixNano()%1000))
		ok := make(chan bool, 1)
		probe.conn.AddCallback("311", func(ircmsg.Message) { ok <- true })  // RPL_WHOISUSER
		probe.conn.AddCallback("401", func(ircmsg.Message) { ok <- false }) // no such nick
		_ = probe.conn.Send("WHOIS", "NickServ")
		got := false
		select {
		case got = <-ok:
		case <-time.After(5 * time.Second): // probed again: the link may come meanwhile
		}
		probe.conn.Quit()
		if got {
			return s, sv
		}
		if time.Now().After(deadline) {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			t.Fatalf("the services link did not come up; ngircd said %q\n%s", sv.lines, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (sv *services) send(line string) {
	fmt.Fprintf(sv.conn, "%s\r\n", line)
}

func (sv *services) read() {
	r := bufio.NewScanner(sv.conn)
	for r.Scan() {
		line := r.Text()
		sv.mu.Lock()
		sv.lines = append(sv.lines, line)
		sv.mu.Unlock()
		m, err := ircmsg.ParseLine(line)
		if err != nil {
			continue
		}
		switch {
		case m.Command == "PING":
			sv.send(":services.test PONG services.test :" + m.Params[len(m.Params)-1])
		case m.Command == "PRIVMSG" && len(m.Params) == 2 && strings.EqualFold(m.Params[0], "NickServ"):
			nick := m.Nick()
			if m.Params[1] == "IDENTIFY "+sv.password {
				sv.send(":NickServ NOTICE " + nick + " :Password accepted.")
				sv.send(":services.test MODE " + nick + " :+R")
			} else {
				sv.send(":NickServ NOTICE " + nick + " :Password incorrect.")
			}
		}
	}
}

// registeredOnlyChannel makes #reg on s, for registered nicks only
// (+R), with dave in it.
func registeredOnlyChannel(t *testing.T, s *ngircd) {
	t.Helper()
	dave := newClient(t, s, "dave")
	dave.join("#reg")
	if err := dave.conn.Send("MODE", "#reg", "+R"); err != nil {
		t.Fatal(err)
	}
	dave.await("MODE", "")
}

// Against ngircd and its services: a channel of the login for
// registered nicks only (+R, refused with 471 "(+R)") loses its room at
// the connection, saying how to identify, and is joined once the user
// identifies with NickServ from XMPP (services set +R on the nick).
// Before, the refusal read "the channel is full", and identifying
// changed nothing.
func TestRegisteredOnlyChannelOnNgircdAfterIdentifying(t *testing.T) {
	s, _ := startNgircdWithServices(t, "s3cret")
	registeredOnlyChannel(t, s)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "kim", "#reg"))
	p.Connect(login.LoginId, login.SavedState)
	var removed *pb.Event
	evs.NextEvent(func(ev *pb.Event) bool {
		if ev.GetChatRemoved() != nil {
			removed = ev
		}
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if r := removed.GetChatRemoved(); removed.GetChatId() != "#reg" || !strings.Contains(r.GetText(), "Registered users only") ||
		!strings.Contains(r.GetText(), "IDENTIFY") {
		t.Errorf("refused at connecting: %v; want #reg removed, with the server's words and how to identify", removed)
	}
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "nickserv", "", "IDENTIFY s3cret")); res.Error != nil {
		t.Fatalf("identify: %v", res.Error)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == "#reg" })
}

// Against ngircd and its services: a login with a NickServ password
// joins its channel for registered nicks only once services answer its
// IDENTIFY, though its JOIN, sent right after, came first.
func TestRegisteredOnlyChannelOnNgircdWithNickServ(t *testing.T) {
	s, _ := startNgircdWithServices(t, "s3cret")
	registeredOnlyChannel(t, s)
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"identify_wait":"10m"}`))
	evs := p.Events()
	f := loginFields(s, "kim", "#reg")
	f["nickserv_password"] = "s3cret"
	login := p.Login("", f)
	p.Connect(login.LoginId, login.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetChat() != nil || ev.GetChatRemoved() != nil || ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if ev.GetChat() == nil || ev.ChatId != "#reg" {
		t.Errorf("connecting: %v; want #reg joined, then the login connected", ev)
	}
}
