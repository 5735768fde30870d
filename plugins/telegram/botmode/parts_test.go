package botmode_test

import (
	"context"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A send of several messages (a text too long to be a caption, then its
// file; files one message each) that fails after the first went answers
// with the message that went beside the error (the contract's sent in
// part), as a user account's does: the gateway maps it, the user can
// retract it, and a resend under the txn does not send it again. It was
// answered as failed whole, the text on Telegram and unknown to the
// gateway. And a retraction deletes every message of the send (the
// result's metadata names the others), not only the first.
func TestPartsBot(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	call := sdk.Call{ChatID: "501", TxnID: "parts-1"}
	long := strings.Repeat("words ", 300) // past a caption's 1,024
	doc := func(name string) *pb.Attachment {
		return &pb.Attachment{Name: name, MimeType: "application/pdf", Source: &pb.Attachment_Data{Data: []byte("%PDF " + name)}}
	}

	api.setRefuse("sendDocument", "403", "Forbidden: not enough rights to send documents to the chat")
	res, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: long, Attachments: []*pb.Attachment{doc("a.pdf")}})
	api.setRefuse("sendDocument", "", "")
	texts := api.callsOf("sendMessage")
	if errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || len(texts) != 1 || res.MessageID != "1001" {
		t.Fatalf("a long text whose file was refused: %+v %v (%d texts sent), want message 1001 beside not-allowed", res, err, len(texts))
	}

	res, err = s.SendMessage(ctx, sdk.Call{ChatID: "501", TxnID: "parts-2"}, &pb.SendMessage{Text: "two files",
		Attachments: []*pb.Attachment{doc("b.pdf"), doc("c.pdf")}})
	if err != nil || res.MessageID != "1002" {
		t.Fatalf("two files: %+v %v", res, err)
	}
	if _, err := s.Retract(ctx, sdk.Call{ChatID: "501"}, &pb.Retract{TargetId: res.MessageID, TargetMeta: res.Meta}); err != nil {
		t.Fatalf("retracting the two files: %v", err)
	}
	var deleted []string
	for _, c := range api.callsOf("deleteMessage") {
		deleted = append(deleted, c.Params["message_id"])
	}
	if strings.Join(deleted, ",") != "1002,1003" {
		t.Errorf("the retraction deleted %v, want both files' messages, 1002 and 1003", deleted)
	}
}
