package irc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's own lines that the gateway has under another ID than
// their msgid (a line after the first of a message, which the send's
// result names by the first's; a line whose echo came after the send
// returned with an ID of the plugin's) are not brought back by history
// after a restart of the plugin: the saved state keeps their msgids.
// The first line, whose msgid the gateway has, comes as before (the
// archive holds it once by its ID). Before, the others came back as
// messages of the user's from another device, second copies.
func TestOwnLinesNotBackFromHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time echo-message draft/chathistory", "")
	srv.mu.Lock()
	srv.isupport = "CHATHISTORY=10 "
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, nil, "#room")
	srv.got("CHATHISTORY LATEST #room") // the join's fetch: nothing yet
	cmds := p.Commands()
	res := cmds.Send(plugintest.SendText(login.LoginId, "#room", "", "one\ntwo"))
	if res.Error != nil || res.MessageId != "srv-1" {
		t.Fatalf("send of two lines: %v, ID %q; want the first echo's srv-1", res.Error, res.MessageId)
	}
	// The next echo comes late: the send returns with an ID of ours.
	srv.mu.Lock()
	srv.holdAt = "PRIVMSG #room"
	srv.mu.Unlock()
	res = cmds.Send(plugintest.SendText(login.LoginId, "#room", "", "late"))
	if res.Error != nil || strings.HasPrefix(res.MessageId, "srv-") {
		t.Fatalf("send with a late echo: %v, ID %q; want an ID of the plugin's", res.Error, res.MessageId)
	}
	srv.release()
	var saved []byte
	var seq uint64
	evs.NextEvent(func(ev *pb.Event) bool {
		seq = ev.Seq
		if st := ev.GetSavedState(); st != nil {
			saved = st.SavedState
		}
		return strings.Contains(string(saved), "srv-3")
	})

	// What the server keeps of #room: the user's three lines, and
	// someone's after them.
	srv.mu.Lock()
	for i, text := range []string{"one", "two", "late"} {
		srv.history = append(srv.history, fmt.Sprintf("@time=%s;msgid=srv-%d :kit!u@h PRIVMSG #room :%s", histAt(i+1).Format("2006-01-02T15:04:05.000Z"), i+1, text))
	}
	srv.history = append(srv.history, fmt.Sprintf("@time=%s;msgid=h-9 :bob!b@h PRIVMSG #room :after", histAt(9).Format("2006-01-02T15:04:05.000Z")))
	srv.mu.Unlock()

	p.Restart()
	hist, err := p.Client().History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs = p.Events()
	p.Connect(login.LoginId, saved)
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.Seq > seq && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	b := nextBatch(t, hist)
	var ids []string
	for _, ev := range b.Events {
		ids = append(ids, ev.EventId)
	}
	if !slices.Equal(ids, []string{"srv-1", "h-9"}) {
		t.Errorf("the join's history after a restart: %q; want srv-1 and h-9 (srv-2 and srv-3 are in the gateway under the sends' IDs)", ids)
	}
}

// An echo that comes over a minute late, from a server stalled a
// while between two keepalives (the connection lives: irc-go's PING
// came before the stall and the next is not due), is still the user's
// own line: not a message of theirs from another device, and its msgid
// is kept, so that history after a restart leaves it out. Before, a
// line whose echo had not come a minute after its send gave up was
// forgotten, and its echo shown as a second copy.
func TestVeryLateEchoIsOwnLine(t *testing.T) {
	if testing.Short() {
		t.Skip("a server stalled for over a minute")
	}
	srv := startScripted(t, "message-tags server-time echo-message", "")
	srv.mu.Lock()
	srv.holdAt = "PRIVMSG dave"
	srv.mu.Unlock()
	p, evs, login := scriptedLogin(t, srv, "", "kit", "")
	res := p.Commands().Send(plugintest.SendText(login.LoginId, "dave", "", "hi"))
	if res.Error != nil || strings.HasPrefix(res.MessageId, "srv-") {
		t.Fatalf("send with a late echo: %v, ID %q; want an ID of the plugin's", res.Error, res.MessageId)
	}
	// The stall: past the minute the plugin waited for late echoes
	// before, within the keepalive (2 minutes) that would end it.
	time.Sleep(65 * time.Second)
	srv.release()
	srv.send(":bob!b@h PRIVMSG kit :after")
	var saved string
	evs.NextEvent(func(ev *pb.Event) bool {
		if st := ev.GetSavedState(); st != nil {
			saved = string(st.SavedState)
		}
		if m := ev.GetMessage(); m != nil && ev.Sender.GetIsFromMe() {
			t.Errorf("the late echo came as a message of the user's: %q", m.Text)
		}
		return ev.GetMessage().GetText() == "after"
	})
	if !strings.Contains(saved, "srv-1") {
		t.Errorf("the saved state %s does not keep the late echo's msgid srv-1; history after a restart would bring it back", saved)
	}
}
