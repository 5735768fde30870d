package irc_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's reactions (echoed: the gateway has them under no ID) and,
// where the server echoes nothing, the user's lines and reactions are
// not brought back by history after the plugin was killed and started
// again: what tells them (msgids, what a reaction did, a line's digest
// and time) is kept on disk, in the plugin's data folder, as each goes.
// A second restart does not bring them either (history's copy, once
// told, is kept by its msgid). Others' lines come as before. Before,
// it was kept in memory only: after a restart, the join's history and
// a backfill brought the user's reaction back as one from another
// client of theirs, and their line as a second copy.
func TestOwnNotBackFromHistoryAfterRestart(t *testing.T) {
	for _, caps := range []string{"batch message-tags server-time draft/chathistory echo-message", "batch message-tags server-time draft/chathistory"} {
		echo := strings.HasSuffix(caps, "echo-message")
		t.Run(caps, func(t *testing.T) {
			srv := startScripted(t, caps, "")
			srv.mu.Lock()
			srv.history = []string{histLine(1)}
			srv.mu.Unlock()
			p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
			srv.got("CHATHISTORY LATEST #hist *")
			nextBatch(t, hist) // the join's: h-1
			cmds := p.Commands()
			if res := cmds.Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: []string{"👍"}})); res.Error != nil {
				t.Fatalf("react: %v", res.Error)
			}
			// The echo, where there is one, was read: React answers once
			// its TAGMSG is written, so the server may not have read it
			// when one sync's PING goes; the server reads the first PONG
			// after the TAGMSG (and wrote its echo before reading on), so
			// the second PING goes after the echo, and the plugin reads
			// the echo (and keeps its msgid on disk) before its PONG.
			srv.sync()
			srv.sync()
			now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
			// The server's copies: the reaction (with echo-message, under
			// its echo's msgid, srv-1), someone's line.
			srv.mu.Lock()
			srv.history = append(srv.history,
				"@time="+now+";msgid=srv-1;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist",
				"@time="+now+";msgid=z-1 :zoe!z@h PRIVMSG #hist :after")
			srv.mu.Unlock()
			if !echo {
				// A line without echo: the gateway has it under an ID
				// of the plugin's; the server's copy has its own.
				res := cmds.Send(plugintest.SendText(login.LoginId, "#hist", "", "hello there"))
				if res.Error != nil || strings.HasPrefix(res.MessageId, "srv-") {
					t.Fatalf("send: %v, ID %q; want an ID of the plugin's", res.Error, res.MessageId)
				}
				srv.mu.Lock()
				srv.history = append(srv.history, "@time="+now+";msgid=m-1 :kit!k@h PRIVMSG #hist :hello there")
				srv.mu.Unlock()
			}
			want := []string{"h-1", "z-1"}
			for round := range 2 {
				restartConnected(t, p, login, &hist)
				if got := eventIDs(nextBatch(t, hist)); !slices.Equal(got, want) {
					t.Errorf("restart %d, the join's history: %q; want %q (the user's own are in the gateway already)", round+1, got, want)
				}
				if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
					t.Fatal(err)
				}
				if got := eventIDs(nextBatch(t, hist)); !slices.Equal(got, want) {
					t.Errorf("restart %d, the backfill: %q; want %q (the user's own are in the gateway already)", round+1, got, want)
				}
			}
		})
	}
}

// restartConnected kills the plugin (SIGKILL: a crash), starts it
// again and connects login, until connected: the events from then on.
// With hist not nil, the history stream is opened again first, there.
func restartConnected(t *testing.T, p *plugintest.Plugin, login *pb.CompleteStep, hist *pb.Transport_HistoryClient) *plugintest.EventStream {
	t.Helper()
	p.Restart()
	if hist != nil {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		var err error
		if *hist, err = p.Client().History(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evs := p.Events()
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED })
	return evs
}

// eventIDs are the event IDs of a batch's events.
func eventIDs(b *pb.HistoryBatch) []string {
	var ids []string
	for _, ev := range b.Events {
		ids = append(ids, ev.EventId)
	}
	return ids
}

// The user's echoed reaction is known by its TAGMSG's msgid after the
// plugin was killed and started again (kept on disk, where the server
// deletes messages): a REDACT of it from the user's other client takes
// it back (the user's set without it), and taking it back from XMPP
// goes as a REDACT of it, the set React goes on from being the one
// kept. Before, that was in memory only: after a restart the REDACT
// came as the retraction of a message the gateway never had, and the
// reaction taken back from XMPP sent nothing (the set was empty).
func TestOwnReactionKnownAfterRestart(t *testing.T) {
	for _, by := range []string{"another client", "taken back from XMPP"} {
		t.Run(by, func(t *testing.T) {
			srv := startScripted(t, redactCaps, "")
			p, _, login := scriptedLogin(t, srv, "", "kit", "#Room")
			if res := p.Commands().Send(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1", Emojis: []string{"👍"}})); res.Error != nil {
				t.Fatalf("react: %v", res.Error)
			}
			// Its echo read (see TestOwnNotBackFromHistoryAfterRestart).
			srv.sync()
			srv.sync()
			srv.mu.Lock()
			id := fmt.Sprintf("srv-%d", srv.msgid) // the echo's msgid
			srv.mu.Unlock()
			evs := restartConnected(t, p, login, nil)
			srv.sync()
			switch by {
			case "another client":
				srv.send("@msgid=x-1 :kit!u@h REDACT #Room %s", id)
				if got, want := reactionOrRetraction(t, evs), "reaction me in #room on ch-1: []"; got != want {
					t.Errorf("the REDACT of the user's reaction %s after a restart: %s; want %s", id, got, want)
				}
			default:
				from := len(srv.sent(0, ""))
				if res := p.Commands().Send(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1"})); res.Error != nil {
					t.Fatalf("unreact: %v", res.Error)
				}
				srv.sync()
				if got, want := srv.sent(from, "REDACT"), []string{"REDACT #Room " + id}; !slices.Equal(got, want) {
					t.Errorf("👍 taken back after a restart: %q (and %q); want %q", got, tagmsgs(t, srv, from), want)
				}
			}
		})
	}
}

// The user's reactions known by their TAGMSG's msgid and taken back
// already are known so after the plugin was killed and started again
// (kept on disk beside the standing ones): a REDACT of one is no
// retraction, while one of a standing reaction still takes it back.
// Taken back from another client of the user's (+draft/unreact, or
// added again by a later TAGMSG of the same emoji), and sent without an
// echo and taken back from XMPP, history telling their msgids. Before,
// those were kept in memory only: after a restart, a REDACT of one came
// as the retraction of a message the gateway never had.
func TestOwnWithdrawnReactionKnownAfterRestart(t *testing.T) {
	t.Run("another client", func(t *testing.T) {
		srv := startScripted(t, redactCaps, "")
		p, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")
		for _, step := range []struct{ line, want string }{
			{"@msgid=t-1;+draft/reply=ch-1;+draft/react=👍 :kit!k@h TAGMSG #Room", "[👍]"},
			{"@msgid=t-2;+draft/reply=ch-1;+draft/unreact=👍 :kit!k@h TAGMSG #Room", "[]"},
			{"@msgid=t-3;+draft/reply=ch-1;+draft/react=👍 :kit!k@h TAGMSG #Room", "[👍]"},
			{"@msgid=t-4;+draft/reply=ch-1;+draft/react=🎉 :kit!k@h TAGMSG #Room", "[👍 🎉]"},
			{"@msgid=t-5;+draft/reply=ch-1;+draft/unreact=🎉 :kit!k@h TAGMSG #Room", "[👍]"},
		} {
			srv.send("%s", step.line)
			// Told once on disk (onReaction writes before it tells).
			if got, want := reactionOrRetraction(t, evs), "reaction me in #room on ch-1: "+step.want; got != want {
				t.Fatalf("after %q: %s; want %s", step.line, got, want)
			}
		}
		evs = restartConnected(t, p, login, nil)
		// 🎉 (t-4) taken back, 👍's first TAGMSG (t-1) taken back and
		// added again (t-3): nothing to tell; t-3 takes 👍 back.
		srv.send("@msgid=x-1 :kit!k@h REDACT #Room t-4")
		srv.send("@msgid=x-2 :kit!k@h REDACT #Room t-1")
		srv.send("@msgid=x-3 :kit!k@h REDACT #Room t-3")
		if got, want := redactOutcome(evs), "reaction me in #room on ch-1: []"; got != want {
			t.Errorf("after a restart, REDACTs of t-4 and t-1 (taken back) and t-3 (👍): %s; want %s", got, want)
		}
	})
	t.Run("sent without echo", func(t *testing.T) {
		srv := startScripted(t, "batch message-tags server-time draft/chathistory draft/message-redaction", "")
		at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
		srv.mu.Lock()
		srv.history = []string{histLine(1)}
		srv.mu.Unlock()
		p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
		srv.got("CHATHISTORY LATEST #hist *")
		nextBatch(t, hist) // the join's: h-1
		for _, emojis := range [][]string{{"👍", "🎉"}, {"👍"}} {
			if res := p.Commands().Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: emojis})); res.Error != nil {
				t.Fatalf("react %q: %v", emojis, res.Error)
			}
		}
		srv.mu.Lock()
		srv.history = append(srv.history,
			"@time="+at(2)+";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist",
			"@time="+at(3)+";msgid=t-3;+draft/reply=h-1;+draft/react=🎉 :kit!k@h TAGMSG #hist",
			"@time="+at(4)+";msgid=t-4;+draft/reply=h-1;+draft/unreact=🎉 :kit!k@h TAGMSG #hist",
		)
		srv.mu.Unlock()
		// History tells their msgids, written with its batch.
		if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if got, want := eventIDs(nextBatch(t, hist)), []string{"h-1"}; !slices.Equal(got, want) {
			t.Fatalf("the backfill: %q; want %q (the user's reactions are in the gateway already)", got, want)
		}
		evs := restartConnected(t, p, login, &hist)
		if got, want := eventIDs(nextBatch(t, hist)), []string{"h-1"}; !slices.Equal(got, want) {
			t.Fatalf("the join's history after the restart: %q; want %q", got, want)
		}
		// 🎉 (t-3) taken back: nothing to tell; t-2 takes 👍 back.
		srv.send("@msgid=x-5 :kit!k@h REDACT #hist t-3")
		srv.send("@msgid=x-6 :kit!k@h REDACT #hist t-2")
		if got, want := redactOutcome(evs), "reaction me in #hist on h-1: []"; got != want {
			t.Errorf("after a restart, REDACTs of t-3 (🎉, taken back) and t-2 (👍): %s; want %s", got, want)
		}
	})
}

// redactOutcome is the next reaction or retraction event of a REDACT
// (msgid x-...), in words: the events told before a restart may come
// again after it (the SDK's journal delivers them at least once).
func redactOutcome(evs *plugintest.EventStream) string {
	return eventWords(evs.NextEvent(func(ev *pb.Event) bool {
		return strings.HasPrefix(ev.EventId, "x-") && (ev.GetReaction() != nil || ev.GetRetraction() != nil)
	}))
}

// The user's reaction taken back before its echo came (echo-message;
// a lagging server) is kept as taken back, not standing, once its echo
// is read: after the plugin was killed and started again, the user's
// set lacks it, and adding it again from XMPP sends it. Before, the
// late echo kept it on disk as standing: after a restart the set had
// it again, and adding it from XMPP sent nothing.
func TestReactionTakenBackBeforeItsEchoAfterRestart(t *testing.T) {
	srv := startScripted(t, redactCaps, "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "#Room")
	react := func(emojis ...string) {
		t.Helper()
		if res := p.Commands().Send(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1", Emojis: emojis})); res.Error != nil {
			t.Fatalf("react %q: %v", emojis, res.Error)
		}
	}
	srv.mu.Lock()
	srv.holdAt = "TAGMSG #Room"
	srv.mu.Unlock()
	react("👍")
	react() // taken back, its echo not come yet
	srv.wait("the TAGMSGs", func() bool {
		n := 0
		for _, l := range srv.lines {
			if strings.HasSuffix(l, " TAGMSG #Room") {
				n++
			}
		}
		return n == 2
	})
	srv.release()
	// The echoes read (see TestOwnNotBackFromHistoryAfterRestart).
	srv.sync()
	restartConnected(t, p, login, nil)
	from := len(srv.sent(0, ""))
	react("👍")
	srv.sync()
	if got, want := append(srv.sent(from, "REDACT"), tagmsgs(t, srv, from)...), []string{"TAGMSG #Room +draft/react=👍 +draft/reply=ch-1"}; !slices.Equal(got, want) {
		t.Errorf("👍 added again after a restart sent %q; want %q", got, want)
	}
}
