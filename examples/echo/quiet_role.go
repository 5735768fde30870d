package echo

import (
	"fmt"
	"slices"
	"strconv"

	pb "passerelle.im/passerelle/plugins/proto"
)

// quietAdmin runs the group's command "quiet-admin N": member echo-N
// becomes an admin (a moderator) with no event, as a change made on the
// phone while the gateway was down, or an event the network lost: the
// gateway learns it only from the group's member list, at its next sync
// (a relogin). false when N is no member's.
func (s *Session) quietAdmin(rest string) bool {
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 {
		return false
	}
	id := fmt.Sprintf("echo-%d", n)
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	g := s.n.groupLocked(s.loginID)
	if !slices.Contains(g.members, id) {
		return false
	}
	if g.roles == nil {
		g.roles = map[string]*pb.Member{}
	}
	g.roles[id] = &pb.Member{UserId: id, Role: pb.Role_ROLE_MODERATOR, Affiliation: pb.Affiliation_AFFILIATION_ADMIN}
	return true
}
