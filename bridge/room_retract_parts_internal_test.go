package bridge

import (
	"bytes"
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestRoomRetractionReachesFiles: a member's message of text and a file
// went to the room as two archived copies (the file as RemoteID#1). Its
// retraction names both stanza-ids, and both copies leave the archive;
// the file stayed shown, and in the archive, with its words.
func TestRoomRetractionReachesFiles(t *testing.T) {
	tr, s, r := roomFixture(t)
	ctx := context.Background()
	key := tr.roomKey(s.user, r.chatID)
	var sids []string
	for _, rid := range []string{"m9", "m9#1"} {
		res, err := tr.db.AppendArchive(ctx, key, []store.ArchivedMessage{{RemoteID: rid, Nick: "One",
			Payload: []byte(`<message to="alice@localhost" type="groupchat"><body>secret ` + rid + `</body></message>`)}})
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, res[0].StanzaID)
	}
	if err := tr.db.PutMessages(ctx, []store.MessageRef{{Transport: tr.name, LoginID: s.LoginID(), ChatID: r.chatID,
		RemoteID: "m9", ID: "x9", Files: 1, Text: true}}); err != nil {
		t.Fatal(err)
	}
	ev := groupEv(nil)
	ev.Sender = &pb.Sender{UserId: "echo-1"}
	ev.Payload = &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: "m9"}}
	out := tr.renderRoom(ctx, delivery{ev: ev, xid: "x-r9"}, s)
	for _, sid := range sids {
		n := 0
		for _, b := range out {
			if bytes.Contains(b, []byte(`<retract xmlns="urn:xmpp:message-retract:1" id="`+sid+`"`)) {
				n++
			}
		}
		if n != 2 { // to the phone and the laptop
			t.Errorf("retraction of stanza-id %s sent %d times, want one per joined resource", sid, n)
		}
	}
	// The tombstones are written as renderRoom returns.
	for _, rid := range []string{"m9", "m9#1"} {
		m, err := tr.db.LookupArchivedRemote(ctx, key, rid)
		if err != nil || bytes.Contains(m.Payload, []byte("secret")) {
			t.Errorf("%s in the archive after its retraction: %s (%v)", rid, m.Payload, err)
		}
	}
}
