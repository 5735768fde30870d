package whatsapp

import (
	"context"
	"io"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A file whose length or hash disagrees with what its message says
// (whatsmeow's download warnings, the file whole and its MAC checked)
// downloads all the same, as the apps show it.
func TestDownloadWarnings(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.AddMedia("/v/long", []byte("%PDF-1.7"))
	fake.AddMedia("/v/hash", []byte("JPEGDATA"))
	for i, m := range []*waE2E.Message{
		{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/v/long"), Mimetype: proto.String("application/pdf"),
			FileName: proto.String("a.pdf"), FileLength: proto.Uint64(99)}},
		{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String("/v/hash"), Mimetype: proto.String("image/jpeg"),
			FileSHA256: []byte("not the hash of the file, 32 b.")}},
	} {
		from := r.host.count()
		id := types.MessageID("W" + string(rune('1'+i)))
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: id, Timestamp: when}, m)
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == string(id) })
		_, rc, err := s.DownloadMedia(ctx, ev.ChatId, ev.GetMessage().Attachments[0].GetRef())
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if want := map[int]string{0: "%PDF-1.7", 1: "JPEGDATA"}[i]; string(b) != want {
			t.Errorf("%s: downloaded %q, want %q", id, b, want)
		}
	}
}
