package telegram

import (
	"context"
	"sync"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// blockedPage is how many blocked peers a contacts.getBlocked gives at
// most.
const blockedPage = 100

// listedAs is why a user is in the contact list the gateway was last
// given: a contact, a private chat, or both.
type listedAs struct{ contact, chat bool }

// contactListing is the contact list as ContactList last gave it, kept
// so that changes made on another device (a block, a contact added or
// deleted) change it the same way: someone listed for a private chat
// stays when they stop being a contact.
type contactListing struct {
	mu  sync.Mutex
	ids map[int64]listedAs // nil: never listed
}

func (l *contactListing) set(ids map[int64]listedAs) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = ids
}

// update applies f to id's entry (the zero value: not listed) and keeps
// what it returns; listed says whether id was listed before, ok is false
// when nothing was ever listed (nothing is kept then).
func (l *contactListing) update(id int64, f func(old listedAs) listedAs) (listed, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		return false, false
	}
	old, listed := l.ids[id]
	if now := f(old); now.contact || now.chat {
		l.ids[id] = now
	} else {
		delete(l.ids, id)
	}
	return listed, true
}

// blocked is the account's blocklist (its users), read to its end, a
// page at a time: Telegram pages it by offset and counts it. Before, it
// stopped at 1,000, and a contact blocked past them was listed
// (TestBlockedPastThousand).
func (s *Session) blocked(ctx context.Context, api *tg.Client) (map[int64]bool, error) {
	out := map[int64]bool{}
	for offset := 0; ; {
		r, err := api.ContactsGetBlocked(ctx, &tg.ContactsGetBlockedRequest{Offset: offset, Limit: blockedPage})
		if err != nil {
			return out, err
		}
		s.peers.add(r.GetUsers(), r.GetChats())
		for _, b := range r.GetBlocked() {
			if p, ok := b.PeerID.(*tg.PeerUser); ok {
				out[p.UserID] = true
			}
		}
		n := len(r.GetBlocked())
		sl, paged := r.(*tg.ContactsBlockedSlice)
		if !paged || n == 0 || offset+n >= sl.Count {
			return out, nil
		}
		offset += n
	}
}

// blockEvents is a block or unblock made on another device: a blocked
// user leaves the contact list (the gateway's roster), as ContactList
// leaves them out; unblocked, they come back. The story blocklist
// (who may not see the user's stories) changes nothing here.
func (s *Session) blockEvents(u *tg.UpdatePeerBlocked) []*pb.Event {
	p, ok := u.PeerID.(*tg.PeerUser)
	if !ok || u.BlockedMyStoriesFrom || p.UserID == s.self {
		return nil
	}
	id := userID(p.UserID)
	if u.Blocked {
		s.listing.update(p.UserID, func(listedAs) listedAs { return listedAs{} })
		return []*pb.Event{{ChatId: id, Payload: &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: id}}}}
	}
	usr, ok := s.peers.user(p.UserID)
	if !ok || usr.Deleted {
		return nil // described at the next contact list
	}
	s.listing.update(p.UserID, func(old listedAs) listedAs {
		// Unblocked from their chat, most likely, if not a contact.
		return listedAs{contact: usr.Contact, chat: old.chat || !usr.Contact}
	})
	return []*pb.Event{{ChatId: id, Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: contactOf(usr)}}}}
}

// contactsResetEvents is Telegram's updateContactsReset: every contact
// of the account was deleted (on another device). Those listed for a
// private chat stay; the others leave.
func (s *Session) contactsResetEvents() []*pb.Event {
	l := &s.listing
	l.mu.Lock()
	defer l.mu.Unlock()
	var evs []*pb.Event
	for uid, as := range l.ids {
		if !as.contact {
			continue
		}
		if as.chat {
			l.ids[uid] = listedAs{chat: true}
			continue
		}
		delete(l.ids, uid)
		id := userID(uid)
		evs = append(evs, &pb.Event{ChatId: id, Payload: &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: id}}})
	}
	return evs
}

// userEvents is Telegram's updateUser: the user's description changed
// (their photo, or whether they are a contact, added or deleted on
// another device), the user bundled with the update and cached already.
// A new contact joins the list, a contact deleted whom no private chat
// lists leaves it, a listed one is described again.
func (s *Session) userEvents(uid int64) []*pb.Event {
	usr, ok := s.peers.user(uid)
	if !ok || uid == s.self || usr.Min {
		return nil
	}
	id := userID(uid)
	gone := false
	listed, ok := s.listing.update(uid, func(old listedAs) listedAs {
		now := listedAs{contact: usr.Contact && !usr.Deleted, chat: old.chat && !usr.Deleted}
		gone = !now.contact && !now.chat
		return now
	})
	switch {
	case !ok:
		return nil // never listed: the contact list will say it all
	case gone && listed:
		return []*pb.Event{{ChatId: id, Payload: &pb.Event_ContactRemoved{ContactRemoved: &pb.ContactRemovedEvent{UserId: id}}}}
	case !gone:
		c := contactOf(usr)
		if c.AvatarId == "" {
			// A full user without a photo: they removed it, or never
			// had one. An empty ID says nothing to the host (the old
			// picture stays); a new ID whose UserInfo has no picture
			// clears it.
			c.AvatarId = sdk.NoAvatarID
		}
		// Noted once the gateway confirmed it (photosTold, photoseen.go).
		return []*pb.Event{{ChatId: id, Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: c}}}}
	}
	return nil
}

// lists says whether id is in the contact list: listed last time, or,
// before any listing, a contact.
func (l *contactListing) lists(id int64, contact bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		return contact
	}
	_, ok := l.ids[id]
	return ok
}
