package whatsapp

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A file WhatsApp's servers no longer have (404) is asked of the phone
// again, as WhatsApp Web asks, and downloads from its new upload; a
// phone that no longer has it, or does not answer, is said so. In a
// one-to-one chat and in a group (where the request names the sender).
func TestMediaGoneAskedOfPhone(t *testing.T) {
	setFor(t, mediaRetryWait, 200*time.Millisecond)
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	mediaKey := make([]byte, 32)
	mediaKey[0] = 7
	receive := func(info *types.MessageInfo) *pb.Event {
		t.Helper()
		from := r.host.count()
		fake.Receive(ctx, info, &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{DirectPath: proto.String("/v/expired-" + info.ID),
			URL: proto.String("https://mmg.invalid/expired"), MediaKey: mediaKey, Mimetype: proto.String("application/pdf"), FileName: proto.String("a.pdf")}})
		ev, _ := r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == info.ID })
		return ev
	}
	download := func(ev *pb.Event) (string, error) {
		_, rc, err := s.DownloadMedia(ctx, ev.ChatId, ev.GetMessage().GetAttachments()[0].GetRef())
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), err
	}

	dm := receive(&types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "OLD1", Timestamp: when})
	fake.PhoneHasFile("OLD1", []byte("%PDF again"))
	if got, err := download(dm); err != nil || got != "%PDF again" {
		t.Errorf("a file asked of the phone again: %q, %v", got, err)
	}
	inGroup := receive(&types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "OLD2", Timestamp: when})
	fake.PhoneHasFile("OLD2", []byte("group file"))
	if got, err := download(inGroup); err != nil || got != "group file" {
		t.Errorf("a group's file asked of the phone again: %q, %v", got, err)
	}
	lost := receive(&types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "OLD3", Timestamp: when})
	fake.PhoneLostFile("OLD3")
	if _, err := download(lost); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(err.Error(), "nor on your phone") {
		t.Errorf("a file the phone lost: %v", err)
	}
	offline := receive(&types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "OLD4", Timestamp: when})
	if _, err := download(offline); codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND || !strings.Contains(err.Error(), "must be online") {
		t.Errorf("a phone that does not answer: %v", err)
	}
	if asked := fake.ReuploadsAsked(); !slices.Equal(asked, []types.MessageID{"OLD1", "OLD2", "OLD3", "OLD4"}) {
		t.Errorf("asked of the phone: %v", asked)
	}
}
