package wafake

import (
	"fmt"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// A WhatsApp community is a parent group (<parent/> in its <group>: the
// community itself, with no chat of its own) and groups linked to it
// (<linked_parent jid=…/>), one of which, its announcement group, is the
// default one (<default_sub_group/>), where only admins post.

// communityNodes are the children of g's <group> that say its place in a
// community.
func communityNodes(g *types.GroupInfo) []waBinary.Node {
	var kids []waBinary.Node
	if g.IsParent {
		pa := waBinary.Attrs{}
		if g.DefaultMembershipApprovalMode != "" {
			pa["default_membership_approval_mode"] = g.DefaultMembershipApprovalMode
		}
		kids = append(kids, waBinary.Node{Tag: "parent", Attrs: pa})
	}
	if !g.LinkedParentJID.IsEmpty() {
		kids = append(kids, waBinary.Node{Tag: "linked_parent", Attrs: waBinary.Attrs{"jid": g.LinkedParentJID}})
	}
	if g.IsDefaultSubGroup {
		kids = append(kids, waBinary.Node{Tag: "default_sub_group"})
	}
	return kids
}

// SetCommunity puts a community the user is in on the fake server, as
// WhatsApp lists it (GetJoinedGroups, GetGroupInfo): parent, made the
// community's parent group, and subs, each linked to it (mark the
// announcement group IsDefaultSubGroup, and IsAnnounce as WhatsApp has
// it). Each is kept as whatsmeow's own parser reads WhatsApp's <group>
// for it.
func (c *Client) SetCommunity(parent *types.GroupInfo, subs ...*types.GroupInfo) error {
	p := *parent
	p.IsParent = true
	all := []*types.GroupInfo{&p}
	for _, s := range subs {
		cp := *s
		cp.LinkedParentJID = p.JID
		all = append(all, &cp)
	}
	parsed := make([]*types.GroupInfo, 0, len(all))
	for _, g := range all {
		n := groupNode(g)
		info, err := c.Real.DangerousInternals().ParseGroupNode(&n)
		if err != nil {
			return fmt.Errorf("wafake: the community's group %s: %w", g.JID, err)
		}
		parsed = append(parsed, info)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, g := range parsed {
		c.groups[g.JID] = g
	}
	return nil
}

// RenameGroup has by rename group jid (a community's parent group as
// well): the fake server's group takes the name, and WhatsApp's
// notification (<subject>) is dispatched as whatsmeow parses it. Whether
// WhatsApp renames a community's announcement group with the community
// is not known: the fake does not.
func (c *Client) RenameGroup(jid, by types.JID, name string) error {
	c.mu.Lock()
	g, ok := c.groups[jid]
	if !ok {
		c.mu.Unlock()
		return fmt.Errorf("wafake: no group %s", jid)
	}
	g.Name = name
	c.mu.Unlock()
	now := strconv.FormatInt(time.Now().Unix(), 10)
	return c.notifyGroup(jid, by, waBinary.Node{Tag: "subject", Attrs: waBinary.Attrs{"subject": name, "s_t": now, "s_o": by}})
}

// LinkSubGroup has by (a community admin) link group child to the
// community parent: the fake server's child names its parent, and
// WhatsApp's notifications to a member of both are dispatched as
// whatsmeow parses them: the parent's (<link link_type="sub_group">,
// naming the child), then the child's (<link link_type="parent_group">,
// naming the parent). That a member gets both is the fake's guess.
func (c *Client) LinkSubGroup(parent, child, by types.JID) error {
	p, ch, err := c.communityPair(parent, child)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.groups[child].LinkedParentJID = parent
	c.mu.Unlock()
	if err := c.notifyGroup(parent, by, linkNode("link", "link_type", "sub_group", "", ch)); err != nil {
		return err
	}
	return c.notifyGroup(child, by, linkNode("link", "link_type", "parent_group", "", p))
}

// UnlinkSubGroup has by unlink group child from the community parent:
// the counterpart of LinkSubGroup (<unlink unlink_type=…
// unlink_reason="unlink_group">).
func (c *Client) UnlinkSubGroup(parent, child, by types.JID) error {
	p, ch, err := c.communityPair(parent, child)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.groups[child].LinkedParentJID = types.EmptyJID
	c.mu.Unlock()
	if err := c.notifyGroup(parent, by, linkNode("unlink", "unlink_type", "sub_group", "unlink_group", ch)); err != nil {
		return err
	}
	return c.notifyGroup(child, by, linkNode("unlink", "unlink_type", "parent_group", "unlink_group", p))
}

// communityPair is a copy of the fake server's parent and child groups.
func (c *Client) communityPair(parent, child types.JID) (types.GroupInfo, types.GroupInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ch := c.groups[parent], c.groups[child]
	if p == nil || ch == nil || !p.IsParent {
		return types.GroupInfo{}, types.GroupInfo{}, fmt.Errorf("wafake: %s is no community, or %s no group of the user's", parent, child)
	}
	return *p, *ch, nil
}

// linkNode is a <link> or <unlink> naming the group target.
func linkNode(tag, typeAttr, typ, reason string, target types.GroupInfo) waBinary.Node {
	attrs := waBinary.Attrs{typeAttr: typ}
	if reason != "" {
		attrs["unlink_reason"] = reason
	}
	var kids []waBinary.Node
	if target.IsDefaultSubGroup {
		kids = append(kids, waBinary.Node{Tag: "default_sub_group"})
	}
	g := waBinary.Node{Tag: "group", Attrs: waBinary.Attrs{"jid": target.JID, "subject": target.Name}, Content: kids}
	return waBinary.Node{Tag: tag, Attrs: attrs, Content: []waBinary.Node{g}}
}

// notifyGroup dispatches WhatsApp's w:gp2 notification of a change of
// group jid by by, as whatsmeow parses it (an events.GroupInfo).
func (c *Client) notifyGroup(jid, by types.JID, change waBinary.Node) error {
	notif := waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{"type": "w:gp2", "from": jid, "participant": by,
		"t": strconv.FormatInt(time.Now().Unix(), 10)}, Content: []waBinary.Node{change}}
	evt, _, _, err := c.Real.DangerousInternals().ParseGroupNotification(&notif)
	if err != nil {
		return fmt.Errorf("wafake: the notification of a change of %s: %w", jid, err)
	}
	c.Emit(evt)
	return nil
}
