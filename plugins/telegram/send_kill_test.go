package telegram_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// The plugin process killed (SIGKILL) after Telegram took a message and
// before its answer reached the plugin: the gateway's resend of the
// command under its txn ID to the restarted plugin answers with the
// message sent, and eve gets it once (the send's random_id comes from
// the txn, and Telegram answers a repeated random_id with the message it
// made).
func TestSendPluginKilled(t *testing.T) {
	srv, p, done := doraPlugin(t)
	p.Connect(done.LoginId, done.SavedState)
	eveChat := strconv.FormatInt(eve.ID, 10)
	send := plugintest.Act(done.LoginId, eveChat, "origin-42", &pb.SendMessage{Text: "once only"})

	answerLost(t, srv, p, send)
	p.Restart() // kills the process first
	p.Connect(done.LoginId, done.SavedState)
	res := p.Commands().Send(send)
	if res.Error != nil {
		t.Fatalf("the send sent again: %v", res.Error)
	}
	var got []int
	for _, m := range srv.Messages(eve.ID) {
		if m.Message == "once only" {
			got = append(got, m.ID)
		}
	}
	if len(got) != 1 {
		t.Fatalf("eve got the message %d times, want once", len(got))
	}
	var mine []string
	for _, m := range srv.Messages(dora.ID) {
		if m.Message == "once only" {
			mine = append(mine, strconv.Itoa(m.ID))
		}
	}
	if len(mine) != 1 || res.MessageId != mine[0] {
		t.Errorf("the resend answered message %q; dora's box holds it as %v", res.MessageId, mine)
	}
	// Another message, another txn: sent.
	if r := p.Commands().Send(plugintest.Act(done.LoginId, eveChat, "origin-43", &pb.SendMessage{Text: "once only"})); r.Error != nil || r.MessageId == res.MessageId {
		t.Errorf("a second message with the same text: %v, ID %q (the first's %q)", r.Error, r.MessageId, res.MessageId)
	}
}

// killedMidSend sends text to eve under txn and kills the plugin once
// Telegram took the message, its answer lost; dora then sends "from my
// phone" to eve from another app and eve answers "eve answers". It
// restarts the plugin, opens its events and connects dora again, and
// returns the events and the send to repeat.
func killedMidSend(t *testing.T, srv *tgfake.Server, p *plugintest.Plugin, done *pb.CompleteStep, txn, text string) (*plugintest.EventStream, *pb.Command) {
	t.Helper()
	p.Connect(done.LoginId, done.SavedState)
	send := plugintest.Act(done.LoginId, strconv.FormatInt(eve.ID, 10), txn, &pb.SendMessage{Text: text})
	answerLost(t, srv, p, send)
	p.Kill()
	srv.Send(dora.ID, &tg.PeerUser{UserID: eve.ID}, "from my phone")
	srv.Send(eve.ID, &tg.PeerUser{UserID: dora.ID}, "eve answers")
	p.Restart()
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	return evs, send
}

// resentOnce checks the resend's answer: the one message text made in
// dora's box. Among the message events got, up to eve's answer, that
// message is absent (not from dora's other apps either) and dora's
// message from her phone is there once, from her.
func resentOnce(t *testing.T, srv *tgfake.Server, res *pb.CommandResult, text string, got []*pb.Event) {
	t.Helper()
	if res.Error != nil {
		t.Fatalf("the send sent again: %v", res.Error)
	}
	var mine []*tg.Message
	for _, m := range srv.Messages(dora.ID) {
		if m.Message == text {
			mine = append(mine, m)
		}
	}
	if len(mine) != 1 || res.MessageId != strconv.Itoa(mine[0].ID) {
		t.Fatalf("the resend answered message %q; dora's box holds %d such", res.MessageId, len(mine))
	}
	phone := 0
	for _, ev := range got {
		m := ev.GetMessage()
		if m.Text == text || ev.EventId == res.MessageId {
			t.Errorf("the resent message came as an event too (from dora's other apps: %v): %v", ev.Sender.GetIsFromMe(), ev)
		}
		if m.Text == "from my phone" {
			phone++
			if !ev.Sender.GetIsFromMe() {
				t.Errorf("dora's message from her phone not from her: %v", ev)
			}
		}
	}
	if phone != 1 {
		t.Errorf("dora's message from her phone came %d times, want once", phone)
	}
}

// untilAnswer reads message events up to eve's answer.
func untilAnswer(evs *plugintest.EventStream, got []*pb.Event) []*pb.Event {
	for {
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		got = append(got, ev)
		if ev.GetMessage().Text == "eve answers" {
			return got
		}
	}
}

// As TestSendPluginKilled, with the order Telegram may give: the restarted
// plugin's catch-up (getDifference) brings dora's own message before the
// gateway's resend comes. The user sees it once (the resend's answer, no
// message from dora's other apps), and what dora sent from her phone and
// eve's answer, both while the plugin was down, still come.
func TestSendPluginKilledCatchUpFirst(t *testing.T) {
	srv, p, done := doraPlugin(t)
	diffs := srv.Requests("updates.getDifference")
	evs, send := killedMidSend(t, srv, p, done, "origin-44", "sent once")
	// The catch-up first: Telegram answered it, and the plugin had the
	// time to act on it (a second; without a hold, it emits at once).
	ctx, cancel := p.CallContext()
	defer cancel()
	for srv.Requests("updates.getDifference") == diffs {
		if ctx.Err() != nil {
			t.Fatal("no updates.getDifference after the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	res := p.Commands().Send(send)
	resentOnce(t, srv, res, "sent once", untilAnswer(evs, nil))
}

// When Telegram's catch-up names the message of the lost send's random_id
// (updateMessageID, as it does for the device that sent it), the
// restarted plugin knows it as the gateway's at once: what came while it
// was down comes before any resend, without it.
func TestSendPluginKilledCatchUpNamesIt(t *testing.T) {
	srv, p, done := doraPlugin(t)
	srv.SetDifferenceMessageIDs(true)
	evs, send := killedMidSend(t, srv, p, done, "origin-45", "named once")
	start := time.Now()
	got := untilAnswer(evs, nil)
	if d := time.Since(start); d >= telegram.HoldFor/2 {
		t.Errorf("eve's answer came %v after the restart: held as if Telegram had not named the message", d)
	}
	res := p.Commands().Send(send)
	resentOnce(t, srv, res, "named once", got)
}

// answerLost sends send and waits until Telegram took the message and its
// answer was lost.
func answerLost(t *testing.T, srv *tgfake.Server, p *plugintest.Plugin, send *pb.Command) {
	t.Helper()
	lost := srv.DropAnswer("messages.sendMessage")
	first := p.Commands().Go(send)
	ctx, cancel := p.CallContext()
	defer cancel()
	select {
	case <-lost:
	case r := <-first:
		t.Fatalf("the send answered %v before Telegram took the message", r)
	case <-ctx.Done():
		t.Fatal("no messages.sendMessage")
	}
}
