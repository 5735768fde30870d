package telegram

import (
	"bytes"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A file streamed in (UploadMedia) whose message Telegram refuses (a long
// FLOOD_WAIT) is still there for the same send again under its upload ID
// in the same run (it was taken by the refused send: NOT_FOUND, "no
// uploaded file", which the gateway streams again only after a restart);
// the user's next send of the same file uploads it anew; bob gets each
// whole, once. An upload whose message went is gone. One Telegram lost
// (FILE_PART_0_MISSING) is said so, to send the file again.
func TestUploadRefusedSentAgain(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	data := bytes.Repeat([]byte("report "), 40_000) // several parts
	upload := func() string {
		t.Helper()
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "report.txt", MimeType: "text/plain", Size: int64(len(data))}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	send := func(txn, id string) error {
		_, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: txn},
			&pb.SendMessage{Attachments: []*pb.Attachment{{Name: "report.txt", MimeType: "text/plain", Source: &pb.Attachment_UploadId{UploadId: id}}}})
		return err
	}
	from := len(srv.Messages(bob.ID))
	got := func() int {
		n := 0
		for _, m := range srv.Messages(bob.ID)[from:] {
			if m.Media == nil || !bytes.Equal(srv.Media(m.Media), data) {
				t.Fatalf("bob got %q with %v: not the file whole", m.Message, m.Media)
			}
			n++
		}
		return n
	}

	id := upload()
	srv.FailRequest("messages.sendMedia", 0, "FLOOD_WAIT_3600")
	if err := send("up-1", id); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Fatalf("a file in an hour's flood wait: %v, want rate-limited", err)
	}
	if err := send("up-1", id); err != nil {
		t.Fatalf("the same send again, under its upload ID: %v", err)
	}
	if n := got(); n != 1 {
		t.Fatalf("bob got the file %d times, want once", n)
	}
	if err := send("up-2", upload()); err != nil {
		t.Fatalf("the same file sent again, uploaded anew: %v", err)
	}
	if n := got(); n != 2 {
		t.Fatalf("bob got the file %d times, want twice", n)
	}
	if err := send("up-3", id); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("an upload whose message went, named again: %v, want not found", err)
	}

	lost := upload()
	srv.FailRequest("messages.sendMedia", 0, "FILE_PART_0_MISSING")
	if err := send("up-4", lost); sdk.ToProto(err).GetCode() != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !bytes.Contains([]byte(err.Error()), []byte("send the file again")) {
		t.Errorf("an upload Telegram lost: %v, want not found saying to send the file again", err)
	}
	if n := got(); n != 2 {
		t.Errorf("bob got the file %d times, want twice", n)
	}
}
