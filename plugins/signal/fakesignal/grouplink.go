package fakesignal

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Group links: a group the account is not in, joined by its invite link
// (joinGroup --uri), as signal-cli's JoinGroupCommand answers: the
// group's ID, and onlyRequested when its admins approve newcomers by the
// link. A real link's fragment is the group's master key and the link's
// password; the fake's is random, and only the links AddGroupLink made
// lead to a group.

// GroupLink is a group others may join by its invite link.
type GroupLink struct {
	// Group is the group before the account joins; the account becomes
	// a member of a copy of it (an ID is made when it has none).
	Group Group
	// Approval: an admin approves whoever comes by the link; a join only
	// requests it (onlyRequested), and another one is refused as
	// pending until ApproveJoin.
	Approval bool
	// Inactive: the admins reset the link or turned it off.
	Inactive bool
	// Banned: the admins removed the account and keep it out.
	Banned bool
}

type groupLink struct {
	GroupLink
	url       string
	requested map[*Account]bool
}

// LinkPrefix starts every group link AddGroupLink makes.
const LinkPrefix = "https://signal.group/#"

// AddGroupLink makes a link to l.Group and returns it
// (https://signal.group/#...).
func (d *Daemon) AddGroupLink(l GroupLink) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l.Group.ID == "" {
		l.Group.ID = NewGroupID()
	}
	frag := base64.RawURLEncoding.EncodeToString([]byte(randHex(24)))
	gl := &groupLink{GroupLink: l, url: LinkPrefix + frag, requested: map[*Account]bool{}}
	d.groupLinks[frag] = gl
	return gl.url
}

// ApproveJoin lets an account that asked to join by link in, as an
// admin of the group approving it: the account has the group now (a
// test then delivers the update that tells it). It returns the group.
func (d *Daemon) ApproveJoin(account, link string) (Group, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[account]
	gl := d.groupLinks[strings.TrimPrefix(link, LinkPrefix)]
	if a == nil || gl == nil || !gl.requested[a] {
		return Group{}, fmt.Errorf("fakesignal: %s asked no join by %s", account, link)
	}
	delete(gl.requested, a)
	g := *d.addJoined(a, gl)
	g.Members = slices.Clone(g.Members)
	return g, nil
}

// joinGroup answers joinGroup. d.mu is held.
func (d *Daemon) joinGroup(a *Account, p map[string]any) (any, error) {
	uri, _ := p["uri"].(string)
	u, err := url.Parse(uri)
	if err != nil || (!strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "sgnl")) || !strings.EqualFold(u.Host, "signal.group") {
		return nil, userError("Link is not a signal group invitation link")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, userError("Group link is invalid: No path was expected in uri")
	}
	if u.Fragment == "" {
		return nil, userError("Group link is invalid: No reference was in the uri")
	}
	gl := d.groupLinks[u.Fragment]
	if gl == nil {
		// A link cut short, or that never was: its fragment does not
		// decode to a group's key and password.
		return nil, userError("Group link is invalid: java.io.IOException: Protocol message ended unexpectedly")
	}
	switch {
	case gl.Banned:
		return nil, userError("Group link is not valid: Group link inactive (reason: BANNED)")
	case gl.Inactive:
		return nil, userError("Group link is not valid: Group link inactive (reason: UNKNOWN)")
	case gl.requested[a]:
		return nil, userError("Pending admin approval: You have already requested to join the group.")
	}
	if g := findGroup(a, gl.Group.ID); g != nil {
		// In it already: the fake answers as a join that changed nothing.
		return map[string]any{"groupId": g.ID, "timestamp": d.now(), "results": []any{}}, nil
	}
	if gl.Approval {
		gl.requested[a] = true
		return map[string]any{"groupId": gl.Group.ID, "timestamp": d.now(), "results": []any{}, "onlyRequested": true}, nil
	}
	g := d.addJoined(a, gl)
	results := []map[string]any{}
	for _, m := range g.Members {
		if m.Number != a.Number && m.UUID != a.UUID {
			results = append(results, map[string]any{"recipientAddress": address(m), "type": "SUCCESS", "groupId": g.ID})
		}
	}
	return map[string]any{"groupId": g.ID, "timestamp": d.now(), "results": results}, nil
}

// addJoined gives the account a copy of the link's group with itself a
// member. d.mu is held.
func (d *Daemon) addJoined(a *Account, gl *groupLink) *Group {
	g := gl.Group
	g.Members = append(slices.Clone(g.Members), Member{Number: a.Number, UUID: a.UUID})
	g.Pending = slices.Clone(g.Pending)
	g.Revision++
	g.Link = gl.url
	a.groups = append(a.groups, &g)
	return &g
}
