package wafake

import (
	"fmt"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// NotifyGroupSettings tells the user's device that by changed g's
// settings to g's (who may post, edit its info, add members), as
// WhatsApp's w:gp2 notification does: <locked/> or <unlocked/>,
// <announcement/> or <not_announcement/> (with its version), and
// <member_add_mode> holding the mode as its text, the form Baileys
// reads (messages-recv.ts: the element's content is the mode). The
// notification goes through WhatsApp's binary encoding and back, then
// whatsmeow's own parser (which leaves the member add mode among the
// unknown changes), so the plugin gets what whatsmeow makes of it.
func (c *Client) NotifyGroupSettings(g *types.GroupInfo, by types.JID) error {
	locked, announce := "unlocked", "not_announcement"
	if g.IsLocked {
		locked = "locked"
	}
	if g.IsAnnounce {
		announce = "announcement"
	}
	kids := []waBinary.Node{
		{Tag: locked},
		{Tag: announce, Attrs: waBinary.Attrs{"v_id": strconv.FormatInt(time.Now().UnixMicro(), 10)}},
	}
	if g.MemberAddMode != "" {
		kids = append(kids, waBinary.Node{Tag: "member_add_mode", Content: []byte(g.MemberAddMode)})
	}
	return c.NotifyGroup(g.JID, by, kids...)
}

// NotifyGroup tells the user's device of a change of group, as
// WhatsApp's w:gp2 notification does, the change its children
// (<suspended/>, <membership_approval_mode>, <invite code=…/>...), from
// by (none for WhatsApp itself: types.EmptyJID). It goes through
// WhatsApp's binary encoding and back, then whatsmeow's own parser, so
// the plugin gets what whatsmeow makes of it.
func (c *Client) NotifyGroup(group, by types.JID, kids ...waBinary.Node) error {
	now := time.Now()
	attrs := waBinary.Attrs{"type": "w:gp2", "from": group,
		"id": strconv.FormatInt(now.UnixNano(), 10), "t": strconv.FormatInt(now.Unix(), 10)}
	if !by.IsEmpty() {
		attrs["participant"] = by
	}
	notif := waBinary.Node{Tag: "notification", Attrs: attrs, Content: kids}
	got, err := overWire(notif)
	if err != nil {
		return fmt.Errorf("wafake: the notification of %s: %w", group, err)
	}
	evt, _, _, err := c.Real.DangerousInternals().ParseGroupNotification(got)
	if err != nil {
		return fmt.Errorf("wafake: the notification of %s: %w", group, err)
	}
	c.Emit(evt)
	return nil
}
