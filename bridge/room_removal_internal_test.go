package bridge

import (
	"bytes"
	"context"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// othersMessage archives and maps a message of echo-1's in r, m7, and
// returns its stanza-id.
func othersMessage(t *testing.T, tr *transport, s *session, r *room) string {
	t.Helper()
	ctx := context.Background()
	res, err := tr.db.AppendArchive(ctx, tr.roomKey(s.user, r.chatID), []store.ArchivedMessage{{RemoteID: "m7", Nick: "One",
		SenderJID: "echo-1@echo.localhost", Payload: []byte(`<message to="alice@localhost" type="groupchat"><body>buy cheap pills</body></message>`)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.db.PutMessages(ctx, []store.MessageRef{{Transport: tr.name, LoginID: s.LoginID(), ChatID: r.chatID,
		RemoteID: "m7", ID: "x7", Text: true}}); err != nil {
		t.Fatal(err)
	}
	return res[0].StanzaID
}

// moderatedCount counts the moderation notices of stanza-id sid in out.
func moderatedCount(out []*wire.Stanza, sid string) int {
	n := 0
	for _, st := range out {
		if rt := st.Child(nsRetract, "retract"); rt != nil && rt.Attr("id") == sid && rt.Child(nsModerate, "moderated") != nil {
			n++
		}
	}
	return n
}

// parsed parses the stanzas renderRoom returned.
func parsed(t *testing.T, out [][]byte) []*wire.Stanza {
	t.Helper()
	var sts []*wire.Stanza
	for _, b := range out {
		st, err := wire.Parse(string(b))
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		sts = append(sts, st)
	}
	return sts
}

// ownDeletionEvent is the network's word that the user deleted m7.
func ownDeletionEvent() *pb.Event {
	ev := groupEv(nil)
	ev.Sender = &pb.Sender{UserId: "alice-echo", IsFromMe: true}
	ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: "m7"}}
	return ev
}

// TestOthersMessageRetractedResultFirst: the user retracts (XEP-0424)
// another member's message, which the network deletes for everyone (a
// group admin's right), and the command's result comes before the
// network's deletion event. The reflection brings the moderation notice
// (XEP-0425, clients drop a retraction from a non-author), once per
// joined resource, and the event after it shows nothing again. Before,
// the reflection only tombstoned the message and the event then found
// the tombstone: no notice at all (TestNetworkDeleteOfAnothersMessage
// failed now and then, when the result came first).
func TestOthersMessageRetractedResultFirst(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	sid := othersMessage(t, tr, s, r)
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='r1' type='groupchat'><retract xmlns='urn:xmpp:message-retract:1' id='` + sid + `'/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	s.reflect(ctx, st, r, &pb.CommandResult{}, nil, nil)
	if n := moderatedCount(sent(), sid); n != 2 {
		t.Fatalf("%d moderation notices with the reflection, want one per joined resource", n)
	}
	if n := moderatedCount(parsed(t, tr.renderRoom(ctx, delivery{ev: ownDeletionEvent(), xid: "x-d7"}, s)), sid); n != 0 {
		t.Errorf("the network's deletion event showed the moderation again (%d notices)", n)
	}
	if m, err := tr.db.LookupArchivedRemote(ctx, tr.roomKey(s.user, r.chatID), "m7"); err != nil || bytes.Contains(m.Payload, []byte("pills")) {
		t.Errorf("the message is still in the archive: %s (%v)", m.Payload, err)
	}
}

// TestOthersMessageRetractedEventFirst: the same with the network's
// deletion event first: it shows the notices, and the reflection after
// it none.
func TestOthersMessageRetractedEventFirst(t *testing.T) {
	tr, s, r, sent := linkedRoom(t)
	ctx := context.Background()
	sid := othersMessage(t, tr, s, r)
	if n := moderatedCount(parsed(t, tr.renderRoom(ctx, delivery{ev: ownDeletionEvent(), xid: "x-d7"}, s)), sid); n != 2 {
		t.Fatalf("%d moderation notices from the network's deletion event, want one per joined resource", n)
	}
	st, err := wire.Parse(`<message from='alice@localhost/phone' to='g1@echo.localhost' id='r1' type='groupchat'><retract xmlns='urn:xmpp:message-retract:1' id='` + sid + `'/></message>`)
	if err != nil {
		t.Fatal(err)
	}
	s.reflect(ctx, st, r, &pb.CommandResult{}, nil, nil)
	if n := moderatedCount(sent(), sid); n != 0 {
		t.Errorf("the reflection showed the moderation again (%d notices)", n)
	}
}
