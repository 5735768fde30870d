package irc_test

import (
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A channel joined with a topic set earlier: the chat names who set it
// and when (the server's 333 after its 332), so that the room's subject
// comes from its setter with its time, as biboumi shows it. Before, the
// subject came from the room itself, undated.
func TestTopicSetterAtJoin(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "Dave")
	dave.join("#t")
	before := time.Now().Add(-2 * time.Second)
	if err := dave.conn.Send("TOPIC", "#t", "the topic"); err != nil {
		t.Fatal(err)
	}
	dave.await("TOPIC", "the topic")

	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "kit", "#t"))
	p.Connect(login.LoginId, login.SavedState)
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetChat() != nil && ev.ChatId == "#t" })
	c := ev.GetChat().GetChat()
	at := time.UnixMicro(c.GetTopicUnixMicro())
	if c.GetTopic() != "the topic" || c.GetTopicSetterId() != "dave" || at.Before(before) || at.After(time.Now().Add(2*time.Second)) {
		t.Errorf("chat %v: want the topic set by dave, at %v (%v)", c, before, at)
	}
}
