package irc_test

import (
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A message the server does not relay is the send's error, with the
// server's words: to a nick no one has (they left), to a moderated
// channel without voice, to a channel the user was banned from while in
// it, to one for identified nicks only (ngircd's +M, 477). What the
// server relays is no error, and after a refusal the next send to a
// reachable target goes through. Before, the send succeeded, and the
// message was lost without a word.
func TestSendRefused(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	for _, ch := range []string{"#mod", "#ban", "#reg"} {
		dave.join(ch)
	}
	p, _, login := loggedIn(t, s, "", "kim", "#mod,#ban,#reg")
	for _, mode := range [][]string{{"#mod", "+m"}, {"#ban", "+b", "kim!*@*"}, {"#reg", "+M"}} {
		if err := dave.conn.Send("MODE", mode...); err != nil {
			t.Fatal(err)
		}
		dave.await("MODE", mode[len(mode)-1]) // the server's echo of this change: it is made
	}
	cmds := p.Commands()
	for _, tc := range []struct {
		chat string
		want pb.ErrorCode
		says string
	}{
		{"nobody", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "No such nick"},
		{"#mod", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Cannot send to channel"},
		{"#ban", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Cannot send to channel"},
		{"#reg", pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "registered account"},
	} {
		res := cmds.Send(plugintest.SendText(login.LoginId, tc.chat, "", "hello "+tc.chat))
		if res.Error.GetCode() != tc.want || !strings.Contains(res.Error.GetText(), tc.says) {
			t.Errorf("send to %s: %v; want %v saying %q", tc.chat, res.Error, tc.want, tc.says)
		}
		if res := cmds.Send(plugintest.SendText(login.LoginId, "dave", "", "after "+tc.chat)); res.Error != nil {
			t.Errorf("send to dave after %s: %v", tc.chat, res.Error)
		}
		dave.await("PRIVMSG", "after "+tc.chat)
	}
}

// A message whose connection drops before the server answered it (the
// PONG after its lines) is UNAVAILABLE, saying it may not have arrived:
// the server may have read it or not. Before, the send succeeded.
func TestSendDroppedUnconfirmed(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, `{"reconnect_min":"1m","reconnect_max":"1m"}`, "kit", "")
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "hangup", "", "are you there?"))
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE || !strings.Contains(res.Error.GetText(), "may not have arrived") {
		t.Errorf("send as the connection dropped: %v; want UNAVAILABLE, saying it may not have arrived", res.Error)
	}
}

// A message dropped by a server's limit on writing to many targets in a
// row (Solanum's 707, ircu's and InspIRCd's 439) is RATE_LIMITED, with
// the server's words. Before, it was lost without a word.
func TestSendTargetsTooFast(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuseMsg = map[string]string{
		"eve":  "707 :Targets changing too fast, message dropped",
		"finn": "439 :Target change too fast. Please wait 20 seconds.",
	}
	srv.mu.Unlock()
	p, _, login := scriptedLogin(t, srv, "", "kit", "")
	for _, nick := range []string{"eve", "finn"} {
		res := p.Commands().Send(plugintest.SendText(login.LoginId, nick, "", "hi "+nick))
		if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(res.Error.GetText(), "oo fast") {
			t.Errorf("send to %s: %v; want RATE_LIMITED with the server's words", nick, res.Error)
		}
	}
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "gus", "", "hi gus")); res.Error != nil {
		t.Errorf("send to gus: %v", res.Error)
	}
}

// A message Solanum, charybdis or Hybrid drop for flooding (a nick or a
// channel getting too many lines from the user at once) is refused by a
// server notice, "*** Message to #c throttled due to flooding", not a
// numeric: it is the send's RATE_LIMITED error, with and without
// echo-message. Before, the notice was dropped as server chatter and
// the send succeeded: the message lost without a word.
func TestSendFloodThrottled(t *testing.T) {
	for _, caps := range []string{"", "echo-message"} {
		t.Run("caps="+caps, func(t *testing.T) {
			srv := startScripted(t, caps, "")
			srv.mu.Lock()
			srv.refuseMsg = map[string]string{
				"eve": "NOTICE :*** Message to eve throttled due to flooding",
				"#c":  "NOTICE :*** Message to #c throttled due to flooding",
			}
			srv.mu.Unlock()
			p, _, login := scriptedLogin(t, srv, "", "kit", "#c")
			for _, to := range []string{"eve", "#c"} {
				res := p.Commands().Send(plugintest.SendText(login.LoginId, to, "", "hi "+to))
				if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(res.Error.GetText(), "throttled due to flooding") {
					t.Errorf("send to %s: %v; want RATE_LIMITED with the server's words", to, res.Error)
				}
			}
			if res := p.Commands().Send(plugintest.SendText(login.LoginId, "gus", "", "hi gus")); res.Error != nil {
				t.Errorf("send to gus: %v", res.Error)
			}
		})
	}
}
