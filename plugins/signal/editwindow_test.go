package signal_test

import (
	"encoding/json"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Signal takes an edit within 24 hours of the message (the transport's
// edit_window_seconds); its apps drop a later one. A correction of an
// older message is refused as EXPIRED before signal-cli is asked, not
// answered as done while no one on Signal ever sees it.
func TestEditWindow(t *testing.T) {
	d, _ := startFake(t)
	s := newSession(t, d)
	old := time.Now().Add(-25 * time.Hour).UnixMilli()
	meta, _ := json.Marshal(map[string]any{"a": alice, "t": old})
	asked := d.Calls("send")
	res := s.do(bob, &pb.EditMessage{TargetId: itoa(old), TargetMeta: meta, Text: "too late"})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_EXPIRED {
		t.Fatalf("an edit of a message 25 hours old: %v, want EXPIRED", res)
	}
	if n := d.Calls("send"); n != asked {
		t.Fatalf("the late edit reached signal-cli (%d sends)", n-asked)
	}
	// Within the window it goes.
	sent := s.do(bob, &pb.SendMessage{Text: "fresh"})
	if sent.Error != nil {
		t.Fatal(sent.Error)
	}
	if res := s.do(bob, &pb.EditMessage{TargetId: sent.MessageId, TargetMeta: sent.Meta, Text: "fresh, edited"}); res.Error != nil {
		t.Fatalf("an edit within the window: %v", res.Error)
	}
}
