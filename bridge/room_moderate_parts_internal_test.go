package bridge

import (
	"bytes"
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestRoomModerationReachesFiles: the user moderates (XEP-0425) a
// member's message of text and a file, which went to the room as two
// stanzas (the file as RemoteID#1), naming the file's stanza-id, as a
// client names the one the user picked. The network deletes the whole
// message: the notice names both stanza-ids, on each joined resource,
// so that no part of it stays shown. Only the stanza-id asked for got
// one: the text stayed in the user's clients.
func TestRoomModerationReachesFiles(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	key := tr.roomKey(s.user, r.chatID)
	var sids []string
	for _, rid := range []string{"m9", "m9#1"} {
		res, err := tr.db.AppendArchive(ctx, key, []store.ArchivedMessage{{RemoteID: rid, Nick: "One", SenderJID: "echo-1@echo.localhost",
			Payload: []byte(`<message to="alice@localhost" type="groupchat"><body>spam ` + rid + `</body></message>`)}})
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, res[0].StanzaID)
	}
	ref := store.MessageRef{Transport: tr.name, LoginID: s.LoginID(), ChatID: r.chatID, RemoteID: "m9", ID: "x9", Files: 1, Text: true}
	if err := tr.db.PutMessages(ctx, []store.MessageRef{ref}); err != nil {
		t.Fatal(err)
	}
	// As moderate asks it, on the file's stanza-id; the network's
	// deletion event comes before the command's result.
	s.mu.Lock()
	s.moderating["m9"] = &moderation{stanzaID: sids[1], reason: "spam", ref: ref}
	s.mu.Unlock()
	ev := groupEv(nil)
	ev.Sender = &pb.Sender{UserId: "echo-1"}
	ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: "m9"}}
	out := tr.renderRoom(ctx, delivery{ev: ev, xid: "x-r9"}, s)
	for _, sid := range sids {
		n := 0
		for _, b := range out {
			if bytes.Contains(b, []byte(`<retract xmlns="urn:xmpp:message-retract:1" id="`+sid+`"><moderated`)) &&
				bytes.Contains(b, []byte("<reason>spam</reason>")) {
				n++
			}
		}
		if n != 2 { // to the phone and the laptop
			t.Errorf("moderation notice of stanza-id %s sent %d times, want one per joined resource: %q", sid, n, out)
		}
	}
	for _, rid := range []string{"m9", "m9#1"} {
		m, err := tr.db.LookupArchivedRemote(ctx, key, rid)
		if err != nil || bytes.Contains(m.Payload, []byte("spam")) {
			t.Errorf("%s in the archive after its moderation: %s (%v)", rid, m.Payload, err)
		}
	}
}
