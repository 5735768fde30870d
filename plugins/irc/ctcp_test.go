package irc_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A CTCP reply (a NOTICE "\x01VERSION ...\x01", the answer to a query
// the user made from another client or a command after connecting) is
// shown in words from its sender, privately or in a channel; the
// server's own and the user's own stay unshown. Before, all were
// dropped.
func TestCTCPReplyShown(t *testing.T) {
	srv := startScripted(t, "", "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#c")
	srv.send(":bob!b@h NOTICE kit :\x01VERSION irssi v1.4.3\x01")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "CTCP VERSION reply: irssi v1.4.3" || ev.ChatId != "bob" {
		t.Errorf("VERSION reply: %v", ev)
	}
	// A /me as a notice is a /me.
	srv.send(":bot!b@h NOTICE #c :\x01ACTION beeps\x01")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "/me beeps" || ev.ChatId != "#c" {
		t.Errorf("ACTION notice: %v", ev)
	}
	srv.send(":srv NOTICE kit :\x01VERSION ngircd\x01")
	srv.send(":kit!k@h NOTICE bob :\x01PING 1\x01")
	srv.send(":bob!b@h NOTICE #c :\x01PING 1700000000")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "CTCP PING reply: 1700000000" || ev.ChatId != "#c" {
		t.Errorf("PING reply to the channel without its closing \\x01: %v, want it after neither the server's nor the user's own", ev)
	}
}
