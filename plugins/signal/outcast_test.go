package signal_test

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// The group's ban list (listGroups' banned) is in its description, as
// members with affiliation outcast, apart from the members: the room's
// ban list shows them. A ban of a member comes as their BANNED member
// event, not as an outcast joining; a ban lifted, which no member event
// tells, comes as the group's whole description without them.
func TestBanListInDescription(t *testing.T) {
	d, gid := startFake(t)
	g, _ := d.GetGroup(alice, gid)
	g.Banned = []fakesignal.Member{{Number: daveNum, UUID: daveACI}}
	d.SetGroup(alice, g)
	s := newSession(t, d)
	group := hexGroup(gid)
	info := func() map[string]*pb.Member {
		t.Helper()
		ctx, cancel := s.p.CallContext()
		defer cancel()
		c, err := s.p.Client().ChatInfo(ctx, &pb.ChatRef{LoginId: s.loginID, ChatId: group})
		if err != nil {
			t.Fatal(err)
		}
		return byID(t, c.Members)
	}
	outcast := func(m *pb.Member) bool { return m != nil && m.Affiliation == pb.Affiliation_AFFILIATION_OUTCAST }

	ms := info()
	if len(ms) != 4 || !outcast(ms[daveNum]) || outcast(ms[bob]) || outcast(ms[carol]) || !ms[alice].IsSelf {
		t.Fatalf("members %v: want alice, bob and carol, and dave as outcast", ms)
	}

	// carol banned: her ban, then the list with her as outcast.
	if res := s.do(group, &pb.Kick{UserId: carol, Ban: true}); res.Error != nil {
		t.Fatal(res.Error)
	}
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMember() != nil || ev.GetChat() != nil })
	if m := ev.GetMember(); m.GetKind() != pb.MemberEvent_KIND_BANNED || m.Member.UserId != carol {
		t.Fatalf("after the ban: %v, want carol's BANNED", ev)
	}
	if ms := info(); len(ms) != 4 || !outcast(ms[carol]) || !outcast(ms[daveNum]) {
		t.Fatalf("members after the ban: %v", ms)
	}

	// dave's ban lifted: the whole description, without him (past the
	// news of the group's picture, none, the first update told).
	if res := s.do(group, &pb.Unban{UserId: daveNum}); res.Error != nil {
		t.Fatal(res.Error)
	}
	ev = s.next(func(ev *pb.Event) bool { return ev.GetMember() != nil || len(ev.GetChat().GetChat().GetMembers()) > 0 })
	if ev.GetChat() == nil {
		t.Fatalf("after the unban: %v, want the group's description", ev)
	}
	if ms := byID(t, ev.GetChat().Chat.Members); len(ms) != 3 || ms[daveNum] != nil || !outcast(ms[carol]) {
		t.Fatalf("members after the unban: %v, want alice, bob and carol as outcast", ms)
	}
}

// byID is a member list by user ID; an ID listed twice fails.
func byID(t *testing.T, ms []*pb.Member) map[string]*pb.Member {
	t.Helper()
	out := map[string]*pb.Member{}
	for _, m := range ms {
		if out[m.UserId] != nil {
			t.Fatalf("%s listed twice: %v", m.UserId, ms)
		}
		out[m.UserId] = m
	}
	return out
}
