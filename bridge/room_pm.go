package bridge

import (
	"context"
	"sync"
	"time"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A private message to an occupant (XEP-0045 §7.5, privateMessage in
// room_in.go) goes to the member's direct chat on the network, whose
// answers the network sends in that direct chat. Shown from the member's
// own address, they landed in another window than the one the user
// wrote in (the client keeps a room's private chat under the occupant
// JID). So the session remembers, per member, the room the user last
// wrote to it privately through, and shows the member's events in its
// direct chat from the member's occupant JID in that room, marked as a
// private message (the muc#user <x/> §7.5 says the service adds). The
// user's own words from another device keep the member's own address:
// sent as the user (XEP-0356) to an occupant JID, the server would hand
// them back to the room as a new private message.
//
// The memory is the login's: store bucket q (store/privatechats.go),
// read at the session's first need, so it holds across a restart; at
// most store.MaxPrivateChats members (the oldest goes). A member's entry
// goes when the user writes to the member's own address (back to the
// one-to-one chat), all of a room's when the room ends, all with the
// login. While the member is not in the room (it left, or the room is
// not known yet after a start) its events come from its own address.

// privateChats is a session's members written to privately through a
// room: the room's chat ID by member user ID.
type privateChats struct {
	once sync.Once
	mu   sync.Mutex
	m    map[string]store.PrivateChat
}

// privateRooms is the session's map, read from the store on first use.
func (s *session) privateRooms() *privateChats {
	p := &s.pms
	p.once.Do(func() {
		m, err := s.t.db.PrivateChats(s.t.name, s.LoginID())
		if err != nil {
			// Answers come from the members' own addresses until the
			// user writes through a room again.
			s.t.log.Warn("the private chats through rooms are unreadable", "user", s.user, "err", err)
		}
		if m == nil {
			m = map[string]store.PrivateChat{}
		}
		// Nothing is noted before this load: each use waits for it.
		p.mu.Lock()
		p.m = m
		p.mu.Unlock()
	})
	return p
}

// notePrivateChat records that the user wrote to member userID privately
// through room r.
func (s *session) notePrivateChat(ctx context.Context, userID string, r *room) {
	p := s.privateRooms()
	now := time.Now()
	p.mu.Lock()
	same := p.m[userID].RoomID == r.chatID
	if !same {
		p.m[userID] = store.PrivateChat{RoomID: r.chatID, At: now}
		for len(p.m) > store.MaxPrivateChats {
			dropOldestEntry(p.m, func(pc store.PrivateChat) time.Time { return pc.At })
		}
	}
	p.mu.Unlock()
	if same {
		return
	}
	if err := s.t.db.PutPrivateChat(context.WithoutCancel(ctx), s.t.name, s.LoginID(), userID, r.chatID, now); err != nil {
		s.t.log.Warn("a private chat through a room not stored", "user", s.user, "room", r.jid, "err", err)
	}
}

// wroteToAddress takes st, a message of the user to the address of
// userID itself: words there (not a chat state) bring a member's
// answers back to it.
func (s *session) wroteToAddress(ctx context.Context, st *wire.Stanza, userID string) {
	p := s.privateRooms()
	p.mu.Lock()
	_, had := p.m[userID]
	p.mu.Unlock()
	if !had {
		return // the usual case: no parse
	}
	if m := parseUserMessage(st); !m.hasBody && m.oobURL == "" {
		return
	}
	p.mu.Lock()
	delete(p.m, userID)
	p.mu.Unlock()
	if err := s.t.db.DeletePrivateChat(context.WithoutCancel(ctx), s.t.name, s.LoginID(), userID); err != nil {
		s.t.log.Warn("a private chat through a room not forgotten", "user", s.user, "user_id", userID, "err", err)
	}
}

// forgetPrivateChatsIn drops the private chats through the room of
// chatID, which ended.
func (s *session) forgetPrivateChatsIn(ctx context.Context, chatID string) {
	p := s.privateRooms()
	p.mu.Lock()
	had := false
	for k, v := range p.m {
		if v.RoomID == chatID {
			delete(p.m, k)
			had = true
		}
	}
	p.mu.Unlock()
	if !had {
		return
	}
	if err := s.t.db.DeletePrivateChatsIn(context.WithoutCancel(ctx), s.t.name, s.LoginID(), chatID); err != nil {
		s.t.log.Warn("the private chats through an ended room not forgotten", "user", s.user, "chat", chatID, "err", err)
	}
}

// privateAddr is the address a direct chat's event goes from: the
// member's occupant JID in the room the user last wrote to it through,
// while it is in that room, with pm true and the member's occupant-id
// there (XEP-0421: every message from a room carries one); else own,
// the member's JID. reveal is the member's presence in that room, to
// write first, for the joined resources a big group's join did not
// present it to (room_crowd.go): a private message from an occupant the
// client never saw is one Conversations and Dino say is not in the
// room. turn, when set, then receives the room's turn to write it:
// render asks once the message's files are uploaded, so the turn holds
// no upload (the room's messages waited behind it), and the nick is the
// one the member has then, in the room's order of writes.
func (s *session) privateAddr(ev *pb.Event, own string, turn *sendTurn) (addr, occID string, pm bool, reveal [][]byte) {
	if ev.GetSender().GetIsFromMe() {
		return own, "", false, nil
	}
	p := s.privateRooms()
	p.mu.Lock()
	pc, ok := p.m[ev.ChatId]
	p.mu.Unlock()
	if !ok {
		return own, "", false, nil
	}
	r := s.rooms.get(pc.RoomID)
	if r == nil {
		return own, "", false, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, member := r.members[ev.ChatId]; !member {
		return own, "", false, nil
	}
	nick, ok := r.nicks.Nick(ev.ChatId)
	if !ok {
		return own, "", false, nil
	}
	reveal = r.revealLocked(s, ev.ChatId)
	if len(reveal) > 0 {
		if turn != nil {
			*turn = r.sendTurnLocked() // after the room's earlier copies
		}
		s.t.log.Debug("a member not presented in a big group presented before its private message", "room", r.jid, "nick", nick)
	}
	return muc.OccupantJID(r.jid, nick), r.memberOccupantIDLocked(s, ev.ChatId), true, reveal
}
