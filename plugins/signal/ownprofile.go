package signal

import (
	"cmp"
	"context"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// ownInfo is the user's own Signal profile, what UserInfo of their own
// ID (number or ACI) answers: the gateway asks it for the vCard or
// avatar of the user's own nick in a room, where the members see this
// profile. signal-cli keeps the account among its recipients, no
// contact of its own, so only a listing of all recipients has it; its
// picture is a profile avatar as any other's (getAvatar). The Note to
// Self contact keeps its name in the contact list (noteToSelf).
func (s *Session) ownInfo(ctx context.Context) (*pb.Contact, error) {
	acc, id := s.account(), s.selfID()
	var cs []contactEntry
	if err := s.call(ctx, "could not read your profile", "listContacts",
		map[string]any{"recipient": []string{id}, "allRecipients": true}, &cs); err != nil {
		return nil, err
	}
	out := &pb.Contact{UserId: id, Phone: acc.Number}
	for _, c := range cs {
		if (acc.Number != "" && deref(c.Number) == acc.Number) || (acc.ACI != "" && strings.EqualFold(c.UUID, acc.ACI)) {
			out.Name, out.Username, out.AvatarId = cmp.Or(c.profileName(), c.displayName()), deref(c.Username), c.avatarID()
			break
		}
	}
	return s.withAvatar(ctx, out, id), nil
}

// profileName is the name the entry's profile gives, "" without one: the
// name the person chose, which others see.
func (c contactEntry) profileName() string {
	if c.Profile == nil {
		return ""
	}
	return strings.TrimSpace(deref(c.Profile.GivenName) + " " + deref(c.Profile.FamilyName))
}
