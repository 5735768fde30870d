package wafake

import (
	"slices"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// RemoveSelf takes the user out of group, removed by by (an admin), and
// tells the user's device as WhatsApp's w:gp2 <remove> does.
func (c *Client) RemoveSelf(group, by types.JID) error {
	own := c.dev.ID.ToNonAD()
	c.mu.Lock()
	if g := c.groups[group]; g != nil {
		cp := *g
		cp.Participants = slices.DeleteFunc(slices.Clone(g.Participants), func(p types.GroupParticipant) bool { return p.JID.User == own.User })
		cp.ParticipantCount = len(cp.Participants)
		c.groups[group] = &cp
	}
	c.mu.Unlock()
	return c.NotifyGroup(group, by, waBinary.Node{Tag: "remove", Content: []waBinary.Node{{Tag: "participant", Attrs: waBinary.Attrs{"jid": own}}}})
}

// AddSelf puts the user back into group (one the server has), added by
// an admin: its participants take the user, and the user's device is
// told as WhatsApp tells an added member, <create reason="add"> with the
// group's whole info (whatsmeow's JoinedGroup).
func (c *Client) AddSelf(group types.JID) error {
	c.mu.Lock()
	g := c.groups[group]
	if g == nil {
		c.mu.Unlock()
		return nil
	}
	evt, err := c.joinLocked(g)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	evt.Reason = "add"
	c.Emit(evt)
	return nil
}
