package wafake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// joining is the fake server's side of invitation links
// (chat.whatsapp.com/CODE).
type joining struct {
	links    map[string]*inviteLink // code -> link
	asked    []string               // the codes joined by, in order
	requests []types.JID            // groups asked to join, waiting for their admins
	shared   []types.JID            // the groups whose link GetGroupInviteLink was asked
	// communities are the groups of the communities behind links
	// (AddCommunityLink), by their parent's JID, as the server has them.
	communities map[types.JID][]*types.GroupInfo
}

// inviteLink is a group behind a code.
type inviteLink struct {
	group   *types.GroupInfo // as the server has it while the user is not in it
	revoked bool
}

// AddLink puts g on the fake server behind an invitation code: a group the
// user is not in, which the link lets them into, or, when
// g.IsJoinApprovalRequired, to which it sends their request to join (its
// admins approve newcomers). A code of a group the user is in (SetGroup)
// shows that group, the user among its participants.
func (c *Client) AddLink(code string, g *types.GroupInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joining.links == nil {
		c.joining.links = map[string]*inviteLink{}
	}
	cp := *g
	cp.Participants = slices.Clone(g.Participants)
	c.joining.links[code] = &inviteLink{group: &cp}
}

// RevokeLink has WhatsApp answer code as a revoked link (410 gone), as
// after its group's admins reset it.
func (c *Client) RevokeLink(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.joining.links[code]; l != nil {
		l.revoked = true
	}
}

// LinkJoins is the codes JoinGroupWithLink was asked to join by, in order.
func (c *Client) LinkJoins() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.joining.asked)
}

// JoinRequests is the groups the user asked to join by a link, waiting
// for their admins' approval.
func (c *Client) JoinRequests() []types.JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.joining.requests)
}

// linkError is a refused link as whatsmeow returns it: its own error
// (ErrInviteLinkRevoked, ErrInviteLinkInvalid) for errors.Is, wrapping
// WhatsApp's IQ error.
type linkError struct{ human, iq error }

func (e *linkError) Error() string       { return e.human.Error() }
func (e *linkError) Is(other error) bool { return errors.Is(other, e.human) }
func (e *linkError) Unwrap() error       { return e.iq }

// linkLocked is the link of code, or whatsmeow's error for it: WhatsApp
// answers an unknown code 406 not-acceptable, a revoked one 410 gone.
func (c *Client) linkLocked(code string) (*inviteLink, error) {
	if !c.connected {
		return nil, whatsmeow.ErrNotConnected
	}
	l := c.joining.links[code]
	switch {
	case l == nil:
		return nil, &linkError{whatsmeow.ErrInviteLinkInvalid, whatsmeow.ErrIQNotAcceptable}
	case l.revoked:
		return nil, &linkError{whatsmeow.ErrInviteLinkRevoked, whatsmeow.ErrIQGone}
	}
	return l, nil
}

// GetGroupInfoFromLink answers as WhatsApp does, through whatsmeow's own
// parser: the <group> of the link's group, as the server has it now (the
// user among its participants once in it); then OnLinkLookup hears of it.
func (c *Client) GetGroupInfoFromLink(_ context.Context, code string) (*types.GroupInfo, error) {
	code = strings.TrimPrefix(code, whatsmeow.InviteLinkPrefix)
	c.mu.Lock()
	l, err := c.linkLocked(code)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	g := l.group
	if in := c.groups[l.group.JID]; in != nil {
		g = in
	}
	n := groupNode(g)
	hook := c.OnLinkLookup
	c.mu.Unlock()
	info, err := c.Real.DangerousInternals().ParseGroupNode(&n)
	if hook != nil {
		hook(code)
	}
	return info, err
}

// JoinGroupWithLink joins the link's group as WhatsApp does: the user
// becomes a participant, and WhatsApp's notification of the join to the
// user's devices (<create reason="invite">) is dispatched as whatsmeow's
// JoinedGroup before the answer comes back. A group whose admins approve
// newcomers gets a request instead (listed by JoinRequests), and the
// answer names the group all the same, as whatsmeow's does. A user in
// the group already, or whose request waits, is answered 409 conflict.
func (c *Client) JoinGroupWithLink(_ context.Context, code string) (types.JID, error) {
	c.mu.Lock()
	code = strings.TrimPrefix(code, whatsmeow.InviteLinkPrefix)
	l, err := c.linkLocked(code)
	if err != nil {
		c.mu.Unlock()
		return types.EmptyJID, err
	}
	c.joining.asked = append(c.joining.asked, code)
	c.notifyLocked()
	jid := l.group.JID
	if _, in := c.groups[jid]; in || slices.Contains(c.joining.requests, jid) {
		c.mu.Unlock()
		return types.EmptyJID, &whatsmeow.IQError{Code: 409, Text: "conflict"}
	}
	if l.group.IsJoinApprovalRequired {
		c.joining.requests = append(c.joining.requests, jid)
		c.mu.Unlock()
		return jid, nil
	}
	evt, err := c.joinLocked(l.group)
	evts := []*events.JoinedGroup{evt}
	if err == nil && l.group.IsParent {
		// A community's link: the user joins its announcement group too,
		// notified as a join of its own (the fake's guess of WhatsApp).
		for _, sg := range c.joining.communities[jid] {
			if sg.IsDefaultSubGroup {
				if evt, err = c.joinLocked(sg); err == nil {
					evts = append(evts, evt)
				}
			}
		}
	}
	c.mu.Unlock()
	if err != nil {
		return types.EmptyJID, err
	}
	for _, evt := range evts {
		c.Emit(evt)
	}
	return jid, nil
}

// AddCommunityLink puts a community the user is not in on the fake
// server behind an invitation code, as AddLink a group: parent, made the
// community's parent group, and subs, each linked to it (mark the
// announcement group IsDefaultSubGroup, and IsAnnounce). Joining by the
// code makes the user a participant of the parent and of the
// announcement group.
func (c *Client) AddCommunityLink(code string, parent *types.GroupInfo, subs ...*types.GroupInfo) {
	p := *parent
	p.IsParent = true
	c.AddLink(code, &p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joining.communities == nil {
		c.joining.communities = map[types.JID][]*types.GroupInfo{}
	}
	for _, sg := range subs {
		cp := *sg
		cp.Participants = slices.Clone(sg.Participants)
		cp.LinkedParentJID = p.JID
		c.joining.communities[p.JID] = append(c.joining.communities[p.JID], &cp)
	}
}

// GetSubGroups lists the groups of a community the user is in, as
// whatsmeow parses WhatsApp's <sub_groups>: those put behind its link and
// those the user is in (SetCommunity). ErrNotInGroup for a community the
// user is not in, ErrGroupNotFound for none.
func (c *Client) GetSubGroups(_ context.Context, community types.JID) ([]*types.GroupLinkTarget, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return nil, whatsmeow.ErrNotConnected
	}
	p := c.groups[community]
	if p == nil || !p.IsParent {
		if _, ok := c.joining.communities[community]; ok {
			return nil, whatsmeow.ErrNotInGroup
		}
		return nil, whatsmeow.ErrGroupNotFound
	}
	var out []*types.GroupLinkTarget
	seen := map[types.JID]bool{}
	add := func(g *types.GroupInfo) {
		if !seen[g.JID] {
			seen[g.JID] = true
			out = append(out, &types.GroupLinkTarget{JID: g.JID, GroupName: g.GroupName, GroupIsDefaultSub: g.GroupIsDefaultSub})
		}
	}
	for _, g := range c.joining.communities[community] {
		add(g)
	}
	for _, g := range c.groups {
		if g.LinkedParentJID == community {
			add(g)
		}
	}
	return out, nil
}

// joinLocked makes the user a participant of from, a group the server
// has that they are not in, and returns WhatsApp's notification of the
// join to the user's devices (<create reason="invite">) as whatsmeow's
// JoinedGroup, to dispatch once c.mu is released.
func (c *Client) joinLocked(from *types.GroupInfo) (*events.JoinedGroup, error) {
	g := *from
	own := c.dev.ID.ToNonAD()
	g.Participants = append(slices.Clone(from.Participants), types.GroupParticipant{JID: own, PhoneNumber: own})
	g.ParticipantCount = len(g.Participants)
	c.groups[g.JID] = &g
	gn := groupNode(&g)
	create := waBinary.Node{Tag: "create", Attrs: waBinary.Attrs{"reason": "invite"}, Content: []waBinary.Node{gn}}
	notif := waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{"type": "w:gp2", "from": g.JID, "participant": own,
		"t": strconv.FormatInt(time.Now().Unix(), 10)}, Content: []waBinary.Node{create}}
	evt, _, _, err := c.Real.DangerousInternals().ParseGroupCreate(&notif, &create)
	if err != nil {
		return nil, fmt.Errorf("wafake: the notification of a join: %w", err)
	}
	return evt, nil
}

// groupNode is g as WhatsApp's <group> element, as far as the plugin
// reads it.
func groupNode(g *types.GroupInfo) waBinary.Node {
	created := g.GroupCreated
	if created.IsZero() {
		created = time.Unix(1700000000, 0)
	}
	attrs := waBinary.Attrs{"id": g.JID.User, "subject": g.Name, "creation": strconv.FormatInt(created.Unix(), 10),
		"size": strconv.Itoa(len(g.Participants))}
	if !g.NameSetAt.IsZero() {
		attrs["s_t"] = strconv.FormatInt(g.NameSetAt.Unix(), 10)
	}
	if !g.NameSetBy.IsEmpty() {
		attrs["s_o"] = g.NameSetBy
	}
	if !g.OwnerJID.IsEmpty() {
		attrs["creator"] = g.OwnerJID
	}
	var kids []waBinary.Node
	for _, p := range g.Participants {
		pa := waBinary.Attrs{"jid": p.JID}
		switch {
		case p.IsSuperAdmin:
			pa["type"] = "superadmin"
		case p.IsAdmin:
			pa["type"] = "admin"
		}
		if p.JID.Server == types.HiddenUserServer && !p.PhoneNumber.IsEmpty() {
			pa["phone_number"] = p.PhoneNumber
		} else if p.JID.Server == types.DefaultUserServer && !p.LID.IsEmpty() {
			pa["lid"] = p.LID
		}
		kids = append(kids, waBinary.Node{Tag: "participant", Attrs: pa})
	}
	if g.Topic != "" {
		da := waBinary.Attrs{"id": cmp.Or(g.TopicID, "FAKETOPIC"), "t": strconv.FormatInt(g.TopicSetAt.Unix(), 10)}
		if !g.TopicSetBy.IsEmpty() {
			da["participant"] = g.TopicSetBy
		}
		kids = append(kids, waBinary.Node{Tag: "description", Attrs: da, Content: []waBinary.Node{{Tag: "body", Content: []byte(g.Topic)}}})
	}
	if g.IsAnnounce {
		kids = append(kids, waBinary.Node{Tag: "announcement"})
	}
	if g.IsJoinApprovalRequired {
		kids = append(kids, waBinary.Node{Tag: "membership_approval_mode", Content: []waBinary.Node{{Tag: "group_join", Attrs: waBinary.Attrs{"state": "on"}}}})
	}
	return waBinary.Node{Tag: "group", Attrs: attrs, Content: append(kids, communityNodes(g)...)}
}

// GetGroupInviteLink answers as WhatsApp does: a group's link to its
// admins, and to its other members when they may add others (member add
// mode all_member_add); to another member 401, to someone not in it 403,
// for an unknown group 404, each as whatsmeow's error. The link's code is
// the group's AddLink code when it has one not revoked, else one of its
// own. InviteLinkErr, when set, is the answer instead. Resetting is not
// faked.
func (c *Client) GetGroupInviteLink(_ context.Context, jid types.JID, reset bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joining.shared = append(c.joining.shared, jid)
	switch {
	case c.InviteLinkErr != nil:
		return "", c.InviteLinkErr
	case !c.connected:
		return "", whatsmeow.ErrNotConnected
	case c.dev.ID == nil:
		return "", whatsmeow.ErrNotLoggedIn
	case reset:
		return "", errors.New("wafake: resetting a link is not faked")
	}
	g, ok := c.groups[jid]
	if !ok {
		for _, l := range c.joining.links {
			if l.group.JID == jid {
				return "", &linkError{whatsmeow.ErrNotInGroup, whatsmeow.ErrIQForbidden}
			}
		}
		return "", &linkError{whatsmeow.ErrGroupNotFound, whatsmeow.ErrIQNotFound}
	}
	own, lid := c.dev.ID.ToNonAD(), c.dev.LID
	i := slices.IndexFunc(g.Participants, func(p types.GroupParticipant) bool {
		return p.JID.User == own.User || p.PhoneNumber.User == own.User || (!lid.IsEmpty() && p.LID.User == lid.User)
	})
	switch {
	case i < 0:
		return "", &linkError{whatsmeow.ErrNotInGroup, whatsmeow.ErrIQForbidden}
	case !g.Participants[i].IsAdmin && !g.Participants[i].IsSuperAdmin && g.MemberAddMode != types.GroupMemberAddModeAllMember:
		return "", &linkError{whatsmeow.ErrGroupInviteLinkUnauthorized, whatsmeow.ErrIQNotAuthorized}
	}
	codes := make([]string, 0, 1)
	for code, l := range c.joining.links {
		if l.group.JID == jid && !l.revoked {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	if len(codes) == 0 {
		codes = append(codes, "Fake"+jid.User)
	}
	return whatsmeow.InviteLinkPrefix + codes[0], nil
}

// InviteLinkAsks is the groups whose link GetGroupInviteLink was asked,
// in order.
func (c *Client) InviteLinkAsks() []types.JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.joining.shared)
}
