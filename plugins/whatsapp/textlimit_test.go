package whatsapp

import (
	"context"
	"os"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A text over the MaxTextBytes the plugin declares (WhatsApp's 65536)
// is refused as TOO_LARGE, as the contract asks of the plugin (nothing
// else enforces it), before anything goes to WhatsApp: a message, a
// file's caption, a correction.
func TestTextLimit(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	long := strings.Repeat("a", maxTextBytes+1)
	if int64(maxTextBytes) != r.caps.MaxTextBytes {
		t.Fatalf("declared %d, enforced %d", r.caps.MaxTextBytes, maxTextBytes)
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: long}); codeOf(err) != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("long text: %v, want TOO_LARGE", err)
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: long, Attachments: []*pb.Attachment{
		{Name: "a.txt", MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("a")}}}}); codeOf(err) != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("long caption: %v, want TOO_LARGE", err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "X", TargetMeta: []byte("33600000000@s.whatsapp.net|1"), Text: long}); codeOf(err) != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("long correction: %v, want TOO_LARGE", err)
	}
	if sent := fake.Sent(); len(sent) != 0 {
		t.Errorf("sent %d messages", len(sent))
	}
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: long[1:]}); err != nil {
		t.Errorf("text at the limit: %v", err)
	}
}

// A send refused before its files went (too long a text, or an earlier
// file failing) leaves no uploaded file behind in the data folder: the
// gateway never names an upload twice.
func TestRefusedSendDropsUploads(t *testing.T) {
	r := newRig(t, "")
	s, _ := r.connected(t)
	ctx := context.Background()
	id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "a.txt", MimeType: "text/plain"}, strings.NewReader("a"))
	if err != nil {
		t.Fatal(err)
	}
	s.uploads.mu.Lock()
	path := s.uploads.files[id].path
	s.uploads.mu.Unlock()
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.SendMessage{Text: strings.Repeat("a", maxTextBytes+1),
		Attachments: []*pb.Attachment{{Name: "a.txt", MimeType: "text/plain", Source: &pb.Attachment_UploadId{UploadId: id}}}})
	if codeOf(err) != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Fatalf("send: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the upload's file is left: %v", err)
	}
	if _, ok := s.uploads.take(id); ok {
		t.Error("the upload is still listed")
	}
}
