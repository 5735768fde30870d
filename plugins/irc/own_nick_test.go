package irc_test

import (
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
)

// The user's line sent where the server echoes none does not come back
// from history as someone else's when the user has another nick by
// then: the connection dropped, the server kept the old one's ghost
// (kit), and the reconnection is kit_; the rejoin's catch-up has the
// line under kit. It is the user's line sent under kit, and the
// gateway has it. Before, only a line under the user's nick of the
// moment was told as theirs: kit's came as a message from a member kit,
// a second copy of the user's own.
func TestOwnLineUnderOldNickNotBackFromHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, _, hist, _, login := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	nextBatch(t, hist) // the join's: h-1
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "#hist", "", "hello there"))
	if res.Error != nil || strings.HasPrefix(res.MessageId, "srv-") {
		t.Fatalf("send: %v, ID %q; want an ID of the plugin's", res.Error, res.MessageId)
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	srv.mu.Lock()
	srv.history = append(srv.history,
		"@time="+now+";msgid=m-1 :kit!k@h PRIVMSG #hist :hello there",
		"@time="+now+";msgid=z-1 :zoe!z@h PRIVMSG #hist :after")
	srv.nicksInUse = map[string]bool{"kit": true} // the old connection's ghost
	srv.mu.Unlock()
	srv.hangUp()
	b := nextBatch(t, hist)
	for b.ChatId != "#hist" || len(b.Events) == 0 {
		b = nextBatch(t, hist)
	}
	var got []string
	for _, ev := range b.Events {
		got = append(got, ev.EventId)
		if ev.EventId == "m-1" {
			t.Errorf("the rejoin's catch-up has the user's line m-1 (sent under kit) as %v's", ev.Sender)
		}
	}
	if !strings.Contains(strings.Join(got, " "), "z-1") {
		t.Errorf("the rejoin's catch-up: %q; want zoe's z-1 in it", got)
	}
}
