package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// A login whose nick was taken at connecting (its ghost), with a
// NickServ password, asks NickServ for it back once: REGAIN, or where
// NickServ has none, GHOST and then NICK once the ghost is gone. The
// nick is the login's again at once. Before, the login waited for
// irc-go's NICK at its keepalive (every 2 minutes), which services
// keeping the ghost refused every time.
func TestNickRegained(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noRegain bool
		want     []string
	}{
		{"REGAIN", false, []string{"PRIVMSG NickServ :REGAIN kit s3cret"}},
		{"GHOST", true, []string{"PRIVMSG NickServ :REGAIN kit s3cret", "PRIVMSG NickServ :GHOST kit s3cret", "NICK kit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startScripted(t, "", "")
			srv.mu.Lock()
			srv.nickserv, srv.noRegain, srv.nicksInUse = "s3cret", tc.noRegain, map[string]bool{"kit": true}
			srv.mu.Unlock()
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
			f := srv.fields("kit")
			f["nickserv_password"] = "s3cret"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			srv.wait("the nick kit back", func() bool { return srv.nick == "kit" })
			srv.mu.Lock()
			lines := slices.Clone(srv.lines)
			srv.mu.Unlock()
			i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "PRIVMSG NickServ :REGAIN") })
			if i < 0 {
				t.Fatalf("no REGAIN sent: %q", lines)
			}
			var got []string
			for _, l := range lines[i:] {
				if strings.HasPrefix(l, "NICK ") || strings.HasPrefix(l, "PRIVMSG NickServ :REGAIN") || strings.HasPrefix(l, "PRIVMSG NickServ :GHOST") {
					got = append(got, l)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("asked the nick back with %q; want %q", got, tc.want)
			}
		})
	}
}
