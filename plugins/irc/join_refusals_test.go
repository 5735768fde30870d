package irc_test

import (
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// What servers refuse a join with, beyond RFC 2812's numerics, is a
// clear error of the matching kind, with the server's words, at once:
// ngircd's 471 for a channel for TLS connections (+z) or IRC operators
// (+O) only is not a full channel; 479 (an illegal name: Solanum,
// InspIRCd), 489 (TLS only: UnrealIRCd, InspIRCd) and 520 (operators
// only) are refusals. Before, ngircd's were "the channel is full", and
// the others got no answer: the join waited 15 s and was UNAVAILABLE.
func TestJoinRefusalsOfServers(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuseJoin = map[string]string{
		"#tls":   "471 :Cannot join channel (+z) -- SSL connections only",
		"#opers": "471 :Cannot join channel (+O) -- IRC opers only",
		"#bad":   "479 :Illegal channel name",
		"#sec":   "489 :Cannot join channel; SSL users only (+z)",
		"#op":    "520 :Only IRC operators may join #op (+O)",
	}
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	for _, tc := range []struct {
		chat       string
		want       pb.ErrorCode
		says, said string
	}{
		{"#tls", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only TLS connections", "SSL connections only"},
		{"#opers", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only IRC operators", "IRC opers only"},
		{"#bad", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no channel name", "Illegal channel name"},
		{"#sec", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only TLS connections", "SSL users only"},
		{"#op", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only IRC operators", "Only IRC operators may join"},
	} {
		start := time.Now()
		res := p.Commands().Send(command(login.LoginId, tc.chat, &pb.JoinChat{}))
		if res.Error.GetCode() != tc.want || !strings.Contains(res.Error.GetText(), tc.says) || !strings.Contains(res.Error.GetText(), tc.said) {
			t.Errorf("join %s: %v after %v; want %v saying %q and the server's %q", tc.chat, res.Error, time.Since(start), tc.want, tc.says, tc.said)
		}
	}
}

// A channel the user is joined to elsewhere is the login's, as one
// parted elsewhere is not (TestSelfPartedElsewhere): a join the server
// forwards (470, Solanum's +f: the join from XMPP answers with the ID
// of the channel joined instead, and the gateway sends the user to its
// room; before, it failed NOT_FOUND naming it, and its room came as
// one joined elsewhere), or one another client of the user's bouncer
// or an operator (SAJOIN) made. Its room comes, and the saved state has
// it, to be joined again after a reconnection. Before, the room came
// but the login did not keep the channel.
func TestJoinedElsewhereKept(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuseJoin = map[string]string{"#old": "470 #new :Forwarding to another channel"}
	srv.mu.Unlock()
	p, evs, login := scriptedLogin(t, srv, "", "kit", "")
	res := p.Commands().Send(command(login.LoginId, "#old", &pb.JoinChat{}))
	if res.Error != nil || res.ChatId != "#new" {
		t.Errorf("join of a forwarding channel: %v; want the chat #new", res)
	}
	saved := func(ch string) {
		t.Helper()
		evs.NextEvent(func(ev *pb.Event) bool {
			return ev.GetSavedState() != nil && strings.Contains(string(ev.GetSavedState().SavedState), `"`+ch+`"`)
		})
	}
	saved("#new")

	srv.send(":kit!u@h JOIN #sajoined")
	srv.send(":srv 353 kit = #sajoined :kit @op")
	srv.send(":srv 366 kit #sajoined :End of NAMES list")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == "#sajoined" })
	saved("#sajoined")
}
