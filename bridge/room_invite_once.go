package bridge

import (
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// One contact invited twice at once is added once. Converse.js invites
// to a members-only room both ways at the same time, a XEP-0249 direct
// invitation and a muc#admin member affiliation for the same address;
// the second reached the network before the first's member event
// reached the room, and the network, which does not add a member twice,
// had it answered with an error. Now a second Invite of one contact
// waits for the first under way and takes its answer, and one soon
// after a first that succeeded, the contact not in the room yet, is
// answered success without the network.

// inviteKept is how long a successful Invite stands for a contact whose
// member event has not come: the network may add them only once they
// accept, or never tell.
const inviteKept = time.Minute

// inviting is an Invite of one contact to one room: under way (its
// waiters get its answer), or done at a time.
type inviting struct {
	done    bool
	at      time.Time
	waiters []func(*pb.CommandResult)
}

// sendCommand sends cmd to the network and calls cb with the answer; an
// Invite of a contact already being invited to that room, or invited
// just now, is not sent again.
func (s *session) sendCommand(cmd *pb.Command, cb func(*pb.CommandResult)) {
	inv := cmd.GetInvite()
	var r *room
	if inv != nil {
		r = s.rooms.get(cmd.ChatId)
	}
	if r == nil {
		s.t.host.Send(cmd, cb)
		return
	}
	id := inv.UserId
	r.mu.Lock()
	p := r.invites[id]
	switch {
	case p != nil && !p.done:
		p.waiters = append(p.waiters, cb)
		r.mu.Unlock()
		return
	case p != nil && r.members[id] == nil && time.Since(p.at) < inviteKept:
		r.mu.Unlock()
		cb(&pb.CommandResult{})
		return
	}
	p = &inviting{}
	if r.invites == nil {
		r.invites = map[string]*inviting{}
	}
	r.invites[id] = p
	r.mu.Unlock()
	s.t.host.Send(cmd, func(res *pb.CommandResult) {
		r.mu.Lock()
		waiters := p.waiters
		p.waiters = nil
		switch {
		case r.invites[id] != p:
			// The member event came first and dropped it.
		case res.Error != nil:
			delete(r.invites, id) // not added: a new Invite may try again
		default:
			p.done, p.at = true, time.Now()
		}
		r.mu.Unlock()
		cb(res)
		for _, w := range waiters {
			w(res)
		}
	})
}
