package wafake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// MaxGroupName is the longest group name the fake WhatsApp takes, in
// characters (WhatsApp's A/B property group_max_subject); a longer one is
// refused with 406 not-acceptable, as whatsmeow documents.
const MaxGroupName = 100

// creating is the fake server's side of group creation.
type creating struct {
	reqs   []whatsmeow.ReqCreateGroup
	refuse map[types.JID]int // participant -> the error code of their add
	err    error
}

// RefuseAdd has WhatsApp refuse to add jid to the groups created from now
// on, and to groups it is added to (UpdateGroupParticipants), with code as
// the participant's error: 403 (their privacy settings: WhatsApp answers
// with an invitation to send them instead, its code InviteCode(jid)),
// another refusal (such as 408), or 409 (already in it: they are in the
// group).
func (c *Client) RefuseAdd(jid types.JID, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.creating.refuse == nil {
		c.creating.refuse = map[types.JID]int{}
	}
	c.creating.refuse[jid] = code
}

// FailCreate has WhatsApp answer the next creations with err (an
// *whatsmeow.IQError, such as whatsmeow.ErrIQRateOverLimit); nil ends it.
func (c *Client) FailCreate(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creating.err = err
}

// Created is the creation requests WhatsApp received, in order.
func (c *Client) Created() []whatsmeow.ReqCreateGroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.creating.reqs)
}

// CreateGroup answers as WhatsApp does, through whatsmeow's own parsers:
// the <group> of its answer (the user as super admin, each participant,
// the refused ones with their error code) becomes the GroupInfo returned,
// and its notification of the creation to the user's devices, listing who
// is in, is dispatched as whatsmeow's JoinedGroup before the answer comes
// back. The group is then on the fake server with those in it.
func (c *Client) CreateGroup(_ context.Context, req whatsmeow.ReqCreateGroup) (*types.GroupInfo, error) {
	c.mu.Lock()
	if !c.connected {
		c.mu.Unlock()
		return nil, whatsmeow.ErrNotConnected
	}
	req.Participants = slices.Clone(req.Participants)
	c.creating.reqs = append(c.creating.reqs, req)
	c.notifyLocked()
	if err := c.creating.err; err != nil {
		c.mu.Unlock()
		return nil, err
	}
	if utf8.RuneCountInString(req.Name) > MaxGroupName {
		c.mu.Unlock()
		return nil, whatsmeow.ErrIQNotAcceptable
	}
	c.nextID++
	own := c.dev.ID.ToNonAD()
	now := time.Now()
	at := strconv.FormatInt(now.Unix(), 10)
	attrs := waBinary.Attrs{"id": fmt.Sprintf("120363%012d", c.nextID), "creator": own, "subject": req.Name,
		"s_t": at, "s_o": own, "creation": at}
	answer := []waBinary.Node{{Tag: "participant", Attrs: waBinary.Attrs{"jid": own, "type": "superadmin"}}}
	in := slices.Clone(answer)
	for _, p := range req.Participants {
		n, added := c.addAnswerLocked(p, now)
		if added {
			in = append(in, waBinary.Node{Tag: "participant", Attrs: waBinary.Attrs{"jid": p}})
		}
		answer = append(answer, n)
	}
	inAttrs := maps.Clone(attrs)
	inAttrs["size"] = strconv.Itoa(len(in))
	wa := c.Real.DangerousInternals()
	g, err := wa.ParseGroupNode(&waBinary.Node{Tag: "group", Attrs: attrs, Content: answer})
	if err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("wafake: the answer to a creation: %w", err)
	}
	kept, err := wa.ParseGroupNode(&waBinary.Node{Tag: "group", Attrs: inAttrs, Content: in})
	if err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("wafake: the group created: %w", err)
	}
	c.groups[kept.JID] = kept
	c.mu.Unlock()

	create := waBinary.Node{Tag: "create", Attrs: waBinary.Attrs{"type": "new", "key": req.CreateKey},
		Content: []waBinary.Node{{Tag: "group", Attrs: inAttrs, Content: in}}}
	notif := waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{"type": "w:gp2", "from": kept.JID, "participant": own, "t": at},
		Content: []waBinary.Node{create}}
	if evt, _, _, err := wa.ParseGroupCreate(&notif, &create); err == nil {
		c.Emit(evt)
	} else {
		return nil, fmt.Errorf("wafake: the notification of a creation: %w", err)
	}
	return g, nil
}

// InviteCode is the code of the invitation WhatsApp offers for a contact
// it refuses to add with 403 (RefuseAdd).
func InviteCode(jid types.JID) string { return "FAKEINVITE" + jid.User }

// InviteValidity is how long such an invitation is valid, from the
// answer that offers it.
const InviteValidity = 7 * 24 * time.Hour

// addAnswerLocked is WhatsApp's <participant> answering an add of p (at a
// creation or later), and whether p is in the group after it: with the
// error code RefuseAdd set, and for 403 the add_request of an invitation.
func (c *Client) addAnswerLocked(p types.JID, now time.Time) (waBinary.Node, bool) {
	n := waBinary.Node{Tag: "participant", Attrs: waBinary.Attrs{"jid": p}}
	code := c.creating.refuse[p]
	if code != 0 {
		n.Attrs["error"] = strconv.Itoa(code)
		if code == 403 {
			n.Content = []waBinary.Node{{Tag: "add_request", Attrs: waBinary.Attrs{
				"code": InviteCode(p), "expiration": strconv.FormatInt(now.Add(InviteValidity).Unix(), 10)}}}
		}
	}
	return n, code == 0 || code == 409 // 409: already in it
}

// addParticipantsLocked answers an add of users to g as WhatsApp does,
// through whatsmeow's own parser of participants (in a <group>, the one
// it exposes), and puts those it added in g.
func (c *Client) addParticipantsLocked(g *types.GroupInfo, users []types.JID) ([]types.GroupParticipant, error) {
	now := time.Now()
	var answer []waBinary.Node
	for _, u := range users {
		n, added := c.addAnswerLocked(u, now)
		answer = append(answer, n)
		if added && !slices.ContainsFunc(g.Participants, func(p types.GroupParticipant) bool { return p.JID == u }) {
			g.Participants = append(g.Participants, types.GroupParticipant{JID: u, PhoneNumber: u})
		}
	}
	parsed, err := c.Real.DangerousInternals().ParseGroupNode(&waBinary.Node{Tag: "group",
		Attrs: waBinary.Attrs{"id": g.JID.User, "creation": strconv.FormatInt(now.Unix(), 10)}, Content: answer})
	if err != nil {
		return nil, fmt.Errorf("wafake: the answer to an add: %w", err)
	}
	return parsed.Participants, nil
}
