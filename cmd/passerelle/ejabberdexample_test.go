package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/internal/ejabberdtest"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestEjabberdExampleTwoTransports: examples/ejabberd.yml as it is, on a
// real ejabberd, serves two transports of one gateway, each its own
// stanzas. Its listener had a hosts map with an entry per transport:
// as it was, a second transport was refused, and with the entry added,
// ejabberd handed both domains to the first component that connected,
// so the second transport's users reached the first (a login to IRC
// answered "already logged in" by echo).
func TestEjabberdExampleTwoTransports(t *testing.T) {
	data, err := os.ReadFile("../../examples/ejabberd.yml")
	if err != nil {
		t.Fatal(err)
	}
	yml := string(data)
	if strings.Count(yml, "port: 5347") != 1 {
		t.Fatal(`examples/ejabberd.yml: want one "port: 5347" (the test moves it to a free port)`)
	}
	srv := ejabberdtest.Start(t, ejabberdtest.Options{ExtraConfig: strings.Replace(yml, "port: 5347", "port: COMPONENT_PORT", 1)})
	if err := srv.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	// The example's secret, "secret", for both, as its comment says.
	path := setup(t, `[xmpp]
server = "`+srv.ComponentAddr()+`"
[access]
allow = ["localhost"]
[[transport]]
name = "echo"
domain = "echo.localhost"
secret = "secret"
[[transport]]
name = "second"
domain = "second.localhost"
secret = "secret"
plugin = "passerelle-echo"
`)
	g := startGateway(t, path)
	g.waitLog(t, 1, "connected to "+srv.ComponentAddr()+" with transports echo.localhost, second.localhost")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := xmpptest.DialOnline(ctx, srv.C2SAddr(), jid.MustParse("alice@localhost"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.IQ(ctx, `<iq type='set' to='echo.localhost'><query xmlns='jabber:iq:register'><username>alice-echo</username></query></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("register with echo.localhost: %v %s", err, st.XML)
	}
	// Only the echo transport has alice's login: the second, asked
	// through its own domain, has none.
	st, err = c.IQ(ctx, `<iq type='get' to='second.localhost'><query xmlns='jabber:iq:register'/></iq>`)
	if err != nil || st.Type != "result" {
		t.Fatalf("registration form of second.localhost: %v %s", err, st.XML)
	}
	if strings.Contains(st.XML, "<registered") || strings.Contains(st.XML, "alice-echo") {
		t.Errorf("second.localhost answers with the echo transport's login (its stanzas reach echo):\n%s", st.XML)
	}
	// The gateway logs the login before it answers, but the log comes
	// through a pipe this process copies when it gets to it: wait for it.
	g.waitLog(t, 1, `msg="user logged in" transport=echo `)
	if n := strings.Count(g.log.String(), "user logged in"); n != 1 {
		t.Errorf("%d logins logged, want 1; log:\n%s", n, g.log.String())
	}
	g.stop(t)
}
