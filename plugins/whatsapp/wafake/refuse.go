package wafake

import (
	"context"
	"strconv"

	waBinary "go.mau.fi/whatsmeow/binary"
)

// Refuse is WhatsApp refusing the connection with reason (its <failure>
// stanza, message optional), handed to whatsmeow's own handling of it:
// whatsmeow decides which event it dispatches (LoggedOut, ClientOutdated,
// ConnectFailure...) and whether it reconnects.
func (c *Client) Refuse(ctx context.Context, reason int, message string) {
	attrs := waBinary.Attrs{"reason": strconv.Itoa(reason), "location": "fake"}
	if message != "" {
		attrs["message"] = message
	}
	c.Real.DangerousInternals().HandleConnectFailure(ctx, &waBinary.Node{Tag: "failure", Attrs: attrs})
}

// RefuseConnections has WhatsApp refuse each connection of a paired
// device from now on with reason (Refuse, once the socket is open), as
// it does when it refuses the same device again and again; 0 accepts
// them again.
func (c *Client) RefuseConnections(reason int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuseWith = reason
}
