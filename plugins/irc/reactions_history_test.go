package irc_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Reactions the server keeps in history (a TAGMSG with +draft/react in
// a chathistory batch) come in the history batch as reactions to the
// messages backfilled: someone else's, and the user's own (made on
// another client) as the user's; one taken back (+draft/unreact) comes
// off the set. Before, every TAGMSG of a batch was dropped: the
// backfilled messages showed none of their reactions.
func TestHistoryReactions(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.history = []string{
		histLine(1),
		"@time=" + at(2) + ";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
		"@time=" + at(3) + ";msgid=t-3;+draft/reply=h-1;+draft/react=🎉 :kit!k@h TAGMSG #hist",
		"@time=" + at(4) + ";msgid=t-4;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG #hist",
		"@time=" + at(5) + ";msgid=t-5;+draft/reply=h-1;+draft/unreact=👍 :zoe!z@h TAGMSG #hist",
		"@time=" + at(6) + ";+draft/reply=h-1;+draft/react=😀 :zoe!z@h TAGMSG #hist", // no msgid: not told from a live copy
		histLine(7),
	}
	srv.mu.Unlock()
	_, _, hist, _, _ := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	b := nextBatch(t, hist)
	var got []string
	for _, ev := range b.Events {
		if ev.ChatId != "#hist" || ev.ChatType != pb.ChatType_CHAT_TYPE_GROUP || !ev.IsBackfill {
			t.Errorf("history event %v: want a backfilled event of #hist", ev)
		}
		switch {
		case ev.GetMessage() != nil:
			got = append(got, ev.EventId+" "+ev.GetMessage().Text)
		case ev.GetReaction() != nil:
			r := ev.GetReaction()
			who := ev.Sender.GetName()
			if ev.Sender.GetIsFromMe() {
				who += " (me)"
			}
			got = append(got, ev.EventId+" "+who+" on "+r.TargetId+": ["+strings.Join(r.Emojis, " ")+"]")
		default:
			t.Errorf("history event %v: want a message or a reaction", ev)
		}
	}
	want := []string{
		"h-1 line 1",
		"t-2 zoe on h-1: [👍]",
		"t-3 kit (me) on h-1: [🎉]",
		"t-4 zoe on h-1: [👍 ❤]",
		"t-5 zoe on h-1: [❤]",
		"h-7 line 7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("history batch:\n%q\nwant:\n%q", got, want)
	}
}

// Reactions a backfill brings (older than what the plugin heard since)
// are reactions of their time: a set a page shows is the page's, and
// the sets heard live go on from what was heard live. Before, a page's
// reactions went into the live sets: zoe's 👍 of long ago, taken back
// since, came back with her ❤ of now, in the page's event and in her
// next live reaction's set.
func TestBackfillReactionsLeaveLiveSets(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.isupport = "CHATHISTORY=3 "
	srv.history = []string{
		histLine(1),
		"@time=" + at(2) + ";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
		histLine(3),
		histLine(4),
		"@time=" + at(5) + ";msgid=t-5;+draft/reply=h-1;+draft/unreact=👍 :zoe!z@h TAGMSG #hist",
		histLine(6),
	}
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist * 3")
	b := nextBatch(t, hist)
	reaction := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	}
	srv.send("@time=%s;msgid=l-1;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG #hist", at(7))
	if got := reaction().GetReaction().GetEmojis(); !slices.Equal(got, []string{"❤"}) {
		t.Fatalf("zoe's live reaction: %q; want [❤]", got)
	}

	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Cursor: b.Cursor, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	b = nextBatch(t, hist)
	for _, ev := range b.Events {
		if r := ev.GetReaction(); r != nil && (ev.EventId != "t-2" || !slices.Equal(r.Emojis, []string{"👍"})) {
			t.Errorf("backfilled reaction %s: %q; want t-2's [👍], as it was then", ev.EventId, r.Emojis)
		}
	}
	srv.send("@time=%s;msgid=l-2;+draft/reply=h-1;+draft/react=🎉 :zoe!z@h TAGMSG #hist", at(8))
	if got := reaction().GetReaction().GetEmojis(); !slices.Equal(got, []string{"❤", "🎉"}) {
		t.Errorf("zoe's live reaction after the backfill: %q; want [❤ 🎉] (her 👍 was taken back)", got)
	}
}

// The user's reactions sent where the server echoes none (no
// echo-message: the plugin never learns their msgids) do not come back
// from history as reactions of the user's from another client: each
// TAGMSG of the user's in a batch that does what one sent did (react
// or unreact, the emoji, the message) is that one, once; the user's
// reaction made elsewhere, and others', come as before, and a second
// backfill of the same brings no copy either. Before, the backfill
// brought the user's three TAGMSGs back as reactions of theirs, second
// copies of what the gateway had in the archive.
func TestOwnUnechoedReactionsNotBackFromHistory(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	nextBatch(t, hist) // the join's: h-1
	cmds := p.Commands()
	for _, emojis := range [][]string{{"👍", "🎉"}, {"🎉"}} {
		if res := cmds.Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: emojis})); res.Error != nil {
			t.Fatalf("react %q: %v", emojis, res.Error)
		}
	}
	srv.mu.Lock()
	srv.history = append(srv.history,
		"@time="+at(2)+";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist",
		"@time="+at(3)+";msgid=t-3;+draft/reply=h-1;+draft/react=🎉 :kit!k@h TAGMSG #hist",
		"@time="+at(4)+";msgid=t-4;+draft/reply=h-1;+draft/unreact=👍 :kit!k@h TAGMSG #hist",
		"@time="+at(5)+";msgid=t-5;+draft/reply=h-1;+draft/react=❤ :kit!k@h TAGMSG #hist", // from another client
		"@time="+at(6)+";msgid=t-6;+draft/reply=h-1;+draft/react=👀 :zoe!z@h TAGMSG #hist",
	)
	srv.mu.Unlock()
	for range 2 {
		if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range nextBatch(t, hist).Events {
			got = append(got, ev.EventId)
		}
		if want := []string{"h-1", "t-5", "t-6"}; !slices.Equal(got, want) {
			t.Errorf("backfill: %q; want %q (t-2, t-3, t-4 are the reactions sent from XMPP)", got, want)
		}
	}
}
