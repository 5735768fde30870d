package bridge

import (
	"context"
	"time"

	"mellium.im/xmpp/jid"

	"passerelle.im/passerelle/bridge/muc"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Joining a group the gateway does not know yet (contract v2's JoinChat,
// feature join_chat: an IRC channel, a public group by its handle). A MUC
// join to a room JID of the transport that names no known room becomes a
// JoinChat command for the chat ID the room's localpart stands for (the
// way setRoom makes a room's JID of a chat ID, reversed), with the nick
// asked and the MUC <password/>. The join completes as a known room's
// does (joinRoom: occupants, self-presence, history, subject) once the
// network sent the chat: a ChatEvent, before or after the command's
// result. An error result is the join's error presence, its condition
// the error code's (item-not-found for NOT_FOUND). Joins of the same
// room with the same password while one is under way wait for the same
// command; each join completes on its own command's success only.
//
// Without join_chat a join to an unknown room is refused with
// item-not-found, as before. A network that knows the chat by another ID
// than the one joined (a Telegram group joined by its public name) says
// which in the result (CommandResult.chat_id), and its ChatEvent names
// that one: the room is the chat's own, announced as any new group is
// (a bookmark that the user's clients join, or an invitation), and the
// join of the name is answered with gone, naming that room.

// joinWait is how long a join waits for the network's chat after the
// command succeeded.
const joinWait = 30 * time.Second

// pendingJoin is one resource's join waiting for its room.
type pendingJoin struct {
	st       *wire.Stanza
	from, to jid.JID
	join     muc.Join
}

// joinsUnderway are a session's joins of rooms not known yet: each a
// batch waiting for one command, by chat ID and password. Joins with
// different passwords are different commands: the same name with two
// invite links may lead to two groups, or one of them to none.
type joinsUnderway struct {
	m map[joinKey]*joinBatch
}

// joinKey names the command a join waits for.
type joinKey struct{ chatID, password string }

// joinBatch is the joins of one room waiting for the same JoinChat.
type joinBatch struct {
	chatID string
	joins  []pendingJoin
	// joined: the command succeeded, and the joins wait for the
	// network's chat (setRoom) only. A chat that comes before completes
	// no batch whose command has not said yes: that command may still
	// refuse its password.
	joined bool
}

// joinByID sends a join of a room the gateway does not know to the
// network, when the network joins chats by ID; false when it does not.
func (s *session) joinByID(ctx context.Context, st *wire.Stanza, chatID string, from, to jid.JID, join muc.Join) bool {
	t := s.t
	if !s.features().GetJoinChat() {
		return false
	}
	ctx = context.WithoutCancel(ctx)
	key := joinKey{chatID, join.Password}
	s.mu.Lock()
	if s.joins.m == nil {
		s.joins.m = map[joinKey]*joinBatch{}
	}
	b := s.joins.m[key]
	first := b == nil
	if first {
		b = &joinBatch{chatID: chatID}
		s.joins.m[key] = b
	}
	b.joins = append(b.joins, pendingJoin{st: st, from: from, to: to, join: join})
	s.mu.Unlock()
	if !first {
		t.log.Debug("a join waits for the command under way", "user", s.user, "chat", chatID)
		return true // the command under way answers for it too
	}
	t.log.Info("joining a group by its ID", "user", s.user, "chat", chatID)
	cmd := &pb.Command{LoginId: s.LoginID(), ChatId: chatID,
		Action: &pb.Command_Join{Join: &pb.JoinChat{Nick: to.Resourcepart(), Password: join.Password}}}
	t.host.Send(cmd, func(res *pb.CommandResult) {
		if res.Error != nil {
			t.log.Info("joining a group refused", "user", s.user, "chat", chatID, "code", res.Error.Code, "err", res.Error.Text)
			s.failJoins(ctx, key, b, conditionOf(res.Error.Code), res.Error.Text)
			return
		}
		if joined := res.GetChatId(); joined != "" && joined != chatID {
			s.joinedElsewhere(ctx, key, b, joined)
			return
		}
		s.mu.Lock()
		b.joined = true
		s.mu.Unlock()
		if r := s.rooms.get(chatID); r != nil {
			s.completeJoins(ctx, r) // the chat came first
			return
		}
		t.afterBg(joinWait, func() {
			s.failJoins(ctx, key, b, wire.RemoteServerTimeout, t.displayName()+" did not say what "+to.Bare().String()+" is")
		})
	})
	return true
}

// takeJoins removes batch b and returns its joins; none when it was
// taken already.
func (s *session) takeJoins(key joinKey, b *joinBatch) []pendingJoin {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.joins.m[key] != b {
		return nil // done with already; a later batch is not this command's
	}
	delete(s.joins.m, key)
	return b.joins
}

// takeJoined removes and returns the joins of chatID whose command
// succeeded.
func (s *session) takeJoined(chatID string) []pendingJoin {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pendingJoin
	for k, b := range s.joins.m {
		if b.chatID == chatID && b.joined {
			delete(s.joins.m, k)
			out = append(out, b.joins...)
		}
	}
	return out
}

// cancelJoin drops resource from's joins of chatID still waiting: the
// client left the room before the network sent the chat (closed its
// tab), and completed later the join put the resource back in a room it
// left. The room may be known already: the network's chat came before
// the command's result, which the joins wait for. With answer, it
// answers each with the unavailable self-presence that ends an
// occupant's stay (XEP-0045 §7.14): Gajim and Conversations show the
// room as joining until it comes. It reports whether there was one.
func (s *session) cancelJoin(ctx context.Context, chatID string, from jid.JID, status string, answer bool) bool {
	s.mu.Lock()
	var dropped []pendingJoin
	for k, b := range s.joins.m {
		if b.chatID != chatID {
			continue
		}
		kept := b.joins[:0]
		for _, j := range b.joins {
			if j.from.Equal(from) {
				dropped = append(dropped, j)
				continue
			}
			kept = append(kept, j)
		}
		clear(b.joins[len(kept):])
		b.joins = kept
		if len(kept) == 0 && b.joined {
			delete(s.joins.m, k) // a batch still asking keeps its place: its result comes
		}
	}
	s.mu.Unlock()
	for _, j := range dropped {
		if answer {
			roomJID := j.to.Bare().String()
			// XEP-0421: every presence from an occupant carries its id.
			me := muc.Occupant{Nick: j.to.Resourcepart(), JID: s.user, OccupantID: muc.OccupantID(roomJID, s.user)}
			s.t.send(ctx, muc.Presence{Room: roomJID, To: j.from.String(), Occupant: me, Unavailable: true,
				Statuses: []int{muc.StatusSelf}, Status: status}.Bytes())
		}
	}
	return len(dropped) > 0
}

// failJoins refuses the joins of batch b, if still waiting.
func (s *session) failJoins(ctx context.Context, key joinKey, b *joinBatch, cond wire.Condition, text string) {
	for _, j := range s.takeJoins(key, b) {
		// The network knows no such group of the user's: one the user
		// left, if the session saw it (room_left.go).
		if cond == wire.ItemNotFound && s.refuseLeftJoin(ctx, j.st, key.chatID, j.to) {
			continue
		}
		s.t.send(ctx, wire.ErrorReply(j.st, cond, text))
	}
}

// joinedElsewhere answers the joins of batch b, made under another name
// than the chat's own ID (joined), with gone naming the chat's room.
func (s *session) joinedElsewhere(ctx context.Context, key joinKey, b *joinBatch, joined string) {
	t := s.t
	rj, err := t.puppetJID(joined)
	if err != nil {
		t.log.Warn("a group joined by name has no room address", "chat", joined, "err", err)
		s.failJoins(ctx, key, b, wire.ItemNotFound, t.displayName()+" joined a group the gateway cannot show")
		return
	}
	t.log.Info("group joined by another name", "user", s.user, "asked", key.chatID, "chat", joined)
	for _, j := range s.takeJoins(key, b) {
		t.send(ctx, wire.GoneReply(j.st, wire.XMPPURI(rj.String(), "join"), "joined: this group's room is "+rj.String()))
	}
}

// askedNick is the nick a join of chatID still waiting asked (the
// resource of its 'to', the JoinChat's nick): the user's nick in a room
// made of a chat that names no member of the user's (an IRC channel
// before its NAMES ended) until the network names it; "" when none
// waits. Of batches with different passwords, one whose command
// succeeded is preferred.
func (s *session) askedNick(chatID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	nick := ""
	for _, b := range s.joins.m {
		if b.chatID != chatID || len(b.joins) == 0 {
			continue
		}
		if n := b.joins[0].to.Resourcepart(); n != "" && (nick == "" || b.joined) {
			nick = n
		}
	}
	return nick
}

// completeJoins completes the joins waiting for a room the network just
// described (setRoom).
func (s *session) completeJoins(ctx context.Context, r *room) {
	for _, j := range s.takeJoined(r.chatID) {
		s.t.joinRoom(context.WithoutCancel(ctx), j.st, s, r, r.chatID, j.from, j.to, j.join, nil)
	}
}
