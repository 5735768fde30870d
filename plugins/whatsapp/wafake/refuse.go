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
