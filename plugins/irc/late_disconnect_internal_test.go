package irc

import (
	"context"
	"testing"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// replacedConnSession returns a session whose current connection cur is
// up and in #room with the members nicks, the room's names list done,
// and old, a connection the session had before cur.
func replacedConnSession(t *testing.T, nicks ...string) (s *Session, old, cur *ircevent.Connection) {
	t.Helper()
	s, _ = namesWaitSession(t)
	old, cur = &ircevent.Connection{}, &ircevent.Connection{}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn, s.up = cur, true
	s.selfJoinedLocked("#room", "#room")
	ch := s.channels["#room"]
	for _, n := range nicks {
		ch.members[n] = &member{nick: n}
	}
	ch.synced = true
	ch.settle()
	return s, old, cur
}

// The end of a connection that is no longer the session's (given up,
// with Connect making another before the old one's end came: a server
// slow to close it after the QUIT) leaves the current connection's
// channels, its state and its waits alone; with no connection at all
// (the user quit) the channels go, as before. Before, the old
// connection's late end emptied the new one's channels: its rooms had
// no members, and ChatInfo answered NOT_FOUND.
func TestLateEndOfOldConnectionLeavesNewOne(t *testing.T) {
	s, old, cur := replacedConnSession(t, "bob")
	// A line sent on the current connection, its echo awaited.
	sent := &echo{target: "#room", text: "hi", got: make(chan ircmsg.Message, 1)}
	s.mu.Lock()
	s.echoes = append(s.echoes, sent)
	s.mu.Unlock()

	s.disconnected(old)
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	info, err := s.ChatInfo(context.Background(), "#room")
	if err != nil || len(info.GetMembers()) != 1 || !up {
		t.Errorf("after the old connection's late end: ChatInfo %v, %v, connection up %v; want #room with bob, up", info, err, up)
	}
	select {
	case <-sent.got:
		t.Error("the old connection's late end failed a line sent on the current one")
	default:
	}

	s.mu.Lock()
	s.conn = nil // the user quit
	s.mu.Unlock()
	s.disconnected(cur)
	if _, err := s.ChatInfo(context.Background(), "#room"); err == nil {
		t.Error("ChatInfo of #room once the only connection ended: want NOT_FOUND")
	}
}
