package wafake

import (
	"fmt"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
)

// PinRefusal is the error code of WhatsApp's acknowledgement refusing a
// pin in a group whose settings only its admins may edit (pins among
// them) from a user who is none: the fake's guess (403, as WhatsApp's
// IQs refuse the same user a change of the settings), not seen from
// WhatsApp itself.
const PinRefusal = 403

// refusePinLocked is WhatsApp's refusal of msg to to when it is a pin
// the user may not make there; nil otherwise.
func (c *Client) refusePinLocked(to types.JID, msg *waE2E.Message) error {
	if msg.GetPinInChatMessage() == nil || to.Server != types.GroupServer {
		return nil
	}
	if g := c.groups[to]; g != nil && g.IsLocked && !c.selfAdminLocked(g) {
		return fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, PinRefusal)
	}
	return nil
}
