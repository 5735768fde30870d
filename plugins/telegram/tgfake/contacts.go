package tgfake

import (
	"slices"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
)

// Block has owner block (or, with blocked false, unblock) user from
// another device: contacts.getBlocked lists them, and owner's sessions
// get updatePeerBlocked.
func (s *Server) Block(owner, user int64, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked == nil {
		s.blocked = map[int64][]int64{}
	}
	list := slices.DeleteFunc(s.blocked[owner], func(id int64) bool { return id == user })
	if blocked {
		list = append(list, user)
	}
	s.blocked[owner] = list
	s.push(owner, &tg.UpdatePeerBlocked{Blocked: blocked, PeerID: &tg.PeerUser{UserID: user}})
}

// ResetContacts deletes every contact of owner, as from another device:
// owner's sessions get updateContactsReset.
func (s *Server) ResetContacts(owner int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.contacts, owner)
	s.push(owner, &tg.UpdateContactsReset{})
}

// DeleteContact deletes one contact of owner, as from another device:
// owner's sessions get updateUser with the user, no longer a contact.
func (s *Server) DeleteContact(owner, contact int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[owner] = slices.DeleteFunc(s.contacts[owner], func(id int64) bool { return id == contact })
	s.pushUser(owner, contact)
}

// NewContact adds a contact of owner, as from another device: owner's
// sessions get updateUser with the user, now a contact.
func (s *Server) NewContact(owner, contact int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.contacts[owner], contact) {
		s.contacts[owner] = append(s.contacts[owner], contact)
	}
	s.pushUser(owner, contact)
}

// pushUser sends owner updateUser with the user bundled as owner sees
// them (whether a contact), as Telegram does; under mu.
func (s *Server) pushUser(owner, user int64) {
	var targets []tgtest.Session
	for _, k := range s.keys {
		if k.user == owner {
			for _, ss := range k.sessions {
				targets = append(targets, ss)
			}
		}
	}
	u := s.users[user].tg(false)
	u.Contact = slices.Contains(s.contacts[owner], user)
	u.Flags, u.Flags2 = 0, 0 // SetFlags sets, never clears
	u.SetFlags()
	msg, err := freeze(&tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateUser{UserID: user}}, Users: []tg.UserClass{u}, Date: int(time.Now().Unix())})
	if err != nil {
		panic(err)
	}
	for _, t := range targets {
		s.outq <- func() { _ = s.sendUpdates(t, msg) }
	}
}

func (s *Server) registerContacts(d *tgtest.Dispatcher) {
	handle(s, d, tg.ContactsGetBlockedRequestTypeID, "contacts.getBlocked", func(k *key, r *tg.ContactsGetBlockedRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		list := s.blocked[k.user]
		out := &tg.ContactsBlockedSlice{Count: len(list)}
		for i := r.Offset; i < len(list) && i < r.Offset+r.Limit; i++ {
			out.Blocked = append(out.Blocked, tg.PeerBlocked{PeerID: &tg.PeerUser{UserID: list[i]}})
			out.Users = append(out.Users, s.users[list[i]].tg(false))
		}
		return out, nil
	})
}

// SetPhone gives user a new phone number (digits, without "+"): those
// who have them as a contact get updateUserPhone, as on Telegram.
func (s *Server) SetPhone(user int64, phone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[user].Phone = phone
	for owner, cs := range s.contacts {
		if slices.Contains(cs, user) {
			s.push(owner, &tg.UpdateUserPhone{UserID: user, Phone: phone})
		}
	}
}
