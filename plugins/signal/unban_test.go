package signal_test

import (
	"slices"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A ban from XMPP puts carol on the group's ban list (updateGroup ban),
// and the room hears a ban, not a kick, since listGroups names her
// banned. Unban takes her off it (updateGroup unban), without adding her
// back; lifting a ban nobody had is no error (signal-cli leaves them as
// they are). Where the user is no admin, the group's limits refuse it.
func TestUnban(t *testing.T) {
	d, gid := startFake(t)
	other := fakesignal.NewGroupID() // bob's: alice is no admin there
	d.SetGroup(alice, fakesignal.Group{ID: other, Name: "Bob's", Members: []fakesignal.Member{{Number: alice, UUID: aliceACI},
		{Number: bob, UUID: bobACI, Admin: true}}, Banned: []fakesignal.Member{{Number: carol, UUID: carolACI}}})
	s := newSession(t, d)
	if !s.p.Caps.GetFeatures().GetGroupUnban() {
		t.Errorf("features %v: want group_unban", s.p.Caps.GetFeatures())
	}
	group := hexGroup(gid)
	ctx, cancel := s.p.CallContext()
	defer cancel()
	if _, err := s.p.Client().ChatList(ctx, &pb.LoginRef{LoginId: s.loginID}); err != nil {
		t.Fatal(err)
	}
	banned := func(id string) []fakesignal.Member {
		g, _ := d.GetGroup(alice, id)
		return g.Banned
	}

	if res := s.do(group, &pb.Kick{UserId: carol, Ban: true}); res.Error != nil {
		t.Fatal(res.Error)
	}
	ev := s.next(func(ev *pb.Event) bool { return ev.GetMember() != nil })
	if m := ev.GetMember(); m.Kind != pb.MemberEvent_KIND_BANNED || m.Member.UserId != carol || !ev.Sender.GetIsFromMe() {
		t.Errorf("ban: %v, want carol banned by alice", ev)
	}
	if b := banned(gid); len(b) != 1 || b[0].Number != carol {
		t.Fatalf("ban list after the ban: %v", b)
	}

	if res := s.do(group, &pb.Unban{UserId: carol}); res.Error != nil {
		t.Fatalf("unban: %v", res.Error)
	}
	if r, _ := lastRequest(d, "updateGroup"); !slices.Equal(toStrings(r.Params["unban"]), []string{carol}) {
		t.Errorf("updateGroup %v: want unban of carol", r.Params)
	}
	g, _ := d.GetGroup(alice, gid)
	if len(g.Banned) != 0 || slices.ContainsFunc(g.Members, func(m fakesignal.Member) bool { return m.Number == carol }) {
		t.Errorf("after the unban: banned %v, members %v; want carol in neither", g.Banned, g.Members)
	}
	if res := s.do(group, &pb.Unban{UserId: bob}); res.Error != nil {
		t.Errorf("unban of a member never banned: %v", res.Error)
	}
	if res := s.do(group, &pb.Unban{UserId: group}); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("unban of a group: %v, want BAD_REQUEST", res.Error)
	}
	res := s.do(hexGroup(other), &pb.Unban{UserId: carol})
	if res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(res.Error.GetText(), "bans") {
		t.Errorf("unban where alice is no admin: %v, want NOT_ALLOWED", res.Error)
	}
	if b := banned(other); len(b) != 1 {
		t.Errorf("bob's ban list changed: %v", b)
	}
}

func toStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
