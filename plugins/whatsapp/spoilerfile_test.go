package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A file marked as a spoiler (Attachment.spoiler: an XMPP client's
// <spoiler/> on a file sent without text, which the gateway passes on the
// file) goes hidden in the spoiler wrapper (field 118), the message's
// meta saying so (a caption corrected goes hidden); any file so marked
// is, the second of a message too; a file not marked goes plain. They
// went plain, the mark had no text to be a span over. Received back, the
// hidden photo carries the mark.
func TestSpoilerOutFileMarked(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	upload := func(name string) *pb.Attachment {
		t.Helper()
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: name, MimeType: "image/jpeg"}, strings.NewReader("JPEGDATA"))
		if err != nil {
			t.Fatal(err)
		}
		return &pb.Attachment{Name: name, MimeType: "image/jpeg", Source: &pb.Attachment_UploadId{UploadId: id}}
	}
	// sent is the nth message sent, and whether it came hidden.
	sent := func(n int) (*waE2E.Message, *waE2E.Message, bool) {
		t.Helper()
		all, err := fake.WaitSent(n+1, eventWait)
		if err != nil {
			t.Fatal(err)
		}
		in, w := unwrapped(all[n].Msg)
		return all[n].Msg, in, w.spoiler
	}

	hiddenCat := upload("cat.jpg")
	hiddenCat.Spoiler = true
	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Attachments: []*pb.Attachment{hiddenCat}})
	if err != nil {
		t.Fatal(err)
	}
	raw, in, hidden := sent(0)
	if !hidden || in.GetImageMessage() == nil {
		t.Fatalf("a photo marked as a spoiler: hidden %v, %v", hidden, in)
	}
	if m, err := decodeMeta(res.Meta); err != nil || !m.Spoiler {
		t.Errorf("its meta: %+v %v", m, err)
	}

	// Received back, as the contact's: the photo marked as a spoiler.
	b, err := proto.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var back waE2E.Message
	if err := proto.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "SPF1", Timestamp: time.Now()}, &back)
	ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "SPF1" })
	if atts := ev.GetMessage().GetAttachments(); len(atts) != 1 || !atts[0].GetSpoiler() {
		t.Errorf("read back: %v", ev.GetMessage())
	}

	// Two files, the second marked: it alone goes hidden.
	second := upload("dog.jpg")
	second.Spoiler = true
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Attachments: []*pb.Attachment{upload("plain.jpg"), second}}); err != nil {
		t.Fatal(err)
	}
	if _, in, hidden := sent(1); hidden || in.GetImageMessage() == nil {
		t.Errorf("the first file, not marked: hidden %v, %v", hidden, in)
	}
	if _, in, hidden := sent(2); !hidden || in.GetImageMessage() == nil {
		t.Errorf("the second file, marked: hidden %v, %v", hidden, in)
	}
}

// A photo WhatsApp shows hidden (in the spoiler wrapper) reaches the
// gateway with Attachment.spoiler set, its caption marked as a spoiler
// as before; a photo not wrapped, without it. The file was only said to
// be one, in text.
func TestSpoilerInFileMarked(t *testing.T) {
	photo := &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("look")}}
	for _, tc := range []struct {
		msg    *waE2E.Message
		hidden bool
	}{{withSpoiler(t, photo), true}, {photo, false}} {
		evt := (&events.Message{Info: direct(alice, "WSF"), RawMessage: tc.msg}).UnwrapRaw()
		if !unwrap(evt) {
			t.Fatal("dropped")
		}
		atts := testConv.message(evt).GetMessage().GetAttachments()
		if len(atts) != 1 || atts[0].GetSpoiler() != tc.hidden {
			t.Errorf("wrapped %v: %v", tc.hidden, atts)
		}
	}
}
