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

// A reaction the user takes back before the server's echo of it came
// (echo-message; a lagging server holds its answers) is not shown again
// when the echoes come, live or from history: neither the reaction's
// echo nor its withdrawal's is a reaction from elsewhere, and the
// user's set stays as they left it.
func TestReactionWithdrawnBeforeItsEcho(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory echo-message", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	nextBatch(t, hist) // the join's: h-1
	cmds := p.Commands()
	react := func(emojis ...string) {
		t.Helper()
		if res := cmds.Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: emojis})); res.Error != nil {
			t.Fatalf("react %q: %v", emojis, res.Error)
		}
	}
	srv.mu.Lock()
	srv.holdAt = "TAGMSG #hist"
	first := srv.msgid + 1 // the msgid of the first echo held
	srv.mu.Unlock()
	react("👍")
	react() // taken back, its echo not come yet
	react("👍", "🎉")
	react("🎉")
	// 👍; 👍 back; 👍, 🎉; 👍 back
	sent := []string{"react=👍", "unreact=👍", "react=👍", "react=🎉", "unreact=👍"}
	srv.wait("the TAGMSGs", func() bool {
		n := 0
		for _, l := range srv.lines {
			if strings.HasSuffix(l, " TAGMSG #hist") {
				n++
			}
		}
		return n == len(sent)
	})
	srv.release()
	srv.sync()
	srv.send("@msgid=m-9;+draft/reply=h-1;+draft/react=👀 :bob!b@h TAGMSG #hist")
	var shown []*pb.ReactionEvent
	evs.NextEvent(func(ev *pb.Event) bool {
		r := ev.GetReaction()
		if r == nil {
			return false
		}
		if ev.Sender.GetName() == "bob" {
			return true
		}
		shown = append(shown, r)
		return false
	})
	if len(shown) != 0 {
		t.Errorf("the user's reactions came back live: %v", shown)
	}
	// The server's history has them under their echoes' msgids.
	srv.mu.Lock()
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for i, what := range sent {
		srv.history = append(srv.history, fmt.Sprintf("@time=%s;msgid=srv-%d;+draft/reply=h-1;+draft/%s :kit!k@h TAGMSG #hist", at, first+i, what))
	}
	srv.history = append(srv.history, "@time="+at+";msgid=m-9;+draft/reply=h-1;+draft/react=👀 :bob!b@h TAGMSG #hist")
	srv.mu.Unlock()
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 20}); err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(nextBatch(t, hist)), []string{"h-1"}; !slices.Equal(got, want) {
		t.Errorf("backfill: %q; want %q (the user's reactions are theirs, bob's came live)", got, want)
	}
	// The set the user left (🎉) is the one the next React goes on from.
	from := len(srv.sent(0, ""))
	react()
	srv.sync()
	if got, want := tagmsgs(t, srv, from), []string{"TAGMSG #hist +draft/reply=h-1 +draft/unreact=🎉"}; !slices.Equal(got, want) {
		t.Errorf("taking the rest back sent %q; want %q", got, want)
	}
}

// A reaction whose echo is lost as the connection drops (the server
// took it; its answers were held) and which the user then takes back is
// the user's in history: neither the reconnection's catch-up nor a
// backfill shows it as a reaction of theirs from another client. Before,
// its msgid was never learnt, so history's copy was shown (the backfill
// had the user's 👍, which they had taken back), and the withdrawal's
// copy, echoed, was left out.
func TestReactionEchoLostInADrop(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory echo-message", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	nextBatch(t, hist) // the join's: h-1
	cmds := p.Commands()
	react := func(emojis ...string) {
		t.Helper()
		if res := cmds.Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: emojis})); res.Error != nil {
			t.Fatalf("react %q: %v", emojis, res.Error)
		}
	}
	srv.mu.Lock()
	srv.holdAt = "TAGMSG #hist"
	srv.mu.Unlock()
	react("👍")
	srv.got("@")
	srv.wait("the reaction", func() bool { return srv.holding })
	at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	srv.mu.Lock()
	srv.holding, srv.held = false, nil // its echo is lost with the connection
	srv.history = append(srv.history, "@time="+at+";msgid=lost-1;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist")
	srv.mu.Unlock()
	srv.hangUp()
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	})
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	if got := eventIDs(nextBatch(t, hist)); slices.Contains(got, "lost-1") {
		t.Errorf("the rejoin's catch-up: %q; the user's reaction is in it", got)
	}
	srv.got("JOIN #hist")
	srv.sync()
	srv.mu.Lock()
	next := srv.msgid + 1 // the withdrawal's echo
	srv.mu.Unlock()
	react()
	srv.sync()
	srv.mu.Lock()
	srv.history = append(srv.history, fmt.Sprintf("@time=%s;msgid=srv-%d;+draft/reply=h-1;+draft/unreact=👍 :kit!k@h TAGMSG #hist", at, next))
	srv.mu.Unlock()
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 20}); err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(nextBatch(t, hist)), []string{"h-1"}; !slices.Equal(got, want) {
		t.Errorf("backfill: %q; want %q (the user's reaction, taken back, is theirs)", got, want)
	}
}

// A reaction whose echo had not come when the plugin was killed is the
// user's in history after the restart: the join's history leaves it
// out. Before, what told it was kept at its echo only, and history
// brought it back once, as the user's reaction from another client.
func TestReactionEchoLostInARestart(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory echo-message", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, _, hist, _, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	nextBatch(t, hist) // the join's: h-1
	srv.mu.Lock()
	srv.holdAt = "TAGMSG #hist"
	srv.mu.Unlock()
	if res := p.Commands().Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: []string{"👍"}})); res.Error != nil {
		t.Fatalf("react: %v", res.Error)
	}
	srv.wait("the reaction", func() bool { return srv.holding })
	srv.mu.Lock()
	srv.holding, srv.held = false, nil // its echo never reaches the plugin
	srv.history = append(srv.history,
		"@time="+time.Now().UTC().Format("2006-01-02T15:04:05.000Z")+";msgid=lost-1;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist")
	srv.mu.Unlock()
	restartConnected(t, p, login, &hist)
	if got, want := eventIDs(nextBatch(t, hist)), []string{"h-1"}; !slices.Equal(got, want) {
		t.Errorf("the join's history after the restart: %q; want %q (the user's reaction is in the gateway already)", got, want)
	}
}
