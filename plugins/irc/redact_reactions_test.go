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

// reactionOrRetraction waits for the next reaction or retraction event
// and says it in words: "reaction <from> on <msg>: [emojis]" or
// "retraction of <id>".
func reactionOrRetraction(t *testing.T, evs *plugintest.EventStream) string {
	t.Helper()
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil || ev.GetRetraction() != nil })
	return eventWords(ev)
}

// catchUpWords hangs srv up and says in words the events of the
// rejoin's catch-up (the first batch with events): "message <id>", or
// as eventWords.
func catchUpWords(t *testing.T, srv *scripted, hist pb.Transport_HistoryClient) []string {
	t.Helper()
	srv.hangUp()
	var b *pb.HistoryBatch
	for b == nil || len(b.Events) == 0 {
		b = nextBatch(t, hist)
	}
	var got []string
	for _, ev := range b.Events {
		if ev.GetMessage() != nil {
			got = append(got, "message "+ev.EventId)
			continue
		}
		got = append(got, eventWords(ev))
	}
	return got
}

func eventWords(ev *pb.Event) string {
	if r := ev.GetReaction(); r != nil {
		who := ev.Sender.GetName()
		if ev.Sender.GetIsFromMe() {
			who = "me"
		}
		return fmt.Sprintf("reaction %s in %s on %s: [%s]", who, ev.ChatId, r.TargetId, strings.Join(r.Emojis, " "))
	}
	if r := ev.GetRetraction(); r != nil {
		return fmt.Sprintf("retraction of %s in %s", r.TargetId, ev.ChatId)
	}
	return fmt.Sprintf("%v", ev)
}

// The user's reaction whose echo (echo-message) was taken as its send's
// answer is a reaction the plugin knows by its TAGMSG's msgid: the
// REDACT of that TAGMSG (from the user's other client, or answering
// the user's own retraction of it from XMPP) takes it back, told as
// the user's set without it, and the next React goes on from that set
// (the emoji added again goes again). Before, the echo was noted
// nowhere: the REDACT came as the retraction of a message the gateway
// never had, and the reaction stayed in the set, so adding it again
// sent nothing.
func TestRedactOfOwnEchoedReaction(t *testing.T) {
	for _, by := range []string{"another client", "retraction from XMPP"} {
		t.Run(by, func(t *testing.T) {
			srv := startScripted(t, redactCaps, "")
			p, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")
			cmds := p.Commands()
			react := func(emojis ...string) string {
				t.Helper()
				from := len(srv.sent(0, ""))
				if res := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1", Emojis: emojis})); res.Error != nil {
					t.Fatalf("react %q: %v", emojis, res.Error)
				}
				srv.sync() // its echo handled
				if got := tagmsgs(t, srv, from); len(got) != 1 {
					return ""
				}
				srv.mu.Lock()
				defer srv.mu.Unlock()
				return fmt.Sprintf("srv-%d", srv.msgid) // its echo's msgid
			}
			id := react("👍")
			if id == "" {
				t.Fatal("the reaction sent no TAGMSG")
			}
			switch by {
			case "another client":
				srv.send("@msgid=x-1 :kit!u@h REDACT #Room %s", id)
			default:
				if err := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.Retract{TargetId: id})).Error; err != nil {
					t.Fatalf("retract the reaction %s: %v", id, err)
				}
			}
			if got, want := reactionOrRetraction(t, evs), "reaction me in #room on ch-1: []"; got != want {
				t.Errorf("the REDACT of the user's reaction %s: %s; want %s", id, got, want)
			}
			if again := react("👍"); again == "" {
				t.Error("👍 added again after its REDACT sent no TAGMSG: the set still had it")
			}
		})
	}
}

// A reaction a catch-up brought (someone's, made while the connection
// was down) is known by its TAGMSG's msgid as one heard live is: a
// REDACT of it takes it back (the sender's set without it), live or in
// a later catch-up. A catch-up's REDACT of a reaction heard live does
// too. Before, only reactions heard live were known, and a catch-up's
// REDACT of one of those was a retraction too: the REDACT came as the
// retraction of a message the gateway never had, and the reaction
// stayed.
func TestRedactOfReactionFromHistory(t *testing.T) {
	srv := startScripted(t, "batch "+redactCaps+" draft/chathistory", "")
	at := func(i int) string { return histAt(i).Format(time.RFC3339Nano) }
	srv.mu.Lock()
	srv.history = []string{
		histLine(1),
		"@time=" + at(2) + ";msgid=t-2;+draft/reply=h-1;+draft/react=👍 :zoe!z@h TAGMSG #hist",
		"@time=" + at(3) + ";msgid=t-3;+draft/reply=h-1;+draft/react=🎉 :zoe!z@h TAGMSG #hist",
	}
	srv.mu.Unlock()
	_, _, hist, evs, _ := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "#hist")
	if got := eventIDs(nextBatch(t, hist)); !slices.Equal(got, []string{"h-1", "t-2", "t-3"}) {
		t.Fatalf("the join's history: %q; want h-1 and zoe's reactions t-2, t-3", got)
	}
	srv.send("@msgid=x-4 :zoe!z@h REDACT #hist t-2")
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: [🎉]"; got != want {
		t.Errorf("a live REDACT of the history's reaction t-2: %s; want %s", got, want)
	}
	// Heard live, taken back while the connection is down.
	srv.send("@time=%s;msgid=t-5;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG #hist", at(5))
	if got, want := reactionOrRetraction(t, evs), "reaction zoe in #hist on h-1: [🎉 ❤]"; got != want {
		t.Fatalf("zoe's live reaction: %s; want %s", got, want)
	}
	srv.mu.Lock()
	srv.history = append(srv.history,
		"@time="+at(5)+";msgid=t-5;+draft/reply=h-1;+draft/react=❤ :zoe!z@h TAGMSG #hist",
		histLine(6),
		"@time="+at(7)+";msgid=x-7 :zoe!z@h REDACT #hist t-5",
		"@time="+at(8)+";msgid=x-8 :zoe!z@h REDACT #hist t-3")
	srv.mu.Unlock()
	got := catchUpWords(t, srv, hist)
	want := []string{"message h-6", "reaction zoe in #hist on h-1: [🎉]", "reaction zoe in #hist on h-1: []"}
	if !slices.Equal(got, want) {
		t.Errorf("the rejoin's catch-up:\n%q\nwant:\n%q", got, want)
	}
}

// A REDACT of the user's reaction read while the React that sent it is
// still sending (its later lines wait for the login's pace) takes it
// out of the user's set: told as the set without it, and the React's
// end does not put it back. Before, the set was kept once the last
// line went: the REDACT found the reaction in no set and came as the
// retraction of a message the gateway never had, and the set then kept
// had the reaction, so that adding it again sent nothing. The REDACT
// may also be read after the last line went (a loaded machine): the
// set is then the same without it.
func TestRedactOfOwnReactionWhileSending(t *testing.T) {
	srv := startScripted(t, redactCaps, "")
	f := srv.fields("kit")
	// Five lines at once, then one each five seconds.
	f["channels"], f["throttle"] = "#Room", "0.2"
	p, evs, login := loginConnected(t, nil, f)
	cmds := p.Commands()
	emojis := []string{"👍", "🎉", "❤", "😀", "🙂", "🔥"}
	from := len(srv.sent(0, ""))
	srv.mu.Lock()
	first := fmt.Sprintf("srv-%d", srv.msgid+1) // the msgid of 👍's echo
	srv.mu.Unlock()
	done := cmds.Go(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1", Emojis: emojis}))
	tagmsgsCame := func(want int) func() bool {
		return func() bool { // under srv.mu
			n := 0
			for _, l := range srv.lines[from:] {
				if strings.Contains(l, " TAGMSG ") {
					n++
				}
			}
			return n >= want
		}
	}
	srv.wait("the burst's five TAGMSGs", tagmsgsCame(5))
	srv.send("@msgid=x-1 :kit!u@h REDACT #Room %s", first)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil || ev.GetRetraction() != nil })
	got := eventWords(ev)
	if r := ev.GetReaction(); r == nil || !ev.Sender.GetIsFromMe() || r.TargetId != "ch-1" || slices.Contains(r.Emojis, "👍") {
		t.Errorf("the REDACT of the user's 👍 (%s) while the React sends: %s; want the user's set on ch-1 without 👍", first, got)
	}
	if res := cmds.Wait(done); res.Error != nil {
		t.Fatalf("react: %v", res.Error)
	}
	// The last line read (the React's answer may come before it is).
	srv.wait("the sixth TAGMSG", tagmsgsCame(6))
	from = len(srv.sent(0, ""))
	if res := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1", Emojis: emojis})); res.Error != nil {
		t.Fatalf("react again: %v", res.Error)
	}
	srv.sync() // its lines read
	if got, want := tagmsgs(t, srv, from), []string{"TAGMSG #Room +draft/react=👍 +draft/reply=ch-1"}; !slices.Equal(got, want) {
		t.Errorf("the same set again, after 👍's REDACT: %q; want %q (👍 alone again)", got, want)
	}
}

// A reaction the user takes back from XMPP whose TAGMSG's msgid is
// known (its echo) goes as a REDACT of that TAGMSG where the server
// deletes messages (the draft/message-redaction spec's way; most
// servers and clients know no +draft/unreact, and left the reaction
// standing): no +draft/unreact, and the server's REDACT answering it is
// no retraction. The next React goes on from the set without it. A
// server without the capability, or a reaction whose msgid is unknown
// (no echo-message), gets +draft/unreact as before; so does one whose
// REDACT the server refuses (FAIL: too late to delete, say), after it.
// Before, it was +draft/unreact always.
func TestUnreactByRedact(t *testing.T) {
	const unreact = "TAGMSG #Room +draft/reply=ch-1 +draft/unreact=👍"
	for _, tc := range []struct {
		name, caps string
		refused    bool
		want       []string
	}{
		{"redaction", redactCaps, false, []string{"REDACT"}},
		{"redaction refused", redactCaps, true, []string{"REDACT", unreact}},
		{"no redaction", "message-tags server-time echo-message", false, []string{unreact}},
		{"no echo", "message-tags server-time draft/message-redaction", false, []string{unreact}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startScripted(t, tc.caps, "")
			p, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")
			cmds := p.Commands()
			react := func(emojis ...string) {
				t.Helper()
				if res := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.React{TargetId: "ch-1", Emojis: emojis})); res.Error != nil {
					t.Fatalf("react %q: %v", emojis, res.Error)
				}
				srv.sync() // its echo, where one comes, handled
			}
			react("👍")
			srv.mu.Lock()
			id := fmt.Sprintf("srv-%d", srv.msgid) // its echo's msgid, where it has one
			srv.mu.Unlock()
			if tc.refused {
				srv.mu.Lock()
				srv.redactFail = map[string]string{id: "REDACT_WINDOW_EXPIRED 300 :too late"}
				srv.mu.Unlock()
			}
			from := len(srv.sent(0, ""))
			react()
			want := slices.Clone(tc.want)
			if want[0] == "REDACT" {
				want[0] = "REDACT #Room " + id
			}
			if tc.refused {
				// The unreact goes once the FAIL is read.
				srv.wait("the unreact after the FAIL", func() bool {
					return slices.ContainsFunc(srv.lines[from:], func(l string) bool { return strings.Contains(l, "+draft/unreact=") })
				})
			}
			var got []string
			for _, l := range srv.sent(from, "") {
				if strings.HasPrefix(l, "REDACT ") {
					got = append(got, l)
				}
			}
			got = append(got, tagmsgs(t, srv, from)...)
			if !slices.Equal(got, want) {
				t.Errorf("👍 taken back: %q; want %q", got, want)
			}
			srv.sync() // the server's REDACT or echo handled
			// No retraction came of it: the next such event is bob's.
			srv.send("@msgid=b-1;+draft/reply=ch-1;+draft/react=🎉 :bob!b@h TAGMSG #Room")
			if got, want := reactionOrRetraction(t, evs), "reaction bob in #room on ch-1: [🎉]"; got != want {
				t.Errorf("after 👍 was taken back: %s; want %s", got, want)
			}
			from = len(srv.sent(0, ""))
			react("👍")
			if got, want := tagmsgs(t, srv, from), []string{"TAGMSG #Room +draft/react=👍 +draft/reply=ch-1"}; !slices.Equal(got, want) {
				t.Errorf("👍 again: %q; want %q", got, want)
			}
		})
	}
}
