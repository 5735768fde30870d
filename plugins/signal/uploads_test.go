package signal_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An upload whose send failed is never named again (the user sends the
// file anew, a new upload): the plugin removes uploads a day old, not
// only those sent, so that failed sends of files do not fill the login's
// folder for good.
func TestStaleUploadsRemoved(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	d.Fail(carol, "NETWORK_FAILURE")
	id := upload(t, s.p, s.loginID, "big.mp4", []byte("a video"))
	if res := s.do(carol, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "big.mp4", Source: &pb.Attachment_UploadId{UploadId: id}}}}); res.Error == nil {
		t.Fatal("the send to carol went")
	}
	failed := filepath.Join(s.dir, "uploads", filepath.Dir(id))
	if _, err := os.Stat(failed); err != nil {
		t.Fatalf("the failed send's upload: %v", err)
	}
	// A day later, the next upload sweeps it (its plugin started anew:
	// the sweep runs at most once an hour).
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(failed, old, old); err != nil {
		t.Fatal(err)
	}
	s.crash()
	fresh := upload(t, s.p, s.loginID, "new.txt", []byte("new"))
	if _, err := os.Stat(failed); !os.IsNotExist(err) {
		t.Fatalf("the upload of a day ago is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "uploads", fresh)); err != nil {
		t.Fatalf("the fresh upload: %v", err)
	}
}
