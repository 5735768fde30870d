package echo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// memberNick runs the group's command "nick N NAME": member echo-N takes
// NAME as its nick in the group, as a member renaming itself on a real
// network does; the network says so with a MemberEvent RENAMED, and the
// group's member list keeps the nick. false when rest is not "N NAME" of
// a member.
func (s *Session) memberNick(rest string) bool {
	num, name, _ := strings.Cut(rest, " ")
	name = strings.TrimSpace(name)
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || name == "" {
		return false
	}
	id := fmt.Sprintf("echo-%d", n)
	s.n.mu.Lock()
	g := s.n.groupLocked(s.loginID)
	if !slices.Contains(g.members, id) {
		s.n.mu.Unlock()
		return false
	}
	if g.nicks == nil {
		g.nicks = map[string]string{}
	}
	g.nicks[id] = name
	m := &pb.Member{UserId: id, Nick: name}
	if r := g.roles[id]; r != nil {
		m.Role, m.Affiliation = r.Role, r.Affiliation
	}
	s.n.mu.Unlock()
	ev := s.event(sdk.Call{ChatID: RoomID})
	ev.Sender = &pb.Sender{UserId: id}
	ev.Payload = &pb.Event_Member{Member: &pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: m}}
	s.emit(ev)
	return true
}
