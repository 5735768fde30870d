package botmode_test

import (
	"context"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/editwindow"
)

// A correction of a message older than Telegram's 48 h is refused as a
// user account's is (MESSAGE_EDIT_TIME_EXPIRED: EXPIRED, the same words),
// though the Bot API says only "message can't be edited": the send's
// metadata keeps when the message was sent. That refusal of a recent
// message (another's, a service message) stays not-allowed, and a
// channel's old post, which Telegram lets be corrected, is corrected. It
// was not-allowed whatever the age.
func TestEditExpiredBot(t *testing.T) {
	api := newFakeAPI(t)
	api.chatJS["-100900"] = `{"id":-100900,"type":"channel","title":"News"}`
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	call := sdk.Call{ChatID: "501"}

	api.mu.Lock()
	api.sentAgo = 72 * time.Hour
	api.mu.Unlock()
	old, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "three days ago"})
	if err != nil {
		t.Fatal(err)
	}
	post, err := s.SendMessage(ctx, sdk.Call{ChatID: "-100900"}, &pb.SendMessage{Text: "an old post"})
	if err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	api.sentAgo = 0
	api.mu.Unlock()

	_, err = s.EditMessage(ctx, call, &pb.EditMessage{TargetId: old.MessageID, TargetMeta: old.Meta, Text: "three days ago, corrected"})
	want := sdk.ToProto(editwindow.Expired())
	if got := sdk.ToProto(err); got.GetCode() != want.Code || got.GetText() != want.Text {
		t.Errorf("a 3-day-old message corrected: %v, want %v as a user account's", err, want)
	}
	if _, err := s.EditMessage(ctx, sdk.Call{ChatID: "-100900"}, &pb.EditMessage{TargetId: post.MessageID, TargetMeta: post.Meta, Text: "corrected"}); err != nil {
		t.Errorf("a channel's 3-day-old post corrected: %v", err)
	}

	recent, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "just now"})
	if err != nil {
		t.Fatal(err)
	}
	api.setRefuse("editMessageText", "400", "Bad Request: message can't be edited")
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: recent.MessageID, TargetMeta: recent.Meta, Text: "x"}); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("a recent message Telegram will not have corrected: %v, want not allowed", err)
	}
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "7", Text: "x"}); errCode(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED {
		t.Errorf("a message of unknown age Telegram will not have corrected: %v, want not allowed", err)
	}
	api.setRefuse("editMessageText", "400", "Bad Request: MESSAGE_EDIT_TIME_EXPIRED")
	if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "7", Text: "x"}); sdk.ToProto(err).GetText() != want.Text {
		t.Errorf("Telegram naming the limit: %v, want %v", err, want)
	}
}
