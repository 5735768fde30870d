package bridge

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	"passerelle.im/passerelle/bridge/xmpplink"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestRoomReactionWaitsForReflection: echo-2's reaction to the user's
// groupchat message comes while the message's reflection waits behind
// an earlier message stuck at the plugin (results may come back in any
// order), longer than targetWait, shorter than reflectWait. The
// reaction waits for the reflection and names the room's stanza-id; it
// was dropped after targetWait as naming an unknown message.
func TestRoomReactionWaitsForReflection(t *testing.T) {
	tr, s, r := roomFixture(t)
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain, Secret: "x"}) // down: stanzas kept, never written
	tr.unconfirmed = newUnconfirmed(tr.link, tr.delivered)
	ctx := context.Background()
	login := s.LoginID()

	stuck := r.order.take() // an earlier message, its result not back
	tk := r.order.take()    // the user's message m2
	sendDone := s.sending.start(sendKey(login, r.chatID, "*"), sendKey(login, r.chatID, "m2"))
	react := &pb.Event{LoginId: login, ChatId: r.chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: "k2",
		Sender: &pb.Sender{UserId: "echo-2"}, TimestampUnixMicro: time.Now().UnixMicro(),
		Payload: &pb.Event_Reaction{Reaction: &pb.ReactionEvent{TargetId: "net-m2", Emojis: []string{"👍"}}}}
	w := tr.targetWaits(react)
	if w == nil {
		t.Fatal("the reaction does not wait for its target")
	}

	// m2's result comes at once; its reflection waits for the stuck
	// message, which settles past targetWait.
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='m2' type='groupchat'><body>two</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	reflected := make(chan struct{})
	go func() {
		defer close(reflected)
		defer sendDone()
		r.order.wait(tk, reflectWait)
		s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "net-m2", TimestampUnixMicro: time.Now().UnixMicro()}, &sentMsg{chatID: r.chatID, id: "m2"}, nil)
		r.order.done(tk)
	}()
	settle := time.AfterFunc(targetWait+time.Second, func() { r.order.done(stuck) })
	defer settle.Stop()

	// As the chat's delivery does (chatDelivery): wait, then render.
	start := time.Now()
	w.wait(ctx)
	waited := time.Since(start)
	out := tr.renderRoom(ctx, delivery{ev: react, xid: "x-k2"}, s)
	select {
	case <-reflected:
	case <-time.After(reflectWait):
		t.Fatal("the reflection never came")
	}
	if len(out) == 0 {
		t.Fatalf("the reaction was dropped after waiting %v (targetWait %v, reflectWait %v)", waited, targetWait, reflectWait)
	}
	sid, err := tr.db.ArchivedStanzaID(ctx, tr.roomKey(s.user, r.chatID), "net-m2")
	if err != nil {
		t.Fatalf("the reflection is not archived: %v", err)
	}
	for _, b := range out {
		if !bytes.Contains(b, []byte(`<reactions xmlns="urn:xmpp:reactions:0" id="`+sid+`"`)) {
			t.Errorf("the reaction does not name the room's stanza-id %s: %s", sid, b)
		}
	}
}

// TestRoomCommandWaitsForReflection: the user's own reaction (or
// correction, retraction) to their groupchat message looks the message
// up while its send is under way; the send ends once the reflection is
// stored, which may be past targetWait behind an earlier message. The
// lookup waits as long as the reflection may; it failed after
// targetWait ("the gateway does not know the message").
func TestRoomCommandWaitsForReflection(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	login := s.LoginID()
	sendDone := s.sending.start(sendKey(login, r.chatID, "*"), sendKey(login, r.chatID, "m2"))
	late := time.AfterFunc(targetWait+time.Second, func() {
		s.remember(ctx, sentMsg{chatID: r.chatID, id: "m2"}, &pb.CommandResult{MessageId: "net-m2"})
		sendDone()
	})
	defer late.Stop()
	ref, err := tr.lookupXMPP(ctx, login, r.chatID, "m2")
	if err != nil || ref.RemoteID != "net-m2" {
		t.Fatalf("lookup of m2 while its reflection waits: %+v, %v", ref, err)
	}
}

// TestLargeReflectionKeepsMapEntry: a reflection over MaxArchivePayload
// keeps its map entry (corrections and reactions still find the
// message), and is archived cut (room_archive_fit.go; the archive
// refused it before, which took the entry with it before that).
func TestLargeReflectionKeepsMapEntry(t *testing.T) {
	tr, s, r := roomFixture(t)
	tr.link = xmpplink.New(xmpplink.Config{Addr: "127.0.0.1:1", Domain: tr.domain, Secret: "x"}) // down: stanzas kept, never written
	tr.unconfirmed = newUnconfirmed(tr.link, tr.delivered)
	ctx := context.Background()
	body := strings.Repeat("x", store.MaxArchivePayload)
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='m3' type='groupchat'><body>` + body + `</body></message>`)
	if err != nil {
		t.Fatal(err)
	}
	s.reflect(ctx, st, r, &pb.CommandResult{MessageId: "net-m3"}, &sentMsg{chatID: r.chatID, id: "m3"}, nil)
	if ref, err := tr.db.LookupXMPP(tr.name, s.LoginID(), r.chatID, "m3"); err != nil || ref.RemoteID != "net-m3" {
		t.Errorf("map entry of a reflection the archive refused: %+v, %v", ref, err)
	}
	if _, err := tr.db.ArchivedStanzaID(ctx, tr.roomKey(s.user, r.chatID), "net-m3"); err != nil {
		t.Errorf("an over-long reflection not archived: %v", err)
	}
}
