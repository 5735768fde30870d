package whatsapp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Several photos sent from XMPP at once, each its own message (as a
// client sends them, one stanza a file), go as separate photos, each
// with its own file and caption, none lost or mixed up.
func TestFilesSentQuickly(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	const n = 5
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		name := fmt.Sprintf("p%d.jpg", i)
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: name, MimeType: "image/jpeg"}, strings.NewReader("JPEG "+name))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111", TxnID: "txn-" + name}, &pb.SendMessage{
				Attachments: []*pb.Attachment{{Name: name, MimeType: "image/jpeg", Caption: "caption " + name, Source: &pb.Attachment_UploadId{UploadId: id}}}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sent, _ := fake.WaitSent(n, eventWait)
	var got, ids []string
	for _, x := range sent {
		img := x.Msg.GetImageMessage()
		if img == nil {
			t.Fatalf("not a photo: %v", x.Msg)
		}
		file := string(fake.Media(img.GetDirectPath()))
		if "JPEG "+strings.TrimPrefix(img.GetCaption(), "caption ") != file {
			t.Errorf("photo %q has the file %q", img.GetCaption(), file)
		}
		got = append(got, file)
		ids = append(ids, x.ID)
	}
	slices.Sort(got)
	slices.Sort(ids)
	if len(got) != n || len(slices.Compact(ids)) != n {
		t.Errorf("sent %v as %v", got, ids)
	}
}
