package wafake

import (
	"context"
	"slices"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
)

// inviting is the fake server's side of private invitations
// (waE2E.GroupInviteMessage): the codes it gave a group's admins for
// someone it would not add, which let that one join.
type inviting struct {
	offers []*Invitation // for the user, as AddInvitation put them
	joins  []Invitation  // JoinGroupWithInvite's calls, in order
}

// Invitation is a private invitation to a group: its group, the admin
// who sent it, its code and its expiry.
type Invitation struct {
	Group      types.JID
	Inviter    types.JID
	Code       string
	Expiration time.Time
}

// AddInvitation puts g on the fake server (a group the user is not in)
// with an invitation for the user, as WhatsApp's answer to inviter's add
// of the user offered it.
func (c *Client) AddInvitation(g *types.GroupInfo, inviter types.JID, code string, expiration time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := *g
	cp.Participants = slices.Clone(g.Participants)
	c.inviting.offers = append(c.inviting.offers, &Invitation{Group: g.JID, Inviter: inviter, Code: code, Expiration: expiration})
	if c.outside == nil {
		c.outside = map[types.JID]*types.GroupInfo{}
	}
	c.outside[g.JID] = &cp
}

// InvitationJoins is what JoinGroupWithInvite was asked, in order.
func (c *Client) InvitationJoins() []Invitation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.inviting.joins)
}

// JoinGroupWithInvite joins by an invitation AddInvitation made, as
// WhatsApp does (the user becomes a participant, and the notification of
// the join is dispatched as whatsmeow's JoinedGroup before the answer).
// Its refusals are guesses, not seen from WhatsApp: an expired
// invitation 410 gone, one it never gave (another code, group, inviter or
// expiry) 406 not-acceptable, as for links; a user in the group already
// 409 conflict.
func (c *Client) JoinGroupWithInvite(_ context.Context, jid, inviter types.JID, code string, expiration int64) error {
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return whatsmeow.ErrNotConnected
	}
	c.inviting.joins = append(c.inviting.joins, Invitation{Group: jid, Inviter: inviter, Code: code, Expiration: time.Unix(expiration, 0)})
	c.notifyLocked()
	i := slices.IndexFunc(c.inviting.offers, func(o *Invitation) bool {
		return o.Group == jid && o.Inviter == inviter && o.Code == code && o.Expiration.Unix() == expiration
	})
	g := c.outside[jid]
	switch {
	case i < 0 || g == nil:
		c.mu.Unlock()
		return whatsmeow.ErrIQNotAcceptable
	case !time.Now().Before(c.inviting.offers[i].Expiration):
		c.mu.Unlock()
		return whatsmeow.ErrIQGone
	case c.groups[jid] != nil:
		c.mu.Unlock()
		return &whatsmeow.IQError{Code: 409, Text: "conflict"}
	}
	evt, err := c.joinLocked(g)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	c.Emit(evt)
	return nil
}
