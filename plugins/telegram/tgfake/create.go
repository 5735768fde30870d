package tgfake

import (
	"slices"
	"strings"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// Creating a basic group (messages.createChat) as Telegram does: the
// answer is messages.invitedUsers, its updates the creator's copy of the
// service message messageActionChatCreate (an updateNewMessage in their
// box, with the new chat among the answer's chats), its missing
// invitees those whose privacy settings kept them out; the group is made
// all the same. The other members get the service message pushed.

// CreateRequest is a messages.createChat request as the server read it.
type CreateRequest struct {
	By    int64   // the account asking
	Title string  // as sent
	Users []int64 // the users it named, in order
}

// Creates are the messages.createChat requests the server answered (or
// refused), oldest first.
func (s *Server) Creates() []CreateRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CreateRequest, len(s.creates))
	for i, c := range s.creates {
		out[i] = CreateRequest{By: c.By, Title: c.Title, Users: slices.Clone(c.Users)}
	}
	return out
}

func (s *Server) registerCreate(d *tgtest.Dispatcher) {
	handle(s, d, tg.MessagesCreateChatRequestTypeID, "messages.createChat", func(k *key, r *tg.MessagesCreateChatRequest) (bin.Encoder, error) {
		me, err := s.self(k)
		if err != nil {
			return nil, err
		}
		req := CreateRequest{By: me.ID, Title: r.Title}
		var users []*User
		for _, in := range r.Users {
			u, err := s.invitee(in)
			if err != nil {
				s.creates = append(s.creates, req)
				return nil, err
			}
			req.Users = append(req.Users, u.ID)
			if u.ID != me.ID && !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		s.creates = append(s.creates, req)
		title := strings.TrimSpace(r.Title)
		switch {
		case me.SpamRestricted:
			return nil, tgerr.New(406, "USER_RESTRICTED")
		case title == "":
			return nil, tgerr.New(400, "CHAT_TITLE_EMPTY")
		}
		g := &Group{ID: s.newGroupID(), Title: title, Members: []int64{me.ID}, Creator: me.ID, Date: now()}
		out := &tg.MessagesInvitedUsers{}
		for _, u := range users {
			if s.refusesInvite(u, me.ID) {
				out.MissingInvitees = append(out.MissingInvitees, tg.MissingInvitee{UserID: u.ID})
				continue
			}
			g.Members = append(g.Members, u.ID)
		}
		s.groups[g.ID] = g
		// The action names everyone in the new group, its creator too.
		mine := s.postGroupService(g, me.ID, &tg.MessageActionChatCreate{Title: title, Users: slices.Clone(g.Members)})
		out.Updates = &tg.Updates{Updates: []tg.UpdateClass{mine}, Users: s.usersFor(me.ID), Chats: []tg.ChatClass{g.tg(me.ID)}, Date: now()}
		return out, nil
	})
}

// newGroupID is a basic group ID no group has: after the highest. Call
// with s.mu held.
func (s *Server) newGroupID() int64 {
	id := int64(100)
	for gid := range s.groups {
		id = max(id, gid)
	}
	return id + 1
}
