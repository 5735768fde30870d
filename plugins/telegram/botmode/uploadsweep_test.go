package botmode_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A file spooled by UploadMedia that no send took (its message refused
// by Telegram, or never sent) is removed from the login's folder a day
// later, at the next upload: it stayed there, up to 50 MB each, until
// the login was removed. A recent one stays, for a resend after a
// restart.
func TestUploadsSweptAfterADay(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	dir := t.TempDir()
	s := newSession(t, api, h, dir)
	connect(t, s, h)
	ctx := context.Background()
	old, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "old.txt", Size: 3}, strings.NewReader("old"))
	if err != nil {
		t.Fatal(err)
	}
	api.setRefuse("sendDocument", "400", "Bad Request: wrong file")
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Attachments: []*pb.Attachment{
		{Name: "old.txt", Source: &pb.Attachment_UploadId{UploadId: old}}}}); err == nil {
		t.Fatal("the refused send went")
	}
	api.setRefuse("sendDocument", "", "")
	files, _ := filepath.Glob(filepath.Join(dir, "uploads", "*"+old+"*"))
	if len(files) != 2 {
		t.Fatalf("the refused send's upload: %v, want the file and its description kept", files)
	}
	dayAgo := time.Now().Add(-25 * time.Hour)
	for _, f := range files {
		if err := os.Chtimes(f, dayAgo, dayAgo); err != nil {
			t.Fatal(err)
		}
	}
	recent, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "new.txt", Size: 3}, strings.NewReader("new"))
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "uploads", "*"+old+"*")); len(left) != 0 {
		t.Errorf("a day-old upload left: %v", left)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Attachments: []*pb.Attachment{
		{Name: "old.txt", Source: &pb.Attachment_UploadId{UploadId: old}}}}); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a send of the swept upload: %v, want not found", err)
	}
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, &pb.SendMessage{Attachments: []*pb.Attachment{
		{Name: "new.txt", Source: &pb.Attachment_UploadId{UploadId: recent}}}}); err != nil {
		t.Errorf("a send of the recent upload: %v", err)
	}
}
