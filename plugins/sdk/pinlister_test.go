package sdk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// pinLister is a rich session whose pins cost a search.
type pinLister struct{ rich }

func (p *pinLister) PinnedMessages(_ context.Context, chatID string) ([]string, error) {
	p.log("pins " + chatID)
	if chatID == "broken" {
		return nil, errors.New("search failed")
	}
	return []string{"m1", "m3"}, nil
}

// A chat's pins are searched for only when the host asks with_pins (the
// user's "/pins"); a failed search fails the ChatInfo.
func TestChatInfoWithPins(t *testing.T) {
	var s *pinLister
	c := startServer(t, newConnectorTransport[*pinLister](&testNet[*pinLister]{mk: func(l LoginInfo) *pinLister {
		s = &pinLister{rich{plain{info: l}}}
		return s
	}}), "")
	ctx := testContext(t)
	if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "a"}); err != nil {
		t.Fatal(err)
	}
	chat, err := c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "g"})
	if err != nil || chat.PinnedIds != nil {
		t.Fatalf("ChatInfo without with_pins: %v, %v", chat, err)
	}
	chat, err = c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "g", WithPins: true})
	if err != nil || !slices.Equal(chat.PinnedIds, []string{"m1", "m3"}) {
		t.Fatalf("ChatInfo with_pins: %v, %v", chat, err)
	}
	if _, err := c.ChatInfo(ctx, &pb.ChatRef{LoginId: "a", ChatId: "broken", WithPins: true}); err == nil {
		t.Fatal("a failed search: no error")
	}
	s.mu.Lock()
	calls := strings.Join(s.calls, "|")
	s.mu.Unlock()
	if calls != "connect|pins g|pins broken" {
		t.Errorf("session saw %q: want a search only when asked", calls)
	}
}
