package telegram_test

import (
	"strconv"
	"testing"

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
