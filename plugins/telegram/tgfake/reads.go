package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// A group's members reading it: the author of the message read is told
// (updateReadHistoryOutbox in a basic group, updateReadChannelOutbox in
// a supergroup), naming no reader, as on Telegram; who read a message
// is Telegram's answer to messages.getMessageReadParticipants, with
// when each read it; in a group of more than readMarkSizeThreshold
// members, CHAT_TOO_BIG.

// readMarkSizeThreshold is the most members a group may have for
// Telegram to say who read a message there (its app config's
// chat_read_mark_size_threshold); a larger one is CHAT_TOO_BIG.
const readMarkSizeThreshold = 100

// readMark is how far a member read a group: a gid in a basic group, a
// message ID in a supergroup; when, in Unix seconds.
type readMark struct{ upTo, date int }

// ReadGroup is reader reading a group up to message id: Send's answer
// (a gid in a basic group, the channel's message ID in a supergroup).
// The message's author gets the read update when it was theirs and no
// one had read it, or a newer one of theirs, yet: as on Telegram, the
// update says how far the author's messages were read (the dialog's
// read_outbox_max_id), so a second reader of a message is not told.
func (s *Server) ReadGroup(reader int64, to tg.PeerClass, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groupReads == nil {
		s.groupReads = map[string]map[int64]readMark{}
	}
	k := peerKey(to)
	if s.groupReads[k] == nil {
		s.groupReads[k] = map[int64]readMark{}
	}
	s.groupReads[k][reader] = readMark{upTo: id, date: now()}
	switch p := to.(type) {
	case *tg.PeerChat:
		for owner, oid := range s.links[id] {
			if m := s.boxOf(owner).msgs[oid]; owner != reader && m != nil && m.Out && s.outboxAdvance(owner, k, oid) {
				u := &tg.UpdateReadHistoryOutbox{Peer: p, MaxID: oid}
				s.record(owner, u)
				s.push(owner, u)
			}
		}
	case *tg.PeerChannel:
		c := s.channels[p.ChannelID]
		m := c.msgs[id]
		if m == nil {
			return
		}
		if from, ok := m.FromID.(*tg.PeerUser); ok && from.UserID != reader && s.outboxAdvance(from.UserID, k, id) {
			s.push(from.UserID, &tg.UpdateReadChannelOutbox{ChannelID: c.ID, MaxID: id})
		}
	}
}

// outboxAdvance records that owner's messages in the group of peer key
// k are read up to id, reporting whether that is further than before.
// s.mu is held.
func (s *Server) outboxAdvance(owner int64, k string, id int) bool {
	if s.outboxRead == nil {
		s.outboxRead = map[int64]map[string]int{}
	}
	if s.outboxRead[owner] == nil {
		s.outboxRead[owner] = map[string]int{}
	}
	if s.outboxRead[owner][k] >= id {
		return false
	}
	s.outboxRead[owner][k] = id
	return true
}

func (s *Server) registerReads(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesGetMessageReadParticipantsRequestTypeID, "messages.getMessageReadParticipants", func(k *key, r *tg.MessagesGetMessageReadParticipantsRequest) (bin.Encoder, error) {
		if _, err := s.self(k); err != nil {
			return nil, err
		}
		peer := s.peerOf(k.user, r.Peer)
		id := r.MsgID
		switch p := peer.(type) {
		case *tg.PeerChat:
			g := s.groups[p.ChatID]
			if g == nil || !slices.Contains(g.Members, k.user) {
				return nil, tgerr.New(400, "PEER_ID_INVALID")
			}
			if id = s.boxOf(k.user).gids[r.MsgID]; id == 0 {
				return nil, tgerr.New(400, "MSG_ID_INVALID")
			}
			if len(g.Members) > readMarkSizeThreshold {
				return nil, tgerr.New(400, "CHAT_TOO_BIG")
			}
		case *tg.PeerChannel:
			c := s.channels[p.ChannelID]
			if c == nil || !slices.Contains(c.Members, k.user) || c.msgs[id] == nil {
				return nil, tgerr.New(400, "MSG_ID_INVALID")
			}
			if c.Broadcast || len(c.Members) > readMarkSizeThreshold {
				return nil, tgerr.New(400, "CHAT_TOO_BIG")
			}
		default:
			return nil, tgerr.New(400, "PEER_ID_INVALID")
		}
		out := &tg.ReadParticipantDateVector{}
		for u, rm := range s.groupReads[peerKey(peer)] {
			if u != k.user && rm.upTo >= id {
				out.Elems = append(out.Elems, tg.ReadParticipantDate{UserID: u, Date: rm.date})
			}
		}
		slices.SortFunc(out.Elems, func(a, b tg.ReadParticipantDate) int { return int(a.UserID - b.UserID) })
		return out, nil
	})
}
