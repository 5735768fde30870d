package bridge

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The archive-only mark of a scroll-back's event survives the outbox's
// encoding (a restart before it was archived still keeps it from the
// joined resources), leaves the event otherwise as it was, and is set
// once however often it is marked.
func TestArchiveOnlyMark(t *testing.T) {
	ev := &pb.Event{EventId: "e1", LoginId: "l", ChatId: "g", IsBackfill: true,
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "old"}}}
	plain := proto.Clone(ev).(*pb.Event)
	if archiveOnly(ev) {
		t.Fatal("an unmarked event reads as archive-only")
	}
	markArchiveOnly(ev)
	markArchiveOnly(ev)
	if !archiveOnly(ev) {
		t.Fatal("a marked event does not read as archive-only")
	}
	b, err := encodeOutbox("pe-x", ev)
	if err != nil {
		t.Fatal(err)
	}
	xid, back, err := decodeOutbox(b)
	if err != nil || xid != "pe-x" {
		t.Fatalf("decode: %q %v", xid, err)
	}
	if !archiveOnly(back) {
		t.Fatal("the mark was lost in the outbox")
	}
	if n := len(back.ProtoReflect().GetUnknown()); n > 8 {
		t.Errorf("marked twice: %d bytes of unknown fields", n)
	}
	back.ProtoReflect().SetUnknown(nil)
	if !proto.Equal(back, plain) {
		t.Errorf("the event changed: %v, want %v", back, plain)
	}
	// An unmarked event through the outbox stays unmarked, and one with
	// another unknown field is not taken for marked.
	b, _ = encodeOutbox("pe-y", plain)
	if _, back, _ = decodeOutbox(b); archiveOnly(back) {
		t.Fatal("an unmarked event came back marked")
	}
	other := proto.Clone(plain).(*pb.Event)
	other.ProtoReflect().SetUnknown(append([]byte(nil), 0xa0, 0x9c, 0x01, 0x01)) // field 2500, varint 1
	if archiveOnly(other) {
		t.Fatal("another unknown field read as the mark")
	}
}

// A plugin cannot set the mark: the intake (fitEvent) drops what the
// contract does not name, so an event marked by the plugin reaches the
// user as any other.
func TestArchiveOnlyMarkNotFromPlugins(t *testing.T) {
	tr := newTestTransport(t)
	ev := &pb.Event{EventId: "e1", LoginId: "l", ChatId: "c", Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}}
	markArchiveOnly(ev)
	tr.fitEvent(ev)
	if archiveOnly(ev) {
		t.Fatal("a plugin's event kept the archive-only mark")
	}
}
