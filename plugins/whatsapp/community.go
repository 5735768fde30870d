package whatsapp

import (
	"context"
	"slices"
	"strings"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A WhatsApp community is a parent group (IsParent) and the groups linked
// to it (LinkedParentJID), among them its announcement group
// (IsDefaultSubGroup), where only admins post. The parent has no messages
// of its own: it is no room. Its groups are rooms named after it,
// "Community › Group"; the announcement group, which WhatsApp names as
// the community, "Community › Announcements". The parent's changes (its
// name, groups linked or unlinked) rename its groups' rooms.

// communitySep separates a community's name from its group's in a room's
// name. Both are at most 100 characters (WhatsApp's group_max_subject),
// so the whole stays well within what the gateway takes of a name (1 KiB).
const communitySep = " › "

// announcementsName is the announcement group's part of its room's name
// while WhatsApp names it as its community.
const announcementsName = "Announcements"

// communityRoomName is the room's name of g, a group of the community
// named community.
func communityRoomName(community string, g *types.GroupInfo) string {
	own := g.Name
	if g.IsDefaultSubGroup && (own == "" || own == community) {
		own = announcementsName
	}
	return community + communitySep + own
}

// roomName is g's room's name: its own, or, in a community whose name is
// known, the community's and its own. Not under s.mu.
func (s *Session) roomName(g *types.GroupInfo) string {
	if g.LinkedParentJID.IsEmpty() {
		return g.Name
	}
	s.mu.Lock()
	p := s.groups[g.LinkedParentJID]
	community := ""
	if p != nil {
		community = p.Name
	}
	s.mu.Unlock()
	if community == "" {
		return g.Name
	}
	return communityRoomName(community, g)
}

// learnCommunity reads g's community from WhatsApp when its name is not
// known yet (one IQ). Failing, g's room keeps its own name: logged at
// debug.
func (s *Session) learnCommunity(ctx context.Context, g *types.GroupInfo) {
	parent := g.LinkedParentJID
	if parent.IsEmpty() {
		return
	}
	s.mu.Lock()
	p := s.groups[parent]
	known := p != nil && p.Name != ""
	s.mu.Unlock()
	if known {
		return
	}
	if _, err := s.group(ctx, parent); err != nil {
		s.log.Debug("community not read: its group's room has the group's name alone", "group", g.JID, "community", parent, "err", err)
	}
}

// ownName is the group's own name in name, a room name the user set: the
// community's name before it, as the room shows it, taken off; the
// group's name as it stands when name is the room's unchanged.
func (s *Session) ownName(jid types.JID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[jid]
	if g == nil || g.LinkedParentJID.IsEmpty() {
		return name
	}
	p := s.groups[g.LinkedParentJID]
	if p == nil || p.Name == "" {
		return name
	}
	if name == communityRoomName(p.Name, g) {
		return g.Name
	}
	if own, ok := strings.CutPrefix(name, p.Name+communitySep); ok && strings.TrimSpace(own) != "" {
		return own
	}
	return name
}

// isCommunityLocked says whether jid is a community's parent group, as
// far as the session knows: cached as one, or named as their parent by a
// cached group. Under s.mu.
func (s *Session) isCommunityLocked(jid types.JID) bool {
	if g := s.groups[jid]; g != nil && g.IsParent {
		return true
	}
	for _, g := range s.groups {
		if g.LinkedParentJID == jid {
			return true
		}
	}
	return false
}

// subGroupsLocked is the cached groups of the community parent, in JID
// order. Under s.mu.
func (s *Session) subGroupsLocked(parent types.JID) []types.JID {
	var out []types.JID
	for j, g := range s.groups {
		if g.LinkedParentJID == parent {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b types.JID) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// roomEvents are ChatEvents of the groups jids as now cached (their
// rooms renamed), sent by by at at.
func (s *Session) roomEvents(jids []types.JID, by *pb.Sender, at int64) []*pb.Event {
	var out []*pb.Event
	for _, jid := range jids {
		cp, ok := s.cachedGroup(jid) // groups.go
		if !ok {
			continue
		}
		c := s.chatOf(&cp)
		out = append(out, &pb.Event{ChatId: c.ChatId, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: by, TimestampUnixMicro: at,
			Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: c}}})
	}
	return out
}

// communityEvents converts a change of a community's parent group: a new
// name, a group linked to it or unlinked from it, its deletion rename its
// groups' rooms; the rest (its description, its members) has no room to
// show in, logged at debug. handled is false when e.JID is no community.
func (s *Session) communityEvents(e *events.GroupInfo, by *pb.Sender) (out []*pb.Event, handled bool) {
	sub := func(l *types.GroupLinkChange) bool { return l != nil && l.Type == types.GroupLinkChangeTypeSub }
	s.mu.Lock()
	if !s.isCommunityLocked(e.JID) && !sub(e.Link) && !sub(e.Unlink) {
		s.mu.Unlock()
		return nil, false
	}
	p := s.groups[e.JID]
	if p == nil {
		p = &types.GroupInfo{JID: e.JID, GroupParent: types.GroupParent{IsParent: true}}
		s.groups[e.JID] = p
	}
	var renamed []types.JID
	if e.Name != nil {
		old := p.Name
		p.Name = e.Name.Name
		for _, j := range s.subGroupsLocked(e.JID) {
			// The announcement group named as its community: taken to
			// follow it (whether WhatsApp renames it too is not known).
			if g := s.groups[j]; g.IsDefaultSubGroup && old != "" && g.Name == old {
				g.Name = p.Name
			}
			renamed = append(renamed, j)
		}
	}
	if sub(e.Link) {
		if g := s.groups[e.Link.Group.JID]; g != nil {
			g.LinkedParentJID = e.JID
			g.IsDefaultSubGroup = g.IsDefaultSubGroup || e.Link.Group.IsDefaultSubGroup
			renamed = append(renamed, g.JID)
		}
	}
	if sub(e.Unlink) {
		if g := s.groups[e.Unlink.Group.JID]; g != nil && g.LinkedParentJID == e.JID {
			g.LinkedParentJID = types.EmptyJID
			renamed = append(renamed, g.JID)
		}
	}
	if e.Delete != nil && e.Delete.Deleted {
		for _, j := range s.subGroupsLocked(e.JID) {
			s.groups[j].LinkedParentJID = types.EmptyJID
			renamed = append(renamed, j)
		}
		delete(s.groups, e.JID)
	}
	s.mu.Unlock()
	if e.Topic != nil || len(e.Join)+len(e.Leave)+len(e.Promote)+len(e.Demote) > 0 || e.Announce != nil {
		s.log.Debug("community change not shown: a community is no room, its groups are", "community", e.JID)
	}
	s.updateCachedMembers(e)
	slices.SortFunc(renamed, func(a, b types.JID) int { return strings.Compare(a.String(), b.String()) })
	return s.roomEvents(slices.Compact(renamed), by, e.Timestamp.UnixMicro()), true
}

// parentLinked applies a change of e.JID's community (it was linked to
// one, or unlinked from it) to the cached group, and says whether there
// was one: its room's name changes.
func (s *Session) parentLinked(e *events.GroupInfo) bool {
	parent := func(l *types.GroupLinkChange) bool { return l != nil && l.Type == types.GroupLinkChangeTypeParent }
	if !parent(e.Link) && !parent(e.Unlink) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[e.JID]
	if g == nil {
		return false
	}
	if parent(e.Link) {
		l := e.Link.Group
		g.LinkedParentJID = l.JID
		switch p := s.groups[l.JID]; {
		case p == nil:
			s.groups[l.JID] = &types.GroupInfo{JID: l.JID, GroupName: l.GroupName, GroupParent: types.GroupParent{IsParent: true}}
		case l.Name != "":
			p.Name = l.Name
		}
	}
	if parent(e.Unlink) && g.LinkedParentJID == e.Unlink.Group.JID {
		g.LinkedParentJID = types.EmptyJID
	}
	return true
}
