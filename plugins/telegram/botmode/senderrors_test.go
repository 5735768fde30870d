package botmode_test

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A send the Bot API refuses comes back as the error of its kind: a file
// over what the server takes (HTTP 413, "Request Entity Too Large",
// which the Bot API's web server answers before the API sees the
// request) is too large, saying a bot's limit (it was "the Telegram Bot
// API did not answer properly", service-unavailable); a text too long
// too; a chat the bot cannot write to is not allowed; one it does not
// know not found; a rate limit says when to try again.
func TestSendRefusalsBot(t *testing.T) {
	api := newFakeAPI(t)
	h := newFakeHost()
	s := newSession(t, api, h, t.TempDir())
	connect(t, s, h)
	ctx := context.Background()
	doc := &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "big.bin", MimeType: "application/octet-stream", Source: &pb.Attachment_Data{Data: []byte("big")}}}}
	for _, tc := range []struct {
		method, code, text string
		msg                *pb.SendMessage
		want               pb.ErrorCode
		says               string
	}{
		{"sendDocument", "413", "Request Entity Too Large", doc, pb.ErrorCode_ERROR_CODE_TOO_LARGE, "50 MB"},
		{"sendMessage", "400", "Bad Request: message is too long", &pb.SendMessage{Text: "long"}, pb.ErrorCode_ERROR_CODE_TOO_LARGE, "4096"},
		{"sendMessage", "403", "Forbidden: bot was kicked from the supergroup chat", &pb.SendMessage{Text: "hi"}, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "kicked"},
		{"sendMessage", "400", "Bad Request: chat not found", &pb.SendMessage{Text: "hi"}, pb.ErrorCode_ERROR_CODE_NOT_FOUND, "chat not found"},
		// A forum's topic closed (bot mode leaves its room open): not
		// allowed, as a user account's TOPIC_CLOSED is, saying who may
		// post (it was a bad request).
		{"sendMessage", "400", "Bad Request: TOPIC_CLOSED", &pb.SendMessage{Text: "hi"}, pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "closed"},
	} {
		api.setRefuse(tc.method, tc.code, tc.text)
		_, err := s.SendMessage(ctx, sdk.Call{ChatID: "501"}, tc.msg)
		api.setRefuse(tc.method, "", "")
		if errCode(err) != tc.want || !contains(err.Error(), tc.says) {
			t.Errorf("%s refused %s %q: %v, want %v saying %q", tc.method, tc.code, tc.text, err, tc.want, tc.says)
		}
	}
}
