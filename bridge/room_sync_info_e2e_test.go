package bridge_test

import (
	"strconv"
	"testing"

	"passerelle.im/passerelle/examples/echo"
)

// TestRoomSyncAsksMembersTogether: the room sync asks the members of the
// chats the list leaves them out of a few at once, not one after another
// (an IRC channel's ChatInfo waits up to 10 s for its NAMES): echo's
// "+names" login has three channels listed without members whose
// ChatInfo answers only once all three are asked at the same time. Their
// rooms come, with their members (Echo One is an occupant). Before, the
// first ChatInfo waited alone until its time ended, and each room came
// 30 s after the one before it, without its members.
func TestRoomSyncAsksMembersTogether(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := s.user("alice")
	s.waitGateway(alice)
	if r := register(t, alice, "alice"+echo.NamesMark); r.Type != "result" {
		t.Fatalf("register: %s", r.XML)
	}
	// Each room, once made, is announced: an invitation (no bookmarks
	// here).
	for i := 1; i <= echo.NamesTogether; i++ {
		awaitInvitation(t, alice, channelRoom("later-"+strconv.Itoa(i))) // room_create_e2e_test.go
	}
	for i := 1; i <= echo.NamesTogether; i++ {
		roomJID := channelRoom("later-" + strconv.Itoa(i))
		j, jerr := joinChannel(t, alice, roomJID, "al", "")
		if jerr != nil {
			t.Fatalf("join %s: %s", roomJID, jerr.XML)
		}
		if len(j.occupants) != 1 || nick(j.occupants[0].From) != "Echo One" {
			t.Errorf("%s: occupants %v, want Echo One: the members were not asked", roomJID, j.occupants)
		}
	}
}
