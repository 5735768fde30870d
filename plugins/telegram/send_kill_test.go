package telegram_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
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

// As TestSendPluginKilled, with the order Telegram may give: the restarted
// plugin's catch-up (getDifference) brings dora's own message before the
// gateway's resend comes. The user sees it once (the resend's answer, no
// message from dora's other apps), and what dora sent from her phone and
// eve's answer, both while the plugin was down, still come.
func TestSendPluginKilledCatchUpFirst(t *testing.T) {
	srv, p, done := doraPlugin(t)
	p.Connect(done.LoginId, done.SavedState)
	eveChat := strconv.FormatInt(eve.ID, 10)
	send := plugintest.Act(done.LoginId, eveChat, "origin-44", &pb.SendMessage{Text: "sent once"})

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
	p.Kill()
	srv.Send(dora.ID, &tg.PeerUser{UserID: eve.ID}, "from my phone")
	srv.Send(eve.ID, &tg.PeerUser{UserID: dora.ID}, "eve answers")
	diffs := srv.Requests("updates.getDifference")
	p.Restart()
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)

	// The catch-up first: Telegram answered it, and the plugin had the
	// time to act on it (a second; without a hold, it emits at once).
	for srv.Requests("updates.getDifference") == diffs {
		if ctx.Err() != nil {
			t.Fatal("no updates.getDifference after the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	var got []*pb.Event
	answered := false
	res := p.Commands().Send(send)
	if res.Error != nil {
		t.Fatalf("the send sent again: %v", res.Error)
	}
	for !answered {
		ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		got = append(got, ev)
		answered = ev.GetMessage().Text == "eve answers"
	}
	var mine []*tg.Message
	for _, m := range srv.Messages(dora.ID) {
		if m.Message == "sent once" {
			mine = append(mine, m)
		}
	}
	if len(mine) != 1 || res.MessageId != strconv.Itoa(mine[0].ID) {
		t.Fatalf("the resend answered message %q; dora's box holds %d such", res.MessageId, len(mine))
	}
	phone := 0
	for _, ev := range got {
		m := ev.GetMessage()
		if m.Text == "sent once" || ev.EventId == res.MessageId {
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
