package irc_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A nick's profile (UserInfo, the vCard a client asks of
// bob@irc.example.org) is its WHOIS: the real name, the nick, and
// user@host; a nick no one has is NOT_FOUND, a channel too. Against
// ngircd. Before, UserInfo was UNSUPPORTED: the vCard held the nick
// alone, and what WHOIS says was only in the server's chat, typed.
func TestUserInfoFromWhois(t *testing.T) {
	s := startNgircd(t)
	// A client with a real name of its own (newClient's is its nick).
	conn, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "NICK Bob\r\nUSER bu 0 * :Bob the Builder\r\n")
	r := bufio.NewScanner(conn)
	conn.SetReadDeadline(time.Now().Add(plugintest.Timeout))
	for r.Scan() && !strings.Contains(r.Text(), " 001 ") {
	}
	p, _, login := loggedIn(t, s, "", "pat", "")
	ctx, cancel := p.CallContext()
	defer cancel()
	c, err := p.Client().UserInfo(ctx, &pb.UserRef{LoginId: login.LoginId, UserId: "bob"})
	if err != nil {
		t.Fatalf("UserInfo(bob): %v", err)
	}
	if c.UserId != "bob" || c.Name != "Bob the Builder" || c.Nickname != "Bob" || !strings.HasSuffix(c.Username, "bu@127.0.0.1") {
		t.Errorf("UserInfo(bob) = %v, want Bob's WHOIS", c)
	}
	for _, id := range []string{"ghost", "#nowhere"} {
		_, err := p.Client().UserInfo(ctx, &pb.UserRef{LoginId: login.LoginId, UserId: id})
		if e := sdk.FromGRPC(err); e == nil || e.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
			t.Errorf("UserInfo(%s): %v, want NOT_FOUND", id, err)
		}
	}
}

// A nick's WHOIS (UserInfo) goes at the pace of the user's lines, as
// servers disconnect a flood ("Excess Flood") and a client may ask the
// vCards of many nicks at once: with a throttle of a line in 100 s
// after the burst of 5, the sixth look-up waits for its turn, and is
// given up when its caller stops waiting, no WHOIS sent. Before, each
// WHOIS went at once, as fast as the server answered.
func TestUserInfoAtThePace(t *testing.T) {
	srv := startScripted(t, "", "")
	f := srv.fields("kit")
	f["throttle"] = "0.01"
	p, _, login := loginConnected(t, nil, f)
	for i := range 7 {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		// The scripted server answers no WHOIS: UNAVAILABLE either way.
		_, err := p.Client().UserInfo(ctx, &pb.UserRef{LoginId: login.LoginId, UserId: fmt.Sprintf("bob%d", i)})
		cancel()
		if err == nil {
			t.Errorf("UserInfo(bob%d) answered, with no WHOIS answered", i)
		}
	}
	if asked := srv.sent(0, "WHOIS"); len(asked) > 5 {
		t.Errorf("%d WHOIS sent: %q; want at most the burst, 5", len(asked), asked)
	}
}
