package signal

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A group whose admins approve newcomers (its link set so) lists those
// who asked to join by the link (requestingMembers): Signal's apps show
// each request in the group's chat, and its admins approve or refuse it
// there. The room says it too, and how: signal-cli approves a request
// by adding the member (an XMPP invitation to the room, Invite) and
// refuses it by removing them (a kick of their address, Kick).

// requesters are the user IDs of those asking to join group g. It
// learns no identity: none is announced from here (lookup).
func (s *Session) requesters(g groupEntry) map[string]bool {
	out := map[string]bool{}
	for _, raw := range g.RequestingMembers {
		a := readAddress(raw)
		if id := s.ids.lookup(a.Number, a.UUID, s.acc); id != "" {
			out[id] = true
		}
	}
	return out
}

// joinRequests tells in the group's room each request to join that the
// update at (Unix ms) brought: those asking now whom old did not list.
func (s *Session) joinRequests(ctx context.Context, chatID string, old *group, g groupEntry, at int64) {
	var ids []string
	for id := range s.requesters(g) {
		if !old.requesting[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		who := id
		if nick := s.names.nick(id); nick != "" {
			who = nick + " (" + id + ")"
		}
		s.emit(ctx, &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, TimestampUnixMicro: at * 1000,
			EventId: "join-request-" + strconv.FormatInt(at, 10) + "-" + id,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: joinRequestText(who)}}}, true)
	}
}

// joinRequestText is the notice of who's request to join.
func joinRequestText(who string) string {
	return cmp.Or(who, "Someone") + " asks to join this group by its link. An admin lets them in by inviting them to this room, " +
		"or refuses by kicking their address; or on the phone."
}
