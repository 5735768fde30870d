package sdk

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// lister is a session with groups to list.
type lister struct{ plain }

func (*lister) ChatList(context.Context) ([]*pb.Chat, error) {
	return []*pb.Chat{{ChatId: "lobby", Type: pb.ChatType_CHAT_TYPE_GROUP}}, nil
}

func (*lister) ChatInfo(_ context.Context, chatID string) (*pb.Chat, error) {
	return &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_GROUP}, nil
}

// logHost is a Host whose log is kept; Init only logs.
type logHost struct {
	Host
	buf bytes.Buffer
}

func (h *logHost) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(&h.buf, nil)) }

// A session that lists chats while Init declares no groups is said in
// the log at Init: the gateway never asks for the list, so the author's
// groups never show and nothing else says why. Declared, nothing is said.
func TestChatListerWithoutGroupsWarned(t *testing.T) {
	const want = "the session is an sdk.ChatLister but Init's Features do not declare groups"
	for _, c := range []struct {
		claims *pb.Features
		warned bool
	}{{claims: &pb.Features{}, warned: true}, {claims: nil, warned: true}, {claims: &pb.Features{Groups: true}}} {
		h := &logHost{}
		tr := newConnectorTransport[*lister](&testNet[*lister]{claims: c.claims, mk: func(l LoginInfo) *lister { return &lister{plain{info: l}} }})
		caps, err := tr.Init(context.Background(), InitRequest{}, h)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(h.buf.String(), want); got != c.warned {
			t.Errorf("features %v: warned %v, want %v; the log:\n%s", c.claims, got, c.warned, h.buf.String())
		}
		if caps.Features.GetGroups() != c.claims.GetGroups() {
			t.Errorf("features %v: groups advertised %v", c.claims, caps.Features.GetGroups())
		}
	}
	// A session without the lists is not told of groups.
	h := &logHost{}
	tr := newConnectorTransport[*plain](&testNet[*plain]{mk: func(l LoginInfo) *plain { return &plain{info: l} }})
	if _, err := tr.Init(context.Background(), InitRequest{}, h); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.buf.String(), want) {
		t.Errorf("a session without ChatLister warned: %s", h.buf.String())
	}
}
