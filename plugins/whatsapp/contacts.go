package whatsapp

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// contactsSynced announces every saved contact once WhatsApp's first
// full sync of the address book is in the device store. whatsmeow writes
// that snapshot (app state critical_unblock_low, a few seconds after
// pairing) in one go, with no events.Contact for each, and the gateway
// listed the contacts when the login connected, before it came: without
// this, a newly linked device's roster stays empty until the next start.
// A contact the gateway has already, unchanged, costs it a compare.
func (s *Session) contactsSynced() {
	cs, err := s.ContactList(context.Background())
	if err != nil {
		s.log.Warn("contacts after the address book's sync", "err", err)
		return
	}
	for _, c := range cs {
		s.emit(&pb.Event{ChatId: c.UserId, Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: c}}})
	}
	s.mu.Lock()
	available := s.available
	s.mu.Unlock()
	if available {
		// Subscribed at SetPresence, when none were known yet: these
		// too, off WhatsApp's event loop.
		s.presenceWork.Add(1)
		go func() {
			defer s.presenceWork.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s.subscribeContacts(ctx)
		}()
	}
}

// contactName is the best name WhatsApp has for someone: the one the
// user saved, else the one they gave themselves.
func contactName(c types.ContactInfo) string {
	for _, n := range []string{c.FullName, c.FirstName, c.BusinessName, c.PushName} {
		if n != "" {
			return n
		}
	}
	return ""
}

// saved says whether c is in the user's address book: such a contact,
// and only such, is in the roster (ContactList).
func saved(c types.ContactInfo) bool { return c.FullName != "" || c.FirstName != "" }

// sameUser is jids with the other JID of each the LID map knows (a LID's
// phone number, a number's LID), phone numbers first, without repeats:
// whatsmeow keeps a person's names under each JID it saw them by.
func (s *Session) sameUser(jids ...types.JID) []types.JID {
	var pns, lids []types.JID
	add := func(j types.JID) {
		j = j.ToNonAD()
		switch {
		case j.User == "":
		case j.Server == types.DefaultUserServer && !slices.Contains(pns, j):
			pns = append(pns, j)
		case j.Server == types.HiddenUserServer && !slices.Contains(lids, j):
			lids = append(lids, j)
		}
	}
	for _, j := range jids {
		add(j)
	}
	for _, j := range slices.Clone(pns) {
		add(s.ids.lidOf(j))
	}
	for _, j := range slices.Clone(lids) {
		add(s.ids.phoneOf(j))
	}
	return append(pns, lids...)
}

// person is what the device store knows of the user named by any of
// jids (sameUser), merged: each name from the first entry that has it.
func (s *Session) person(ctx context.Context, jids ...types.JID) types.ContactInfo {
	var out types.ContactInfo
	if s.d == nil || s.d.dev == nil {
		return out
	}
	for _, j := range s.sameUser(jids...) {
		c, err := s.d.dev.Contacts.GetContact(ctx, j)
		if err != nil || !c.Found {
			continue
		}
		out.Found = true
		out.FirstName = cmp.Or(out.FirstName, c.FirstName)
		out.FullName = cmp.Or(out.FullName, c.FullName)
		out.PushName = cmp.Or(out.PushName, c.PushName)
		out.BusinessName = cmp.Or(out.BusinessName, c.BusinessName)
	}
	return out
}

// contactOf is the contract's contact of a JID with what the store knows.
func (s *Session) contactOf(jid types.JID, c types.ContactInfo) *pb.Contact {
	id := s.ids.userID(jid)
	ct := &pb.Contact{UserId: id, Name: contactName(c), Nickname: c.PushName}
	if strings.HasPrefix(id, "+") {
		ct.Phone = id
	}
	if ct.Name == "" {
		ct.Name = id
	}
	return ct
}

// ContactList is the contacts of the device store (synced from the
// phone): saved contacts and people with a push name.
func (s *Session) ContactList(ctx context.Context) ([]*pb.Contact, error) {
	if s.d.dev == nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "whatsapp: not logged in")
	}
	all, err := s.d.dev.Contacts.GetAllContacts(ctx)
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "whatsapp: read contacts: %v", err)
	}
	seen := map[string]bool{}
	var out []*pb.Contact
	for jid, c := range all {
		if s.isOwn(jid) || (jid.Server != types.DefaultUserServer && jid.Server != types.HiddenUserServer) {
			continue
		}
		if !saved(c) {
			continue // only saved contacts: a push name alone is anyone met in a group
		}
		ct := s.contactOf(jid, c)
		if !seen[ct.UserId] {
			seen[ct.UserId] = true
			out = append(out, ct)
		}
	}
	slices.SortFunc(out, func(a, b *pb.Contact) int {
		switch {
		case a.UserId < b.UserId:
			return -1
		case a.UserId > b.UserId:
			return 1
		}
		return 0
	})
	return out, nil
}

// ResolveIdentifier finds a phone number on WhatsApp.
func (s *Session) ResolveIdentifier(ctx context.Context, identifier string, _ bool) (*pb.Contact, error) {
	phone := normalizePhone(identifier)
	if phone == "" {
		if j, err := parseUserID(identifier); err == nil && j.Server == types.HiddenUserServer {
			return s.contactOf(j, s.person(ctx, j)), nil
		}
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is not a phone number (with its country code, such as +33612345678)", identifier)
	}
	res, err := s.d.cli.IsOnWhatsApp(ctx, []string{"+" + phone})
	if err != nil {
		return nil, s.sendErr("look up "+identifier, err)
	}
	if len(res) == 0 || !res[0].IsIn {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: +%s is not on WhatsApp", phone)
	}
	jid := res[0].JID.ToNonAD()
	s.onWA.add(jid.User) // a message to them asks no more (onwhatsapp.go)
	// Their names, under their number or their LID: WhatsApp keeps many
	// under the LID alone (its groups name people by it).
	return s.contactOf(jid, s.person(ctx, jid)), nil
}

// contactChanged sends a saved contact's new name. Someone the user did
// not save (met in a group, or who wrote to them) is no contact: the
// gateway would put them in the roster, and take them out again at the
// next start, as ContactList lists saved contacts only. Their name
// reaches rooms as their nick (names.go), and a chat as their
// messages' sender name.
func (s *Session) contactChanged(jid types.JID) {
	if s.d == nil || s.d.dev == nil || (jid.Server != types.DefaultUserServer && jid.Server != types.HiddenUserServer) || s.isOwn(jid) {
		return
	}
	c := s.person(context.Background(), jid)
	if !saved(c) {
		return
	}
	ct := s.contactOf(jid.ToNonAD(), c)
	s.emit(&pb.Event{ChatId: ct.UserId, Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: ct}}})
}
