package signal_test

import (
	"os"
	"path/filepath"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Files over the transport's max_attachment_bytes (Signal's 100 MiB) are
// refused as TOO_LARGE, as the contract wants of the plugin whatever the
// host checks: an upload that says its size before anything is written,
// a file given by path before signal-cli is asked.
func TestFileTooLarge(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const limit = 100 << 20

	ctx, cancel := s.p.CallContext()
	defer cancel()
	st, err := s.p.Client().UploadMedia(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.MediaChunk{LoginId: s.loginID, Info: &pb.MediaInfo{Name: "huge.mkv", Size: limit + 1}, Data: []byte("the start")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseAndRecv(); err == nil || sdk.FromGRPC(err).Code != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("an upload of %d bytes: %v, want TOO_LARGE", limit+1, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.dir, "uploads")); len(entries) != 0 {
		t.Errorf("the refused upload left %d folders", len(entries))
	}

	// A file by path (the gateway's incoming folder), sparse.
	path := filepath.Join(t.TempDir(), "huge.mkv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(limit + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	asked := d.Calls("send")
	res := s.do(bob, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "huge.mkv", Source: &pb.Attachment_Path{Path: path}}}})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("a file of %d bytes by path: %v, want TOO_LARGE", limit+1, res)
	}
	if n := d.Calls("send"); n != asked {
		t.Errorf("the file over the limit reached signal-cli")
	}
}
