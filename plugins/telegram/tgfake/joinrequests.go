package tgfake

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Requests to join a group or channel whose link (or public join) wants
// an admin's approval, as its admins see them: Telegram pushes them
// updatePendingJoinRequests (the count and the latest few requesters)
// at each request and each approval or refusal, lists them
// (messages.getChatInviteImporters with requested, newest first) and
// approves or refuses one (messages.hideChatJoinRequest). The full
// chat's requests_pending and recent_requesters say them too, to the
// admins alone.

// recentRequesters is how many requesters updatePendingJoinRequests
// names, as Telegram: the latest few.
const recentRequesters = 3

// asking is a channel's or a basic group's requests to join, with what
// the handlers need of either.
type asking struct {
	peer     tg.PeerClass
	requests *[]int64
	members  *[]int64
	isAdmin  func(int64) bool
}

func (c *Channel) asking() asking {
	return asking{peer: &tg.PeerChannel{ChannelID: c.ID}, requests: &c.Requests, members: &c.Members, isAdmin: c.isAdmin}
}

func (g *Group) asking() asking {
	return asking{peer: &tg.PeerChat{ChatID: g.ID}, requests: &g.Requests, members: &g.Members,
		isAdmin: func(u int64) bool { return u == g.Creator || slices.Contains(g.Admins, u) }}
}

// pending is the update telling admins the requests now.
func (a asking) pending() *tg.UpdatePendingJoinRequests {
	rs := *a.requests
	recent := []int64{}
	for i := len(rs) - 1; i >= 0 && len(recent) < recentRequesters; i-- {
		recent = append(recent, rs[i])
	}
	return &tg.UpdatePendingJoinRequests{Peer: a.peer, RequestsPending: len(rs), RecentRequesters: recent}
}

// fullPending is what the full chat says of the requests to viewer:
// nothing but to an admin.
func (a asking) fullPending(viewer int64) (int, []int64) {
	if !a.isAdmin(viewer) || len(*a.requests) == 0 {
		return 0, nil
	}
	p := a.pending()
	return p.RequestsPending, p.RecentRequesters
}

// tellAdmins pushes the requests now to the admins that are members.
// Call with s.mu held.
func (s *Server) tellAdmins(a asking) {
	u := a.pending()
	for _, m := range *a.members {
		if a.isAdmin(m) {
			s.push(m, u)
		}
	}
}

// asked notes user's request to join a; call with s.mu held.
func (s *Server) asked(a asking, user int64) {
	if slices.Contains(*a.requests, user) {
		return
	}
	*a.requests = append(*a.requests, user)
	if s.askedAt == nil {
		s.askedAt = map[askKey]int{}
	}
	s.askedAt[askKey{peerKey(a.peer), user}] = now()
	s.tellAdmins(a)
}

// dropRequest takes user's request out of a, reporting whether there
// was one; call with s.mu held.
func (s *Server) dropRequest(a asking, user int64) bool {
	i := slices.Index(*a.requests, user)
	if i < 0 {
		return false
	}
	*a.requests = slices.Delete(*a.requests, i, i+1)
	delete(s.askedAt, askKey{peerKey(a.peer), user})
	return true
}

// askKey names one request: the chat's peer key and the requester.
type askKey struct {
	peer string
	user int64
}

// AskToJoin is user asking to join a channel or supergroup that wants
// approval (by its link, or its public join): its admins are told.
func (s *Server) AskToJoin(channel, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked(s.channels[channel].asking(), user)
}

// AskToJoinGroup is AskToJoin for a basic group.
func (s *Server) AskToJoinGroup(group, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked(s.groups[group].asking(), user)
}

// DismissJoinRequest is an admin refusing a request to join a channel
// from their phone: it is no longer pending, and the admins are told.
func (s *Server) DismissJoinRequest(channel, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.channels[channel].asking()
	if !s.dropRequest(a, user) {
		panic("tgfake: no request to join from this user")
	}
	s.tellAdmins(a)
}

func (s *Server) registerJoinRequests(d *tgtest.Dispatcher) {
	// asking is the chat of peer, the viewer an admin of it.
	askingOf := func(k *key, peer tg.InputPeerClass) (asking, error) {
		var a asking
		switch p := peer.(type) {
		case *tg.InputPeerChat:
			g, err := s.groupOf(k, p)
			if err != nil {
				return a, err
			}
			a = g.asking()
		case *tg.InputPeerChannel:
			c, err := s.channelOf(k, &tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash})
			if err != nil {
				return a, err
			}
			a = c.asking()
		default:
			return a, tgerr.New(400, "PEER_ID_INVALID")
		}
		if !a.isAdmin(k.user) {
			return a, tgerr.New(400, "CHAT_ADMIN_REQUIRED")
		}
		return a, nil
	}
	handle(s, d, tg.MessagesGetChatInviteImportersRequestTypeID, "messages.getChatInviteImporters", func(k *key, r *tg.MessagesGetChatInviteImportersRequest) (bin.Encoder, error) {
		a, err := askingOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		out := &tg.MessagesChatInviteImporters{Users: s.usersFor(k.user)}
		if !r.Requested {
			return out, nil // those who joined by a link: none kept
		}
		rs := *a.requests
		out.Count = len(rs)
		// Newest first, after the offset user when given.
		skip := false
		if ou, ok := r.OffsetUser.(*tg.InputUser); ok {
			skip = true
			for i := len(rs) - 1; i >= 0; i-- {
				if rs[i] == ou.UserID {
					rs = rs[:i]
					skip = false
					break
				}
			}
		}
		if skip {
			return out, nil
		}
		for i := len(rs) - 1; i >= 0 && (r.Limit == 0 || len(out.Importers) < r.Limit); i-- {
			imp := tg.ChatInviteImporter{Requested: true, UserID: rs[i], Date: s.askedAt[askKey{peerKey(a.peer), rs[i]}]}
			imp.SetFlags()
			out.Importers = append(out.Importers, imp)
		}
		return out, nil
	})
	handle(s, d, tg.MessagesHideChatJoinRequestRequestTypeID, "messages.hideChatJoinRequest", func(k *key, r *tg.MessagesHideChatJoinRequestRequest) (bin.Encoder, error) {
		a, err := askingOf(k, r.Peer)
		if err != nil {
			return nil, err
		}
		in, ok := r.UserID.(*tg.InputUser)
		if !ok || !s.dropRequest(a, in.UserID) {
			return nil, tgerr.New(400, "HIDE_REQUESTER_MISSING")
		}
		var ups []tg.UpdateClass
		if r.Approved {
			*a.members = append(*a.members, in.UserID)
			switch p := a.peer.(type) {
			case *tg.PeerChannel:
				m := s.postService(s.channels[p.ChannelID], in.UserID, &tg.MessageActionChatJoinedByRequest{})
				c := s.channels[p.ChannelID]
				ups = append(ups, &tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1})
			case *tg.PeerChat:
				s.push(in.UserID, s.postGroupService(s.groups[p.ChatID], in.UserID, &tg.MessageActionChatJoinedByRequest{}))
			}
		}
		// The others admins' count; the approver's in the answer.
		u := a.pending()
		for _, m := range *a.members {
			if a.isAdmin(m) && m != k.user {
				s.push(m, u)
			}
		}
		ups = append(ups, u)
		return &tg.Updates{Updates: ups, Users: s.usersFor(k.user), Chats: s.chatsFor(k.user), Date: now()}, nil
	})
}
