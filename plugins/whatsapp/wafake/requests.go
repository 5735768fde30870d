package wafake

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// requests are the fake server's pending requests to join groups whose
// admins approve newcomers: by group, those asking, named as WhatsApp
// lists them (a LID, with their phone number beside it when known).
type requests map[types.JID][]request

type request struct{ jid, pn types.JID }

// AskToJoin has who (their LID or phone number; pn their phone number
// beside a LID, or empty) ask to join group, as by its link when its
// admins approve newcomers: the request is pending on the server, and
// the user's device is told (<created_membership_requests>), as WhatsApp
// tells the group's admins.
func (c *Client) AskToJoin(group, who, pn types.JID) error {
	c.mu.Lock()
	if c.requests == nil {
		c.requests = requests{}
	}
	c.requests[group] = append(c.requests[group], request{jid: who, pn: pn})
	lose := c.loseRequestNotices
	c.mu.Unlock()
	if lose {
		return nil
	}
	u := waBinary.Node{Tag: "requested_user", Attrs: waBinary.Attrs{"jid": who}}
	if !pn.IsEmpty() {
		u.Attrs["phone_number"] = pn
	}
	return c.NotifyGroup(group, types.EmptyJID, waBinary.Node{Tag: "created_membership_requests",
		Attrs: waBinary.Attrs{"request_method": "invite_link"}, Content: []waBinary.Node{u}})
}

// PendingRequests are those asking to join group, as the server has
// them (by the JID they asked with).
func (c *Client) PendingRequests(group types.JID) []types.JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []types.JID
	for _, r := range c.requests[group] {
		out = append(out, r.jid)
	}
	return out
}

// SettleRequest answers who's request to join group as another admin
// does on their phone: approved, they are added to the group (and the
// user's device told, as WhatsApp's <add> notification does); rejected,
// the request is gone, and the user's device told by that admin (the
// group's first other admin; requestEnded).
func (c *Client) SettleRequest(group, who types.JID, approve bool) error {
	c.mu.Lock()
	r, ok := c.takeRequestLocked(group, who)
	var admin types.JID
	if g := c.groups[group]; g != nil {
		for _, p := range g.Participants {
			if (p.IsAdmin || p.IsSuperAdmin) && !c.isOwnLocked(p.JID) {
				admin = p.JID
				break
			}
		}
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("wafake: %s did not ask to join %s", who, group)
	}
	if approve {
		return c.joinedByRequest(group, r)
	}
	return c.requestEnded(group, r, admin)
}

// WithdrawRequest has who withdraw their request to join group: it is
// gone, and the user's device told, from them (requestEnded).
func (c *Client) WithdrawRequest(group, who types.JID) error {
	c.mu.Lock()
	r, ok := c.takeRequestLocked(group, who)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("wafake: %s did not ask to join %s", who, group)
	}
	return c.requestEnded(group, r, r.jid)
}

// requestEnded tells the user's device that r's request to join group
// ended, by the requester (withdrawn) or an admin (rejected), as
// WhatsApp tells a group's admins: <revoked_membership_requests>
// holding a <participant jid=… phone_number=…/> (the form Baileys
// reads), from whoever ended it.
func (c *Client) requestEnded(group types.JID, r request, by types.JID) error {
	pa := waBinary.Attrs{"jid": r.jid}
	if !r.pn.IsEmpty() {
		pa["phone_number"] = r.pn
	}
	return c.NotifyGroup(group, by, waBinary.Node{Tag: "revoked_membership_requests", Content: []waBinary.Node{{Tag: "participant", Attrs: pa}}})
}

// GetGroupRequestParticipants lists the requests to join a group, as
// WhatsApp answers its admins; others get its 401 (not-authorized).
func (c *Client) GetGroupRequestParticipants(_ context.Context, jid types.JID) ([]types.GroupParticipantRequest, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.requestAdminLocked(jid); err != nil {
		return nil, err
	}
	var out []types.GroupParticipantRequest
	for _, r := range c.requests[jid] {
		out = append(out, types.GroupParticipantRequest{JID: r.jid, RequestedAt: time.Now()})
	}
	return out, nil
}

// UpdateGroupRequestParticipants approves or rejects requests to join,
// as WhatsApp does for an admin (401 for others): each answered
// participant, one not asking with error 404; the approved are added
// to the group and the user's device told, and so are the rejected
// (requestEnded, from the user).
func (c *Client) UpdateGroupRequestParticipants(_ context.Context, jid types.JID, users []types.JID, action whatsmeow.ParticipantRequestChange) ([]types.GroupParticipant, error) {
	c.mu.Lock()
	if err := c.requestAdminLocked(jid); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	c.requestActions = append(c.requestActions, RequestAction{Group: jid, Users: slices.Clone(users), Action: action})
	var answer []waBinary.Node
	var approved, rejected []request
	for _, u := range users {
		n := waBinary.Node{Tag: "participant", Attrs: waBinary.Attrs{"jid": u}}
		r, ok := c.takeRequestLocked(jid, u)
		switch {
		case !ok:
			n.Attrs["error"] = "404"
		case action == whatsmeow.ParticipantChangeApprove:
			approved = append(approved, r)
		default:
			rejected = append(rejected, r)
		}
		answer = append(answer, n)
	}
	var own types.JID
	if c.dev.ID != nil {
		own = c.dev.ID.ToNonAD()
	}
	parsed, err := c.Real.DangerousInternals().ParseGroupNode(&waBinary.Node{Tag: "group",
		Attrs: waBinary.Attrs{"id": jid.User, "creation": strconv.FormatInt(time.Now().Unix(), 10)}, Content: answer})
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("wafake: the answer to a request's %s: %w", action, err)
	}
	for _, r := range approved {
		if err := c.joinedByRequest(jid, r); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	lose := c.loseRequestNotices
	c.mu.Unlock()
	for _, r := range rejected {
		if lose {
			continue
		}
		if err := c.requestEnded(jid, r, own); err != nil {
			return nil, err
		}
	}
	return parsed.Participants, nil
}

// LoseRequestNotices has WhatsApp's notices of requests to join (to the
// group's admins, the user's devices among them) not come, as when the
// connection drops before them: of a request made (AskToJoin) and of
// the user's rejection of one (UpdateGroupRequestParticipants); the
// request and the rejection are made all the same.
func (c *Client) LoseRequestNotices(lose bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loseRequestNotices = lose
}

// RequestEndedByUser tells the user's device that the user rejected
// who's request to join group from their phone (the request gone from
// the server), as WhatsApp tells the group's admins (requestEnded).
func (c *Client) RequestEndedByUser(group, who types.JID) error {
	c.mu.Lock()
	r, ok := c.takeRequestLocked(group, who)
	var own types.JID
	if c.dev.ID != nil {
		own = c.dev.ID.ToNonAD()
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("wafake: %s did not ask to join %s", who, group)
	}
	return c.requestEnded(group, r, own)
}

// RequestAction is an UpdateGroupRequestParticipants call.
type RequestAction struct {
	Group  types.JID
	Users  []types.JID
	Action whatsmeow.ParticipantRequestChange
}

// RequestActions are the UpdateGroupRequestParticipants calls made by
// an admin, in order.
func (c *Client) RequestActions() []RequestAction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.requestActions)
}

// requestAdminLocked is nil when the user is an admin of group, else
// WhatsApp's refusal.
func (c *Client) requestAdminLocked(group types.JID) error {
	if !c.connected {
		return whatsmeow.ErrNotConnected
	}
	g, ok := c.groups[group]
	if !ok {
		return whatsmeow.ErrGroupNotFound
	}
	for _, p := range g.Participants {
		if c.isOwnLocked(p.JID) && (p.IsAdmin || p.IsSuperAdmin) {
			return nil
		}
	}
	return &whatsmeow.IQError{Code: 401, Text: "not-authorized"}
}

// isOwnLocked says whether j is the user's phone number or LID.
func (c *Client) isOwnLocked(j types.JID) bool {
	return (c.dev.ID != nil && j.User == c.dev.ID.User) || (!c.dev.LID.IsEmpty() && j.User == c.dev.LID.User)
}

// takeRequestLocked takes who's request to join group off the server,
// found by the JID it was made with or the phone number beside it.
func (c *Client) takeRequestLocked(group, who types.JID) (request, bool) {
	rs := c.requests[group]
	i := slices.IndexFunc(rs, func(r request) bool { return r.jid == who || (!r.pn.IsEmpty() && r.pn == who) })
	if i < 0 {
		return request{}, false
	}
	r := rs[i]
	c.requests[group] = slices.Delete(slices.Clone(rs), i, i+1)
	return r, true
}

// joinedByRequest adds r to group and tells the user's device, as
// WhatsApp's <add reason="…"> notification does.
func (c *Client) joinedByRequest(group types.JID, r request) error {
	c.mu.Lock()
	if g := c.groups[group]; g != nil {
		p := types.GroupParticipant{JID: r.jid, PhoneNumber: r.pn}
		if r.jid.Server == types.HiddenUserServer {
			p.LID = r.jid
		} else {
			p.PhoneNumber = r.jid
		}
		g.Participants = append(g.Participants, p)
	}
	c.mu.Unlock()
	pa := waBinary.Attrs{"jid": r.jid}
	if !r.pn.IsEmpty() {
		pa["phone_number"] = r.pn
	}
	return c.NotifyGroup(group, types.EmptyJID, waBinary.Node{Tag: "add",
		Attrs: waBinary.Attrs{"reason": "membership_approval_request"}, Content: []waBinary.Node{{Tag: "participant", Attrs: pa}}})
}
