package sdk

import (
	"slices"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An event whose text is not UTF-8 (a network's other charset) reaches
// the host with U+FFFD in place of what was not, journaled, and the
// stream goes on; one that is fine is untouched. Before, the journal
// refused it and the stream broke at every try (protobuf strings must be
// UTF-8), so the host restarted the plugin and the event was lost.
func TestEventNotUTF8Repaired(t *testing.T) {
	dir := t.TempDir()
	f := newFakeTransport()
	c, crash := startServerCrash(t, f, dir)
	r := openEvents(t, c)
	bad := msgEvent("caf\xe9")
	bad.Sender = &pb.Sender{UserId: "u1", Name: "J\xf6rg"}
	bad.GetMessage().Attachments = []*pb.Attachment{{Name: "r\xe9sum\xe9.pdf"}}
	f.Host().Emit(bad)
	f.Host().Emit(msgEvent("next"))
	if got := r.texts(t, 2); !slices.Equal(got, []string{"caf\uFFFD", "next"}) {
		t.Fatalf("got %q", got)
	}
	crash()
	r2 := openEvents(t, startServer(t, newFakeTransport(), dir))
	ev := r2.next(t)
	if ev.GetMessage().GetText() != "caf\uFFFD" || ev.Sender.GetName() != "J\uFFFDrg" || ev.GetMessage().Attachments[0].Name != "r\uFFFDsum\uFFFD.pdf" {
		t.Fatalf("replayed from the journal: %v", ev)
	}
}

func TestRepairUTF8(t *testing.T) {
	b := &pb.HistoryBatch{ChatId: "c", Events: []*pb.Event{msgEvent("ok"), msgEvent("\xff")}}
	if !repairUTF8(b.ProtoReflect()) {
		t.Fatal("nothing repaired")
	}
	if b.Events[0].GetMessage().Text != "ok" || b.Events[1].GetMessage().Text != "\uFFFD" {
		t.Fatalf("repaired: %v", b)
	}
	if repairUTF8(b.ProtoReflect()) {
		t.Fatal("repaired twice")
	}
	in := &pb.SubmitLoginInputRequest{Fields: map[string]string{"k": "v\xe9"}}
	if !repairUTF8(in.ProtoReflect()) || in.Fields["k"] != "v\uFFFD" {
		t.Fatalf("map value: %q", in.Fields)
	}
}
