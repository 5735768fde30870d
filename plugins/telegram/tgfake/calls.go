package tgfake

import "github.com/gotd/td/tg"

// RingCall is a private call from a user to another, ringing: the
// callee's devices get updatePhoneCall with phoneCallRequested, as
// Telegram sends it to every session of the callee. The call is not
// kept: nothing here answers or discards it.
func (s *Server) RingCall(from, to, id int64, video bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &tg.PhoneCallRequested{ID: id, AccessHash: id ^ 0x5a5a, Video: video, Date: now(), AdminID: from, ParticipantID: to,
		Protocol: tg.PhoneCallProtocol{UDPP2P: true, UDPReflector: true, MinLayer: 65, MaxLayer: 92}}
	c.SetFlags()
	s.push(to, &tg.UpdatePhoneCall{PhoneCall: c})
}

// PostService is a service message from a user in their private chat
// with another (a call's end, messageActionPhoneCall; a change of the
// auto-delete timer, messageActionSetMessagesTTL): in both boxes, pushed
// to both. It is not in the history getHistory answers, which holds
// messages only. It returns the message's ID in the box of to.
func (s *Server) PostService(from, to int64, act tg.MessageActionClass) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	idOfTo := 0
	for _, owner := range []int64{from, to} {
		b := s.boxOf(owner)
		id := b.next
		b.next++
		peer := to
		if owner == to {
			peer, idOfTo = from, id
		}
		m := &tg.MessageService{ID: id, Out: owner == from, PeerID: &tg.PeerUser{UserID: peer}, Date: now(), Action: act}
		m.SetFlags()
		u := &tg.UpdateNewMessage{Message: m}
		s.record(owner, u)
		s.push(owner, u)
	}
	return idOfTo
}
