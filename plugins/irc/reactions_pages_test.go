package irc_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// backfillWords backfills chat from cursor ("": the newest; limit
// messages) and
// says in words the events of every batch until one is done or says no
// more is coming: "message <id>", or "<id> " and eventWords, each
// event ID once (the first copy, as the gateway keeps it: pages
// overlap), ordered by server time.
func backfillWords(t *testing.T, p *plugintest.Plugin, hist pb.Transport_HistoryClient, loginID, chat, cursor string, limit int) []string {
	t.Helper()
	if _, err := p.Client().Backfill(t.Context(), &pb.BackfillRequest{LoginId: loginID, ChatId: chat, Cursor: cursor, Limit: int32(limit)}); err != nil {
		t.Fatal(err)
	}
	type word struct {
		at   int64
		text string
	}
	var words []word
	seen := map[string]bool{}
	for {
		b := nextBatch(t, hist)
		for _, ev := range b.Events {
			if seen[ev.EventId] {
				continue
			}
			seen[ev.EventId] = true
			w := ev.EventId + " " + eventWords(ev)
			if ev.GetMessage() != nil {
				w = "message " + ev.EventId
			}
			words = append(words, word{ev.TimestampUnixMicro, w})
		}
		if b.Done {
			break
		}
	}
	slices.SortStableFunc(words, func(a, b word) int { return int(a.at - b.at) })
	var out []string
	for _, w := range words {
		out = append(out, w.text)
	}
	return out
}

// A backfill's reactions are the same whatever the server's page size
// (ISUPPORT CHATHISTORY): the pages of one Backfill come newest first,
// and their reactions are read once every page is, oldest first.
// zoe's ❤ after her 👍 is her set [👍 ❤] even where the two are in two
// pages; and of the user's two TAGMSGs of 👍 sent without an echo
// (the reaction taken back and added again between), the newer is the
// one standing: its REDACT from the user's other client takes the
// reaction back, the older's takes nothing. Before, each page had
// sets of its own, and the newer page's copies were matched first:
// with pages of 2 or 3 lines zoe's ❤ came as [❤], and the older 👍
// was taken as the standing one, the newer as withdrawn.
func TestBackfillReactionsAcrossPages(t *testing.T) {
	var first []string
	for _, size := range []int{100, 2, 3, 4} {
		t.Run(fmt.Sprint("pages of ", size), func(t *testing.T) {
			srv := startScripted(t, "batch message-tags server-time draft/chathistory draft/message-redaction", "")
			at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
			srv.mu.Lock()
			srv.isupport = fmt.Sprintf("CHATHISTORY=%d ", size)
			srv.history = []string{histLine(1)}
			srv.mu.Unlock()
			p, _, hist, evs, login := histLogin(t, srv, nil, "#hist")
			srv.got("CHATHISTORY LATEST #hist *")
			nextBatch(t, hist) // the join's: h-1
			cmds := p.Commands()
			for _, emojis := range [][]string{{"👍"}, {}, {"👍"}} {
				if res := cmds.Send(plugintest.Act(login.LoginId, "#hist", "", &pb.React{TargetId: "h-1", Emojis: emojis})); res.Error != nil {
					t.Fatalf("react %q: %v", emojis, res.Error)
				}
			}
			srv.mu.Lock()
			srv.history = append(srv.history,
				"@time="+at(2)+";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist",
				"@time="+at(3)+";msgid=t-3;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
				"@time="+at(4)+";msgid=t-4;+draft/reply=h-1;+draft/unreact=👍 :kit!k@h TAGMSG #hist",
				"@time="+at(5)+";msgid=t-5;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG #hist",
				"@time="+at(6)+";msgid=t-6;+draft/reply=h-1;+draft/react=👍 :kit!k@h TAGMSG #hist",
				histLine(7),
			)
			srv.mu.Unlock()
			got := backfillWords(t, p, hist, login.LoginId, "#hist", "", 100)
			want := []string{
				"message h-1",
				"t-3 reaction zoe in #hist on h-1: [👍]",
				"t-5 reaction zoe in #hist on h-1: [👍 ❤]",
				"message h-7",
			}
			if !slices.Equal(got, want) {
				t.Errorf("backfill in pages of %d:\n%q\nwant:\n%q", size, got, want)
			}
			if first == nil {
				first = got
			} else if !slices.Equal(got, first) {
				t.Errorf("backfill in pages of %d: %q; in pages of 100: %q", size, got, first)
			}
			// The older 👍 (withdrawn: the newer stands for it), then the
			// newer, then zoe's live reaction, which shows the end.
			srv.send("@msgid=x-1 :kit!k@h REDACT #hist t-2")
			srv.send("@msgid=x-2 :kit!k@h REDACT #hist t-6")
			srv.send("@msgid=z-1;+draft/reply=h-1;+draft/react=👀 :zoe!z@h TAGMSG #hist")
			var after []string
			for len(after) == 0 || after[len(after)-1] != "z-1" {
				ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil || ev.GetRetraction() != nil })
				after = append(after, ev.EventId+" "+eventWords(ev))
				if ev.EventId == "z-1" {
					after = append(after, "z-1")
				}
			}
			after = after[:len(after)-1]
			if want := []string{"x-2 reaction me in #hist on h-1: []", "z-1 reaction zoe in #hist on h-1: [👀]"}; !slices.Equal(after, want) {
				t.Errorf("after REDACTs of t-2 (the older 👍) and t-6 (the newer): %q; want %q", after, want)
			}
		})
	}
}

// A big backfill's reactions do not push out those heard live: a live
// reaction's TAGMSG is known by its msgid after 2,100 reactions came
// in a backfill, so its REDACT takes it back. Before, both were kept
// in one space of 2048: the backfill's pushed zoe's live ❤ out, and its
// REDACT came as the retraction of a message the gateway never had,
// the reaction staying.
func TestLiveReactionSurvivesBigBackfill(t *testing.T) {
	srv := startScripted(t, "batch message-tags server-time draft/chathistory draft/message-redaction", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1)}
	srv.mu.Unlock()
	p, _, hist, evs, login := histLogin(t, srv, nil, "#hist")
	srv.got("CHATHISTORY LATEST #hist *")
	nextBatch(t, hist) // the join's: h-1
	srv.send("@time=%s;msgid=l-1;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG #hist", histAt(1).Add(time.Hour).Format(time.RFC3339Nano))
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: [❤]"; got != want {
		t.Fatalf("zoe's live reaction: %s; want %s", got, want)
	}
	const n = 2100
	srv.mu.Lock()
	old := []string{histLine(1)}
	for i := range n {
		at := histAt(1).Add(time.Duration(i+1) * time.Millisecond).Format(time.RFC3339Nano)
		old = append(old, fmt.Sprintf("@time=%s;msgid=b-%d;+draft/reply=m-%d;+draft/react=👍 :bob!b@h TAGMSG #hist", at, i, i))
	}
	srv.history = old
	srv.mu.Unlock()
	got := backfillWords(t, p, hist, login.LoginId, "#hist", "", n+10)
	if len(got) != n+1 {
		t.Fatalf("the backfill brought %d events; want %d (h-1 and the reactions)", len(got), n+1)
	}
	srv.send("@msgid=x-1 :zoe!z@h REDACT #hist l-1")
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: []"; got != want {
		t.Errorf("zoe's REDACT of her live ❤ after the backfill: %s; want %s", got, want)
	}
}

// Of one backfill's TAGMSGs of the same reaction (zoe's 👍, taken
// back and added again), the newest stands, as live: a REDACT of the
// older takes nothing back, one of the newer does, in pages of any
// size. Before, with the history in one page, the REDACT of the older
// took the 👍 added again away.
func TestBackfillRedactOfReactionAddedAgain(t *testing.T) {
	for _, size := range []int{100, 2} {
		t.Run(fmt.Sprint("pages of ", size), func(t *testing.T) {
			srv := startScripted(t, "batch message-tags server-time draft/chathistory draft/message-redaction", "")
			at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
			srv.mu.Lock()
			srv.isupport = fmt.Sprintf("CHATHISTORY=%d ", size)
			srv.history = []string{histLine(1)}
			srv.mu.Unlock()
			p, _, hist, evs, login := histLogin(t, srv, nil, "#hist")
			srv.got("CHATHISTORY LATEST #hist *")
			nextBatch(t, hist) // the join's: h-1
			srv.mu.Lock()
			srv.history = append(srv.history,
				"@time="+at(2)+";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
				"@time="+at(3)+";msgid=t-3;+draft/reply=h-1;+draft/unreact=👍 :zoe!z@h TAGMSG #hist",
				"@time="+at(4)+";msgid=t-4;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
				histLine(5),
			)
			srv.mu.Unlock()
			got := backfillWords(t, p, hist, login.LoginId, "#hist", "", 100)
			want := []string{
				"message h-1",
				"t-2 reaction zoe in #hist on h-1: [👍]",
				"t-3 reaction zoe in #hist on h-1: []",
				"t-4 reaction zoe in #hist on h-1: [👍]",
				"message h-5",
			}
			if !slices.Equal(got, want) {
				t.Errorf("backfill in pages of %d:\n%q\nwant:\n%q", size, got, want)
			}
			srv.send("@msgid=x-1 :zoe!z@h REDACT #hist t-2")
			srv.send("@msgid=x-2 :zoe!z@h REDACT #hist t-4")
			ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil || ev.GetRetraction() != nil })
			if got, want := ev.EventId+" "+eventWords(ev), "x-2 reaction zoe in #hist on h-1: []"; got != want {
				t.Errorf("after REDACTs of t-2 (the older 👍) and t-4 (the newer): %s; want %s", got, want)
			}
		})
	}
}

// A backfill cut between its pages (the server refuses the next page,
// or the connection drops before its answer) still brings the
// reactions of the pages read: they are held for the last page
// (histreact.go), and sent at the cut in a batch of their own, at the
// cursor already sent, since the gateway asks again only for what is
// older. (A private chat's: a rejoined channel's catch-up would bring
// them anyway.)
func TestBackfillCutKeepsReactions(t *testing.T) {
	for _, cut := range []string{"fail", "drop"} {
		t.Run(cut, func(t *testing.T) {
			srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
			at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
			line := func(i int) string {
				return fmt.Sprintf("@time=%s;msgid=h-%d :zoe!z@h PRIVMSG kit :line %d", at(i), i, i)
			}
			srv.mu.Lock()
			srv.isupport = "CHATHISTORY=2 "
			srv.history = []string{
				line(1),
				"@time=" + at(2) + ";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG kit",
				line(3), line(4),
				"@time=" + at(5) + ";msgid=t-5;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG kit",
				line(6),
			}
			// The first page answered, the second cut.
			srv.historyCut, srv.historyLeft = cut, 1
			srv.mu.Unlock()
			p, ctx, hist, _, login := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "")
			if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "zoe", Limit: 100}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for !slices.Contains(got, "t-5") {
				b := nextBatch(t, hist)
				if b.Cursor != histTime(5) || b.Done {
					t.Errorf("batch of %d events: cursor %q, done %v; want %q, the first page's oldest, not done", len(b.Events), b.Cursor, b.Done, histTime(5))
				}
				for _, ev := range b.Events {
					got = append(got, ev.EventId)
					if ev.EventId == "t-5" {
						if w, want := eventWords(ev), "reaction zoe in zoe on h-1: [❤]"; w != want {
							t.Errorf("t-5: %s; want %s", w, want)
						}
					}
				}
			}
			if slices.Contains(got, "t-2") {
				t.Errorf("backfill cut after its first page: %q; t-2 was never read", got)
			}
		})
	}
}

// histTime is the cursor of the i-th message of a test's history.
func histTime(i int) string {
	return "timestamp=" + histAt(i).Format("2006-01-02T15:04:05.000Z")
}
