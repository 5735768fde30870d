package signal

import (
	"context"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.ContactLister      = (*Session)(nil)
	_ sdk.IdentifierResolver = (*Session)(nil)
)

// contactEntry is one entry of listContacts.
type contactEntry struct {
	Number    *string `json:"number"`
	UUID      string  `json:"uuid"`
	Username  *string `json:"username"`
	Name      string  `json:"name"`
	GivenName *string `json:"givenName"`
	IsBlocked bool    `json:"isBlocked"`
	IsHidden  bool    `json:"isHidden"`
	Profile   *struct {
		GivenName  *string `json:"givenName"`
		FamilyName *string `json:"familyName"`
	} `json:"profile"`
}

// displayName is the contact's name as the user saved it, else as the
// contact's profile says.
func (c contactEntry) displayName() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Profile != nil {
		return strings.TrimSpace(deref(c.Profile.GivenName) + " " + deref(c.Profile.FamilyName))
	}
	return deref(c.GivenName)
}

// ContactList lists the account's contacts (blocked and hidden ones
// left out). A contact whose number became known since it was last seen
// by its ACI alone moves (IdentityEvent) before the list is returned.
func (s *Session) ContactList(ctx context.Context) ([]*pb.Contact, error) {
	var cs []contactEntry
	if err := s.call(ctx, "could not list the contacts", "listContacts", nil, &cs); err != nil {
		return nil, err
	}
	var out []*pb.Contact
	for _, c := range cs {
		if c.IsBlocked || c.IsHidden {
			continue
		}
		id, moved := s.ids.userID(deref(c.Number), c.UUID, c.displayName())
		if moved != nil {
			s.emit(ctx, &pb.Event{Payload: &pb.Event_Identity{Identity: moved}}, true)
		}
		if id == "" || id == s.selfID() {
			continue
		}
		out = append(out, &pb.Contact{UserId: id, Name: c.displayName(), Phone: deref(c.Number), Username: deref(c.Username)})
	}
	return out, nil
}

// ResolveIdentifier finds a contact by phone number (or ACI). Signal adds
// no one to a list: anyone with Signal can be written to.
func (s *Session) ResolveIdentifier(_ context.Context, identifier string, _ bool) (*pb.Contact, error) {
	if isUUID(strings.TrimSpace(identifier)) {
		id, _ := s.ids.userID("", strings.ToLower(strings.TrimSpace(identifier)), "")
		return &pb.Contact{UserId: id}, nil
	}
	number := normalizeNumber(identifier)
	if number == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%q is no phone number in international form, such as +33612345678", identifier)
	}
	return &pb.Contact{UserId: number, Phone: number}, nil
}
