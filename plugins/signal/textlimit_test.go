package signal_test

import (
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A text over the transport's max_text_bytes (Signal's 64 KiB long text)
// is refused as TOO_LARGE before signal-cli is asked, sent or as an edit;
// one at the limit goes.
func TestTextTooLarge(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	const limit = 64 << 10
	asked := d.Calls("send")
	if res := s.do(bob, &pb.SendMessage{Text: strings.Repeat("a", limit+1)}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("a text of %d bytes: %v, want TOO_LARGE", limit+1, res)
	}
	if n := d.Calls("send"); n != asked {
		t.Fatal("the text over the limit reached signal-cli")
	}
	res := s.do(bob, &pb.SendMessage{Text: strings.Repeat("a", limit)})
	if res.Error != nil {
		t.Fatalf("a text of %d bytes: %v", limit, res.Error)
	}
	if r := s.do(bob, &pb.EditMessage{TargetId: res.MessageId, TargetMeta: res.Meta, Text: strings.Repeat("b", limit+1)}); r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_TOO_LARGE {
		t.Errorf("an edit to %d bytes: %v, want TOO_LARGE", limit+1, r)
	}
}
