package wafake

import (
	"context"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// IdentityChanged has WhatsApp tell the plugin that jid's security code
// changed (a new phone, WhatsApp installed again) at at: the encrypt
// notification WhatsApp's server sends, handled by whatsmeow's own code,
// which forgets jid's keys and dispatches an IdentityChange.
func (c *Client) IdentityChanged(ctx context.Context, jid types.JID, at time.Time) {
	c.Real.DangerousInternals().HandleEncryptNotification(ctx, &waBinary.Node{
		Tag: "notification",
		Attrs: waBinary.Attrs{"from": jid, "type": "encrypt", "id": "identity-" + strconv.FormatInt(at.UnixNano(), 10),
			"t": strconv.FormatInt(at.Unix(), 10)},
		Content: []waBinary.Node{{Tag: "identity"}},
	})
}

// UntrustedIdentity is whatsmeow meeting a message from jid (a device)
// under a key other than the one it trusts, with no notification of the
// change before: it forgets the key and dispatches an implicit
// IdentityChange (from a goroutine of its own, as whatsmeow does).
func (c *Client) UntrustedIdentity(ctx context.Context, jid types.JID) error {
	return c.Real.DangerousInternals().ClearUntrustedIdentity(ctx, jid)
}
