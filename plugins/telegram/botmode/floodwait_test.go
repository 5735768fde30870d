package botmode_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A send the Bot API answers 429 with a short retry_after is sent again
// once the wait is over, once (a 429 means Telegram did nothing); a file
// too, whole the second time; a correction too. A longer wait, or one
// past the command's deadline, is the command's error at once,
// rate-limited, saying how long. Each 429 was the command's error at
// once, however short.
func TestFloodWaitedOutBot(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	call := sdk.Call{ChatID: "501"}

	api.floodNext("sendMessage", 1)
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "after the wait"}); err != nil {
		t.Fatalf("a send after a 1 s wait: %v", err)
	}
	if c := api.callsOf("sendMessage"); len(c) != 2 || c[1].Params["text"] != "after the wait" {
		t.Errorf("sendMessage calls %v: want 2, refused then sent", c)
	}

	// A file the gateway handed over by path, and one inline: each goes
	// whole at the second try, though the first read it.
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, []byte("%PDF the report"), 0o600); err != nil {
		t.Fatal(err)
	}
	api.floodNext("sendDocument", 1)
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Attachments: []*pb.Attachment{
		{Name: "report.pdf", MimeType: "application/pdf", Source: &pb.Attachment_Path{Path: path}}}}); err != nil {
		t.Fatalf("a file after a 1 s wait: %v", err)
	}
	api.floodNext("sendDocument", 1)
	if _, err := s.SendMessage(ctx, call, &pb.SendMessage{Attachments: []*pb.Attachment{
		{Name: "notes.txt", MimeType: "text/plain", Source: &pb.Attachment_Data{Data: []byte("the notes")}}}}); err != nil {
		t.Fatalf("a file after a 1 s wait: %v", err)
	}
	c := api.callsOf("sendDocument")
	if len(c) != 4 || string(c[1].Files["document"]) != "%PDF the report" || string(c[3].Files["document"]) != "the notes" {
		t.Errorf("sendDocument calls %v: want each file refused then sent whole", c)
	}

	api.floodNext("editMessageText", 1)
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1001", Text: "edited after the wait"}); err != nil {
		t.Errorf("a correction after a 1 s wait: %v", err)
	}

	before := len(api.callsOf("sendMessage"))
	api.floodNext("sendMessage", 3600)
	_, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "not now"})
	if errCode(err) != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !contains(err.Error(), "1h0m0s") {
		t.Errorf("a send in an hour's wait: %v, want rate-limited saying 1h0m0s", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	api.floodNext("sendMessage", 1)
	if _, err := s.SendMessage(short, call, &pb.SendMessage{Text: "not in time"}); errCode(err) != pb.ErrorCode_ERROR_CODE_RATE_LIMITED {
		t.Errorf("a send whose wait ends past its deadline: %v, want rate-limited", err)
	}
	if n := len(api.callsOf("sendMessage")) - before; n != 2 {
		t.Errorf("%d sendMessage calls for the two sends refused, want 2: neither asked again", n)
	}
}
