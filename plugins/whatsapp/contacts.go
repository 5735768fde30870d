package whatsapp

import (
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
		go func() {
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
		if c.FullName == "" && c.FirstName == "" {
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
			return s.contactOf(j, types.ContactInfo{}), nil
		}
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "whatsapp: %q is not a phone number (with its country code, such as +33612345678)", identifier)
	}
	res, err := s.d.cli.IsOnWhatsApp(ctx, []string{"+" + phone})
	if err != nil {
		return nil, sendErr("look up "+identifier, err)
	}
	if len(res) == 0 || !res[0].IsIn {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "whatsapp: +%s is not on WhatsApp", phone)
	}
	jid := res[0].JID.ToNonAD()
	var c types.ContactInfo
	if s.d.dev != nil {
		c, _ = s.d.dev.Contacts.GetContact(ctx, jid)
	}
	return s.contactOf(jid, c), nil
}

// contactChanged sends a contact's new name.
func (s *Session) contactChanged(jid types.JID) {
	if s.d == nil || s.d.dev == nil || (jid.Server != types.DefaultUserServer && jid.Server != types.HiddenUserServer) || s.isOwn(jid) {
		return
	}
	c, err := s.d.dev.Contacts.GetContact(context.Background(), jid.ToNonAD())
	if err != nil {
		return
	}
	ct := s.contactOf(jid.ToNonAD(), c)
	s.emit(&pb.Event{ChatId: ct.UserId, Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: ct}}})
}
