package irc_test

import (
	"slices"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A reaction a backfill page brought is known by its TAGMSG's msgid: a
// later REDACT of it takes it out of the set its page told (the
// sender's reactions to that message as the page had them). Before,
// only reactions heard live or caught up were known, and the REDACT
// came as the retraction of a message the gateway never had, the
// reaction staying.
func TestRedactOfBackfilledReaction(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory draft/message-redaction", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.isupport = "CHATHISTORY=3 "
	srv.history = []string{
		histLine(1),
		"@time=" + at(2) + ";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
		"@time=" + at(3) + ";msgid=t-3;+draft/reply=h-1;+draft/react=🎉 :zoe!z@h TAGMSG #hist",
		histLine(4), histLine(5), histLine(6),
	}
	srv.mu.Unlock()
	p, _, hist, evs, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist * 3")
	b := nextBatch(t, hist)
	// Its reactions come with its last page (histreact.go).
	got := backfillWords(t, p, hist, login.LoginId, "#hist", b.Cursor, 10)
	if !slices.Contains(got, "t-2 reaction zoe in #hist on h-1: [👍]") || !slices.Contains(got, "t-3 reaction zoe in #hist on h-1: [👍 🎉]") {
		t.Fatalf("the backfill: %q; want zoe's reactions t-2 and t-3 in it", got)
	}
	srv.send("@msgid=x-7 :zoe!z@h REDACT #hist t-2")
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: [🎉]"; got != want {
		t.Errorf("a REDACT of the backfilled reaction t-2: %s; want %s", got, want)
	}
	srv.send("@msgid=x-8 :zoe!z@h REDACT #hist t-3")
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: []"; got != want {
		t.Errorf("a REDACT of the backfilled reaction t-3: %s; want %s", got, want)
	}
}

// The user's reactions sent where the server echoes none are known by
// their TAGMSG's msgid once history told it (its copy of them, left
// out of the batch): a REDACT of one (from the user's other client)
// takes it back, told as the user's set without it, and one taken back
// from XMPP goes as a REDACT of it. One the user took back already
// (+draft/unreact) is known too: its REDACT is no retraction. Before,
// their msgids were only left out of history: such a REDACT came as
// the retraction of a message the gateway never had, and taking one
// back from XMPP sent +draft/unreact, which most servers and clients
// ignore.
func TestRedactOfOwnUnechoedReaction(t *testing.T) {
	for _, by := range []string{"another client", "taken back from XMPP"} {
		t.Run(by, func(t *testing.T) {
			srv := startScripted(t, "batch message-tags server-time draft/chathistory draft/message-redaction", "")
			at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
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
			react("👍", "🎉")
			react("👍")
			srv.mu.Lock()
			srv.history = append(srv.history,
				"@time="+at(2)+";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist",
				"@time="+at(3)+";msgid=t-3;+draft/reply=h-1;+draft/react=🎉 :kit!k@h TAGMSG #hist",
				"@time="+at(4)+";msgid=t-4;+draft/reply=h-1;+draft/unreact=🎉 :kit!k@h TAGMSG #hist",
			)
			srv.mu.Unlock()
			if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range nextBatch(t, hist).Events {
				got = append(got, ev.EventId)
			}
			if want := []string{"h-1"}; !slices.Equal(got, want) {
				t.Fatalf("the backfill: %q; want %q (the user's reactions are in the gateway already)", got, want)
			}
			// 🎉, taken back already: its REDACT is nothing to tell.
			srv.send("@msgid=x-5 :kit!k@h REDACT #hist t-3")
			switch by {
			case "another client":
				srv.send("@msgid=x-6 :kit!k@h REDACT #hist t-2")
				if got, want := reactionOrRetraction(t, evs), "reaction me in #hist on h-1: []"; got != want {
					t.Errorf("after REDACTs of t-3 (🎉, taken back) and t-2 (👍): %s; want %s", got, want)
				}
			default:
				from := len(srv.sent(0, ""))
				react()
				srv.sync()
				lines := append(srv.sent(from, "REDACT"), tagmsgs(t, srv, from)...)
				if want := []string{"REDACT #hist t-2"}; !slices.Equal(lines, want) {
					t.Errorf("👍 taken back from XMPP sent %q; want %q", lines, want)
				}
				// The server's REDACT of t-3 is no retraction, and its
				// answer to the user's of t-2 no event: zoe's reaction
				// is the next.
				srv.send("@msgid=z-1;+draft/reply=h-1;+draft/react=👀 :zoe!z@h TAGMSG #hist")
				if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: [👀]"; got != want {
					t.Errorf("after REDACTs of t-3 (🎉, taken back) and t-2 (👍, from XMPP): %s; want %s", got, want)
				}
			}
		})
	}
}

// A REDACT of a reaction taken back already, by +draft/unreact, is no
// retraction, and one of a TAGMSG that a later one of the same emoji
// stands for (taken back, added again) takes nothing back. Before, the
// first came as the retraction of a message the gateway never had, and
// the second took back the reaction added again.
func TestRedactOfReactionTakenBack(t *testing.T) {
	srv := startScripted(t, redactCaps, "")
	_, evs, _ := scriptedLogin(t, srv, "", "kit", "#Room")
	step := func(line, want string) {
		t.Helper()
		srv.send("%s", line)
		if got := reactionOrRetraction(t, evs); got != want {
			t.Fatalf("after %q: %s; want %s", line, got, want)
		}
	}
	step("@msgid=t-1;+draft/reply=ch-1;+draft/react=👍 :zoe!z@h TAGMSG #Room", "reaction zoe in #room on ch-1: [👍]")
	step("@msgid=t-2;+draft/reply=ch-1;+draft/unreact=👍 :zoe!z@h TAGMSG #Room", "reaction zoe in #room on ch-1: []")
	srv.send("@msgid=x-1 :zoe!z@h REDACT #Room t-1")
	step("@msgid=t-3;+draft/reply=ch-1;+draft/react=🎉 :zoe!z@h TAGMSG #Room", "reaction zoe in #room on ch-1: [🎉]")
	step("@msgid=t-4;+draft/reply=ch-1;+draft/unreact=🎉 :zoe!z@h TAGMSG #Room", "reaction zoe in #room on ch-1: []")
	step("@msgid=t-5;+draft/reply=ch-1;+draft/react=🎉 :zoe!z@h TAGMSG #Room", "reaction zoe in #room on ch-1: [🎉]")
	srv.send("@msgid=x-2 :zoe!z@h REDACT #Room t-3")
	step("@msgid=t-6;+draft/reply=ch-1;+draft/react=❤ :zoe!z@h TAGMSG #Room", "reaction zoe in #room on ch-1: [🎉 ❤]")
	// A REDACT of the standing one still takes it back.
	step("@msgid=x-3 :zoe!z@h REDACT #Room t-5", "reaction zoe in #room on ch-1: [❤]")
}

// A catch-up's REDACT of a reaction taken back already (+draft/unreact,
// heard live) is nothing to tell either: the batch has no retraction of
// it. Before, it had one, of a message the gateway never had.
func TestCatchUpRedactOfReactionTakenBack(t *testing.T) {
	srv := startScripted(t, "batch "+redactCaps+" draft/chathistory", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	_, _, hist, evs, _ := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "#hist")
	nextBatch(t, hist) // the join's: h-1
	srv.send("@time=%s;msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist", at(2))
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: [👍]"; got != want {
		t.Fatalf("zoe's live reaction: %s; want %s", got, want)
	}
	srv.send("@time=%s;msgid=t-3;+draft/reply=h-1;+draft/unreact=👍 :zoe!z@h TAGMSG #hist", at(3))
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: []"; got != want {
		t.Fatalf("zoe's live unreact: %s; want %s", got, want)
	}
	srv.mu.Lock()
	srv.history = append(srv.history,
		"@time="+at(2)+";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
		"@time="+at(3)+";msgid=t-3;+draft/reply=h-1;+draft/unreact=👍 :zoe!z@h TAGMSG #hist",
		histLine(4),
		"@time="+at(5)+";msgid=x-5 :zoe!z@h REDACT #hist t-2")
	srv.mu.Unlock()
	got := catchUpWords(t, srv, hist)
	// h-1 may come again (the catch-up starts at the newest message
	// seen); the reactions were heard live.
	if got = slices.DeleteFunc(got, func(e string) bool { return e == "message h-1" }); !slices.Equal(got, []string{"message h-4"}) {
		t.Errorf("the rejoin's catch-up: %q; want h-4 alone (no retraction of t-2, taken back already)", got)
	}
}
