package bridge

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// TestCaptionEditKeepsFile: the network edits a caption onto a message
// that had a file and no text (delivered as the file alone, under the
// message's id). The caption comes as a message of its own replying to
// the file, not as a correction of it (which would show the text in the
// photo's place); a second edit corrects that caption message, and the
// message's retraction retracts it with the file. An edit
// of a message with text and a file still corrects the text.
func TestCaptionEditKeepsFile(t *testing.T) {
	tr := newTestTransport(t)
	tr.domain = "echo.localhost"
	ctx := context.Background()
	tr.setLogin(store.Login{Transport: "echo", UserJID: "alice@localhost", LoginID: "l"})
	edit := func(id, target, text string) string {
		t.Helper()
		ev := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: id, Sender: &pb.Sender{UserId: "bob"},
			Payload: &pb.Event_Edit{Edit: &pb.EditEvent{TargetId: target, Text: text}}}
		out := tr.render(ctx, delivery{ev: ev, xid: "x-" + id})
		if len(out) != 1 {
			t.Fatalf("edit %s: %d stanzas", id, len(out))
		}
		return string(out[0])
	}
	must(t, tr.db.PutMessages(ctx, []store.MessageRef{
		{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "photo", ID: "x1", Files: 1},
		{Transport: "echo", LoginID: "l", ChatID: "bob", RemoteID: "text", ID: "x2", Files: 1, Text: true},
	}))

	st := edit("e1", "photo", "the summit")
	if strings.Contains(st, "urn:xmpp:message-correct:0") {
		t.Fatalf("the caption corrects the file, which clients then show as text alone: %s", st)
	}
	if !strings.Contains(st, `<reply xmlns="urn:xmpp:reply:0" to="`) || !strings.Contains(st, `id="x1"`) || !strings.Contains(st, "<body>the summit</body>") {
		t.Fatalf("want the caption as a reply to the file: %s", st)
	}

	st = edit("e2", "photo", "the summit at dawn")
	if !strings.Contains(st, `<replace xmlns="urn:xmpp:message-correct:0" id="x-e1"`) || !strings.Contains(st, "<body>the summit at dawn</body>") {
		t.Fatalf("want the second edit to correct the caption message: %s", st)
	}

	retract := &pb.Event{LoginId: "l", ChatId: "bob", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: "r1", Sender: &pb.Sender{UserId: "bob"},
		Payload: &pb.Event_Retraction{Retraction: &pb.RetractionEvent{TargetId: "photo"}}}
	all := ""
	for _, st := range tr.render(ctx, delivery{ev: retract, xid: "x-r1"}) {
		all += string(st)
	}
	for _, id := range []string{"x1", "x-e1"} {
		if !strings.Contains(all, `<retract xmlns="urn:xmpp:message-retract:1" id="`+id+`"`) {
			t.Errorf("the retraction of the photo does not retract %s: %s", id, all)
		}
	}

	st = edit("e3", "text", "a new text")
	if !strings.Contains(st, `<replace xmlns="urn:xmpp:message-correct:0" id="x2"`) || strings.Contains(st, "urn:xmpp:reply:0") {
		t.Fatalf("want the text of a captioned file corrected: %s", st)
	}
}
