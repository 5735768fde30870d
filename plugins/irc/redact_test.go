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

// redactCaps are the capabilities of a server that deletes messages,
// as Ergo.
const redactCaps = "message-tags server-time echo-message draft/message-redaction"

// The user's retraction (XEP-0424) of their own message, or a
// moderator's (XEP-0425) of another's, is a REDACT of its msgid, in a
// channel and privately; the server's REDACT from the user confirms it,
// and its FAIL is the error the user reads (not allowed, too late, not
// known), nothing claimed. Before, Retract was refused UNSUPPORTED (no
// sdk.Retractor) and nothing was sent.
func TestRetractSendsRedact(t *testing.T) {
	srv := startScripted(t, redactCaps, "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "#Room")
	cmds := p.Commands()
	send := func(chat, text string) string {
		t.Helper()
		res := cmds.Send(plugintest.Act(login.LoginId, chat, "", &pb.SendMessage{Text: text}))
		if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
			t.Fatalf("send %q: %v; want the server's msgid", text, res)
		}
		return res.MessageId
	}
	retract := func(chat, id string) *pb.Error {
		t.Helper()
		return cmds.Send(plugintest.Act(login.LoginId, chat, "", &pb.Retract{TargetId: id})).Error
	}

	inRoom := send("#room", "oops")
	if err := retract("#room", inRoom); err != nil {
		t.Fatalf("retract %s in #room: %v", inRoom, err)
	}
	srv.got("REDACT #Room " + inRoom)
	private := send("bob", "wrong window")
	if err := retract("bob", private); err != nil {
		t.Fatalf("retract %s to bob: %v", private, err)
	}
	srv.got("REDACT bob " + private)
	// A message of two lines: both deleted, by the msgids its result's
	// meta keeps (the gateway hands it back). Before, the second line
	// stayed on IRC.
	res := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.SendMessage{Text: "first\nsecond"}))
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	srv.got("PRIVMSG #Room second")
	from := len(srv.sent(0, ""))
	if err := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.Retract{TargetId: res.MessageId, TargetMeta: res.Meta})).Error; err != nil {
		t.Fatalf("retract a message of two lines: %v", err)
	}
	if got := srv.sent(from, "REDACT"); len(got) != 2 || got[0] != "REDACT #Room "+res.MessageId || !strings.HasPrefix(got[1], "REDACT #Room srv-") || got[1] == got[0] {
		t.Errorf("retract a message of two lines sent %q; want a REDACT of each line's msgid", got)
	}
	// Another's message, as a channel operator (XEP-0425).
	if err := retract("#room", "their-1"); err != nil {
		t.Fatalf("retract another's message: %v", err)
	}
	srv.got("REDACT #Room their-1")

	srv.mu.Lock()
	srv.redactFail = map[string]string{
		"their-2": "REDACT_FORBIDDEN :You are not authorised to delete this message",
		"old-1":   "REDACT_WINDOW_EXPIRED 300 :You can no longer edit this message",
		"gone-1":  "UNKNOWN_MSGID :This message does not exist or is too old",
	}
	srv.mu.Unlock()
	for _, c := range []struct {
		id   string
		code pb.ErrorCode
		says string
	}{
		{"their-2", pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "you may not delete this message"},
		{"old-1", pb.ErrorCode_ERROR_CODE_EXPIRED, "300 seconds"},
		{"gone-1", pb.ErrorCode_ERROR_CODE_NOT_FOUND, "does not know the message"},
	} {
		err := retract("#room", c.id)
		if err == nil || err.Code != c.code || !strings.Contains(err.Text, c.says) {
			t.Errorf("retract %s refused by the server: %v; want %v saying %q", c.id, err, c.code, c.says)
		}
	}
	// A refusal answers its own REDACT only: the next one goes through.
	if err := retract("#room", "their-3"); err != nil {
		t.Errorf("retract after refusals: %v", err)
	}
	// The server's REDACT of the msgid in another chat is no answer to
	// the user's: the message asked for is not said deleted. Before,
	// any REDACT of the msgid from the user was taken as the success.
	srv.mu.Lock()
	srv.redactEchoTo = map[string]string{"their-4": "#Other"}
	srv.mu.Unlock()
	if err := retract("#room", "their-4"); err == nil || err.Code != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("retract answered by a REDACT in another channel: %v, want UNAVAILABLE (not said deleted)", err)
	}
}

// Without draft/message-redaction, or for a message without a server
// msgid (no echo-message: the plugin's own ID), a retraction is
// UNSUPPORTED, saying why, and nothing goes to the server; the login's
// CONNECTED state says it has no retractions there, and has them where
// the server deletes messages. Before, Retract was refused the same
// for want of an sdk.Retractor, and the login said nothing.
func TestRetractWithoutRedaction(t *testing.T) {
	for _, c := range []struct {
		name, caps string
		says       string
		features   bool // the login's CONNECTED has retractions
	}{
		{"no capability", "message-tags server-time echo-message", "draft/message-redaction", false},
		{"no msgid", "message-tags server-time draft/message-redaction", "no ID of the server's", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startScripted(t, c.caps, "")
			p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
			evs := p.Events()
			f := srv.fields("kit")
			f["channels"] = "#room"
			login := p.Login("", f)
			p.Connect(login.LoginId, login.SavedState)
			st := evs.NextEvent(func(ev *pb.Event) bool {
				return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
			}).GetLoginState()
			if has := st.Features == nil || st.Features.Retractions; has != c.features {
				t.Errorf("CONNECTED with features %v: retractions %v, want %v", st.Features, has, c.features)
			}
			cmds := p.Commands()
			res := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.SendMessage{Text: "hi"}))
			if res.Error != nil {
				t.Fatal(res.Error)
			}
			id := res.MessageId
			if c.features {
				// Without echo-message the plugin's own ID; with it,
				// no capability: the server's.
				if strings.HasPrefix(id, "srv-") {
					t.Fatalf("sent without echo-message: %s, want an ID of the plugin's", id)
				}
			}
			err := cmds.Send(plugintest.Act(login.LoginId, "#room", "", &pb.Retract{TargetId: id})).Error
			if err == nil || err.Code != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(err.Text, c.says) {
				t.Errorf("retract: %v; want UNSUPPORTED saying %q", err, c.says)
			}
			srv.sync()
			if got := srv.sent(0, "REDACT"); len(got) != 0 {
				t.Errorf("sent %q", got)
			}
		})
	}
}

// Someone's REDACT, in a channel or to the user, is the retraction of
// the message it names; one of the user's from another client of
// theirs too, in their chat with the nick; a REDACT of a reaction's
// TAGMSG takes that reaction back. Before, REDACT was ignored: the
// message stayed in the room.
func TestRedactReceived(t *testing.T) {
	srv := startScripted(t, redactCaps, "")
	_, evs, login := scriptedLogin(t, srv, "", "kit", "#Room")
	next := func() *pb.Event {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool { return ev.GetRetraction() != nil })
	}
	want := func(ev *pb.Event, chat, from, target string, typ pb.ChatType, mine bool) {
		t.Helper()
		if ev.ChatId != chat || ev.Sender.GetUserId() != from || ev.GetRetraction().GetTargetId() != target || ev.ChatType != typ || ev.Sender.GetIsFromMe() != mine {
			t.Errorf("retraction %v; want %s's of %s in %s", ev, from, target, chat)
		}
	}
	srv.send("@msgid=x-1 :op!o@h REDACT #Room ch-1 :spam")
	want(next(), "#room", "op", "ch-1", pb.ChatType_CHAT_TYPE_GROUP, false)
	srv.send("@msgid=x-2 :bob!b@h REDACT kit in-1")
	want(next(), "bob", "bob", "in-1", pb.ChatType_CHAT_TYPE_DIRECT, false)
	srv.send("@msgid=x-3 :bob!b@h REDACT dave in-2") // not to the user: none
	srv.send("@msgid=x-4 :kit!u@h REDACT dave out-1")
	want(next(), "dave", login.LoginId, "out-1", pb.ChatType_CHAT_TYPE_DIRECT, true)

	srv.send("@msgid=r-1;+draft/reply=ch-5;+draft/react=👍 :zoe!z@h TAGMSG #Room")
	srv.send("@msgid=r-2;+draft/reply=ch-5;+draft/react=🎉 :zoe!z@h TAGMSG #Room")
	for range 2 {
		evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil })
	}
	srv.send("@msgid=x-5 :zoe!z@h REDACT #Room r-1")
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil || ev.GetRetraction() != nil })
	if r := ev.GetReaction(); r == nil || r.TargetId != "ch-5" || !slices.Equal(r.Emojis, []string{"🎉"}) || ev.Sender.GetUserId() != "zoe" {
		t.Errorf("a reaction redacted: %v; want zoe's set on ch-5 without 👍", ev)
	}
	// A REDACT naming #Room's reaction in another channel takes
	// nothing back in #Room: it is that channel's (unknown) message's
	// retraction, which the gateway finds no message for.
	srv.send("@msgid=x-6 :zoe!z@h REDACT #Other r-2")
	ev = evs.NextEvent(func(ev *pb.Event) bool { return ev.GetReaction() != nil || ev.GetRetraction() != nil })
	want(ev, "#other", "zoe", "r-2", pb.ChatType_CHAT_TYPE_GROUP, false)
}

// In chathistory, a REDACT line deletes the message it names: the
// message is not in the batch (the server kept it beside its REDACT),
// and a catch-up's REDACT of a message the gateway had is its
// retraction; a message deleted live is not brought back by a later
// backfill. Before, the deleted message came back from history.
func TestRedactInHistory(t *testing.T) {
	srv := startScripted(t, "batch "+redactCaps+" draft/chathistory", "")
	redactAt := func(i int, id string) string {
		return fmt.Sprintf("@time=%s;msgid=x-%d :bob!b@h REDACT #hist %s", histAt(i).Format(time.RFC3339Nano), i, id)
	}
	srv.mu.Lock()
	srv.history = []string{histLine(1), histLine(2), histLine(3), redactAt(4, "h-2")}
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, []byte(`{"reconnect_min":"20ms","reconnect_max":"50ms"}`), "#hist")
	b := nextBatch(t, hist)
	var ids []string
	for _, ev := range b.Events {
		ids = append(ids, ev.EventId)
	}
	if !slices.Equal(ids, []string{"h-1", "h-3"}) {
		t.Fatalf("the join's history: %v; want h-1, h-3 (h-2 deleted)", ids)
	}

	// Deleted live, then fetched again: not brought back.
	srv.send("@msgid=x-9 :bob!b@h REDACT #hist h-3")
	evs.NextEvent(func(ev *pb.Event) bool { return ev.GetRetraction().GetTargetId() == "h-3" })
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	b = nextBatch(t, hist)
	for _, ev := range b.Events {
		if ev.GetMessage() != nil && (ev.EventId == "h-2" || ev.EventId == "h-3") {
			t.Errorf("backfill brought back deleted %s", ev.EventId)
		}
	}

	// Deleted while the connection was down: the rejoin's catch-up
	// retracts h-1, which the gateway has.
	srv.mu.Lock()
	srv.history = append(srv.history, histLine(5), redactAt(6, "h-1"))
	srv.mu.Unlock()
	srv.hangUp()
	for {
		b = nextBatch(t, hist)
		if len(b.Events) > 0 {
			break
		}
	}
	var got []string
	for _, ev := range b.Events {
		switch {
		case ev.GetMessage() != nil:
			got = append(got, "message "+ev.EventId)
		case ev.GetRetraction() != nil:
			got = append(got, "retraction of "+ev.GetRetraction().TargetId+" by "+ev.Sender.GetUserId())
		}
	}
	if !slices.Equal(got, []string{"message h-5", "retraction of h-1 by bob"}) {
		t.Errorf("the rejoin's catch-up: %q; want h-5 and h-1's retraction", got)
	}
}

// Deletion that comes (CAP NEW, a bouncer's upstream connecting) or
// goes (CAP DEL) after the login said it was connected: the login's
// CONNECTED is said again with its features, retractions on or off, and
// a retraction after the DEL is UNSUPPORTED, nothing sent.
func TestRedactionComesAndGoes(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, login := loginConnected(t, nil, srv.fields("kit"))
	connected := func() *pb.LoginStateEvent {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool {
			return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		}).GetLoginState()
	}
	srv.send(":srv CAP kit NEW :draft/message-redaction")
	if f := connected().Features; f != nil && !f.Retractions {
		t.Errorf("CONNECTED after CAP NEW: features %v, want retractions", f)
	}
	cmds := p.Commands()
	if err := cmds.Send(plugintest.Act(login.LoginId, "bob", "", &pb.Retract{TargetId: "srv-9"})).Error; err != nil {
		t.Errorf("retract after CAP NEW: %v", err)
	}
	srv.got("REDACT bob srv-9")

	srv.mu.Lock()
	delete(srv.acked, "draft/message-redaction")
	srv.mu.Unlock()
	srv.send(":srv CAP kit DEL :draft/message-redaction")
	if f := connected().Features; f == nil || f.Retractions {
		t.Errorf("CONNECTED after CAP DEL: features %v, want no retractions", f)
	}
	from := len(srv.sent(0, ""))
	if err := cmds.Send(plugintest.Act(login.LoginId, "bob", "", &pb.Retract{TargetId: "srv-10"})).Error; err == nil || err.Code != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("retract after CAP DEL: %v, want UNSUPPORTED", err)
	}
	srv.sync()
	if got := srv.sent(from, "REDACT"); len(got) != 0 {
		t.Errorf("sent after CAP DEL: %q", got)
	}
}

// A REDACT deletes the message of its msgid in its own chat only: a
// message of that msgid in another chat still comes with that chat's
// history. Before, a REDACT anywhere noted the msgid deleted for every
// chat, and #hist's h-1 was left out of its backfill after a REDACT in
// #other.
func TestRedactKeptToItsChat(t *testing.T) {
	srv := startScripted(t, "batch "+redactCaps+" draft/chathistory", "")
	srv.mu.Lock()
	srv.history = []string{histLine(1), histLine(2)}
	srv.mu.Unlock()
	p, ctx, hist, evs, login := histLogin(t, srv, nil, "#hist")
	if got := eventIDs(nextBatch(t, hist)); !slices.Equal(got, []string{"h-1", "h-2"}) {
		t.Fatalf("the join's history: %q; want h-1, h-2", got)
	}
	srv.send("@msgid=x-1 :bob!b@h REDACT #other h-1")
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetRetraction().GetTargetId() == "h-1" && ev.ChatId == "#other"
	})
	srv.send("@msgid=x-2 :bob!b@h REDACT #hist h-2")
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetRetraction().GetTargetId() == "h-2" && ev.ChatId == "#hist"
	})
	if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(nextBatch(t, hist)); !slices.Equal(got, []string{"h-1"}) {
		t.Errorf("the backfill of #hist: %q; want h-1 alone (h-2 deleted in #hist, h-1's REDACT #other's)", got)
	}
}
