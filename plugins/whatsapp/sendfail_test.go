package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// What the user is told when WhatsApp does not take a message: each of
// whatsmeow's failures comes back as an error whose kind the gateway
// turns into the stanza's error, with words that say what happened.
// WhatsApp's refusals (the code of its acknowledgement) were all
// "service unavailable" with the bare "server returned error 463", and
// a file its media server found too large as well.
func TestSendFailures(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	call := sdk.Call{ChatID: "+33611111111"}
	refused := func(code int) error { return fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, code) }
	for _, tc := range []struct {
		err  error
		want pb.ErrorCode
		text string
	}{
		{whatsmeow.ErrNotLoggedIn, pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "no longer linked, log in again"},
		{whatsmeow.ErrNotConnected, pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not connected"},
		{refused(463), pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "463): it limits this account's messages to people who have not written"},
		{refused(479), pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "479: it could not deliver it as addressed); try again"},
		{refused(403), pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "does not let you write here (403"},
		{refused(404), pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no such chat (404)"},
		{refused(429), pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "too many messages (429)"},
		{refused(500), pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "WhatsApp refused the message (error 500)"},
		{fmt.Errorf("failed to send: %w", whatsmeow.ErrMessageTimedOut), pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "did not confirm it in time: it may have gone"},
	} {
		fake.SendErr = tc.err
		_, err := s.SendMessage(ctx, call, &pb.SendMessage{Text: "hello"})
		if codeOf(err) != tc.want || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("send failing with %v: %v (%v), want %v saying %q", tc.err, err, codeOf(err), tc.want, tc.text)
		}
		// A correction and a reaction say the same.
		meta := msgMeta{Sender: phone, FromMe: true}.encode()
		if _, err := s.EditMessage(ctx, call, &pb.EditMessage{TargetId: "OUT1", TargetMeta: meta, Text: "hi"}); codeOf(err) != tc.want {
			t.Errorf("edit failing with %v: %v, want %v", tc.err, err, tc.want)
		}
		if _, err := s.React(ctx, call, &pb.React{TargetId: "OUT1", TargetMeta: meta, Emojis: []string{"👍"}}); codeOf(err) != tc.want {
			t.Errorf("reaction failing with %v: %v, want %v", tc.err, err, tc.want)
		}
	}
	fake.SendErr = nil

	// The file's upload refused by WhatsApp's media server, as whatsmeow
	// says it: too large, or another status.
	for _, tc := range []struct {
		err  error
		want pb.ErrorCode
		text string
	}{
		{errors.New("failed to upload file: upload failed with status code 413"), pb.ErrorCode_ERROR_CODE_TOO_LARGE, "refused the file as too large"},
		{errors.New("upload failed with status code 502"), pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "refused the file (HTTP 502)"},
		{fmt.Errorf("failed to refresh media connections: %w", whatsmeow.ErrNotConnected), pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not connected"},
	} {
		fake.UploadErr = tc.err
		id, err := s.UploadMedia(ctx, &pb.MediaInfo{Name: "big.mp4", MimeType: "video/mp4"}, strings.NewReader("MP4"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SendMessage(ctx, call, &pb.SendMessage{Attachments: []*pb.Attachment{{Name: "big.mp4", MimeType: "video/mp4", Source: &pb.Attachment_UploadId{UploadId: id}}}})
		if codeOf(err) != tc.want || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("upload failing with %v: %v (%v), want %v saying %q", tc.err, err, codeOf(err), tc.want, tc.text)
		}
	}
	if n := len(fake.Sent()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}
