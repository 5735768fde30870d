package sdk

import (
	"context"
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// searcher is a rich session that also finds public groups.
type searcher struct{ rich }

func (s *searcher) SearchChats(_ context.Context, q *pb.SearchChats) ([]*pb.FoundChat, error) {
	s.log("search " + q.Query)
	if q.Query == "down" {
		return nil, Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "not connected")
	}
	var out []*pb.FoundChat
	for _, n := range []string{"#go", "#golang", "#gophers", "#rust"} {
		if strings.Contains(n, q.Query) {
			out = append(out, &pb.FoundChat{ChatId: n, Name: n, Description: "about " + n, MemberCount: 7, Type: pb.ChatType_CHAT_TYPE_GROUP})
		}
	}
	return out, nil
}

// SearchChats: the feature chat_search follows the session type; the
// query reaches the session and its finds come back in the result's
// found_chats, no more than the limit asked; nothing found is an empty
// list; an empty query is refused (BAD_REQUEST) before the session; the
// session's error reaches the host; a session without SearchChats
// answers UNSUPPORTED, even when it claims the feature.
func TestSearchChats(t *testing.T) {
	var s *searcher
	c := startServer(t, newConnectorTransport[*searcher](&testNet[*searcher]{mk: func(l LoginInfo) *searcher {
		s = &searcher{rich{plain{info: l}}}
		return s
	}}), "")
	caps, err := c.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Features.ChatSearch {
		t.Errorf("features %v: want chat_search", caps.Features)
	}
	connectLogin(t, c, "a")
	search := func(q string, limit uint32) *pb.Command {
		return &pb.Command{LoginId: "a", Action: &pb.Command_SearchChats{SearchChats: &pb.SearchChats{Query: q, Limit: limit}}}
	}
	res := send(t, c, search("go", 2), search("go", 0), search("java", 0), search("  ", 0), search("down", 0))
	if r := res[0]; r.Error != nil || len(r.FoundChats) != 2 || r.FoundChats[0].ChatId != "#go" || r.FoundChats[1].ChatId != "#golang" {
		t.Errorf("search go, limit 2: %v", r)
	}
	if r := res[1]; r.Error != nil || len(r.FoundChats) != 3 || r.FoundChats[2].GetMemberCount() != 7 || r.FoundChats[2].GetDescription() != "about #gophers" {
		t.Errorf("search go, no limit: %v", r)
	}
	if r := res[2]; r.Error != nil || len(r.FoundChats) != 0 {
		t.Errorf("search java: %v, want none found and no error", r)
	}
	if e := res[3].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("empty search: %v, want BAD_REQUEST", e)
	}
	if e := res[4].Error; e.GetCode() != pb.ErrorCode_ERROR_CODE_UNAVAILABLE {
		t.Errorf("search down: %v, want the session's UNAVAILABLE", e)
	}
	s.mu.Lock()
	got := slices.Clone(s.calls)
	s.mu.Unlock()
	slices.Sort(got)
	if calls := strings.Join(got, "|"); calls != "connect|search down|search go|search go|search java" {
		t.Errorf("session saw %q", calls)
	}

	p := startServer(t, newConnectorTransport[*plain](&testNet[*plain]{claims: &pb.Features{ChatSearch: true},
		mk: func(l LoginInfo) *plain { return &plain{info: l} }}), "")
	caps, err = p.Init(testContext(t), &pb.InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Features.ChatSearch {
		t.Errorf("plain session: claimed chat_search advertised")
	}
	connectLogin(t, p, "a")
	if r := send(t, p, search("go", 0))[0]; r.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED || !strings.Contains(r.Error.GetText(), "groups") {
		t.Errorf("plain session: %v, want UNSUPPORTED about finding groups", r.Error)
	}
}
