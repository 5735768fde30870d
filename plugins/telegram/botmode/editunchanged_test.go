package botmode_test

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A correction to the text the message has already (an XMPP client lets
// one correct a message without changing it; the Bot API answers 400
// "message is not modified") is no error, as for a user account
// (TestEditUnchanged): the message is as asked. A file's caption too. It
// was a bad-request error.
func TestEditUnchangedBot(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	call := sdk.Call{ChatID: "501"}
	const notModified = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	api.setRefuse("editMessageText", "400", notModified)
	res, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1001", Text: "same words"})
	if err != nil || res.MessageID != "1001" {
		t.Errorf("a correction without a change: %v %v", res, err)
	}
	api.setRefuse("editMessageText", "400", "Bad Request: there is no text in the message to edit")
	api.setRefuse("editMessageCaption", "400", notModified)
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1002", Text: "same caption"}); err != nil {
		t.Errorf("a caption's correction without a change: %v", err)
	}
	api.setRefuse("editMessageCaption", "400", "Bad Request: message to edit not found")
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "1003", Text: "x"}); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("a correction of a message gone: %v, want not found", err)
	}
}
