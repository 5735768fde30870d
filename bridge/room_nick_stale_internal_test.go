package bridge

import (
	"context"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestStaleAnswerKeepsRenamedNick: a chat answer the network gave before
// it renamed the user (the login's room sync's ChatList, asked right
// after a join and taken after the user's nick change) does not set the
// user back to the old nick; an answer asked after the rename still
// brings a nick changed elsewhere (on the phone). Before, the old answer
// won: the client got a second nick change, back to the old nick
// (TestSetNick failed so, now and then, on a busy machine).
func TestStaleAnswerKeepsRenamedNick(t *testing.T) {
	_, s, r, sent := occupantFixture(t)
	ctx := context.Background()
	chat := func(nick string) *pb.Chat {
		return &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
			Members: []*pb.Member{{UserId: "self-alice", Nick: nick, IsSelf: true}, {UserId: "echo-1", Nick: "One"}}}
	}
	answerNow(ctx, s, chat("gopher"))
	sent()
	nickNow := func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.ownNickLocked(s)
	}
	if n := nickNow(); n != "gopher" {
		t.Fatalf("nick before the rename: %q", n)
	}

	asked := s.rooms.news.ask() // the room sync asks, the answer is late
	out := s.selfMemberEvent(r, &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED,
		Member: &pb.Member{UserId: "self-alice", Nick: "gopher2", IsSelf: true}})
	if len(out) == 0 || nickNow() != "gopher2" {
		t.Fatalf("the network's rename: nick %q, %d stanzas", nickNow(), len(out))
	}
	s.setRoomFromAnswer(ctx, chat("gopher"), asked)
	s.rooms.news.answered(asked)
	if n := nickNow(); n != "gopher2" {
		t.Errorf("after an answer asked before the rename: nick %q, want gopher2", n)
	}
	for _, st := range sent() {
		if st.Kind() == "presence" && st.From() == "g1@echo.localhost/gopher2" {
			t.Errorf("an answer older than the rename changed the nick back: %s", st)
		}
	}

	answerNow(ctx, s, chat("gopher3"))
	if n := nickNow(); n != "gopher3" {
		t.Errorf("after an answer asked after the rename, naming a nick changed elsewhere: nick %q, want gopher3", n)
	}
	var changed bool
	for _, st := range sent() {
		changed = changed || (st.Kind() == "presence" && st.From() == "g1@echo.localhost/gopher2" && st.Type() == "unavailable")
	}
	if !changed {
		t.Error("the nick changed elsewhere was not shown as a nick change")
	}
}
