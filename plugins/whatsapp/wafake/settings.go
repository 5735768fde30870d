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
	now := time.Now()
	kids := []waBinary.Node{
		{Tag: locked},
		{Tag: announce, Attrs: waBinary.Attrs{"v_id": strconv.FormatInt(now.UnixMicro(), 10)}},
	}
	if g.MemberAddMode != "" {
		kids = append(kids, waBinary.Node{Tag: "member_add_mode", Content: []byte(g.MemberAddMode)})
	}
	notif := waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{"type": "w:gp2", "from": g.JID, "participant": by,
		"id": strconv.FormatInt(now.UnixNano(), 10), "t": strconv.FormatInt(now.Unix(), 10)}, Content: kids}
	wire, err := waBinary.Marshal(notif)
	if err != nil {
		return fmt.Errorf("wafake: the settings notification of %s: %w", g.JID, err)
	}
	plain, err := waBinary.Unpack(wire) // the frame's flag byte, as whatsmeow's socket reads it
	if err != nil {
		return fmt.Errorf("wafake: the settings notification of %s: %w", g.JID, err)
	}
	got, err := waBinary.Unmarshal(plain)
	if err != nil {
		return fmt.Errorf("wafake: the settings notification of %s: %w", g.JID, err)
	}
	evt, _, _, err := c.Real.DangerousInternals().ParseGroupNotification(got)
	if err != nil {
		return fmt.Errorf("wafake: the settings notification of %s: %w", g.JID, err)
	}
	c.Emit(evt)
	return nil
}
