package bridge

import (
	"context"
	"fmt"
	"testing"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// answerNow takes c as a chat answer asked now, with no event since.
func answerNow(ctx context.Context, s *session, c *pb.Chat) *room {
	asked := s.rooms.news.ask()
	defer s.rooms.news.answered(asked)
	return s.setRoomFromAnswer(ctx, c, asked)
}

// oldList is the member list of occupantFixture's room (the user, One,
// Two) and more.
func oldList(more ...*pb.Member) *pb.Chat {
	return &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: append([]*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}, {UserId: "echo-2", Nick: "Two"}}, more...)}
}

// memberState is what the room knows of a member: "nick" (or "-" when
// no member), its affiliation, and "banned" when on the ban list.
func memberState(r *room, id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := "-"
	if m, ok := r.members[id]; ok {
		nick, _ := r.nicks.Nick(id)
		out = fmt.Sprintf("%s %s", nick, m.GetAffiliation())
	}
	if _, ok := r.banned[id]; ok {
		out += " banned"
	}
	return out
}

// presences are the presences among stanzas, as "from type".
func presences(t *testing.T, sent func() []*wire.Stanza) []string {
	t.Helper()
	var out []string
	for _, st := range sent() {
		if st.Kind() == "presence" {
			out = append(out, st.From()+" "+st.Type())
		}
	}
	return out
}

// TestStaleAnswerKeepsMemberEvents: a chat answer the network gave
// before a member's event (the login's room sync's ChatList, asked
// before a member joined, left, was kicked or banned, renamed or given
// a role, taken after the event) does not undo the event: the member
// stays as the event made them, and the answer shows the joined
// resources nothing of them. Before, the old answer won: a member who
// left came back, one who joined was gone again, a renamed one got the
// old nick back, each shown to the clients.
func TestStaleAnswerKeepsMemberEvents(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   *pb.MemberEvent
		id   string
		want string // memberState after the event and the answer
	}{
		{"joined", &pb.MemberEvent{Kind: pb.MemberEvent_KIND_JOINED, Member: &pb.Member{UserId: "echo-3", Nick: "Three"}},
			"echo-3", "Three AFFILIATION_MEMBER"},
		{"left", &pb.MemberEvent{Kind: pb.MemberEvent_KIND_LEFT, Member: &pb.Member{UserId: "echo-2"}}, "echo-2", "-"},
		{"kicked", &pb.MemberEvent{Kind: pb.MemberEvent_KIND_KICKED, Member: &pb.Member{UserId: "echo-2"}}, "echo-2", "-"},
		{"banned", &pb.MemberEvent{Kind: pb.MemberEvent_KIND_BANNED, Member: &pb.Member{UserId: "echo-2"}, Reason: "spam"},
			"echo-2", "- banned"},
		{"renamed", &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "echo-1", Nick: "Uno"}},
			"echo-1", "Uno AFFILIATION_MEMBER"},
		{"role changed", &pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED,
			Member: &pb.Member{UserId: "echo-1", Nick: "One", Affiliation: pb.Affiliation_AFFILIATION_ADMIN}},
			"echo-1", "One AFFILIATION_ADMIN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, s, r, sent := occupantFixture(t)
			ctx := context.Background()
			asked := s.rooms.news.ask() // the room sync asks, the answer is late
			defer s.rooms.news.answered(asked)
			if out := s.memberEvent(r, nil, c.ev); len(out) == 0 {
				t.Fatal("the event showed the clients nothing")
			}
			if got := memberState(r, c.id); got != c.want {
				t.Fatalf("after the event: %q, want %q", got, c.want)
			}
			sent()
			s.setRoomFromAnswer(ctx, oldList(), asked)
			if got := memberState(r, c.id); got != c.want {
				t.Errorf("after an answer asked before the event: %q, want %q", got, c.want)
			}
			if ps := presences(t, sent); len(ps) > 0 {
				t.Errorf("an answer older than the event undid it for the clients: %q", ps)
			}
		})
	}
}

// TestStaleAnswerOtherNewsStands: an answer asked before a member's event
// still brings its news of the others (a member who joined unseen), and
// an answer asked after the event is the network's word on that member
// (who came back unseen).
func TestStaleAnswerOtherNewsStands(t *testing.T) {
	_, s, r, sent := occupantFixture(t)
	ctx := context.Background()
	asked := s.rooms.news.ask()
	s.memberEvent(r, nil, &pb.MemberEvent{Kind: pb.MemberEvent_KIND_LEFT, Member: &pb.Member{UserId: "echo-2"}})
	sent()
	s.setRoomFromAnswer(ctx, oldList(&pb.Member{UserId: "echo-4", Nick: "Four"}), asked)
	s.rooms.news.answered(asked)
	if got := memberState(r, "echo-2"); got != "-" {
		t.Errorf("the member who left, after an older answer: %q", got)
	}
	if got := memberState(r, "echo-4"); got != "Four AFFILIATION_MEMBER" {
		t.Errorf("a member the older answer brought: %q", got)
	}
	if ps := presences(t, sent); len(ps) != 2 || ps[0] != "g1@echo.localhost/Four " || ps[1] != ps[0] {
		t.Errorf("want Four's join to both resources, got %q", ps)
	}

	answerNow(ctx, s, oldList(&pb.Member{UserId: "echo-4", Nick: "Four"}))
	if got := memberState(r, "echo-2"); got != "Two AFFILIATION_MEMBER" {
		t.Errorf("the member an answer asked after their leaving lists: %q", got)
	}
}

// TestStaleAnswerKeepsListEvent: a chat update with the whole member list
// (an event) is newer than every member of an answer asked before it.
func TestStaleAnswerKeepsListEvent(t *testing.T) {
	_, s, r, sent := occupantFixture(t)
	ctx := context.Background()
	asked := s.rooms.news.ask()
	defer s.rooms.news.answered(asked)
	s.setRoom(ctx, &pb.Chat{ChatId: "g1", Type: pb.ChatType_CHAT_TYPE_GROUP, Name: "G",
		Members: []*pb.Member{{UserId: "alice-echo"}, {UserId: "echo-1", Nick: "One"}}})
	if got := memberState(r, "echo-2"); got != "-" {
		t.Fatalf("the member the update left out: %q", got)
	}
	sent()
	s.setRoomFromAnswer(ctx, oldList(), asked)
	if got := memberState(r, "echo-2"); got != "-" {
		t.Errorf("the member the update left out, after an answer asked before it: %q", got)
	}
	if ps := presences(t, sent); len(ps) > 0 {
		t.Errorf("an answer older than the update undid it for the clients: %q", ps)
	}
}

// TestStaleAnswerKeepsOwnStanding: an answer asked before the network
// made the user an admin does not take it back.
func TestStaleAnswerKeepsOwnStanding(t *testing.T) {
	_, s, r, sent := occupantFixture(t)
	ctx := context.Background()
	asked := s.rooms.news.ask()
	defer s.rooms.news.answered(asked)
	s.selfMemberEvent(r, &pb.MemberEvent{Kind: pb.MemberEvent_KIND_ROLE_CHANGED,
		Member: &pb.Member{UserId: "alice-echo", IsSelf: true, Affiliation: pb.Affiliation_AFFILIATION_ADMIN, Role: pb.Role_ROLE_MODERATOR}})
	sent()
	s.setRoomFromAnswer(ctx, oldList(), asked)
	r.mu.Lock()
	aff := r.selfAff
	r.mu.Unlock()
	if aff != pb.Affiliation_AFFILIATION_ADMIN {
		t.Errorf("the user's affiliation after an answer asked before they were made admin: %s", aff)
	}
	if ps := presences(t, sent); len(ps) > 0 {
		t.Errorf("an answer older than the change undid it for the clients: %q", ps)
	}
}

// TestMemberNewsForgotten: with no answer under way, a group's comings
// and goings keep no stamps but the last event's.
func TestMemberNewsForgotten(t *testing.T) {
	_, s, r, _ := occupantFixture(t)
	for i := range 50 {
		id := fmt.Sprintf("echo-x%d", i)
		s.memberEvent(r, nil, &pb.MemberEvent{Kind: pb.MemberEvent_KIND_JOINED, Member: &pb.Member{UserId: id}})
		s.memberEvent(r, nil, &pb.MemberEvent{Kind: pb.MemberEvent_KIND_LEFT, Member: &pb.Member{UserId: id}})
	}
	r.mu.Lock()
	n := len(r.memberNews)
	r.mu.Unlock()
	if n != 1 {
		t.Errorf("%d stamps kept, want 1", n)
	}
}
