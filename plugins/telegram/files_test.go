package telegram

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// pdf is an attachment of a small document named name.
func pdf(name string) *pb.Attachment {
	return &pb.Attachment{Name: name, MimeType: "application/pdf", Source: &pb.Attachment_Data{Data: bytes.Repeat([]byte(name), 100)}}
}

// fileName is the name of a message's document; "" for none.
func fileName(m *tg.Message) string {
	md, ok := m.Media.(*tg.MessageMediaDocument)
	if !ok {
		return ""
	}
	doc, _ := md.Document.(*tg.Document)
	for _, a := range doc.Attributes {
		if f, ok := a.(*tg.DocumentAttributeFilename); ok {
			return f.FileName
		}
	}
	return ""
}

// newIn is what bob's box got after its first from messages: each file's
// name, or the text.
func newIn(srv *tgfake.Server, from int) []string {
	var got []string
	for _, m := range srv.Messages(bob.ID)[from:] {
		if n := fileName(m); n != "" {
			got = append(got, n+":"+m.Message)
		} else {
			got = append(got, m.Message)
		}
	}
	return got
}

// A caption longer than Telegram takes with a file (1,024 UTF-16 code
// units; Telegram answers MEDIA_CAPTION_TOO_LONG, after the upload) goes
// as a message of its own right after its file, its formatting kept: it
// failed the whole send before. A caption of exactly 1,024 (a character
// outside the BMP counting twice) stays the caption.
func TestLongCaptionAfterFile(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	long := strings.Repeat("words ", 200) + "end" // 1,203
	from := len(srv.Messages(bob.ID))
	res, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002", TxnID: "long-caption"}, &pb.SendMessage{Text: long,
		Spans: []*pb.Span{{Start: 0, End: 5, Style: pb.Span_STYLE_BOLD}}, Attachments: []*pb.Attachment{pdf("a.pdf")}})
	if err != nil {
		t.Fatalf("a file with a long caption: %v", err)
	}
	box := srv.Messages(bob.ID)[from:]
	if got := newIn(srv, from); len(got) != 2 || got[0] != "a.pdf:" || got[1] != long {
		t.Fatalf("bob got %q: want the file, then the text", got)
	}
	if len(box[1].Entities) != 1 {
		t.Errorf("the text's entities %v: want the bold kept", box[1].Entities)
	}
	mine := srv.Messages(alice.ID)
	if res.MessageID != strconv.Itoa(mine[len(mine)-2].ID) {
		t.Errorf("result %q: want the file's message %d", res.MessageID, mine[len(mine)-2].ID)
	}
	exact := strings.Repeat("x", captionMax-2) + "😀"
	from = len(srv.Messages(bob.ID))
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: exact, Attachments: []*pb.Attachment{pdf("b.pdf")}}); err != nil {
		t.Fatal(err)
	}
	if got := newIn(srv, from); len(got) != 1 || got[0] != "b.pdf:"+exact {
		t.Errorf("bob got %q: want the file with its caption of 1,024", got)
	}
}

// A send of several files whose second fails once the first went: the
// error says which went and which did not (the failure's code kept); a
// resend of the same txn sends the rest, not the first again.
func TestFilesPartlySent(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	msg := &pb.SendMessage{Text: "three", Attachments: []*pb.Attachment{pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")}}
	call := sdk.Call{ChatID: "1002", TxnID: "three-files"}
	from := len(srv.Messages(bob.ID))
	srv.FailRequest("messages.sendMedia", 1, "MEDIA_INVALID")
	_, err := s.SendMessage(ctx, call, msg)
	var se *sdk.Error
	if !errors.As(err, &se) {
		t.Fatalf("a send half done: %v, want an error", err)
	}
	for _, w := range []string{"a.pdf went", "b.pdf failed", "MEDIA_INVALID", "not sent: c.pdf"} {
		if !strings.Contains(se.Text, w) {
			t.Errorf("error %q: want it to say %q", se.Text, w)
		}
	}
	if got := newIn(srv, from); len(got) != 1 || got[0] != "a.pdf:three" {
		t.Fatalf("bob got %q: want a.pdf alone", got)
	}
	if _, err := s.SendMessage(ctx, call, msg); err != nil {
		t.Fatal(err)
	}
	if got := newIn(srv, from); len(got) != 3 || got[1] != "b.pdf:" || got[2] != "c.pdf:" {
		t.Errorf("bob got %q after the resend: want a.pdf once, then b.pdf and c.pdf", got)
	}
	// Nothing went: the error as it is.
	srv.FailRequest("messages.sendMedia", 0, "MEDIA_INVALID")
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Attachments: []*pb.Attachment{pdf("d.pdf"), pdf("e.pdf")}})
	if !errors.As(err, &se) || strings.Contains(se.Text, "went") || !strings.Contains(se.Text, "MEDIA_INVALID") {
		t.Errorf("a send that failed at its first file: %v", err)
	}
}

// Telegram takes files of at most 2,000 MiB (4,000 parts of 512 KiB):
// the transport says so, and a larger file is refused, TOO_LARGE, before
// anything is uploaded or sent (by path, as data, streamed in with its
// size), or once the stream passes it when its size is not known.
func TestFileTooLarge(t *testing.T) {
	n := New()
	caps, err := n.Init(context.Background(), sdk.InitRequest{}, newTestHost())
	if err != nil {
		t.Fatal(err)
	}
	if caps.MaxAttachmentBytes != 2000<<20 {
		t.Errorf("max_attachment_bytes %d, want 2000 MiB", caps.MaxAttachmentBytes)
	}
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	defer func(m int64) { MaxFileBytes = m }(MaxFileBytes)
	MaxFileBytes = 1000
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, make([]byte, 1001), 0o600); err != nil {
		t.Fatal(err)
	}
	tooLargeErr := func(what string, err error) {
		t.Helper()
		var se *sdk.Error
		if !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_TOO_LARGE || !strings.Contains(se.Text, "at most") && !strings.Contains(se.Text, "larger than") {
			t.Errorf("%s: %v, want TOO_LARGE saying the limit", what, err)
		}
	}
	uploads := srv.Requests("upload.saveFilePart") + srv.Requests("upload.saveBigFilePart")
	sends := len(srv.Messages(bob.ID))
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: "big", Attachments: []*pb.Attachment{
		pdf("small.pdf"), {Name: "big.bin", Source: &pb.Attachment_Path{Path: big}}}})
	tooLargeErr("by path", err)
	_, err = s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Attachments: []*pb.Attachment{
		{Name: "big.bin", Source: &pb.Attachment_Data{Data: make([]byte, 1001)}}}})
	tooLargeErr("as data", err)
	_, err = s.UploadMedia(ctx, &pb.MediaInfo{Name: "big.bin", Size: 1001}, bytes.NewReader(make([]byte, 1001)))
	tooLargeErr("streamed in, its size said", err)
	if n := srv.Requests("upload.saveFilePart") + srv.Requests("upload.saveBigFilePart"); n != uploads {
		t.Errorf("%d parts uploaded for files refused", n-uploads)
	}
	if len(srv.Messages(bob.ID)) != sends {
		t.Errorf("bob got %q", newIn(srv, sends))
	}
	_, err = s.UploadMedia(ctx, &pb.MediaInfo{Name: "big.bin", Size: -1}, bytes.NewReader(make([]byte, 1001)))
	tooLargeErr("streamed in, its size unknown", err)
	if _, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "fits.bin", Size: -1}, bytes.NewReader(make([]byte, 1000))); err != nil {
		t.Errorf("a file of the limit exactly: %v", err)
	}
}

// A text longer than Telegram takes in a message (4,096 UTF-16 code
// units, once trimmed) is refused, too large, before anything is sent:
// with a file, the file does not go alone (the file went, then the text
// failed, MESSAGE_TOO_LONG: sent in part). 4,096 with blanks around
// them go.
func TestLongTextRefusedFirst(t *testing.T) {
	srv := newFake(t)
	s, _, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	long := strings.Repeat("x", 4096) + "😀"
	from := len(srv.Messages(bob.ID))
	for _, msg := range []*pb.SendMessage{
		{Text: long, Attachments: []*pb.Attachment{pdf("a.pdf")}},
		{Text: long},
	} {
		_, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, msg)
		var se *sdk.Error
		if !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_TOO_LARGE || !strings.Contains(se.Text, "4,096") || !strings.Contains(se.Text, "4,098") {
			t.Errorf("a text of 4,098 (%d files): %v, want too large, saying 4,096 and 4,098", len(msg.Attachments), err)
		}
	}
	if got := newIn(srv, from); len(got) != 0 {
		t.Errorf("bob got %q: want nothing", got)
	}
	if n := srv.Requests("upload.saveFilePart"); n != 0 {
		t.Errorf("%d parts uploaded, want none", n)
	}
	exact := "\n" + strings.Repeat("y", 4096) + "\n"
	if _, err := s.SendMessage(ctx, sdk.Call{ChatID: "1002"}, &pb.SendMessage{Text: exact}); err != nil {
		t.Errorf("a text of 4,096 with blanks around: %v", err)
	}
}
