package telegram

import (
	"errors"
	"strings"
	"testing"

	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Telegram's refusals of a send that a user meets in everyday use read
// as what they are, with the error the gateway turns into the right
// stanza: a supergroup's slow mode is a wait of so many seconds (it was
// an internal error), an account Telegram limits for spam, a person who
// takes messages from contacts and Premium users only, or voice notes
// from no one, or charges Stars for a message, are not allowed, saying
// why.
func TestSendRefusalsMapped(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code pb.ErrorCode
		says string
	}{
		{tgerr.New(420, "SLOWMODE_WAIT_25"), pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "25s"},
		{tgerr.New(400, "PEER_FLOOD"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "spam"},
		{tgerr.New(403, "PRIVACY_PREMIUM_REQUIRED"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Premium"},
		{tgerr.New(400, "VOICE_MESSAGES_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "voice"},
		{tgerr.New(400, "ALLOW_PAYMENT_REQUIRED_50"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Stars"},
		// A chat where the user may not write, one Telegram does not
		// know for the account, a text or a file too long: each says so
		// (they were the bare error's name).
		{tgerr.New(403, "CHAT_WRITE_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "may not write"},
		{tgerr.New(400, "PEER_ID_INVALID"), pb.ErrorCode_ERROR_CODE_NOT_FOUND, "does not know this chat"},
		{tgerr.New(400, "MESSAGE_TOO_LONG"), pb.ErrorCode_ERROR_CODE_TOO_LARGE, "4,096 characters"},
		{tgerr.New(400, "FILE_PARTS_INVALID"), pb.ErrorCode_ERROR_CODE_TOO_LARGE, "2,000 MiB"},
		{tgerr.New(403, "CHAT_SEND_MEDIA_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "files"},
		{tgerr.New(400, "USER_IS_BLOCKED"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "blocked you"},
		{tgerr.New(420, "FLOOD_WAIT_75"), pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "1m15s"},
		// A group's rights per kind of content, a closed topic, a
		// discussion group to join first, slow mode's one message at a
		// time, protected content, a spam-limited account: each says
		// so (they were the bare error's name, slow mode's an error).
		{tgerr.New(403, "CHAT_SEND_PLAIN_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "send text"},
		{tgerr.New(403, "CHAT_SEND_PHOTOS_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "photos"},
		{tgerr.New(403, "CHAT_SEND_VOICES_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "voice messages"},
		{tgerr.New(403, "CHAT_SEND_DOCS_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "files"},
		{tgerr.New(400, "TOPIC_CLOSED"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "topic is closed"},
		{tgerr.New(403, "CHAT_GUEST_SEND_FORBIDDEN"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "join it first"},
		{tgerr.New(400, "SLOWMODE_MULTI_MSGS_DISABLED"), pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "one message at a time"},
		{tgerr.New(400, "CHAT_FORWARDS_RESTRICTED"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "protects its content"},
		{tgerr.New(400, "USER_BANNED_IN_CHANNEL"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "spam"},
		{tgerr.New(400, "CHAT_RESTRICTED"), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "restricts this chat"},
	} {
		var se *sdk.Error
		err := cmdErr("send", tc.err)
		if !errors.As(err, &se) || se.Code != tc.code || !strings.Contains(se.Text, tc.says) {
			t.Errorf("%v: %v, want %v saying %q", tc.err, err, tc.code, tc.says)
		}
	}
}
